//! The geoparser: finds the place names of an article and resolves each to one gazetteer place.
//!
//! Steps: fold the text and find every alias at word starts (one automaton); drop matches in
//! boilerplate, inside organisation names, lower-case words, and persons' names; keep the longest of
//! overlapping matches (a nested name survives inside a descriptive compound such as "moyenne vallée de
//! l'Euphrate"); read each match's context; score every candidate place; resolve twice, the second time
//! with the places chosen for the rest of the article as evidence (hierarchy, proximity, country); set
//! aside names used for a government ("selon Bagdad") or as a yardstick ("vaste comme l'Italie").

pub mod context;
pub mod lexicon;
pub mod score;

use crate::gazetteer::{Gazetteer, KeyMatch, Kind};
use crate::text::fold::fold;
use crate::text::{Article, Zone};
use context::{Context, Direction};
use geo::{ClosestPoint, Coord, Point};
use lexicon::{Blockers, PlaceCues};
use serde::Serialize;
use std::collections::HashMap;
use std::ops::Range;

/// A place name in an article, resolved.
#[derive(Debug, Clone)]
pub struct Mention {
    /// Byte range in [`Article::text`].
    pub range: Range<usize>,
    /// Byte range in the original file.
    pub source_range: Range<usize>,
    pub surface: String,
    /// Index of the place in the gazetteer.
    pub place: usize,
    /// Where this mention puts the place (the label point, or the point of a river nearest the action).
    pub point: Coord<f64>,
    pub geo_precision: u8,
    pub confidence: f64,
    pub zone: Zone,
    pub sentence: Option<usize>,
    /// "au sud-ouest d'al-Qaïm": the part of the place meant.
    pub direction: Option<Direction>,
    /// The mention lies inside a longer mention ("Euphrate" in "vallée de l'Euphrate").
    pub nested: bool,
}

/// Why a name that is in the gazetteer was not taken as a location.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NonPlaceReason {
    /// Stands for a government or an actor ("selon Bagdad", "soutenu par Moscou").
    Metonymy,
    /// A yardstick ("vaste comme l'Italie").
    Comparison,
}

/// A place name used for something other than a location.
#[derive(Debug, Clone)]
pub struct NonPlace {
    pub range: Range<usize>,
    pub place: usize,
    pub reason: NonPlaceReason,
    pub sentence: Option<usize>,
}

/// Everything the geoparser found in one article.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub mentions: Vec<Mention>,
    pub non_places: Vec<NonPlace>,
}

/// The geoparser, ready to run over many articles.
pub struct GeoParser<'g> {
    pub gazetteer: &'g Gazetteer,
    cues: PlaceCues,
    blockers: Blockers,
    children: HashMap<usize, Vec<usize>>,
}

/// A candidate match before resolution.
struct Spot {
    range: Range<usize>,
    key: u32,
    sentence: Option<usize>,
    zone: Zone,
    ctx: Context,
    nested: bool,
    single_word: bool,
    /// (place, prior, score)
    cands: Vec<(usize, f64, f64)>,
    chosen: Option<usize>,
}

impl<'g> GeoParser<'g> {
    pub fn new(gazetteer: &'g Gazetteer) -> Self {
        Self::with_lexicons(gazetteer, PlaceCues::builtin(), Blockers::builtin())
    }

    pub fn with_lexicons(gazetteer: &'g Gazetteer, cues: PlaceCues, blockers: Blockers) -> Self {
        let mut children: HashMap<usize, Vec<usize>> = HashMap::new();
        for i in 0..gazetteer.places.len() {
            if let Some(p) = gazetteer.parent(i) {
                if !matches!(gazetteer.places[i].kind, Kind::City | Kind::Town | Kind::Village) {
                    children.entry(p).or_default().push(i);
                }
            }
        }
        GeoParser { gazetteer, cues, blockers, children }
    }

    /// Context-free candidates for a name, best first: (place index, score). For `gazetteer lookup`.
    pub fn lookup(&self, name: &str) -> Vec<(usize, f64)> {
        let key = crate::text::fold::fold_name(name);
        let Some(k) = self.gazetteer.index.find_key(&key) else { return Vec::new() };
        let mut out: Vec<(usize, f64)> = self
            .gazetteer
            .index
            .entries(k)
            .iter()
            .map(|e| (e.place as usize, score::prior(&self.gazetteer.places[e.place as usize], e.flags)))
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out
    }

    /// Find and resolve the place names of an article.
    pub fn parse(&self, article: &Article) -> Parsed {
        let text = &article.text;
        let folded = fold(text);
        let mut matches: Vec<KeyMatch> = Vec::new();
        self.gazetteer.index.find_all(&folded.text, &mut matches);
        let blocked = self.blockers.spans(&folded.text);

        // 1. Spots: matches that can be place names at all.
        let mut spots: Vec<Spot> = Vec::new();
        for m in &matches {
            if blocked.iter().any(|&(s, e)| m.start < e && s < m.end) {
                continue;
            }
            let range = folded.source_range(text, m.start..m.end);
            let zone = article.zone_at(range.start);
            if matches!(zone, Zone::Boilerplate | Zone::Metadata) {
                continue;
            }
            let surface = &text[range.clone()];
            if !looks_like_a_name(surface) {
                continue;
            }
            spots.push(Spot {
                single_word: !self.gazetteer.index.key(m.key).contains(' '),
                range,
                key: m.key,
                sentence: None,
                zone,
                ctx: Context::default(),
                nested: false,
                cands: Vec::new(),
                chosen: None,
            });
        }
        // 2. Overlaps: longest first. A nested name survives only inside the name of a valley or a region
        //    ("moyenne vallée de l'Euphrate" holds "Euphrate") and only if it names something else.
        spots.sort_by(|a, b| a.range.start.cmp(&b.range.start).then(b.range.end.cmp(&a.range.end)));
        let mut kept: Vec<Spot> = Vec::with_capacity(spots.len());
        for s in spots {
            match kept.iter().rev().find(|k| k.range.start < s.range.end && s.range.start < k.range.end) {
                None => kept.push(s),
                Some(outer) => {
                    let inside = outer.range.start <= s.range.start && s.range.end <= outer.range.end;
                    if inside && s.range.start > outer.range.start && self.holds_other_place(outer.key, s.key) {
                        kept.push(Spot { nested: true, ..s });
                    }
                }
            }
        }
        let mut spots = kept;
        // 3. Context and priors.
        for s in &mut spots {
            s.sentence = article.sentence_at(s.range.start);
            let sent = s.sentence.map_or(s.range.clone(), |i| article.sentences[i].range.clone());
            s.ctx = context::analyse(text, sent, s.range.clone(), &self.cues);
            s.cands = self
                .gazetteer
                .index
                .entries(s.key)
                .iter()
                .map(|e| {
                    let p = score::prior(&self.gazetteer.places[e.place as usize], e.flags);
                    (e.place as usize, p, p)
                })
                .collect();
        }
        spots.retain(|s| !s.ctx.person);
        // 4. Resolve: first on priors, then twice with the article's other places as evidence.
        for s in &mut spots {
            s.chosen = best(&s.cands, |c| c.1).filter(|&(_, v)| v >= score::ACCEPT).map(|(i, _)| i);
        }
        for _round in 0..2 {
            let chosen: Vec<Option<(usize, u32)>> =
                spots.iter().map(|s| s.chosen.map(|c| (s.cands[c].0, s.key)).filter(|_| !s.ctx.comparison)).collect();
            let mut countries: Vec<String> =
                chosen.iter().flatten().filter_map(|&(p, _)| self.gazetteer.places[p].country.clone()).collect();
            countries.sort();
            countries.dedup();
            for (si, s) in spots.iter_mut().enumerate() {
                let anchors: Vec<usize> = chosen
                    .iter()
                    .enumerate()
                    .filter(|&(j, c)| j != si && c.is_some_and(|(_, k)| k != s.key))
                    .filter_map(|(_, c)| c.map(|(p, _)| p))
                    .collect();
                let ev = score::Evidence { g: self.gazetteer, anchors: &anchors, countries: &countries };
                let initial = s.ctx.sentence_initial && s.single_word;
                for c in &mut s.cands {
                    c.2 = c.1 + score::context_score(c.0, &s.ctx, initial, &ev);
                }
                s.chosen = best(&s.cands, |c| c.2).filter(|&(_, v)| v >= score::ACCEPT).map(|(i, _)| i);
            }
        }
        // 5. Mentions and non-place uses. A river or a border is placed where the story touches it: at
        //    the point nearest the best-attested place of the sentence (else of the article) near the line.
        let resolved: Vec<(Option<usize>, usize)> = spots
            .iter()
            .filter_map(|s| s.chosen.map(|c| (s.sentence, s.cands[c].0)))
            .filter(|&(_, p)| score::is_point_like(self.gazetteer.places[p].kind))
            .collect();
        let mut counts: HashMap<usize, usize> = HashMap::new();
        for &(_, p) in &resolved {
            *counts.entry(p).or_default() += 1;
        }
        let points: Vec<Coord<f64>> = resolved.iter().map(|r| self.gazetteer.places[r.1].point).collect();
        let focus = centroid(&points);
        let mut parsed = Parsed::default();
        for s in &spots {
            let Some(c) = s.chosen else { continue };
            let (mut place, _, top) = s.cands[c];
            let p = &self.gazetteer.places[place];
            let actor_like = p.kind == Kind::Country || p.is_capital() || p.kind == Kind::Province;
            if s.ctx.comparison {
                parsed.non_places.push(NonPlace {
                    range: s.range.clone(),
                    place,
                    reason: NonPlaceReason::Comparison,
                    sentence: s.sentence,
                });
                continue;
            }
            if s.ctx.metonymy_cue && actor_like && !s.ctx.locative {
                parsed.non_places.push(NonPlace {
                    range: s.range.clone(),
                    place,
                    reason: NonPlaceReason::Metonymy,
                    sentence: s.sentence,
                });
                continue;
            }
            // A far-away capital or country not preceded by a locative is an actor ("Washington").
            if actor_like && p.kind != Kind::Province && !s.ctx.locative && s.ctx.head.is_none() {
                if let Some(f) = focus {
                    if score::haversine_km(f, p.point) > 2500.0 {
                        parsed.non_places.push(NonPlace {
                            range: s.range.clone(),
                            place,
                            reason: NonPlaceReason::Metonymy,
                            sentence: s.sentence,
                        });
                        continue;
                    }
                }
            }
            // "l'aéroport de Deir Ezzor": the place of the head's kind that belongs to the name; "un
            // quartier d'al-Qaïm": a part of the named place, which stays, less precisely located.
            let mut part_of = false;
            if let Some(head) = &s.ctx.head {
                if !head.kinds.is_empty() && !head.kinds.contains(&p.kind) {
                    match self.feature_of(place, &head.kinds, head.feature) {
                        Some(alt) => place = alt,
                        None => part_of = head.kinds.iter().all(|k| k.geo_precision() <= p.kind.geo_precision()),
                    }
                }
            }
            let p = &self.gazetteer.places[place];
            let mut precision = p.kind.geo_precision();
            if part_of {
                precision = precision.max(2);
            }
            if let Some(hp) = s.ctx.head.as_ref().and_then(|h| h.precision) {
                precision = precision.max(hp);
            }
            if s.ctx.direction.is_some() {
                precision = precision.max(2);
            }
            let point = match &p.geometry {
                Some(g) if matches!(p.kind, Kind::River | Kind::Border) => {
                    let in_sentence: Vec<usize> =
                        resolved.iter().filter(|r| r.0.is_some() && r.0 == s.sentence).map(|r| r.1).collect();
                    let pool: Vec<usize> =
                        if in_sentence.is_empty() { resolved.iter().map(|r| r.1).collect() } else { in_sentence };
                    self.touch_point(g, &pool, &counts).unwrap_or(p.point)
                }
                _ => p.point,
            };
            let confidence = confidence(&s.cands, top);
            parsed.mentions.push(Mention {
                source_range: article.source_range(s.range.clone()),
                surface: text[s.range.clone()].to_string(),
                range: s.range.clone(),
                place,
                point,
                geo_precision: precision,
                confidence,
                zone: s.zone,
                sentence: s.sentence,
                direction: s.ctx.direction,
                nested: s.nested,
            });
        }
        parsed
    }

    /// Where a line (river, border) meets the story: the point of `line` nearest the most-mentioned place
    /// of `pool` lying within 25 km of it (else nearest the place closest to the line).
    fn touch_point(
        &self,
        line: &geo::Geometry<f64>,
        pool: &[usize],
        counts: &HashMap<usize, usize>,
    ) -> Option<Coord<f64>> {
        let closest = |p: usize| -> Option<Coord<f64>> {
            match line.closest_point(&Point(self.gazetteer.places[p].point)) {
                geo::Closest::Intersection(q) | geo::Closest::SinglePoint(q) => Some(q.0),
                geo::Closest::Indeterminate => None,
            }
        };
        let mut options: Vec<(usize, f64, Coord<f64>)> = pool
            .iter()
            .filter_map(|&p| closest(p).map(|q| (p, score::haversine_km(q, self.gazetteer.places[p].point), q)))
            .collect();
        options.sort_by_key(|o| o.0);
        options.dedup_by_key(|o| o.0);
        let near: Vec<&(usize, f64, Coord<f64>)> = options.iter().filter(|o| o.1 <= 25.0).collect();
        let pick = if near.is_empty() {
            options.iter().min_by(|a, b| a.1.total_cmp(&b.1))
        } else {
            near.into_iter().max_by(|a, b| counts.get(&a.0).cmp(&counts.get(&b.0)).then(b.1.total_cmp(&a.1)))
        };
        pick.map(|o| o.2)
    }

    /// Whether the compound name `outer` (a valley or a region) contains `inner` as the name of another
    /// place, so both are mentions.
    fn holds_other_place(&self, outer: u32, inner: u32) -> bool {
        let idx = &self.gazetteer.index;
        let outer_entries = idx.entries(outer);
        let compound = outer_entries.iter().all(|e| {
            matches!(self.gazetteer.places[e.place as usize].kind, Kind::Valley | Kind::Region | Kind::Mountain)
        });
        compound && !idx.entries(inner).iter().any(|i| outer_entries.iter().any(|o| o.place == i.place))
    }

    /// A place of one of `kinds` tied to `place`: its parent ("province de X" for the city X) or one of
    /// its children ("aéroport de X").
    fn feature_of(&self, place: usize, kinds: &[Kind], children: bool) -> Option<usize> {
        if let Some(parent) = self.gazetteer.parent(place) {
            if kinds.contains(&self.gazetteer.places[parent].kind) {
                return Some(parent);
            }
        }
        if !children {
            return None;
        }
        let mut kids: Vec<usize> = self
            .children
            .get(&place)
            .map(|c| c.iter().copied().filter(|&c| kinds.contains(&self.gazetteer.places[c].kind)).collect())
            .unwrap_or_default();
        kids.sort();
        kids.first().copied()
    }
}

/// Index and value of the best element by `f` (ties: first).
fn best<T>(items: &[T], f: impl Fn(&T) -> f64) -> Option<(usize, f64)> {
    let mut out: Option<(usize, f64)> = None;
    for (i, it) in items.iter().enumerate() {
        let v = f(it);
        if out.is_none_or(|(_, b)| v > b) {
            out = Some((i, v));
        }
    }
    out
}

/// Share of the evidence the winner holds (softmax), damped when the winner itself is weak.
fn confidence(cands: &[(usize, f64, f64)], top: f64) -> f64 {
    let z: f64 = cands.iter().map(|c| (c.2 - top).exp()).sum();
    let share = 1.0 / z.max(1.0);
    let strength = 1.0 / (1.0 + (-(top - score::ACCEPT)).exp());
    (share * strength * 1000.0).round() / 1000.0
}

fn centroid(points: &[Coord<f64>]) -> Option<Coord<f64>> {
    if points.is_empty() {
        return None;
    }
    let n = points.len() as f64;
    Some(Coord { x: points.iter().map(|p| p.x).sum::<f64>() / n, y: points.iter().map(|p| p.y).sum::<f64>() / n })
}

/// A proper name: its last word starts with a capital (or is in a script without case).
fn looks_like_a_name(surface: &str) -> bool {
    let last = surface.split(|c: char| !c.is_alphanumeric()).rfind(|w| !w.is_empty());
    match last.and_then(|w| w.chars().next()) {
        Some(c) => c.is_uppercase() || (c.is_alphabetic() && !c.is_lowercase()),
        None => false,
    }
}
