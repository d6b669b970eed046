//! Coding events sentence by sentence.
//!
//! For each sentence of the article's own text (not related links, not boilerplate): find the action
//! triggers; drop the intended ones ("pour libérer"); date them from the sentence's time expressions,
//! else from the day the article is talking about, else coarsely from the publication date; locate
//! them at the places the action governs ("l'assaut sur Saada, Husseiba et al-Karabla": three events),
//! resolving "la localité" and "le poste-frontière" to the town just named; find who acted and on whom.

use super::lexicon::{EventLexicon, Means, Referent, Side};
use super::model::{Category, SourceQuote};
use super::time::{self, TimeLexicon};
use crate::gazetteer::{Gazetteer, Kind};
use crate::geoparse::{Mention, Parsed};
use crate::text::fold::fold;
use crate::text::{Article, DateRange, Precision, Zone};
use chrono::NaiveDate;
use geo::{Coord, Point};
use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

/// An event as one sentence reports it, before merging.
#[derive(Debug, Clone)]
pub struct RawEvent {
    pub category: Category,
    pub actor1: Vec<String>,
    pub actor2: Vec<String>,
    pub place: usize,
    pub point: Coord<f64>,
    pub geo_precision: u8,
    pub date: DateRange,
    pub fatalities: Option<u32>,
    pub source: SourceQuote,
}

/// Demonym → country code.
#[derive(Debug, Clone, Default)]
pub struct Demonyms(HashMap<String, String>);

impl Demonyms {
    pub fn builtin() -> Demonyms {
        let mut m = HashMap::new();
        for line in include_str!("../../lexicon/demonyms.tsv").lines() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some((cc, forms)) = line.split_once('\t') {
                for f in forms.split('|') {
                    m.insert(crate::text::fold::fold_name(f), cc.trim().to_string());
                }
            }
        }
        Demonyms(m)
    }

    pub fn country(&self, word: &str) -> Option<&str> {
        self.0.get(word).map(String::as_str)
    }
}

/// The folded words of a sentence with their byte ranges in the article text, and where clause
/// punctuation (colons, semicolons, dashes) stood between words.
struct Words {
    words: Vec<String>,
    spans: Vec<Range<usize>>,
    /// `breaks[i]`: clause punctuation right before word `i`.
    breaks: Vec<bool>,
}

impl Words {
    fn of(text: &str, range: Range<usize>) -> Words {
        let slice = &text[range.clone()];
        let f = fold(slice);
        let mut words = Vec::new();
        let mut spans = Vec::new();
        let mut breaks = Vec::new();
        let mut pos = 0;
        let mut prev_end = range.start;
        for w in f.text.split(' ') {
            if !w.is_empty() {
                let r = f.source_range(slice, pos..pos + w.len());
                let start = range.start + r.start;
                let gap = text.get(prev_end.min(start)..start).unwrap_or("");
                breaks.push(gap.chars().any(|c| matches!(c, ':' | ';' | '—' | '–')));
                words.push(w.to_string());
                spans.push(start..range.start + r.end);
                prev_end = range.start + r.end;
            }
            pos += w.len() + 1;
        }
        Words { words, spans, breaks }
    }

    fn strs(&self) -> Vec<&str> {
        self.words.iter().map(String::as_str).collect()
    }

    /// Index of the first word overlapping byte `pos` or after it.
    fn word_at(&self, pos: usize) -> usize {
        self.spans.partition_point(|s| s.end <= pos)
    }
}

/// A place the sentence refers to: a named mention or a resolved nominal reference.
#[derive(Debug, Clone)]
struct SentencePlace {
    place: usize,
    point: Coord<f64>,
    precision: u8,
    /// Word range in the sentence.
    words: Range<usize>,
}

/// Everything the coder needs besides the article.
pub struct Coder<'a> {
    pub g: &'a Gazetteer,
    pub lex: &'a EventLexicon,
    pub time: &'a TimeLexicon,
    pub demonyms: &'a Demonyms,
    /// Nearest border (and its nearest point) per town, computed once: "la frontière" is resolved many
    /// times against the same few towns.
    pub border_cache: std::sync::Mutex<HashMap<usize, Option<BorderPoint>>>,
    /// The borders' lines, indexed on first use.
    pub border_lines: crate::closest::LineIndexes,
}

/// A border (gazetteer index) and its point nearest a town.
pub type BorderPoint = (usize, Coord<f64>);

/// Actors as the coder carries them: actor index and the country a demonym gave it, if any.
type ActorRefs = Vec<(usize, Option<String>)>;

/// State carried from one sentence to the next.
#[derive(Default)]
struct Discourse {
    day: Option<NaiveDate>,
    /// The town the article is talking about: the settlement with the most mentions, each worth half
    /// as much per sentence since ("la localité" after three sentences about al-Qaïm and one naming
    /// Rawa in passing is al-Qaïm).
    settlement: Option<usize>,
    salience: Vec<(usize, f64)>,
    last_actor1: Option<(usize, ActorRefs)>,
}

/// Words that may stand between the places of one list ("Saada, Husseiba et al-Karabla", "la région
/// d'Al-Qaïm et celle de Boukamal").
/// Prepositions that make the place after them a location rather than an object of the action.
const LOCATIVE_WORDS: [&str; 12] =
    ["a", "au", "aux", "dans", "en", "pres", "vers", "in", "at", "near", "around", "outside"];
const LIST_WORDS: [&str; 19] = [
    "et", "ou", "and", "or", "du", "de", "d", "la", "le", "l", "les", "des", "the", "celle", "celles", "celui", "ceux",
    "ainsi", "que",
];
/// Complementizers: the subject of the verb after them stands after them.
const COMPLEMENTIZERS: [&str; 4] = ["que", "qu", "that", "selon"];
/// Words after which an actor is an object, not a subject.
const OBJECT_MARKERS: [&str; 9] =
    ["contre", "combattre", "combat", "face", "against", "fight", "fighting", "aux", "chasser"];
/// Words after an actor that make it a description of the actor before ("coalition formée de…").
const APPOSITION_MARKERS: [&str; 7] = ["formee", "forme", "formes", "composee", "compose", "regroupant", "formed"];
/// Words that open a new clause: a verb's objects do not cross them.
const CLAUSE_WORDS: [&str; 16] = [
    "que", "qu", "qui", "ou", "dont", "lorsque", "alors", "tandis", "mais", "that", "which", "who", "where", "while",
    "but", "whereas",
];
/// Words that may join the actors of one subject ("l'armée, le contre-terrorisme et les unités").
const COORDINATORS: [&str; 14] =
    ["et", "ainsi", "que", "avec", "les", "des", "du", "de", "la", "le", "l", "and", "the", "with"];

impl Coder<'_> {
    /// The events one article reports, in order of appearance.
    pub fn article(&self, article: &Article, parsed: &Parsed) -> (Vec<RawEvent>, Vec<String>) {
        let mut warnings = Vec::new();
        let mut out = Vec::new();
        let publication = article.meta.date;
        let mut d = Discourse { day: publication.and_then(|p| p.as_day()), ..Default::default() };
        let focus = self.focus(&parsed.mentions);
        let all_words: Vec<Words> =
            article.sentences.iter().map(|s| Words::of(&article.text, s.range.clone())).collect();
        let is_actor = self.lex.actors.iter().position(|a| a.id == "is");
        let is_in_article = all_words.iter().any(|w| self.find_actors(&w.strs()).iter().any(|a| Some(a.1) == is_actor));
        for (si, sentence) in article.sentences.iter().enumerate() {
            let mentions: Vec<&Mention> =
                parsed.mentions.iter().filter(|m| m.sentence == Some(si) && !m.nested).collect();
            let readable = matches!(sentence.zone, Zone::Body | Zone::Caption);
            let words = &all_words[si];
            let ws = words.strs();
            let t = time::read_sentence(&ws, publication, d.day, self.time);
            for w in &t.warnings {
                warnings.push(format!("{}: {w}", article.id));
            }
            if readable && t.other_year.is_none() && !t.retrospective {
                let events = self.sentence(article, si, words, &mentions, &t, &d, focus, is_in_article);
                if let Some(last) = events.last() {
                    d.last_actor1 = Some((si, last.1.clone()));
                }
                out.extend(events.into_iter().map(|e| e.0));
            }
            if let Some(day) =
                t.mentions.iter().filter(|m| m.sets_discourse_day).filter_map(|m| m.date.as_day()).next_back()
            {
                d.day = Some(day);
            }
            for s in &mut d.salience {
                s.1 *= 0.5;
            }
            for m in mentions
                .iter()
                .filter(|m| matches!(self.g.places[m.place].kind, Kind::City | Kind::Town | Kind::Village))
            {
                match d.salience.iter_mut().find(|s| s.0 == m.place) {
                    Some(s) => s.1 += 1.0,
                    None => d.salience.push((m.place, 1.0)),
                }
            }
            d.settlement = d.salience.iter().max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0))).map(|s| s.0);
        }
        (out, warnings)
    }

    /// The article's main place: the point-like place it names most (first named on ties).
    fn focus(&self, mentions: &[Mention]) -> Option<usize> {
        let mut counts: Vec<(usize, usize, usize)> = Vec::new();
        for (i, m) in mentions.iter().enumerate() {
            let k = self.g.places[m.place].kind;
            if !(k.is_settlement() || k == Kind::District) {
                continue;
            }
            match counts.iter_mut().find(|c| c.0 == m.place) {
                Some(c) => c.1 += 1,
                None => counts.push((m.place, 1, i)),
            }
        }
        counts.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(b.2.cmp(&a.2))).map(|c| c.0)
    }

    /// Actor mentions: (word range, actor index), longest alias first, no overlaps, in text order.
    fn find_actors(&self, ws: &[&str]) -> Vec<(Range<usize>, usize)> {
        // Every alias occurrence, found through the first-word index: (alias index, start word).
        let mut hits: Vec<(usize, usize)> = Vec::new();
        for (i, w) in ws.iter().enumerate() {
            for &k in self.lex.actor_index.get(w) {
                let alias = &self.lex.actor_aliases[k].0;
                if i + alias.len() <= ws.len() && alias.iter().zip(&ws[i..]).all(|(a, w)| a == w) {
                    hits.push((k, i));
                }
            }
        }
        // Aliases are sorted longest first, so taking hits in alias order lets the longest name win even
        // when a shorter one starts earlier ("les avions de la coalition internationale anti-EI emmenée
        // par les Etats-Unis" is the coalition, not "les avions de la coalition" then "EI").
        hits.sort_unstable();
        let mut taken = vec![false; ws.len()];
        let mut out = Vec::new();
        for (k, i) in hits {
            let (alias, actor) = &self.lex.actor_aliases[k];
            let span = i..i + alias.len();
            if taken[span.clone()].iter().any(|&t| t) {
                continue;
            }
            taken[span.clone()].iter_mut().for_each(|t| *t = true);
            out.push((span, *actor));
        }
        out.sort_by_key(|a| a.0.start);
        out
    }

    /// Country named by a demonym within four words after `end` ("l'aviation irakienne").
    fn demonym_after(&self, ws: &[&str], end: usize) -> Option<String> {
        ws[end.min(ws.len())..(end + 4).min(ws.len())].iter().find_map(|w| self.demonyms.country(w)).map(str::to_string)
    }

    fn resolve_nominals(
        &self,
        words: &Words,
        mentions: &[SentencePlace],
        d: &Discourse,
        focus: Option<usize>,
    ) -> Vec<SentencePlace> {
        let ws = words.strs();
        let mut out = Vec::new();
        for (referent, pattern) in &self.lex.nominal {
            for (a, _, b) in pattern.find_all(&ws) {
                // "la ville de Deir Ezzor": the name itself is the place.
                let named_next = mentions.iter().any(|m| m.words.start >= b && m.words.start <= b + 2);
                let overlaps_named = mentions.iter().any(|m| m.words.start < b && a < m.words.end);
                if named_next || overlaps_named {
                    continue;
                }
                // The town this sentence just named, else the one the article is talking about.
                let named_before = mentions
                    .iter()
                    .rev()
                    .find(|m| {
                        m.words.end <= a
                            && matches!(self.g.places[m.place].kind, Kind::City | Kind::Town | Kind::Village)
                    })
                    .map(|m| m.place);
                let anchor = named_before.or(d.settlement).or(focus);
                let resolved = match referent {
                    Referent::Settlement => anchor.map(|p| (p, self.g.places[p].point, 1)),
                    Referent::Crossing => anchor
                        .and_then(|p| self.nearest_of_kind(p, Kind::Crossing, 30.0))
                        .map(|c| (c, self.g.places[c].point, 1)),
                    Referent::Border => anchor.and_then(|p| self.border_point(p)).map(|(b, pt)| (b, pt, 2)),
                    Referent::Capital => self.capital_of(mentions, a).map(|c| (c, self.g.places[c].point, 1)),
                };
                if let Some((place, point, precision)) = resolved {
                    out.push(SentencePlace { place, point, precision, words: a..b });
                }
            }
        }
        out
    }

    /// The capital of the last province named before word `before` ("la province de Deir Ezzor, dont le
    /// chef-lieu éponyme…"): its first-order seat in GeoNames (feature code PPLA/PPLC).
    fn capital_of(&self, mentions: &[SentencePlace], before: usize) -> Option<usize> {
        let prov = mentions
            .iter()
            .rev()
            .find(|m| m.words.end <= before && self.g.places[m.place].kind == Kind::Province)?
            .place;
        let mut caps: Vec<usize> = (0..self.g.places.len())
            .filter(|&i| {
                let p = &self.g.places[i];
                matches!(p.feature_code.as_deref(), Some("PPLA" | "PPLC")) && self.g.parent(i) == Some(prov)
            })
            .collect();
        caps.sort_by_key(|&i| std::cmp::Reverse(self.g.places[i].population));
        caps.first().copied()
    }

    fn nearest_of_kind(&self, near: usize, kind: Kind, max_km: f64) -> Option<usize> {
        let p = self.g.places[near].point;
        self.g
            .places
            .iter()
            .enumerate()
            .filter(|(_, q)| q.kind == kind)
            .map(|(i, q)| (i, crate::geodesy::distance_km(p, q.point)))
            .filter(|&(_, dkm)| dkm <= max_km)
            .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)))
            .map(|(i, _)| i)
    }

    /// The border nearest a place, and the point of it nearest that place.
    fn border_point(&self, near: usize) -> Option<(usize, Coord<f64>)> {
        let lock = || self.border_cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let hit = lock().get(&near).copied();
        if let Some(hit) = hit {
            return hit;
        }
        // Computed outside the lock: the answer does not depend on which thread computes it first.
        let found = self.border_point_uncached(near);
        lock().insert(near, found);
        found
    }

    fn border_point_uncached(&self, near: usize) -> Option<(usize, Coord<f64>)> {
        let p = Point(self.g.places[near].point);
        self.g
            .places
            .iter()
            .enumerate()
            .filter(|(_, q)| q.kind == Kind::Border)
            .filter_map(|(i, q)| match self.border_lines.closest_point(i, q.geometry.as_ref()?, p) {
                geo::Closest::Intersection(c) | geo::Closest::SinglePoint(c) => Some((i, c.0)),
                geo::Closest::Indeterminate => None,
            })
            .map(|(i, c)| (i, c, crate::geodesy::distance_km(p.0, c)))
            .filter(|x| x.2 <= 60.0)
            .min_by(|a, b| a.2.total_cmp(&b.2).then(a.0.cmp(&b.0)))
            .map(|(i, c, _)| (i, c))
    }

    /// Actor names of the actors in `list`, `{country}` filled in.
    fn actor_names(&self, list: &[(usize, Option<String>)], place_country: Option<&str>) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (a, cc) in list {
            let country = cc.as_deref().or(place_country);
            let actor = &self.lex.actors[self.specific(*a, country)];
            let name = if actor.name.contains("{country}") {
                match country.and_then(|c| self.g.get(&c.to_ascii_lowercase())) {
                    Some(c) => actor.name.replace("{country}", c.name_en.as_deref().unwrap_or(&c.name)),
                    None => actor.name.replace(" ({country})", "").replace("{country}", "unknown country"),
                }
            } else {
                actor.name.clone()
            };
            if !out.contains(&name) {
                out.push(name);
            }
        }
        out
    }

    /// Where the subject of the verb at word `i` may start: after the last complementizer ("a affirmé
    /// que …", "said that …") or clause punctuation before it. Relative clauses ("qui a salué …") do not
    /// stop the search: the subject stands before them.
    fn clause_start(words: &Words, i: usize) -> usize {
        let ws = &words.words;
        let i = i.min(ws.len());
        (0..i)
            .rev()
            .find(|&k| {
                words.breaks.get(k + 1..=i).is_some_and(|b| b.iter().any(|&x| x))
                    || (COMPLEMENTIZERS.contains(&ws[k].as_str()) && !(k > 0 && ws[k - 1] == "ainsi"))
            })
            .map_or(0, |k| k + 1)
    }

    /// The subject actors of the verb starting at word `ts`: the nearest actor before it in its clause
    /// and the actors coordinated with it ("l'armée, le contre-terrorisme et les unités").
    fn subject(
        &self,
        words: &Words,
        actors: &[(Range<usize>, usize)],
        ts: usize,
        category: Category,
    ) -> Vec<(Range<usize>, usize)> {
        let ws = &words.words;
        let from = Self::clause_start(words, ts);
        // Objects ("pour combattre Daesh", "contre l'EI") and appositions ("coalition formée de …") are
        // not subjects.
        let mut before: Vec<&(Range<usize>, usize)> = actors
            .iter()
            .filter(|(r, _)| r.end <= ts && r.start >= from)
            .filter(|(r, _)| {
                !ws[r.start.saturating_sub(2)..r.start].iter().any(|w| OBJECT_MARKERS.contains(&w.as_str()))
            })
            .filter(|(r, _)| !ws.get(r.end).is_some_and(|w| APPOSITION_MARKERS.contains(&w.as_str())))
            .filter(|(_, a)| self.lex.actors[*a].side != Side::Civilians || !is_military(category))
            .collect();
        before.reverse();
        let Some(first) = before.first() else { return Vec::new() };
        let mut out = vec![(*first).clone()];
        let mut left = first.0.start;
        for a in &before[1..] {
            let gap = &ws[a.0.end..left];
            if gap.len() <= 5
                && gap.iter().all(|w| COORDINATORS.contains(&w.as_str()) || self.demonyms.country(w).is_some())
            {
                out.push((*a).clone());
                left = a.0.start;
            } else {
                break;
            }
        }
        out.reverse();
        out
    }

    /// Actors introduced by "par" after word `te` in the same sentence ("reprise par l'armée syrienne",
    /// "l'une menée par le régime et l'autre par une coalition arabo-kurde"), up to `limit` words on.
    fn agents(
        &self,
        words: &Words,
        actors: &[(Range<usize>, usize)],
        te: usize,
        limit: usize,
    ) -> Vec<(Range<usize>, usize)> {
        let ws = &words.words;
        actors
            .iter()
            .filter(|(r, _)| {
                r.start > te && r.start <= te + limit && {
                    let lead = &ws[r.start.saturating_sub(3)..r.start];
                    lead.iter().any(|w| w == "par" || w == "by")
                }
            })
            .cloned()
            .collect()
    }

    /// The country actor of a generic actor ("army" in Iraq is "iq-army"), or the actor itself.
    fn specific(&self, actor: usize, country: Option<&str>) -> usize {
        let a = &self.lex.actors[actor];
        if a.id.contains('-') {
            return actor;
        }
        country
            .and_then(|c| self.lex.actors.iter().position(|x| x.id == format!("{}-{}", c.to_ascii_lowercase(), a.id)))
            .unwrap_or(actor)
    }

    #[allow(clippy::too_many_arguments)]
    fn sentence(
        &self,
        article: &Article,
        si: usize,
        words: &Words,
        mentions: &[&Mention],
        t: &time::SentenceTime,
        d: &Discourse,
        focus: Option<usize>,
        is_in_article: bool,
    ) -> Vec<(RawEvent, ActorRefs)> {
        let ws = words.strs();
        let sentence = &article.sentences[si];
        // Triggers, longest per category and position, realised only.
        // (start, verb start, end, trigger index)
        let mut triggers: Vec<(usize, usize, usize, usize)> = Vec::new();
        for (a, w) in ws.iter().enumerate() {
            for &ti in self.lex.trigger_index.get(w) {
                if let Some((v, b)) = self.lex.triggers[ti].pattern.match_at(&ws, a) {
                    triggers.push((a, v, b, ti));
                }
            }
        }
        triggers.sort_by(|x, y| x.0.cmp(&y.0).then(y.2.cmp(&x.2)).then(x.3.cmp(&y.3)));
        let mut kept: Vec<(usize, usize, usize, usize)> = Vec::new();
        for tr in triggers {
            let cat = self.lex.triggers[tr.3].category;
            if kept.iter().any(|k| self.lex.triggers[k.3].category == cat && k.0 < tr.2 && tr.0 < k.2) {
                continue;
            }
            // An intention word ending at most three words before the verb ("pour libérer").
            let irrealis = self.time.irrealis.iter().any(|p| {
                (tr.1.saturating_sub(3 + p.len())..=(tr.1 + 1).saturating_sub(p.len())).any(|s| {
                    let e = s + p.len();
                    e <= ws.len() && p.iter().zip(&ws[s..e]).all(|(a, b)| a == b) && e <= tr.1 + 1 && e + 3 >= tr.1
                })
            });
            if !irrealis {
                kept.push(tr);
            }
        }
        if kept.is_empty() {
            return Vec::new();
        }
        let named: Vec<SentencePlace> = mentions
            .iter()
            .filter(|m| !matches!(self.g.places[m.place].kind, Kind::River | Kind::Lake))
            .map(|m| SentencePlace {
                place: m.place,
                point: m.point,
                precision: m.geo_precision,
                words: words.word_at(m.range.start)..words.word_at(m.range.end.saturating_sub(1)) + 1,
            })
            .collect();
        let mut places = named.clone();
        places.extend(self.resolve_nominals(words, &named, d, focus));
        places.sort_by_key(|p| p.words.start);
        let actors = self.find_actors(&ws);
        let source_range = article.source_range(sentence.range.clone());
        let quote = SourceQuote {
            article: Arc::from(article.id.as_str()),
            quote: Arc::from(&article.text[sentence.range.clone()]),
            start: source_range.start,
        };
        let is_actor = self.lex.actors.iter().position(|a| a.id == "is");
        let fatalities = stated_deaths(&ws);
        let mut out = Vec::new();
        for &(_, ts, te, ti) in &kept {
            let trig = &self.lex.triggers[ti];
            let subject = self.subject(words, &actors, ts, trig.category);
            let agents_near = self.agents(words, &actors, te, 6);
            let passive = trig.passive
                || (ts > 0 && matches!(ws[ts - 1], "ete" | "etre" | "been" | "was" | "were"))
                || (!agents_near.is_empty() && ws.get(te).is_some_and(|w| *w == "par" || *w == "by"));
            // Places the action governs: for a passive verb the list right before it ("Gaza, avait été
            // repris", "les quartiers de Karabla et de Saada ont été repris"); else the list right after it
            // ("l'assaut sur Saada, Husseiba et al-Karabla"); else all.
            let object: Vec<&SentencePlace> = if passive {
                let before: Vec<&SentencePlace> = places
                    .iter()
                    .filter(|p| p.words.end <= ts && self.g.places[p.place].kind != Kind::Country)
                    .collect();
                let mut list: Vec<&SentencePlace> = before.last().copied().into_iter().collect();
                for p in before.iter().rev().skip(1) {
                    let start = list.last().map_or(0, |l| l.words.start);
                    let between = &ws[p.words.end.min(start)..start];
                    // "A Deir Ezzor, Boukamal a été reprise": a place after a locative is where, not what.
                    let locative = p.words.start > 0 && LOCATIVE_WORDS.contains(&ws[p.words.start - 1]);
                    if between.len() <= 3 && between.iter().all(|w| LIST_WORDS.contains(w)) && !locative {
                        list.push(p);
                    } else {
                        break;
                    }
                }
                list.reverse();
                list
            } else {
                let first = places.iter().position(|p| {
                    p.words.start >= te
                        && p.words.start <= te + 12
                        && !ws[te..p.words.start].iter().any(|w| CLAUSE_WORDS.contains(w) || breaks(w))
                });
                match first {
                    Some(k) => {
                        let mut list = vec![&places[k]];
                        let mut end = places[k].words.end;
                        for p in &places[k + 1..] {
                            let between = &ws[end..p.words.start.max(end)];
                            if between.len() <= 3 && between.iter().all(|w| LIST_WORDS.contains(w)) {
                                list.push(p);
                                end = p.words.end;
                            } else {
                                break;
                            }
                        }
                        list
                    }
                    None => places.iter().collect(),
                }
            };
            let mut chosen = self.finest(&object);
            if chosen.is_empty() && !trig.needs_place && is_located_category(trig.category) {
                let has_state_actor = actors.iter().any(|a| self.lex.actors[a.1].side == Side::State);
                if let (Some(f), true) = (d.settlement.or(focus), has_state_actor) {
                    chosen.push(SentencePlace { place: f, point: self.g.places[f].point, precision: 2, words: 0..0 });
                }
            }
            if chosen.is_empty() {
                continue;
            }
            let date = t
                .mentions
                .iter()
                .min_by_key(|m| (m.word as i64 - ts as i64).abs())
                .map(|m| m.date)
                .or_else(|| time::undated(article.meta.date));
            let Some(date) = date else { continue };
            // Who acted, on whom.
            let (actor1, mut actor2) = if trig.loser {
                (self.agents(words, &actors, te, 40), subject.clone())
            } else if passive || subject.is_empty() {
                (agents_near.clone(), Vec::new())
            } else {
                (subject.clone(), Vec::new())
            };
            let from = Self::clause_start(words, ts);
            let anaphoric_subject =
                ws[from..ts].windows(2).any(|w| matches!(w, ["ces", "forces"] | ["these", "forces"]))
                    || ws[from..ts].iter().any(|w| matches!(*w, "elles" | "ils" | "they"));
            let mut actor1_ids: ActorRefs = actor1.iter().map(|(r, a)| (*a, self.demonym_after(&ws, r.end))).collect();
            if actor1_ids.is_empty() && anaphoric_subject {
                if let Some((_, prev)) = &d.last_actor1 {
                    actor1_ids = prev.clone();
                }
            }
            // Air strikes go to the air actors of the sentence, shelling to the ground ones.
            let means = |a: usize| self.lex.actors[a].means;
            match trig.category {
                Category::AirStrike if actor1_ids.iter().any(|(a, _)| means(*a) == Means::Air) => {
                    actor1_ids.retain(|(a, _)| means(*a) != Means::Ground);
                }
                Category::ArtilleryStrike if actor1_ids.iter().any(|(a, _)| means(*a) == Means::Ground) => {
                    actor1_ids.retain(|(a, _)| means(*a) != Means::Air);
                }
                _ => {}
            }
            let side1 = actor1_ids.first().map(|(a, _)| self.lex.actors[*a].side);
            if actor2.is_empty() {
                let stop =
                    (te..ws.len()).find(|&k| CLAUSE_WORDS.contains(&ws[k]) || words.breaks[k]).unwrap_or(ws.len());
                let civilians_ok = !is_military(trig.category);
                actor2 = actors
                    .iter()
                    .filter(|(r, a)| {
                        let side = self.lex.actors[*a].side;
                        r.start >= te
                            && r.start < stop.min(te + 10)
                            && Some(side) != side1
                            && (civilians_ok || side != Side::Civilians)
                            && !actor1.iter().any(|x| x.1 == *a)
                    })
                    .take(1)
                    .cloned()
                    .collect();
            }
            let mut actor2_ids: ActorRefs = actor2.iter().map(|(r, a)| (*a, self.demonym_after(&ws, r.end))).collect();
            if actor2_ids.is_empty() && side1 == Some(Side::State) && is_in_article {
                if let Some(is) = is_actor {
                    actor2_ids.push((is, None));
                }
            }
            let mut category = trig.category;
            if category == Category::PlaceRetaken && side1.is_some_and(|s| s != Side::State) {
                category = Category::PlaceLost;
            }
            if category == Category::PlaceLost && side1 == Some(Side::State) {
                category = Category::PlaceRetaken;
            }
            for p in &chosen {
                let cc = self.g.places[p.place].country.clone();
                let ev = RawEvent {
                    category,
                    actor1: self.actor_names(&actor1_ids, cc.as_deref()),
                    actor2: self.actor_names(&actor2_ids, cc.as_deref()),
                    place: p.place,
                    point: p.point,
                    geo_precision: p.precision,
                    date,
                    fatalities,
                    source: quote.clone(),
                };
                out.push((ev, actor1_ids.clone()));
            }
        }
        out
    }

    /// Drop countries, provinces when something finer is named, and places that contain another one.
    fn finest(&self, list: &[&SentencePlace]) -> Vec<SentencePlace> {
        let mut v: Vec<SentencePlace> =
            list.iter().filter(|p| self.g.places[p.place].kind != Kind::Country).map(|p| (*p).clone()).collect();
        let has_finer = v.iter().any(|p| self.g.places[p.place].kind.geo_precision() < 3);
        if has_finer {
            v.retain(|p| self.g.places[p.place].kind.geo_precision() < 3);
        }
        let ids: Vec<usize> = v.iter().map(|p| p.place).collect();
        v.retain(|p| !ids.iter().any(|&o| o != p.place && self.g.is_ancestor(p.place, o)));
        let mut seen = Vec::new();
        v.retain(|p| {
            let new = !seen.contains(&p.place);
            seen.push(p.place);
            new
        });
        v
    }
}

/// A word that ends a clause on its own.
fn breaks(w: &str) -> bool {
    matches!(w, "mais" | "tandis" | "alors" | "but" | "while" | "whereas")
}

/// Fighting, strikes and territory: civilians are neither their actor nor their target.
fn is_military(c: Category) -> bool {
    matches!(
        c,
        Category::PlaceRetaken
            | Category::PlaceLost
            | Category::AssaultLaunched
            | Category::AirStrike
            | Category::ArtilleryStrike
            | Category::Advance
            | Category::Siege
            | Category::OffensiveOngoing
    )
}

/// Categories that happen at a place even when the sentence only implies it.
fn is_located_category(c: Category) -> bool {
    matches!(
        c,
        Category::PlaceRetaken
            | Category::AssaultLaunched
            | Category::AirStrike
            | Category::ArtilleryStrike
            | Category::Demining
    )
}

/// Deaths stated in a sentence: a number right before a word of dying ("51 civils ont été tués"), or
/// after "la mort de" ("la mort de 51 civils"). Only numbers the text gives; never "des terroristes ont
/// péri".
fn stated_deaths(ws: &[&str]) -> Option<u32> {
    let num = |w: &str| -> Option<u32> { w.parse::<u32>().ok().filter(|&n| n < 100_000) };
    const DEATH: [&str; 9] = ["tues", "tuees", "morts", "mortes", "peri", "killed", "dead", "died", "victimes"];
    for (i, w) in ws.iter().enumerate() {
        if DEATH.contains(w) {
            if let Some(n) = ws[i.saturating_sub(5)..i].iter().rev().find_map(|x| num(x)) {
                return Some(n);
            }
        }
        if *w == "mort" && ws.get(i + 1) == Some(&"de") {
            if let Some(n) = ws.get(i + 2).and_then(|x| num(x)) {
                return Some(n);
            }
        }
        // The active voice: "killing 15 militants", "tuant au moins 15 jihadistes" (not "killed on 15
        // November", nor "killed in 2017").
        if KILLING.contains(w) {
            let next = ws[i + 1..(i + 4).min(ws.len())].iter().enumerate().find(|(_, x)| !HEDGES.contains(*x));
            if let Some((k, x)) = next {
                let after = ws.get(i + 2 + k).copied().unwrap_or_default();
                if let Some(n) = num(x).filter(|n| *n < 1900 && crate::text::date::month_number(after).is_none()) {
                    return Some(n);
                }
            }
        }
    }
    None
}

/// Verbs of killing followed by their toll.
const KILLING: [&str; 7] = ["killing", "killed", "tuant", "tue", "tuee", "tues", "tuees"];
/// Words between such a verb and its number: "at least", "au moins", "plus de".
const HEDGES: [&str; 10] = ["at", "least", "au", "moins", "plus", "de", "some", "about", "over", "pres"];

/// Precision of a date: kept for callers that need to compare.
pub fn is_day(d: &DateRange) -> bool {
    d.precision == Precision::Day
}
