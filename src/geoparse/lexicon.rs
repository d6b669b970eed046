//! The words around place names that the geoparser reads: head nouns, metonymy cues, comparisons,
//! titles, and names that are not places. All are data (`lexicon/*.tsv`) so an analyst can extend them.

use crate::gazetteer::Kind;
use crate::text::fold::fold_name;
use aho_corasick::{AhoCorasick, MatchKind};
use std::collections::HashMap;

/// What a head noun says about the name after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadCue {
    /// Kinds the name may then denote (empty: any).
    pub kinds: Vec<Kind>,
    /// Precision the mention gets (e.g. "la région d'al-Qaïm" is 2).
    pub precision: Option<u8>,
    /// The head names a feature that belongs to the place ("l'aéroport de X" is X's airport), not a
    /// place named X nor a part of X.
    pub feature: bool,
    /// The head may stand right before the name, without "de" ("le rond-point al-Naïm").
    pub direct: bool,
}

/// The parsed `place-cues.tsv`.
#[derive(Debug, Clone, Default)]
pub struct PlaceCues {
    /// Folded head phrase (possibly two words) → cue.
    pub heads: HashMap<String, HeadCue>,
    pub tails: HashMap<String, HeadCue>,
    /// Folded phrases, each a list of words.
    pub metonymy_before: Vec<Vec<String>>,
    pub metonymy_after: Vec<Vec<String>>,
    pub comparison_before: Vec<Vec<String>>,
    pub comparison_after: Vec<Vec<String>>,
    /// Nouns whose "de X" complement is an actor ("au grand dam de Bagdad").
    pub metonymy_genitive: Vec<Vec<String>>,
    /// Words glued after the name that make it an actor ("US-backed").
    pub metonymy_compound: Vec<Vec<String>>,
    /// Rivalry nouns before "entre X et Y" ("la crise entre Bagdad et Erbil").
    pub metonymy_between: Vec<Vec<String>>,
    /// A phrase after which come the parties to a rivalry: "que se disputent Bagdad et Erbil".
    pub metonymy_parties: Vec<Vec<String>>,
    pub titles: Vec<String>,
    /// Capitalised nouns that make the name right after them part of another proper name ("Operation").
    pub part_of_name: Vec<String>,
}

/// A bad line in a lexicon file.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {msg}")]
pub struct LexiconError {
    pub file: String,
    pub line: usize,
    pub msg: String,
}

impl PlaceCues {
    pub fn builtin() -> PlaceCues {
        PlaceCues::parse("lexicon/place-cues.tsv", include_str!("../../lexicon/place-cues.tsv"))
            .unwrap_or_else(|e| panic!("bundled place cues are invalid: {e}"))
    }

    pub fn parse(file: &str, text: &str) -> Result<PlaceCues, LexiconError> {
        let mut cues = PlaceCues::default();
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            let err = |msg: String| LexiconError { file: file.to_string(), line: n + 1, msg };
            let cols: Vec<&str> = line.split('\t').collect();
            if cols.len() < 2 {
                return Err(err("expected TYPE<TAB>PHRASE[<TAB>VALUE]".into()));
            }
            let phrase = fold_name(cols[1]);
            if phrase.is_empty() {
                return Err(err("empty phrase".into()));
            }
            let words = || phrase.split(' ').map(str::to_string).collect::<Vec<_>>();
            match cols[0].trim() {
                t @ ("head" | "tail") => {
                    let value = cols.get(2).copied().unwrap_or("");
                    let mut parts = value.split(';');
                    let kinds = parts.next().unwrap_or("");
                    let precision = parts.next().unwrap_or("");
                    let (mut feature, mut direct) = (false, false);
                    for flag in parts.next().unwrap_or("").split(',').map(str::trim).filter(|f| !f.is_empty()) {
                        match flag {
                            "feature" => feature = true,
                            "direct" => direct = true,
                            other => return Err(err(format!("unknown flag {other:?} (expected feature, direct)"))),
                        }
                    }
                    let kinds = kinds
                        .split(',')
                        .map(str::trim)
                        .filter(|k| !k.is_empty())
                        .map(|k| Kind::parse(k).ok_or_else(|| err(format!("unknown kind {k:?}"))))
                        .collect::<Result<Vec<_>, _>>()?;
                    let precision = match precision.trim() {
                        "" => None,
                        p => Some(
                            p.parse::<u8>()
                                .ok()
                                .filter(|p| (1..=3).contains(p))
                                .ok_or_else(|| err(format!("precision {p:?} is not 1, 2 or 3")))?,
                        ),
                    };
                    let cue = HeadCue { kinds, precision, feature, direct };
                    if t == "head" {
                        cues.heads.insert(phrase.clone(), cue);
                    } else {
                        cues.tails.insert(phrase.clone(), cue);
                    }
                }
                "metonymy_before" => cues.metonymy_before.push(words()),
                "metonymy_after" => cues.metonymy_after.push(words()),
                "comparison_before" => cues.comparison_before.push(words()),
                "comparison_after" => cues.comparison_after.push(words()),
                "metonymy_genitive" => cues.metonymy_genitive.push(words()),
                "metonymy_compound" => cues.metonymy_compound.push(words()),
                "metonymy_between" => cues.metonymy_between.push(words()),
                "metonymy_parties" => cues.metonymy_parties.push(words()),
                "title" => cues.titles.push(phrase.clone()),
                "part_of_name" => cues.part_of_name.push(phrase.clone()),
                other => return Err(err(format!("unknown type {other:?}"))),
            }
        }
        Ok(cues)
    }
}

/// Names that are not places (organisations, agencies): any place match inside one is dropped.
#[derive(Debug, Clone)]
pub struct Blockers {
    ac: Option<AhoCorasick>,
}

impl Blockers {
    pub fn builtin() -> Blockers {
        Blockers::from_lines(include_str!("../../lexicon/not-places.tsv"))
    }

    pub fn from_lines(text: &str) -> Blockers {
        let names: Vec<String> = text
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            .map(|l| fold_name(l.split('\t').next().unwrap_or(l)))
            .filter(|n| !n.is_empty())
            .collect();
        let ac = AhoCorasick::builder().match_kind(MatchKind::LeftmostLongest).build(&names).ok();
        Blockers { ac }
    }

    /// Folded byte ranges of every blocked name in `folded` (word-bounded).
    pub fn spans(&self, folded: &str) -> Vec<(usize, usize)> {
        let Some(ac) = &self.ac else { return Vec::new() };
        let b = folded.as_bytes();
        ac.find_iter(folded)
            .filter(|m| (m.start() == 0 || b[m.start() - 1] == b' ') && (m.end() == b.len() || b[m.end()] == b' '))
            .map(|m| (m.start(), m.end()))
            .collect()
    }
}
