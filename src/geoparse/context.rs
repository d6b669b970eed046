//! Reading the words around a candidate place name.
//!
//! "la province de Deir Ezzor" and "la ville de Deir Ezzor" name different places; "selon Bagdad" names
//! a government, not a city; "le général X" names a person. This module turns the sentence around a
//! match into the few facts the resolver needs.

use super::lexicon::{HeadCue, PlaceCues};
use crate::gazetteer::Kind;
use crate::text::fold::fold_name;
use std::ops::Range;

/// Compass directions, for "au sud-ouest de X" and the fronts of an offensive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum Direction {
    N,
    NE,
    E,
    SE,
    S,
    SW,
    W,
    NW,
}

impl Direction {
    /// Bearing in degrees clockwise from north.
    pub fn bearing(self) -> f64 {
        match self {
            Direction::N => 0.0,
            Direction::NE => 45.0,
            Direction::E => 90.0,
            Direction::SE => 135.0,
            Direction::S => 180.0,
            Direction::SW => 225.0,
            Direction::W => 270.0,
            Direction::NW => 315.0,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Direction::N => "N",
            Direction::NE => "NE",
            Direction::E => "E",
            Direction::SE => "SE",
            Direction::S => "S",
            Direction::SW => "SW",
            Direction::W => "W",
            Direction::NW => "NW",
        }
    }

    /// Parse the last one or two folded words of a phrase ("sud ouest", "est", "north east").
    pub fn from_words(words: &[&str]) -> Option<(Direction, usize)> {
        let one = |w: &str| -> Option<u8> {
            Some(match w {
                "nord" | "north" => 0,
                "est" | "east" => 1,
                "sud" | "south" => 2,
                "ouest" | "west" => 3,
                _ => return None,
            })
        };
        let n = words.len();
        if n >= 2 {
            if let (Some(a), Some(b)) = (one(words[n - 2]), one(words[n - 1])) {
                let d = match (a, b) {
                    (0, 1) => Direction::NE,
                    (0, 3) => Direction::NW,
                    (2, 1) => Direction::SE,
                    (2, 3) => Direction::SW,
                    _ => return None,
                };
                return Some((d, 2));
            }
        }
        let d = match one(words.last()?)? {
            0 => Direction::N,
            1 => Direction::E,
            2 => Direction::S,
            _ => Direction::W,
        };
        Some((d, 1))
    }
}

/// What the words around a match say.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub head: Option<HeadCue>,
    pub direction: Option<Direction>,
    /// A cue says the name stands for a government or an actor (decided later, for countries and capitals).
    pub metonymy_cue: bool,
    /// The name is a yardstick ("vaste comme l'Italie").
    pub comparison: bool,
    /// The name is part of a person's name ("Haider al-Abadi", "le général X") or of another proper name
    /// ("Operation Euphrates Wrath").
    pub person: bool,
    /// Nothing but punctuation or an article before it in its sentence: capitals say nothing here.
    pub sentence_initial: bool,
    /// Preceded by a locative preposition (à, en, dans, vers, in, at…): a location, not an actor.
    pub locative: bool,
    /// Opens its clause and a verb follows ("Ankara considère", "La Turquie a lancé"): for a country or a
    /// capital, the government.
    pub subject_of_verb: bool,
    /// One of a list the head noun introduces ("les quartiers orientaux comme Al-Zohour", "neighborhoods
    /// like Karama and Quds"): the name is a place of one of these kinds (empty: any).
    pub member_of: Option<Vec<Kind>>,
}

/// Words that show a verb right after a clause's subject: auxiliaries, reflexive and negative particles,
/// and verbs of stance that news copy attributes to governments.
const VERB_STARTS: [&str; 52] = [
    "a",
    "avait",
    "ont",
    "avaient",
    "aura",
    "aurait",
    "est",
    "etait",
    "sont",
    "sera",
    "serait",
    "se",
    "s",
    "ne",
    "n",
    "y",
    "doit",
    "devait",
    "peut",
    "pourrait",
    "veut",
    "voulait",
    "voit",
    "compte",
    "considere",
    "poursuit",
    "reste",
    "entend",
    "refuse",
    "redoute",
    "soutient",
    "appuie",
    "exige",
    "reclame",
    "has",
    "have",
    "had",
    "is",
    "was",
    "will",
    "would",
    "did",
    "does",
    "could",
    "should",
    "can",
    "considers",
    "wants",
    "sees",
    "says",
    "insists",
    "fears",
];
/// Words after which a name opens a clause.
const CLAUSE_OPENERS: [&str; 12] =
    ["et", "mais", "que", "qu", "car", "or", "donc", "and", "but", "while", "tandis", "alors"];

const ARTICLES: [&str; 6] = ["l", "la", "le", "les", "the", "un"];
const PREPOSITIONS: [&str; 5] = ["de", "d", "du", "des", "of"];
const LOCATIVES: [&str; 22] = [
    "a", "au", "aux", "en", "dans", "vers", "depuis", "pres", "sur", "jusqu", "jusque", "entre", "in", "at", "near",
    "into", "to", "from", "around", "outside", "inside", "toward",
];
/// Capitalised words that may stand right before a place name without making it a person's name.
const GEOGRAPHIC_PREFIXES: [&str; 44] = [
    "mont",
    "mount",
    "monts",
    "mountains",
    "jebel",
    "djebel",
    "jabal",
    "lac",
    "lake",
    "wadi",
    "oued",
    "camp",
    "fort",
    "port",
    "province",
    "governorate",
    "gouvernorat",
    "region",
    "district",
    "ville",
    "city",
    "plaine",
    "plain",
    "desert",
    "haute",
    "haut",
    "basse",
    "bas",
    "grand",
    "grande",
    "greater",
    "upper",
    "lower",
    "nord",
    "sud",
    "est",
    "ouest",
    "north",
    "south",
    "east",
    "west",
    "central",
    "centre",
    "kurdistan",
];

/// The words of the folded text `f`, in order.
fn words_of(f: &str) -> Vec<&str> {
    f.split(' ').filter(|w| !w.is_empty()).collect()
}

fn ends_with(words: &[&str], phrase: &[String]) -> bool {
    phrase.len() <= words.len() && words[words.len() - phrase.len()..].iter().zip(phrase).all(|(w, p)| w == p)
}

fn starts_with(words: &[&str], phrase: &[String]) -> bool {
    phrase.len() <= words.len() && words[..phrase.len()].iter().zip(phrase).all(|(w, p)| w == p)
}

/// A past participle, roughly: "soutenu", "appuyée", "menés", "conquis".
fn looks_like_participle(w: &str) -> bool {
    ["e", "ee", "es", "ees", "u", "ue", "us", "ues", "is", "ise", "it", "ite"].iter().any(|s| w.ends_with(s))
        || w.ends_with("ed")
}

/// Whether the name after `words` is a party to a rivalry: right after "entre"/"between" with a rivalry noun
/// a few words before ([`PlaceCues::metonymy_between`]), or after a phrase naming the parties to come
/// ("se disputent"); or the second name of such a pair ("… entre Bagdad et Erbil"), the first being at most
/// four words.
fn parties(words: &[&str], cues: &PlaceCues) -> bool {
    let first = |words: &[&str]| {
        let n = words.len();
        let rivalry = n > 0
            && (words[n - 1] == "entre" || words[n - 1] == "between")
            && cues
                .metonymy_between
                .iter()
                .any(|p| words[n.saturating_sub(6)..n - 1].windows(p.len()).any(|w| w == p.as_slice()));
        rivalry || cues.metonymy_parties.iter().any(|p| ends_with(words, p))
    };
    if first(words) {
        return true;
    }
    let n = words.len();
    if n < 2 || !matches!(words[n - 1], "et" | "and") {
        return false;
    }
    (2..=5).filter(|k| *k < n).any(|k| first(&words[..n - k]))
}

/// Words that open a list of examples after a plural noun: "quartiers comme X", "neighborhoods such as X".
const LIST_OPENERS: [&[&str]; 8] = [
    &["comme"],
    &["notamment"],
    &["dont"],
    &["tels", "que"],
    &["telles", "que"],
    &["like"],
    &["such", "as"],
    &["including"],
];

/// The kinds of the head noun that opens the list of examples the name is in: HEAD [ADJ]{0,2} OPENER
/// NAME, or a later name of the list ("les quartiers orientaux comme Al-Zohour ou Al-Quds"). A plural
/// head counts as its singular.
fn member_of(before_raw: &str, cues: &PlaceCues) -> Option<Vec<Kind>> {
    // Back over the earlier names of the list and their separators.
    let tokens: Vec<&str> = before_raw.split_whitespace().collect();
    let mut i = tokens.len();
    while i > 0 && tokens.len() - i < 12 {
        let t = tokens[i - 1].trim_end_matches([',', ';']);
        let connector = matches!(t, "et" | "ou" | "and" | "or");
        let name = t.chars().next().is_some_and(char::is_uppercase)
            || ["al-", "el-", "al\u{2019}", "al'"].iter().any(|p| t.starts_with(p));
        if t.is_empty() || !(connector || name) {
            break;
        }
        i -= 1;
    }
    let folded = fold_name(&tokens[..i].join(" "));
    let mut words = words_of(&folded);
    if words.last().is_some_and(|w| ARTICLES.contains(w)) {
        words.pop();
    }
    let opener = LIST_OPENERS.iter().find(|o| o.len() <= words.len() && words[words.len() - o.len()..] == ***o)?;
    let j = words.len() - opener.len();
    (0..=2usize).take_while(|skip| *skip < j).find_map(|skip| {
        let w = words[j - 1 - skip];
        let singular = w.strip_suffix('s').unwrap_or(w);
        cues.heads.get(w).or_else(|| cues.heads.get(singular)).map(|c| c.kinds.clone())
    })
}

/// Analyse the context of `span` inside `sentence` (byte ranges of `text`).
pub fn analyse(
    text: &str,
    sentence: Range<usize>,
    span: Range<usize>,
    cues: &PlaceCues,
    common: &std::collections::HashSet<String>,
) -> Context {
    let start = sentence.start.min(span.start);
    let end = sentence.end.max(span.end);
    // Only the last few words before and the first few after matter.
    let before_raw = &text[floor_boundary(text, span.start.saturating_sub(160).max(start))..span.start];
    let after_raw = &text[span.end..ceil_boundary(text, (span.end + 120).min(end))];
    let (before_folded, after_folded) = (fold_name(before_raw), fold_name(after_raw));
    let (before, after) = (words_of(&before_folded), words_of(&after_folded));
    let mut ctx = Context::default();

    let lead = before_raw.trim_end();
    let only_punct = |s: &str| s.chars().all(|c| !c.is_alphanumeric());
    let bare_before: Vec<&str> = before.iter().filter(|w| !ARTICLES.contains(w)).copied().collect();
    ctx.sentence_initial = only_punct(&text[start..span.start])
        || (before.len() == 1 && ARTICLES.contains(&before[0]) && text[start..span.start].len() <= 8);

    // Strip one article right before the name ("de l'Euphrate", "par la Russie").
    let mut k = before.len();
    if k > 0 && ARTICLES.contains(&before[k - 1]) {
        k -= 1;
    }
    let words = &before[..k];
    ctx.locative = words.last().is_some_and(|w| LOCATIVES.contains(w));

    ctx.metonymy_cue = cues.metonymy_before.iter().any(|p| ends_with(words, p))
        || (words.len() >= 2 && words[words.len() - 1] == "par" && looks_like_participle(words[words.len() - 2]))
        || (words.len() >= 2 && words[words.len() - 1] == "by" && words[words.len() - 2].ends_with("ed"));
    if !ctx.locative && cues.metonymy_after.iter().any(|p| starts_with(&after, p)) {
        ctx.metonymy_cue = true;
    }
    ctx.comparison = cues.comparison_before.iter().any(|p| ends_with(words, p))
        || cues.comparison_after.iter().any(|p| starts_with(&after, p) && after_raw.starts_with('-'));
    if cues.metonymy_compound.iter().any(|p| starts_with(&after, p) && after_raw.starts_with('-')) {
        ctx.metonymy_cue = true;
    }
    // "au grand dam de Bagdad", "le soutien des Etats-Unis", "la victoire amère de Bagdad".
    if words.last().is_some_and(|w| PREPOSITIONS.contains(w)) {
        let head = &words[..words.len() - 1];
        if cues
            .metonymy_genitive
            .iter()
            .any(|p| ends_with(head, p) || (head.len() > 1 && ends_with(&head[..head.len() - 1], p)))
        {
            ctx.metonymy_cue = true;
        }
    }
    // "la crise aiguë entre Bagdad et Erbil", "la ville que se disputent Bagdad et Erbil": both names are
    // parties, not locations ("entre Kirkouk et Tikrit" is one).
    if parties(words, cues) {
        ctx.metonymy_cue = true;
        ctx.locative = false;
    }
    // "Pour Damas, qui n'a pas participé…": the opinion of a government.
    if words.last().is_some_and(|w| *w == "pour" || *w == "for") && after_raw.trim_start().starts_with(',') {
        ctx.metonymy_cue = true;
    }
    // The name opens a clause: sentence start, punctuation, or a conjunction right before it (an article
    // may stand between: ". La Turquie a lancé").
    let before_article = match before.last() {
        Some(w) if ARTICLES.contains(w) => {
            let cut = lead.trim_end_matches(|c: char| c.is_alphanumeric() || c == '\'' || c == '’').trim_end();
            (cut, before.len().checked_sub(2).map(|i| before[i]))
        }
        _ => (lead, before.last().copied()),
    };
    let opens_clause = ctx.sentence_initial
        || before_article.0.is_empty()
        || before_article.0.ends_with([',', ';', ':', '(', '"', '«', '“', '.'])
        || before_article.1.is_some_and(|w| CLAUSE_OPENERS.contains(&w));
    // The word after the name, as written: "à" is not the verb "a", and "Syria's" is a possessive.
    let next_raw: String = after_raw.trim_start().chars().take_while(|c| c.is_alphanumeric()).collect();
    let possessive = after_raw.starts_with("'s") || after_raw.starts_with("’s");
    // Punctuation between says it is not the name's verb: "Syrie : à Raqqa, …" is a kicker, not "Syrie a".
    let gap_is_space = after_raw.chars().take_while(|c| !c.is_alphanumeric()).all(char::is_whitespace);
    // An English past tense ("Moscow welcomed", "Ankara launched") is a verb too.
    let past_tense =
        next_raw.len() >= 5 && next_raw.ends_with("ed") && next_raw.chars().all(|c| c.is_ascii_lowercase());
    let verb_next = !possessive
        && gap_is_space
        && next_raw != "à"
        && (past_tense || after.first().is_some_and(|w| VERB_STARTS.contains(w)));
    ctx.subject_of_verb = !ctx.locative && opens_clause && verb_next;

    // Head noun: HEAD [ADJ]{0,2} (de|d'|du|of) NAME, or HEAD, NAME (apposition).
    let apposition = lead.ends_with(',');
    let mut j = words.len();
    let has_prep = j > 0 && PREPOSITIONS.contains(&words[j - 1]);
    if has_prep {
        j -= 1;
        if let Some((d, n)) = Direction::from_words(&words[..j]) {
            ctx.direction = Some(d);
            j -= n;
        }
    }
    if has_prep || apposition {
        for skip in 0..=2usize {
            if j < skip {
                break;
            }
            let end = j - skip;
            let two = (end >= 2).then(|| format!("{} {}", words[end - 2], words[end - 1]));
            let one = (end >= 1).then(|| words[end - 1]);
            let found = two.and_then(|t| cues.heads.get(&t)).or_else(|| one.and_then(|o| cues.heads.get(o)));
            if let Some(cue) = found {
                ctx.head = Some(cue.clone());
                break;
            }
        }
    }
    if ctx.head.is_none() && !has_prep && !apposition {
        // "le rond-point al-Naïm": a landmark noun right before the name.
        let mut k = words.len();
        if k > 0 && words[k - 1] == "al" {
            k -= 1;
        }
        let two = (k >= 2).then(|| format!("{} {}", words[k - 2], words[k - 1]));
        let one = (k >= 1).then(|| words[k - 1]);
        ctx.head = two
            .and_then(|t| cues.heads.get(&t))
            .or_else(|| one.and_then(|o| cues.heads.get(o)))
            .filter(|c| c.direct)
            .cloned();
    }
    if ctx.head.is_none() {
        ctx.member_of = member_of(before_raw, cues);
        // "des villes comme Mossoul et Raqqa": examples of the noun, not a yardstick ("vaste comme l'Italie").
        if ctx.member_of.is_some() {
            ctx.comparison = false;
        }
    }
    if ctx.head.is_none() {
        let two = (after.len() >= 2).then(|| format!("{} {}", after[0], after[1]));
        let one = after.first().copied();
        ctx.head = two.and_then(|t| cues.tails.get(&t)).or_else(|| one.and_then(|o| cues.tails.get(o))).cloned();
    }

    // Persons: a title right before, or a capitalised word glued before ("Haider al-Abadi").
    if bare_before.last().is_some_and(|w| cues.titles.iter().any(|t| t == w)) && !has_prep {
        ctx.person = true;
    }
    // The word before the name, looking past an Arabic article ("Qassem al-Mohammedi").
    let mut prev_word = previous_word(before_raw);
    if let Some((offset, w)) = prev_word {
        if matches!(w.trim_end_matches(['-', '\'', '’']), "al" | "el" | "Al" | "El") && w.ends_with(['-', '\'', '’'])
        {
            prev_word = previous_word(&before_raw[..offset]);
        }
    }
    if let Some((offset, prev)) = prev_word {
        let folded = fold_name(prev);
        let capitalised = prev.chars().next().is_some_and(char::is_uppercase);
        let between = &before_raw[offset + prev.len()..];
        let between = between.trim_end_matches(|c: char| c.is_alphabetic() || c == '-' || c == '\'' || c == '’');
        let adjacent = !between.is_empty() && between.chars().all(char::is_whitespace);
        let prev_abs = span.start - before_raw.len() + offset;
        let first_of_sentence = only_punct(&text[start..prev_abs]);
        let all_caps = prev.chars().filter(|c| c.is_alphabetic()).count() > 1 && !prev.chars().any(char::is_lowercase);
        // "Operation Euphrates Wrath": the name is part of an operation's.
        if capitalised && adjacent && cues.part_of_name.contains(&folded) {
            ctx.person = true;
        }
        if capitalised
            && adjacent
            && !first_of_sentence
            && !all_caps
            && !common.contains(&folded)
            && !GEOGRAPHIC_PREFIXES.contains(&folded.as_str())
            && !ARTICLES.contains(&folded.as_str())
            && !LOCATIVES.contains(&folded.as_str())
            && !PREPOSITIONS.contains(&folded.as_str())
        {
            ctx.person = true;
        }
    }
    ctx
}

/// The last word of `s` (original spelling) and its byte offset in `s`.
fn previous_word(s: &str) -> Option<(usize, &str)> {
    let t = s.trim_end();
    let word_char = |c: char| c.is_alphanumeric() || c == '-' || c == '\'' || c == '’';
    let start = t.char_indices().rev().take_while(|&(_, c)| word_char(c)).last().map(|(i, _)| i)?;
    Some((start, &t[start..]))
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_boundary(s: &str, mut i: usize) -> usize {
    while i < s.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    i
}
