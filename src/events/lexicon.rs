//! The event coder's lexicons: actors, action triggers with their ACLED types, nominal references.
//! All are data files in `lexicon/` (documented at the top of each) so an analyst extends them
//! without touching Rust.

use super::model::Category;
use crate::text::fold::fold_name;
use std::collections::HashMap;

/// A bad line in a lexicon file.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {msg}")]
pub struct EventLexiconError {
    pub file: String,
    pub line: usize,
    pub msg: String,
}

/// Which side of a war an actor is on, as far as coding needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    State,
    NonState,
    Civilians,
}

/// How an actor fights, to credit air strikes and shelling to the right actors of a sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Means {
    Air,
    Ground,
    Any,
}

/// One actor of `actors.tsv`.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: String,
    /// Output name; may contain `{country}`.
    pub name: String,
    pub side: Side,
    pub means: Means,
}

/// A sequence of folded words with optional gaps ("artillerie ... pilonne").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    /// Parts separated by gaps; each part is a word sequence.
    pub parts: Vec<Vec<String>>,
    pub max_gap: usize,
}

impl Pattern {
    pub fn parse(phrase: &str, max_gap: usize) -> Pattern {
        let parts = phrase
            .split("...")
            .map(|p| fold_name(p).split(' ').filter(|w| !w.is_empty()).map(str::to_string).collect::<Vec<_>>())
            .filter(|p| !p.is_empty())
            .collect();
        Pattern { parts, max_gap }
    }

    /// The match starting at word `start`, if any: (first word of the last part, one past the last word).
    pub fn match_at(&self, ws: &[&str], start: usize) -> Option<(usize, usize)> {
        let first = self.parts.first()?;
        if !seq_at(ws, start, first) {
            return None;
        }
        let mut end = start + first.len();
        let mut last = start;
        for part in &self.parts[1..] {
            let k = (end..=(end + self.max_gap).min(ws.len())).find(|&k| seq_at(ws, k, part))?;
            last = k;
            end = k + part.len();
        }
        Some((last, end))
    }

    /// The word that must open a match (to index patterns by it).
    pub fn first_word(&self) -> Option<&str> {
        self.parts.first().and_then(|p| p.first()).map(String::as_str)
    }

    /// Every match in `ws`: (first word, first word of the last part, one past the last word). The last
    /// part is the verb of a gapped trigger ("artillerie ... pilonne").
    pub fn find_all(&self, ws: &[&str]) -> Vec<(usize, usize, usize)> {
        let mut out = Vec::new();
        let Some(first) = self.parts.first() else { return out };
        for start in 0..ws.len() {
            if !seq_at(ws, start, first) {
                continue;
            }
            let mut end = start + first.len();
            let mut last = start;
            let mut ok = true;
            for part in &self.parts[1..] {
                let found = (end..=(end + self.max_gap).min(ws.len())).find(|&k| seq_at(ws, k, part));
                match found {
                    Some(k) => {
                        last = k;
                        end = k + part.len();
                    }
                    None => {
                        ok = false;
                        break;
                    }
                }
            }
            if ok {
                out.push((start, last, end));
            }
        }
        out
    }
}

fn seq_at(ws: &[&str], i: usize, seq: &[String]) -> bool {
    i + seq.len() <= ws.len() && seq.iter().zip(&ws[i..]).all(|(a, b)| a == b)
}

/// One trigger of `actions.tsv`.
#[derive(Debug, Clone)]
pub struct Trigger {
    pub category: Category,
    pub pattern: Pattern,
    pub passive: bool,
    pub loser: bool,
    pub needs_place: bool,
}

/// What a nominal reference points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Referent {
    Settlement,
    Crossing,
    Border,
    Capital,
}

/// Phrases indexed by their first word, so a sentence is scanned once whatever the lexicon's size.
#[derive(Debug, Clone, Default)]
pub struct FirstWordIndex(HashMap<String, Vec<usize>>);

impl FirstWordIndex {
    pub fn build<'a>(first_words: impl Iterator<Item = Option<&'a str>>) -> FirstWordIndex {
        let mut m: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, w) in first_words.enumerate() {
            if let Some(w) = w {
                m.entry(w.to_string()).or_default().push(i);
            }
        }
        FirstWordIndex(m)
    }

    /// Indices of the phrases that open with `word`, in lexicon order.
    pub fn get(&self, word: &str) -> &[usize] {
        self.0.get(word).map_or(&[], Vec::as_slice)
    }
}

/// All event lexicons.
#[derive(Debug, Clone)]
pub struct EventLexicon {
    pub actors: Vec<Actor>,
    /// Folded alias words → actor index, longest aliases first.
    pub actor_aliases: Vec<(Vec<String>, usize)>,
    pub triggers: Vec<Trigger>,
    pub acled: HashMap<Category, (String, String)>,
    pub nominal: Vec<(Referent, Pattern)>,
    /// `triggers` and `actor_aliases` indexed by first word.
    pub trigger_index: FirstWordIndex,
    pub actor_index: FirstWordIndex,
}

impl EventLexicon {
    pub fn builtin() -> EventLexicon {
        EventLexicon::parse(
            include_str!("../../lexicon/actors.tsv"),
            include_str!("../../lexicon/actions.tsv"),
            include_str!("../../lexicon/nominal.tsv"),
        )
        .unwrap_or_else(|e| panic!("bundled event lexicons are invalid: {e}"))
    }

    pub fn parse(actors: &str, actions: &str, nominal: &str) -> Result<EventLexicon, EventLexiconError> {
        let mut lex = EventLexicon {
            actors: Vec::new(),
            actor_aliases: Vec::new(),
            triggers: Vec::new(),
            acled: HashMap::new(),
            nominal: Vec::new(),
            trigger_index: FirstWordIndex::default(),
            actor_index: FirstWordIndex::default(),
        };
        for (n, line) in data_lines(actors) {
            let err = |msg: String| EventLexiconError { file: "lexicon/actors.tsv".into(), line: n, msg };
            let cols: Vec<&str> = line.split('\t').collect();
            if cols.len() != 5 {
                return Err(err("expected ID<TAB>NAME<TAB>SIDE<TAB>MEANS<TAB>ALIASES".into()));
            }
            let side = match cols[2].trim() {
                "state" => Side::State,
                "non-state" => Side::NonState,
                "civilians" => Side::Civilians,
                other => return Err(err(format!("unknown side {other:?} (state, non-state, civilians)"))),
            };
            let means = match cols[3].trim() {
                "air" => Means::Air,
                "ground" => Means::Ground,
                "any" => Means::Any,
                other => return Err(err(format!("unknown means {other:?} (air, ground, any)"))),
            };
            let i = lex.actors.len();
            lex.actors.push(Actor { id: cols[0].trim().to_string(), name: cols[1].trim().to_string(), side, means });
            for alias in cols[4].split('|') {
                let words: Vec<String> =
                    fold_name(alias).split(' ').filter(|w| !w.is_empty()).map(str::to_string).collect();
                if !words.is_empty() {
                    lex.actor_aliases.push((words, i));
                }
            }
        }
        lex.actor_aliases.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.1.cmp(&b.1)));
        for (n, line) in data_lines(actions) {
            let err = |msg: String| EventLexiconError { file: "lexicon/actions.tsv".into(), line: n, msg };
            let cols: Vec<&str> = line.split('\t').collect();
            if cols[0] == "@acled" {
                if cols.len() != 4 {
                    return Err(err("expected @acled<TAB>CATEGORY<TAB>TYPE<TAB>SUB_TYPE".into()));
                }
                let c = Category::parse(cols[1]).ok_or_else(|| err(format!("unknown category {:?}", cols[1])))?;
                lex.acled.insert(c, (cols[2].trim().to_string(), cols[3].trim().to_string()));
                continue;
            }
            if cols.len() < 2 {
                return Err(err("expected CATEGORY<TAB>PHRASE[<TAB>FLAGS]".into()));
            }
            let category = Category::parse(cols[0]).ok_or_else(|| err(format!("unknown category {:?}", cols[0])))?;
            let flags: Vec<&str> = cols
                .get(2)
                .map(|f| f.split(',').map(str::trim).filter(|f| !f.is_empty()).collect())
                .unwrap_or_default();
            for f in &flags {
                if !matches!(*f, "passive" | "loser" | "needs_place") {
                    return Err(err(format!("unknown flag {f:?} (passive, loser, needs_place)")));
                }
            }
            let pattern = Pattern::parse(cols[1], 25);
            if pattern.parts.is_empty() {
                return Err(err("empty phrase".into()));
            }
            lex.triggers.push(Trigger {
                category,
                pattern,
                passive: flags.contains(&"passive"),
                loser: flags.contains(&"loser"),
                needs_place: flags.contains(&"needs_place"),
            });
        }
        for c in Category::ALL {
            if !lex.acled.contains_key(&c) && lex.triggers.iter().any(|t| t.category == c) {
                return Err(EventLexiconError {
                    file: "lexicon/actions.tsv".into(),
                    line: 0,
                    msg: format!("category {} has triggers but no @acled line", c.as_str()),
                });
            }
        }
        for (n, line) in data_lines(nominal) {
            let err = |msg: String| EventLexiconError { file: "lexicon/nominal.tsv".into(), line: n, msg };
            let cols: Vec<&str> = line.split('\t').collect();
            if cols.len() != 2 {
                return Err(err("expected REFERENT<TAB>PHRASE".into()));
            }
            let r = match cols[0].trim() {
                "settlement" => Referent::Settlement,
                "crossing" => Referent::Crossing,
                "border" => Referent::Border,
                "capital" => Referent::Capital,
                other => return Err(err(format!("unknown referent {other:?}"))),
            };
            lex.nominal.push((r, Pattern::parse(cols[1], 3)));
        }
        lex.trigger_index = FirstWordIndex::build(lex.triggers.iter().map(|t| t.pattern.first_word()));
        lex.actor_index = FirstWordIndex::build(lex.actor_aliases.iter().map(|a| a.0.first().map(String::as_str)));
        Ok(lex)
    }

    /// ACLED (type, sub-type) of a category.
    pub fn acled(&self, c: Category) -> (String, String) {
        self.acled.get(&c).cloned().unwrap_or_else(|| ("Strategic developments".to_string(), "Other".to_string()))
    }
}

fn data_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
}
