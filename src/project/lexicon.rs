//! The projector's rule files: `lexicon/fronts.tsv`, `lexicon/areas.tsv`, `lexicon/claims.tsv` and
//! `lexicon/directions.tsv`. They are data so that an analyst can extend the rules to other articles,
//! outlets and languages without touching Rust; each file documents its rows at its top.

use crate::geoparse::context::Direction;
use crate::text::fold::fold_name;
use std::collections::HashMap;

/// A bad line in one of the projector's rule files.
#[derive(Debug, thiserror::Error)]
pub enum ProjectLexiconError {
    #[error("{file}:{line}: {msg}")]
    Line { file: String, line: usize, msg: String },
    #[error("{file}: missing `param\t{name}` row")]
    MissingParam { file: String, name: String },
}

/// A phrase of folded words. `#` matches a number token, `UNIT` a unit word, `...` up to [`GAP`] words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phrase {
    pub words: Vec<String>,
}

/// How many words "..." may stand for.
pub const GAP: usize = 6;

impl Phrase {
    /// Parse a phrase as written in a rule file: each word is folded, placeholders are kept.
    pub fn parse(s: &str) -> Phrase {
        let mut words = Vec::new();
        for w in s.split_whitespace() {
            match w {
                "#" | "..." | "UNIT" => words.push(w.to_string()),
                _ => words.extend(fold_name(w).split(' ').filter(|x| !x.is_empty()).map(str::to_string)),
            }
        }
        Phrase { words }
    }

    /// Number of words (placeholders count one).
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// A phrase that folds to nothing matches nothing (rule files reject it).
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Whether `words` starts with this phrase, literally (no placeholders).
    pub fn matches_exactly(&self, words: &[&str]) -> bool {
        !self.words.is_empty() && self.words.len() <= words.len() && self.words.iter().zip(words).all(|(a, b)| a == b)
    }

    /// Match at token `i` of `words`; `is_number(k)` and `is_unit(k)` say what token `k` is. Returns the
    /// end (exclusive) of the match.
    pub fn match_at(
        &self,
        words: &[&str],
        i: usize,
        is_number: &dyn Fn(usize) -> bool,
        is_unit: &dyn Fn(usize) -> bool,
    ) -> Option<usize> {
        fn go(
            p: &[String],
            words: &[&str],
            k: usize,
            is_number: &dyn Fn(usize) -> bool,
            is_unit: &dyn Fn(usize) -> bool,
        ) -> Option<usize> {
            let Some(first) = p.first() else { return Some(k) };
            if first == "..." {
                return (k..=(k + GAP).min(words.len())).find_map(|j| go(&p[1..], words, j, is_number, is_unit));
            }
            let ok = k < words.len()
                && match first.as_str() {
                    "#" => is_number(k),
                    "UNIT" => is_unit(k),
                    w => words[k] == w,
                };
            if ok { go(&p[1..], words, k + 1, is_number, is_unit) } else { None }
        }
        if self.words.is_empty() {
            return None;
        }
        go(&self.words, words, i, is_number, is_unit)
    }
}

/// One row of a rule file.
#[derive(Debug, Clone)]
pub struct Row {
    pub kind: String,
    pub phrase: Phrase,
    /// The raw PHRASE column (param names are not folded).
    pub raw: String,
    pub values: Vec<String>,
    pub line: usize,
}

impl Row {
    /// The `i`-th VALUE column, `None` when absent or empty (optional columns stay optional).
    pub fn value(&self, i: usize) -> Option<&str> {
        self.values.get(i).map(String::as_str).filter(|v| !v.is_empty())
    }
}

/// A parsed rule file: rows in file order.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    pub file: String,
    pub rows: Vec<Row>,
}

impl Rules {
    /// Parse `TYPE<TAB>PHRASE[<TAB>VALUE…]` lines; `#` lines are comments. `kinds` lists the row types the
    /// file may have.
    pub fn parse(file: &str, text: &str, kinds: &[&str]) -> Result<Rules, ProjectLexiconError> {
        let mut rows = Vec::new();
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            let err = |msg: String| ProjectLexiconError::Line { file: file.to_string(), line: n + 1, msg };
            let cols: Vec<&str> = line.split('\t').collect();
            if cols.len() < 2 || cols[1].trim().is_empty() {
                return Err(err("expected TYPE<TAB>PHRASE[<TAB>VALUE]".into()));
            }
            let kind = cols[0].trim();
            if !kinds.contains(&kind) {
                return Err(err(format!("unknown row type {kind:?} (expected one of {})", kinds.join(", "))));
            }
            let phrase = Phrase::parse(cols[1]);
            if phrase.is_empty() {
                return Err(err("the phrase folds to nothing".into()));
            }
            let values: Vec<String> = cols[2..].iter().map(|v| v.trim().to_string()).collect();
            if kind == "param" && values.first().and_then(|v| v.parse::<f64>().ok()).is_none() {
                return Err(err(format!("param {:?} needs a numeric value", cols[1].trim())));
            }
            rows.push(Row { kind: kind.to_string(), phrase, raw: cols[1].trim().to_string(), values, line: n + 1 });
        }
        Ok(Rules { file: file.to_string(), rows })
    }

    /// Rows of one type, in file order.
    pub fn rows<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Row> + 'a {
        self.rows.iter().filter(move |r| r.kind == kind)
    }

    /// Phrases of one type, longest first (stable for equal lengths).
    pub fn phrases(&self, kind: &str) -> Vec<Phrase> {
        let mut v: Vec<Phrase> = self.rows(kind).map(|r| r.phrase.clone()).collect();
        v.sort_by_key(|p| std::cmp::Reverse(p.len()));
        v
    }

    /// Phrases of one type with their first value, longest first.
    pub fn phrases_with(&self, kind: &str) -> Vec<(Phrase, String)> {
        let mut v: Vec<(Phrase, String)> =
            self.rows(kind).map(|r| (r.phrase.clone(), r.value(0).unwrap_or("").to_string())).collect();
        v.sort_by_key(|p| std::cmp::Reverse(p.0.len()));
        v
    }

    /// A numeric parameter (`param NAME VALUE`).
    pub fn param(&self, name: &str) -> Result<f64, ProjectLexiconError> {
        self.rows("param")
            .find(|r| r.raw == name)
            .and_then(|r| r.value(0))
            .and_then(|v| v.parse::<f64>().ok())
            .ok_or_else(|| ProjectLexiconError::MissingParam { file: self.file.clone(), name: name.to_string() })
    }
}

/// Compass words (`lexicon/directions.tsv`).
#[derive(Debug, Clone, Default)]
pub struct Directions {
    /// (folded form, direction), longest form first.
    forms: Vec<(Phrase, Direction)>,
}

impl Directions {
    /// The compass words shipped in `lexicon/directions.tsv`.
    pub fn builtin() -> Directions {
        Directions::parse("lexicon/directions.tsv", include_str!("../../lexicon/directions.tsv"))
            .unwrap_or_else(|e| panic!("bundled directions are invalid: {e}"))
    }

    /// Parse a directions file; a bearing that contradicts its wind is an error, not a silent override.
    pub fn parse(file: &str, text: &str) -> Result<Directions, ProjectLexiconError> {
        let all: HashMap<&str, Direction> = [
            Direction::N,
            Direction::NE,
            Direction::E,
            Direction::SE,
            Direction::S,
            Direction::SW,
            Direction::W,
            Direction::NW,
        ]
        .into_iter()
        .map(|d| (d.as_str(), d))
        .collect();
        let mut forms = Vec::new();
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            let err = |msg: String| ProjectLexiconError::Line { file: file.to_string(), line: n + 1, msg };
            let cols: Vec<&str> = line.split('\t').collect();
            if cols.len() != 3 {
                return Err(err("expected DIRECTION<TAB>BEARING<TAB>FORMS".into()));
            }
            let d = *all.get(cols[0].trim()).ok_or_else(|| err(format!("unknown direction {:?}", cols[0])))?;
            let bearing: f64 = cols[1].trim().parse().map_err(|_| err("BEARING must be a number".into()))?;
            if (bearing - d.bearing()).abs() > 1e-9 {
                return Err(err(format!("{} has bearing {}, not {bearing}", d.as_str(), d.bearing())));
            }
            for f in cols[2].split('|') {
                let p = Phrase::parse(f);
                if !p.is_empty() {
                    forms.push((p, d));
                }
            }
        }
        forms.sort_by_key(|f| std::cmp::Reverse(f.0.len()));
        Ok(Directions { forms })
    }

    /// The direction written at word `i` of `words`, and how many words it takes.
    pub fn at(&self, words: &[&str], i: usize) -> Option<(Direction, usize)> {
        let rest = words.get(i..)?;
        self.forms.iter().find(|(p, _)| p.matches_exactly(rest)).map(|(p, d)| (*d, p.len()))
    }
}

/// The eight-wind direction nearest a bearing.
pub fn compass(bearing: f64) -> Direction {
    const WINDS: [Direction; 8] = [
        Direction::N,
        Direction::NE,
        Direction::E,
        Direction::SE,
        Direction::S,
        Direction::SW,
        Direction::W,
        Direction::NW,
    ];
    let i = ((bearing.rem_euclid(360.0) + 22.5) / 45.0).floor() as usize % 8;
    WINDS[i]
}

/// Smallest angle between two bearings, in [0, 180].
pub fn angle_between(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(360.0);
    d.min(360.0 - d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_rule_files_parse() {
        let d = Directions::builtin();
        assert_eq!(d.at(&["sud", "est", "d"], 0), Some((Direction::SE, 2)));
        assert_eq!(d.at(&["nord"], 0), Some((Direction::N, 1)));
        assert_eq!(d.at(&["ville"], 0), None);
        for (file, text, kinds) in [
            ("fronts", include_str!("../../lexicon/fronts.tsv"), super::super::fronts::KINDS),
            ("areas", include_str!("../../lexicon/areas.tsv"), super::super::areas::KINDS),
            ("claims", include_str!("../../lexicon/claims.tsv"), super::super::claims::KINDS),
        ] {
            let r = Rules::parse(file, text, kinds);
            assert!(r.is_ok(), "{file}: {r:?}");
        }
    }

    #[test]
    fn phrases_match_numbers_units_and_gaps() {
        let p = Phrase::parse("a # UNIT");
        let words = ["a", "#", "km", "de"];
        assert_eq!(p.match_at(&words, 0, &|k| words[k] == "#", &|k| words[k] == "km"), Some(3));
        let g = Phrase::parse("prennent ... en etau entre");
        let w2 = ["prennent", "les", "jihadistes", "en", "etau", "entre", "x"];
        assert_eq!(g.match_at(&w2, 0, &|_| false, &|_| false), Some(6));
        assert_eq!(Phrase::parse("Sud-Est").words, vec!["sud", "est"]);
    }

    #[test]
    fn bad_rows_name_their_line() {
        let e = Rules::parse("x.tsv", "# c\naxes\tfronts\nbogus\tx\n", &["axes"]);
        assert!(matches!(e, Err(ProjectLexiconError::Line { line: 3, .. })), "{e:?}");
        let e = Rules::parse("x.tsv", "param\tfoo\tbar\n", &["param"]);
        assert!(matches!(e, Err(ProjectLexiconError::Line { line: 1, .. })), "{e:?}");
    }

    #[test]
    fn compass_and_angles_wrap_around_north() {
        assert_eq!(compass(350.0), Direction::N);
        assert_eq!(compass(12.0), Direction::N);
        assert_eq!(compass(30.0), Direction::NE);
        assert_eq!(compass(224.0), Direction::SW);
        assert!((angle_between(350.0, 10.0) - 20.0).abs() < 1e-9);
        assert!((angle_between(90.0, 270.0) - 180.0).abs() < 1e-9);
    }
}
