//! Transliteration skeletons: one key for the many Latin spellings of an Arabic or Kurdish name.
//!
//! French, English and GeoNames romanise the same names differently: Jarablous / Jarabulus, Qamichli /
//! Qamishli / Al Qāmishlī, Charqat / Shirqat / Ash Sharqāt, Hawija / Al Ḩawījah, Tal Afar / Tall
//! ‘Afar, Makhmour / Mexmur. Dropping the leading article, unifying the letters that romanisations swap
//! (ch/sh/s, q/k/c, kh/x, ou/u, ai/ei/ay), keeping the first letter and the consonants, and collapsing
//! doubled letters gives them one key. The key is lossy, so a skeleton match is weak evidence that the
//! geoparser only accepts with context (see `geoparse`).

use super::place::Place;
use crate::text::fold::fold_name;
use std::collections::HashMap;

const ARTICLES: [&str; 16] =
    ["al", "el", "ash", "as", "ad", "ar", "at", "an", "az", "ath", "ed", "es", "er", "ez", "ul", "ud"];

/// The skeleton of one folded word.
fn word_skeleton(w: &str) -> String {
    let mut s = w.to_string();
    for (from, to) in [
        ("tch", "ch"),
        ("x", "kh"),
        ("ch", "sh"),
        ("sh", "s"),
        ("dj", "j"),
        ("ph", "f"),
        ("kh", "k"),
        ("gh", "g"),
        ("th", "t"),
        ("dh", "d"),
        ("ck", "k"),
        ("q", "k"),
        ("c", "k"),
        ("ou", "u"),
        ("ai", "ay"),
        ("ei", "ay"),
        ("ee", "i"),
        ("oo", "u"),
    ] {
        s = s.replace(from, to);
    }
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && matches!(c, 'a' | 'e' | 'i' | 'o' | 'u') {
            continue;
        }
        if out.ends_with(c) {
            continue;
        }
        out.push(c);
    }
    while out.len() > 1 && out.ends_with('h') {
        out.pop();
    }
    out
}

/// The skeleton of a name (any spelling; it is folded first). Empty for names in other scripts.
///
/// ```
/// use frontmap::gazetteer::skeleton::skeleton;
/// assert_eq!(skeleton("Jarablous"), skeleton("Jarābulus"));
/// assert_eq!(skeleton("Qamichli"), skeleton("Al Qāmishlī"));
/// assert_eq!(skeleton("Charqat"), skeleton("Ash Sharqāt"));
/// assert_eq!(skeleton("Tal Afar"), skeleton("Tall ‘Afar"));
/// assert_eq!(skeleton("Hawija"), skeleton("Al Ḩawījah"));
/// ```
pub fn skeleton(name: &str) -> String {
    let folded = fold_name(name);
    if !folded.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b' ') {
        return String::new();
    }
    let words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
    let kept: Vec<&str> =
        if words.len() > 1 { words.iter().copied().filter(|w| !ARTICLES.contains(w)).collect() } else { words };
    kept.iter().map(|w| word_skeleton(w)).collect::<Vec<_>>().join(" ")
}

/// Skeleton → places, for the names worth matching loosely.
#[derive(Debug, Default)]
pub struct SkeletonIndex {
    map: HashMap<String, Vec<u32>>,
}

/// Shortest skeleton (in letters, spaces excluded) trusted for a loose match of a short word; a word of
/// six letters or more may have a three-letter skeleton ("Hawija" → "hwj", "Fallouja" → "flj").
pub const MIN_LETTERS: usize = 4;

/// Whether a skeleton is specific enough to match `name` loosely.
pub fn usable(key: &str, name: &str) -> bool {
    let letters = key.chars().filter(|c| *c != ' ').count();
    let longest_word = name.split(|c: char| !c.is_alphanumeric()).map(|w| w.chars().count()).max().unwrap_or(0);
    letters >= MIN_LETTERS || (letters == 3 && longest_word >= 6)
}

impl SkeletonIndex {
    pub fn build(places: &[Place]) -> SkeletonIndex {
        let mut map: HashMap<String, Vec<u32>> = HashMap::new();
        for (i, p) in places.iter().enumerate() {
            for name in p.all_names().chain(p.curated_names.iter().map(String::as_str)) {
                let k = skeleton(name);
                if k.chars().filter(|c| *c != ' ').count() < 3 {
                    continue;
                }
                let v = map.entry(k).or_default();
                if v.last() != Some(&(i as u32)) && !v.contains(&(i as u32)) {
                    v.push(i as u32);
                }
            }
        }
        SkeletonIndex { map }
    }

    /// Places whose skeleton is `key`.
    pub fn get(&self, key: &str) -> &[u32] {
        self.map.get(key).map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn romanisations_share_a_skeleton() {
        for (a, b) in [
            ("Jarablous", "Jarābulus"),
            ("Qamichli", "Al Qāmishlī"),
            ("Charqat", "Ash Sharqāt"),
            ("Shirqat", "Ash Sharqāt"),
            ("Tal Afar", "Tall ‘Afar"),
            ("Hawija", "Al Ḩawījah"),
            ("Makhmour", "Mexmur"),
            ("Qayyara", "Al Qayyārah"),
            ("Hassaké", "Al Ḩasakah"),
            ("Aïn Issa", "‘Ayn ‘Īsá"),
        ] {
            assert_eq!(skeleton(a), skeleton(b), "{a} / {b}");
        }
        assert_ne!(skeleton("Mossoul"), skeleton("Bassora"));
        assert_eq!(skeleton("القائم"), "");
    }
}
