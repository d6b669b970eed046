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

use crate::gazetteer::{AliasEntry, AliasFlags, Gazetteer, KeyMatch, Kind};
use crate::text::fold::fold;
use crate::text::{Article, Zone};
use context::{Context, Direction};
use geo::{Coord, Point};
use lexicon::{Blockers, PlaceCues};
use serde::Serialize;
use std::collections::HashMap;
use std::ops::Range;

/// How far from a district's point its homonymous seat may lie to stand for the bare name.
const SEAT_KM: f64 = 5.0;

/// How far from the story's centre a name listed among quarters ("quartiers comme X") may lie when the
/// gazetteer knows it only as a place of another kind: a city's quarters lie within it.
const MEMBER_REACH_KM: f64 = 30.0;

/// A place name in an article, resolved.
#[derive(Debug, Clone)]
pub struct Mention {
    /// Byte range in [`Article::text`].
    pub range: Range<usize>,
    /// Byte range in the original file.
    pub source_range: Range<usize>,
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

impl Mention {
    /// The words as written, from the article text the mention is in: a range of the text rather than a
    /// copy of it (a corpus of ten thousand articles has some 150,000 mentions).
    pub fn surface<'t>(&self, text: &'t str) -> &'t str {
        text.get(self.range.clone()).unwrap_or_default()
    }
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
    /// What the resolution looked at, so a later gazetteer can tell whether it would decide otherwise.
    pub lookups: Lookups,
}

/// The parts of the gazetteer a parse depended on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lookups {
    /// Folded alias keys found in the text (sorted, unique).
    pub keys: Vec<String>,
    /// Transliteration skeletons looked up, found or not (sorted, unique).
    pub skeletons: Vec<String>,
    /// Every place considered for any name (sorted, unique gazetteer indices).
    pub candidates: Vec<usize>,
}

/// The geoparser, ready to run over many articles.
pub struct GeoParser<'g> {
    pub gazetteer: &'g Gazetteer,
    cues: PlaceCues,
    blockers: Blockers,
    children: HashMap<usize, Vec<usize>>,
    /// The point of a line (river, border) nearest a place, per (line, place): computed once per corpus,
    /// as the same few rivers are placed against the same towns in article after article.
    nearest_on_line: std::sync::Mutex<NearestOnLine>,
    /// The lines searched by `touch_point`, indexed on first use.
    line_indexes: crate::closest::LineIndexes,
}

/// (line place, place) → the point of the line nearest the place.
type NearestOnLine = HashMap<(usize, usize), Option<Coord<f64>>>;

/// A candidate match before resolution.
struct Spot {
    range: Range<usize>,
    /// Identity of the name matched: the alias key, or (for a skeleton match) the skeleton's hash
    /// with the top bit set. Two spots with one name do not vouch for each other.
    name: u64,
    /// The places the name may denote.
    entries: Vec<AliasEntry>,
    /// Letters of the skeleton a loose match was made on (0 for an alias match).
    skeleton_letters: usize,
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
        GeoParser {
            gazetteer,
            cues,
            blockers,
            children,
            nearest_on_line: Default::default(),
            line_indexes: Default::default(),
        }
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

    /// The alias keys the gazetteer finds in an article (sorted, unique): what a cached parse is checked
    /// against.
    pub fn spot_keys(&self, article: &Article) -> Vec<String> {
        let folded = fold(&article.text);
        let mut matches: Vec<KeyMatch> = Vec::new();
        self.gazetteer.index.find_all(&folded.text, &mut matches);
        let mut keys: Vec<String> = matches.iter().map(|m| self.gazetteer.index.key(m.key).to_string()).collect();
        keys.sort();
        keys.dedup();
        keys
    }

    /// Find and resolve the place names of an article.
    pub fn parse(&self, article: &Article) -> Parsed {
        let text = &article.text;
        let folded = fold(text);
        let mut matches: Vec<KeyMatch> = Vec::new();
        self.gazetteer.index.find_all(&folded.text, &mut matches);
        let mut lookups = Lookups {
            keys: matches.iter().map(|m| self.gazetteer.index.key(m.key).to_string()).collect(),
            ..Default::default()
        };
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
            let mut entries = self.gazetteer.index.entries(m.key).to_vec();
            // "Hassaké" names a province outright and its capital only by another spelling: let the
            // capital compete.
            if entries.iter().all(|e| !self.gazetteer.places[e.place as usize].kind.is_settlement()) {
                let key = crate::gazetteer::skeleton::skeleton(surface);
                lookups.skeletons.push(key.clone());
                if crate::gazetteer::skeleton::usable(&key, surface) {
                    for p in self.gazetteer.skeletons.get(&key) {
                        if self.gazetteer.places[p as usize].kind.is_settlement()
                            && !entries.iter().any(|e| e.place == p)
                        {
                            entries.push(AliasEntry { place: p, flags: AliasFlags(AliasFlags::FUZZY) });
                        }
                    }
                }
            }
            spots.push(Spot {
                single_word: !self.gazetteer.index.key(m.key).contains(' '),
                range,
                name: u64::from(m.key),
                entries,
                skeleton_letters: 0,
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
        // Spots arrive sorted by start: an earlier spot overlaps this one only if it reaches past its
        // start, and the one reaching furthest is the outer candidate.
        let mut furthest: Option<usize> = None;
        for s in spots {
            match furthest.filter(|&f| kept[f].range.end > s.range.start) {
                None => {
                    kept.push(s);
                    furthest = Some(kept.len() - 1);
                }
                Some(f) => {
                    let outer = &kept[f];
                    let inside = outer.range.start <= s.range.start && s.range.end <= outer.range.end;
                    if inside && s.range.start > outer.range.start && self.holds_other_place(&outer.entries, &s.entries)
                    {
                        kept.push(Spot { nested: true, ..s });
                    }
                }
            }
        }
        let mut spots = kept;
        // 2b. Spellings no alias covers: runs of capitalised words matched by transliteration skeleton.
        let (loose, tried) = self.skeleton_spots(article, &folded, &spots, &blocked);
        spots.extend(loose);
        lookups.skeletons.extend(tried);
        lookups.candidates = spots.iter().flat_map(|s| s.entries.iter().map(|e| e.place as usize)).collect();
        for v in [&mut lookups.keys, &mut lookups.skeletons] {
            v.sort();
            v.dedup();
        }
        lookups.candidates.sort_unstable();
        lookups.candidates.dedup();
        spots.sort_by(|a, b| a.range.start.cmp(&b.range.start).then(b.range.end.cmp(&a.range.end)));
        // 3. Context and priors.
        for s in &mut spots {
            s.sentence = article.sentence_at(s.range.start);
            let sent = s.sentence.map_or(s.range.clone(), |i| article.sentences[i].range.clone());
            s.ctx = context::analyse(text, sent, s.range.clone(), &self.cues, &self.gazetteer.common_words);
            s.cands = s
                .entries
                .iter()
                .map(|e| {
                    let p = score::prior(&self.gazetteer.places[e.place as usize], e.flags);
                    (e.place as usize, p, p)
                })
                .collect();
        }
        // A province named after its capital: the bare name is the city ("Homs"), "la province de Homs"
        // the province.
        for s in &mut spots {
            let province_cue = s.ctx.head.as_ref().is_some_and(|h| h.kinds.contains(&Kind::Province));
            if province_cue {
                continue;
            }
            let settlements: Vec<usize> =
                s.cands.iter().map(|c| c.0).filter(|&p| self.gazetteer.places[p].kind.is_settlement()).collect();
            for c in &mut s.cands {
                if self.gazetteer.places[c.0].kind == Kind::Province
                    && settlements.iter().any(|&t| self.gazetteer.parent(t) == Some(c.0))
                {
                    c.1 -= 2.0;
                    c.2 = c.1;
                }
            }
        }
        spots.retain(|s| !s.ctx.person);
        // A skeleton match is only believed near the places the article names outright (within
        // FUZZY_RADIUS_KM of their median point), and a three-letter skeleton only in the article's
        // main country.
        let exact_best: Vec<usize> = spots
            .iter()
            .filter(|s| s.skeleton_letters == 0)
            .filter_map(|s| best(&s.cands, |c| c.1).filter(|&(_, v)| v >= score::ACCEPT).map(|(i, _)| s.cands[i].0))
            .collect();
        let points: Vec<Coord<f64>> = exact_best
            .iter()
            .filter(|&&p| score::is_point_like(self.gazetteer.places[p].kind))
            .map(|&p| self.gazetteer.places[p].point)
            .collect();
        let median = median_point(&points);
        let main_country = most_common(exact_best.iter().filter_map(|&p| self.gazetteer.places[p].country.clone()));
        for s in spots.iter_mut().filter(|s| s.skeleton_letters > 0) {
            let strict = s.skeleton_letters < crate::gazetteer::skeleton::MIN_LETTERS;
            s.cands.retain(|c| {
                let p = &self.gazetteer.places[c.0];
                median.is_some_and(|m| score::haversine_km(p.point, m) <= FUZZY_RADIUS_KM)
                    && (!strict || p.country.is_some() && p.country == main_country)
            });
        }
        spots.retain(|s| !s.cands.is_empty());
        // 4. Resolve: first on priors, then twice with the article's other places as evidence.
        for s in &mut spots {
            s.chosen = best(&s.cands, |c| c.1).filter(|&(_, v)| v >= score::ACCEPT).map(|(i, _)| i);
        }
        for _round in 0..2 {
            let evidence = score::ArticleEvidence::new(
                self.gazetteer,
                spots.iter().filter(|s| !s.ctx.comparison).filter_map(|s| s.chosen.map(|c| (s.cands[c].0, s.name))),
            );
            for s in spots.iter_mut() {
                let initial = s.ctx.sentence_initial && s.single_word;
                for c in &mut s.cands {
                    c.2 = c.1 + score::context_score(c.0, &s.ctx, initial, &evidence, s.name);
                }
                s.chosen = best(&s.cands, |c| c.2).filter(|&(_, v)| v >= score::ACCEPT).map(|(i, _)| i);
            }
        }
        // A district named after its seat: the bare name is the town ("chassés d'Al-Qaïm"); only a head
        // noun makes it the district ("la région d'al-Qaïm"), which the scores above already weigh.
        for s in spots.iter_mut().filter(|s| s.ctx.head.is_none()) {
            let Some(c) = s.chosen else { continue };
            let district = &self.gazetteer.places[s.cands[c].0];
            if district.kind != Kind::District {
                continue;
            }
            let seat = s.cands.iter().position(|o| {
                let p = &self.gazetteer.places[o.0];
                matches!(p.kind, Kind::City | Kind::Town | Kind::Village)
                    && o.2 >= score::ACCEPT
                    && score::haversine_km(p.point, district.point) <= SEAT_KM
            });
            if seat.is_some() {
                s.chosen = seat;
            }
        }
        // 5. Mentions and non-place uses. The point-like places resolved, with their spot and sentence.
        let resolved: Vec<(usize, Option<usize>, usize)> = spots
            .iter()
            .enumerate()
            .filter_map(|(si, s)| s.chosen.map(|c| (si, s.sentence, s.cands[c].0)))
            .filter(|&(_, _, p)| score::is_point_like(self.gazetteer.places[p].kind))
            .collect();
        let points: Vec<Coord<f64>> = resolved.iter().map(|r| self.gazetteer.places[r.2].point).collect();
        let focus = centroid(&points);
        // Roles: a yardstick, a government or actor, or a location. An actor's role spreads to the
        // countries and capitals coordinated with it ("Bagdad, Ankara et Téhéran s'opposent").
        let actor_like =
            |p: &crate::gazetteer::Place| p.kind == Kind::Country || p.is_capital() || p.kind == Kind::Province;
        // "in Ankara, Turkey, and Washington": the preposition governs the whole list.
        let mut locative: Vec<bool> = spots.iter().map(|s| s.ctx.locative).collect();
        for i in 1..spots.len() {
            if locative[i - 1] && coordinated(text, &spots[i - 1].range, &spots[i].range) {
                locative[i] = true;
            }
        }
        // "neighborhoods like Karama and Quds": the list's kind holds for every name of it.
        let mut member_of: Vec<Option<Vec<Kind>>> = spots.iter().map(|s| s.ctx.member_of.clone()).collect();
        for i in 1..spots.len() {
            if member_of[i].is_none()
                && member_of[i - 1].is_some()
                && coordinated(text, &spots[i - 1].range, &spots[i].range)
            {
                member_of[i] = member_of[i - 1].clone();
            }
        }
        let mut roles: Vec<Option<NonPlaceReason>> = spots
            .iter()
            .enumerate()
            .map(|(si, s)| {
                let p = &self.gazetteer.places[s.cands[s.chosen?].0];
                if s.ctx.comparison {
                    return Some(NonPlaceReason::Comparison);
                }
                let far = focus.is_some_and(|f| score::haversine_km(f, p.point) > 2500.0);
                // A regional seat stands for its government only on an explicit cue ("entre Bagdad et Erbil").
                let seat = p.feature_code.as_deref() == Some("PPLA");
                let metonymy = !locative[si]
                    && ((actor_like(p)
                        && (s.ctx.metonymy_cue
                            || (s.ctx.subject_of_verb && p.kind != Kind::Province)
                            || (far && p.kind != Kind::Province && s.ctx.head.is_none())))
                        || (seat && s.ctx.metonymy_cue));
                metonymy.then_some(NonPlaceReason::Metonymy)
            })
            .collect();
        for _ in 0..2 {
            for i in 1..spots.len() {
                for (a, b) in [(i - 1, i), (i, i - 1)] {
                    let (Some(ca), Some(cb)) = (spots[a].chosen, spots[b].chosen) else { continue };
                    let (pa, pb) =
                        (&self.gazetteer.places[spots[a].cands[ca].0], &self.gazetteer.places[spots[b].cands[cb].0]);
                    if roles[a] == Some(NonPlaceReason::Metonymy)
                        && roles[b].is_none()
                        && actor_like(pa)
                        && actor_like(pb)
                        && !locative[b]
                        && coordinated(text, &spots[i - 1].range, &spots[i].range)
                    {
                        roles[b] = Some(NonPlaceReason::Metonymy);
                    }
                }
            }
        }
        // A river or a border is placed where the story touches it, and only places the story is at say where:
        // not "la victoire de Bagdad" (a government) in an article on Mosul, which would put the Tigris there.
        let anchors: Vec<(Option<usize>, usize)> =
            resolved.iter().filter(|r| roles[r.0].is_none()).map(|r| (r.1, r.2)).collect();
        let mut counts: HashMap<usize, usize> = HashMap::new();
        for &(_, p) in &anchors {
            *counts.entry(p).or_default() += 1;
        }
        let article_pool: Vec<usize> = anchors.iter().map(|r| r.1).collect();
        let mut parsed = Parsed { lookups, ..Default::default() };
        for (si, s) in spots.iter().enumerate() {
            let Some(c) = s.chosen else { continue };
            let (mut place, _, top) = s.cands[c];
            let p = &self.gazetteer.places[place];
            // One of "the quarters like …" that the gazetteer only knows as a place of another kind, far from
            // the story (Quds, a quarter of Mosul, is not Jerusalem): no point rather than a wrong one.
            let quarters =
                member_of[si].as_ref().is_some_and(|k| !k.is_empty() && k.iter().all(|k| *k == Kind::Neighbourhood));
            if quarters
                && p.kind != Kind::Neighbourhood
                && !focus.is_some_and(|f| score::haversine_km(f, p.point) <= MEMBER_REACH_KM)
            {
                continue;
            }
            if let Some(reason) = roles[si] {
                parsed.non_places.push(NonPlace { range: s.range.clone(), place, reason, sentence: s.sentence });
                continue;
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
                        anchors.iter().filter(|r| r.0.is_some() && r.0 == s.sentence).map(|r| r.1).collect();
                    self.touch_point(place, g, &[&in_sentence, &article_pool], &counts).unwrap_or(p.point)
                }
                _ => p.point,
            };
            let confidence = confidence(&s.cands, top);
            parsed.mentions.push(Mention {
                source_range: article.source_range(s.range.clone()),
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
    /// lying within 25 km of it, taken from the first of `pools` (the sentence's places, then the
    /// article's) that has one; else nearest the place of the first non-empty pool closest to the line.
    /// "à l'ouest de l'Euphrate" in a sentence naming Gaziantep, 50 km off, in a story on Jarablous, on the
    /// river: the Euphrates at Jarablous.
    fn touch_point(
        &self,
        line_place: usize,
        line: &geo::Geometry<f64>,
        pools: &[&[usize]],
        counts: &HashMap<usize, usize>,
    ) -> Option<Coord<f64>> {
        let lock = || self.nearest_on_line.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let closest = |p: usize| -> Option<Coord<f64>> {
            let hit = lock().get(&(line_place, p)).copied();
            if let Some(hit) = hit {
                return hit;
            }
            // Computed outside the lock: the answer does not depend on which thread computes it first.
            let q = match self.line_indexes.closest_point(line_place, line, Point(self.gazetteer.places[p].point)) {
                geo::Closest::Intersection(q) | geo::Closest::SinglePoint(q) => Some(q.0),
                geo::Closest::Indeterminate => None,
            };
            lock().insert((line_place, p), q);
            q
        };
        let options_of = |pool: &[usize]| -> Vec<(usize, f64, Coord<f64>)> {
            let mut pool = pool.to_vec();
            pool.sort_unstable();
            pool.dedup();
            pool.iter()
                .filter_map(|&p| closest(p).map(|q| (p, score::haversine_km(q, self.gazetteer.places[p].point), q)))
                .collect()
        };
        let mut fallback = None;
        for pool in pools {
            let options = options_of(pool);
            let near = options.iter().filter(|o| o.1 <= 25.0);
            let pick = near.max_by(|a, b| counts.get(&a.0).cmp(&counts.get(&b.0)).then(b.1.total_cmp(&a.1)));
            if let Some(o) = pick {
                return Some(o.2);
            }
            if fallback.is_none() {
                fallback = options.iter().min_by(|a, b| a.1.total_cmp(&b.1)).map(|o| o.2);
            }
        }
        fallback
    }

    /// Whether the compound name of a valley or a region (`outer`) contains the name of a natural feature
    /// (`inner`: "Euphrate" in "moyenne vallée de l'Euphrate"), so both are mentions. A province inside
    /// "plaine de Ninive" is only the plain's name.
    fn holds_other_place(&self, outer: &[AliasEntry], inner: &[AliasEntry]) -> bool {
        let kind = |e: &AliasEntry| self.gazetteer.places[e.place as usize].kind;
        let compound = outer.iter().all(|e| matches!(kind(e), Kind::Valley | Kind::Region | Kind::Mountain));
        let natural = inner.iter().any(|e| matches!(kind(e), Kind::River | Kind::Lake | Kind::Mountain | Kind::Valley));
        compound && natural && !inner.iter().any(|i| outer.iter().any(|o| o.place == i.place))
    }

    /// Spots for runs of capitalised words that no alias matched but whose transliteration skeleton is a
    /// place's ("Jarablous" for GeoNames' Jarābulus). Longest run first; a sentence's first word alone
    /// is not evidence of a name.
    fn skeleton_spots(
        &self,
        article: &Article,
        folded: &crate::text::fold::Folded,
        exact: &[Spot],
        blocked: &[(usize, usize)],
    ) -> (Vec<Spot>, Vec<String>) {
        let text = &article.text;
        let g = self.gazetteer;
        // Folded words with their source ranges.
        let mut words: Vec<(Range<usize>, Range<usize>)> = Vec::new(); // (folded, source)
        let mut pos = 0;
        for w in folded.text.split(' ') {
            if !w.is_empty() {
                words.push((pos..pos + w.len(), folded.source_range(text, pos..pos + w.len())));
            }
            pos += w.len() + 1;
        }
        let capitalised = |r: &Range<usize>| text[r.clone()].chars().next().is_some_and(char::is_uppercase);
        let is_article = |f: &Range<usize>| matches!(&folded.text[f.clone()], "al" | "el");
        // `exact` is sorted by start; a word is covered if a spot starting before its end reaches past its start.
        let reach: Vec<usize> = exact
            .iter()
            .scan(0usize, |m, s| {
                *m = (*m).max(s.range.end);
                Some(*m)
            })
            .collect();
        let covered = |r: &Range<usize>| {
            let k = exact.partition_point(|s| s.range.start < r.end);
            k > 0 && reach[k - 1] > r.start
        };
        let is_blocked = |f: &Range<usize>| blocked.iter().any(|&(s, e)| f.start < e && s < f.end);
        let mut out = Vec::new();
        let mut tried = Vec::new();
        let mut i = 0;
        while i < words.len() {
            let usable = |k: usize| {
                let (f, src) = &words[k];
                (capitalised(src) || (is_article(f) && k + 1 < words.len() && capitalised(&words[k + 1].1)))
                    && !covered(src)
                    && !is_blocked(f)
                    && !g.common_words.contains(&folded.text[f.clone()])
            };
            if !usable(i) {
                i += 1;
                continue;
            }
            let mut j = i;
            while j + 1 < words.len() && j + 1 - i < 4 && usable(j + 1) && adjacent(text, &words[j].1, &words[j + 1].1)
            {
                j += 1;
            }
            let mut found = None;
            for end in (i..=j).rev() {
                let src = words[i].1.start..words[end].1.end;
                let key = crate::gazetteer::skeleton::skeleton(&text[src.clone()]);
                if !crate::gazetteer::skeleton::usable(&key, &text[src.clone()]) {
                    continue;
                }
                tried.push(key.clone());
                let hits = g.skeletons.get(&key);
                if !hits.is_empty() {
                    found = Some((end, src, key, hits));
                    break;
                }
            }
            let Some((end, src, key, hits)) = found else {
                i += 1;
                continue;
            };
            // A loose match followed by more of a name ("Qassem al-Mohammedi") is a person's first name.
            let name_follows = words
                .get(end + 1)
                .is_some_and(|(f, w)| adjacent(text, &words[end].1, w) && (capitalised(w) || is_article(f)));
            if name_follows {
                i = end + 1;
                continue;
            }
            let zone = article.zone_at(src.start);
            let sentence_start = article.sentence_at(src.start).map(|k| article.sentences[k].range.start);
            let first_word = sentence_start.is_some_and(|s| text[s..src.start].chars().all(|c| !c.is_alphanumeric()));
            let lone_first_word = first_word && end == i;
            if !matches!(zone, Zone::Boilerplate | Zone::Metadata)
                && !lone_first_word
                && looks_like_a_name(&text[src.clone()])
            {
                use std::hash::{Hash, Hasher};
                let mut h = std::collections::hash_map::DefaultHasher::new();
                key.hash(&mut h);
                out.push(Spot {
                    range: src,
                    name: h.finish() | (1 << 63),
                    skeleton_letters: key.chars().filter(|c| *c != ' ').count(),
                    entries: hits
                        .into_iter()
                        .map(|p| AliasEntry { place: p, flags: AliasFlags(AliasFlags::FUZZY) })
                        .collect(),
                    sentence: None,
                    zone,
                    ctx: Context::default(),
                    nested: false,
                    single_word: end == i,
                    cands: Vec::new(),
                    chosen: None,
                });
            }
            i = end + 1;
        }
        (out, tried)
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

/// How far from the article's other places a place matched only by its skeleton may lie.
const FUZZY_RADIUS_KM: f64 = 500.0;

/// Component-wise median of points: the middle of an article's geography, robust to one far name.
fn median_point(points: &[Coord<f64>]) -> Option<Coord<f64>> {
    if points.is_empty() {
        return None;
    }
    let mid = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    Some(Coord { x: mid(points.iter().map(|p| p.x).collect()), y: mid(points.iter().map(|p| p.y).collect()) })
}

/// The most frequent item (the first of the most frequent on ties).
fn most_common<T: PartialEq>(items: impl Iterator<Item = T>) -> Option<T> {
    let mut counts: Vec<(T, usize)> = Vec::new();
    for it in items {
        match counts.iter_mut().find(|c| c.0 == it) {
            Some(c) => c.1 += 1,
            None => counts.push((it, 1)),
        }
    }
    let max = counts.iter().map(|c| c.1).max()?;
    counts.into_iter().find(|c| c.1 == max).map(|c| c.0)
}

/// Two names joined as one list: only a comma, "et", "and", "ou" or an article between them.
fn coordinated(text: &str, a: &Range<usize>, b: &Range<usize>) -> bool {
    let Some(gap) = text.get(a.end..b.start) else { return false };
    let folded = crate::text::fold::fold_name(gap);
    let words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
    let joined = gap.contains(',') || words.iter().any(|w| matches!(*w, "et" | "and" | "ou" | "or"));
    gap.len() <= 12
        && joined
        && !gap.contains([':', ';', '.', '(', ')'])
        && words.iter().all(|w| matches!(*w, "et" | "and" | "ou" | "or" | "la" | "le" | "les" | "l" | "the"))
}

/// Two words of one name: only spaces, hyphens or apostrophes between them.
fn adjacent(text: &str, a: &Range<usize>, b: &Range<usize>) -> bool {
    text.get(a.end..b.start)
        .is_some_and(|gap| gap.len() <= 3 && gap.chars().all(|c| c == ' ' || c == '-' || c == '\'' || c == '’'))
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

/// English generic words that may close a proper name in lower case: "the Euphrates valley".
const GENERIC_TAILS: [&str; 12] = [
    "valley",
    "river",
    "plain",
    "plains",
    "mountains",
    "desert",
    "region",
    "province",
    "governorate",
    "district",
    "dam",
    "lake",
];

/// A proper name: its last word starts with a capital (or is in a script without case), or its first word
/// does and a generic word closes it ("Euphrates valley", "Anbar province").
fn looks_like_a_name(surface: &str) -> bool {
    let capital =
        |w: &str| w.chars().next().is_some_and(|c| c.is_uppercase() || (c.is_alphabetic() && !c.is_lowercase()));
    let mut words = surface.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty());
    let first = words.next();
    let last = words.next_back();
    match (first, last) {
        (Some(f), Some(l)) => capital(l) || (capital(f) && GENERIC_TAILS.contains(&l)),
        (Some(f), None) => capital(f),
        _ => false,
    }
}
