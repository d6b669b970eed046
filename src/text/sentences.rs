//! Splitting article text into sentences.
//!
//! Events are coded one sentence at a time, so a boundary in the wrong place splits an actor from its
//! action. French news text has abbreviations ("M.", "Gén."), thousands written "1.500", quotes that end
//! in a comma, and scraped pages where two sentences are glued ("en guerre.Tôt le matin").

use std::ops::Range;

const ABBREVIATIONS: [&str; 32] = [
    "m", "mm", "mme", "mmes", "mlle", "dr", "pr", "st", "ste", "gen", "gén", "col", "lt", "cpt", "cdt", "sgt", "mr",
    "mrs", "ms", "jr", "sr", "etc", "no", "n°", "vol", "av", "apr", "env", "cf", "p", "art", "fig",
];

/// Byte ranges of the sentences of `text[range]` (trimmed, non-empty).
pub fn split(text: &str, range: Range<usize>) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let slice = &text[range.clone()];
    let chars: Vec<(usize, char)> = slice.char_indices().collect();
    let mut start = 0usize;
    let mut k = 0;
    while k < chars.len() {
        let (i, c) = chars[k];
        if matches!(c, '.' | '!' | '?' | '…') {
            // Extend over a run of terminators and closing quotes/brackets.
            let mut j = k + 1;
            while j < chars.len() && matches!(chars[j].1, '.' | '!' | '?' | '…' | '"' | '»' | '”' | '’' | ')' | '\'')
            {
                j += 1;
            }
            let end = chars.get(j).map_or(slice.len(), |x| x.0);
            let next_non_space = chars[j..].iter().find(|x| !x.1.is_whitespace()).map(|x| x.1);
            let spaced = chars.get(j).is_some_and(|x| x.1.is_whitespace());
            let glued = !spaced
                && c == '.'
                && j == k + 1
                && k > 0
                && chars[k - 1].1.is_lowercase()
                && chars.get(j).is_some_and(|x| x.1.is_uppercase());
            let opens = |n: char| {
                n.is_uppercase() || n.is_ascii_digit() || matches!(n, '"' | '«' | '“' | '\'' | '(' | '-' | '—')
            };
            let boundary = match next_non_space {
                None => true,
                Some(n) => (spaced && opens(n)) || glued,
            };
            if boundary && !(c == '.' && is_abbreviation(slice, i)) {
                push_trimmed(&mut out, slice, start..end, range.start);
                start = end;
            }
            k = j;
            continue;
        }
        k += 1;
    }
    push_trimmed(&mut out, slice, start..slice.len(), range.start);
    out
}

fn is_abbreviation(slice: &str, dot: usize) -> bool {
    let word: String = slice[..dot]
        .chars()
        .rev()
        .take_while(|c| c.is_alphanumeric() || *c == '°')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    if word.is_empty() {
        return false;
    }
    let single_initial = word.chars().count() == 1 && word.chars().all(char::is_uppercase);
    single_initial || ABBREVIATIONS.contains(&word.to_lowercase().as_str())
}

fn push_trimmed(out: &mut Vec<Range<usize>>, slice: &str, r: Range<usize>, base: usize) {
    let s = &slice[r.clone()];
    let lead = s.len() - s.trim_start().len();
    let trail = s.len() - s.trim_end().len();
    if s.trim().is_empty() {
        return;
    }
    out.push(base + r.start + lead..base + r.end - trail);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sents(t: &str) -> Vec<&str> {
        split(t, 0..t.len()).into_iter().map(|r| &t[r]).collect()
    }

    #[test]
    fn splits_on_full_stops_not_on_numbers_or_titles() {
        assert_eq!(
            sents("Il y a 1.500 jihadistes. M. Abadi a parlé. Le Gén. Souadi aussi!"),
            vec!["Il y a 1.500 jihadistes.", "M. Abadi a parlé.", "Le Gén. Souadi aussi!"]
        );
    }

    #[test]
    fn glued_sentences_are_split() {
        assert_eq!(
            sents("avec la Syrie en guerre.Tôt le matin, ils"),
            vec!["avec la Syrie en guerre.", "Tôt le matin, ils"]
        );
    }

    #[test]
    fn quotes_stay_with_their_sentence() {
        assert_eq!(
            sents("\"Ils ont libéré Gaza\", a-t-il affirmé. Ensuite il est parti."),
            vec!["\"Ils ont libéré Gaza\", a-t-il affirmé.", "Ensuite il est parti."]
        );
    }
}
