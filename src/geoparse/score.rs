//! How much a place is worth as the referent of a name, before and after reading its context.
//!
//! Scores are additive log-odds-like points. The prior says how likely a place is to be named at all
//! (population, kind, who vouched for the alias); context adds what the article says: a head noun of the
//! right kind, a parent mentioned nearby, other places close by, the same country.

use super::context::Context;
use crate::gazetteer::{AliasFlags, Gazetteer, Kind, Place, Source};
use geo::Coord;
use std::collections::HashMap;

/// Beyond this distance from every other place an article names, a village in a country no other name of
/// the article lies in is doubtful.
const FAR_VILLAGE_KM: f64 = 300.0;

/// Below this, a candidate is not accepted as a place mention.
pub const ACCEPT: f64 = 2.0;

/// What a place of this kind is "worth" when the dataset gives no population (log10 scale).
fn kind_weight(kind: Kind) -> f64 {
    match kind {
        Kind::Country => 7.0,
        Kind::Province => 6.0,
        Kind::River => 6.0,
        Kind::Valley | Kind::Region => 5.0,
        Kind::Border => 5.0,
        Kind::City => 5.0,
        Kind::District => 4.5,
        Kind::Lake => 4.5,
        Kind::Town => 4.0,
        Kind::Crossing | Kind::Airport | Kind::Base | Kind::Dam | Kind::Mountain => 3.5,
        Kind::Neighbourhood => 3.0,
        Kind::Village => 2.5,
        Kind::Other => 3.0,
    }
}

/// Context-free score of `place` reached through an alias with `flags`.
pub fn prior(place: &Place, flags: AliasFlags) -> f64 {
    let pop = if place.population > 0 { (place.population as f64).log10() } else { kind_weight(place.kind) };
    let mut s = 0.6 * pop;
    if flags.has(AliasFlags::CURATED) {
        s += 1.0;
    }
    if flags.has(AliasFlags::PRIMARY) {
        s += 0.5;
    }
    if flags.has(AliasFlags::DERIVED) {
        s -= 1.0;
    }
    if flags.has(AliasFlags::FUZZY) {
        s -= 1.5;
    }
    if flags.has(AliasFlags::COMMON) && !flags.has(AliasFlags::CURATED) {
        s -= 4.0;
    }
    if place.is_capital() {
        s += 0.5;
    }
    if place.kind == Kind::Other && place.source == Source::GeoNames {
        s -= 1.0;
    }
    s
}

/// What the article's resolved names say, indexed for scoring many candidates: each chosen place with
/// the names (spot identities) that chose it, so a name never vouches for itself.
pub struct ArticleEvidence<'a> {
    pub g: &'a Gazetteer,
    chosen: HashMap<usize, Vec<u64>>,
    /// Parent place → names of its chosen children.
    parents: HashMap<usize, Vec<u64>>,
    /// Distinct point-like chosen places: (place, point, names).
    points: Vec<(usize, Coord<f64>, Vec<u64>)>,
    /// Countries of the chosen places, with the names that chose them.
    countries: HashMap<String, Vec<u64>>,
}

fn add_name(map: &mut HashMap<usize, Vec<u64>>, key: usize, name: u64) {
    let v = map.entry(key).or_default();
    if !v.contains(&name) {
        v.push(name);
    }
}

fn other_name(names: &[u64], name: u64) -> bool {
    names.iter().any(|&n| n != name)
}

impl<'a> ArticleEvidence<'a> {
    /// `chosen`: (place, name) for every resolved name of the article.
    pub fn new(g: &'a Gazetteer, chosen: impl Iterator<Item = (usize, u64)>) -> Self {
        let mut map: HashMap<usize, Vec<u64>> = HashMap::new();
        let mut parents: HashMap<usize, Vec<u64>> = HashMap::new();
        for (p, name) in chosen {
            add_name(&mut map, p, name);
            if let Some(par) = g.parent(p) {
                add_name(&mut parents, par, name);
            }
        }
        let mut points: Vec<(usize, Coord<f64>, Vec<u64>)> = map
            .iter()
            .filter(|(p, _)| is_point_like(g.places[**p].kind))
            .map(|(p, names)| (*p, g.places[*p].point, names.clone()))
            .collect();
        points.sort_by_key(|p| p.0);
        let mut countries: HashMap<String, Vec<u64>> = HashMap::new();
        for (p, names) in &map {
            if let Some(c) = &g.places[*p].country {
                let v = countries.entry(c.clone()).or_default();
                v.extend(names.iter().filter(|n| !v.contains(n)).copied().collect::<Vec<_>>());
            }
        }
        ArticleEvidence { g, chosen: map, parents, points, countries }
    }

    fn named_elsewhere(&self, place: usize, name: u64) -> bool {
        self.chosen.get(&place).is_some_and(|n| other_name(n, name))
    }
}

/// Points a candidate earns from its context. `name` identifies the spot being scored.
pub fn context_score(
    i: usize,
    ctx: &Context,
    sentence_initial_single_word: bool,
    ev: &ArticleEvidence<'_>,
    name: u64,
) -> f64 {
    let place = &ev.g.places[i];
    let mut s = 0.0;
    if let Some(head) = &ctx.head {
        if !head.kinds.is_empty() {
            if head.kinds.contains(&place.kind) {
                s += 3.0;
            } else {
                s -= 1.5;
            }
        }
    }
    // Hierarchy: a parent (or grand-parent) named in the article.
    for (depth, a) in ev.g.ancestors(i).into_iter().enumerate() {
        if ev.named_elsewhere(a, name) {
            let k = ev.g.places[a].kind;
            s += match k {
                Kind::Country => 0.5,
                Kind::Province => 1.5,
                _ => 2.5,
            } / (1.0 + depth as f64 * 0.25);
            break;
        }
    }
    // Children named in the article make a parent likelier too.
    if ev.parents.get(&i).is_some_and(|n| other_name(n, name)) {
        s += 1.0;
    }
    // The same country as another name of the article (a name does not vouch for itself).
    let country_named =
        place.country.as_ref().and_then(|c| ev.countries.get(c)).is_some_and(|names| other_name(names, name));
    // Spatial coherence with the article's other places.
    if place.kind.geo_precision() <= 2 && !matches!(place.kind, Kind::River | Kind::Border | Kind::Valley) {
        let nearest = ev
            .points
            .iter()
            .filter(|(p, _, names)| *p != i && other_name(names, name))
            .map(|(_, pt, _)| haversine_km(place.point, *pt))
            .fold(f64::INFINITY, f64::min);
        if nearest.is_finite() {
            s += 2.5 * (-nearest / 150.0).exp();
            // A small place far from everything else the article names is likely another place of
            // the same name (or no place at all).
            if nearest > 800.0 && !place.is_capital() && place.population < 500_000 {
                s -= 1.5;
            } else if nearest > FAR_VILLAGE_KM
                && place.population < 20_000
                && place.source != Source::Curated
                && !place.is_capital()
                && !country_named
            {
                // A village hundreds of kilometres from the story, in a country nothing else the article
                // names lies in, is another place of that name: "the town of Rumana on the Euphrates" is not
                // the Rummāna of Galilee, whatever the head noun says (it only confirms the kind).
                s -= 4.0;
            }
        }
    }
    if country_named {
        s += 1.0;
    }
    if sentence_initial_single_word {
        s -= 1.0;
    }
    s
}

/// Whether a place's point is a meaningful location for proximity (not a province centroid).
pub fn is_point_like(kind: Kind) -> bool {
    kind.geo_precision() <= 2 && !matches!(kind, Kind::River | Kind::Border | Kind::Valley | Kind::Lake | Kind::Region)
}

/// Great-circle distance, fast enough for scoring many candidates (the geodesic is used for claims).
pub fn haversine_km(a: geo::Coord<f64>, b: geo::Coord<f64>) -> f64 {
    let (la1, la2) = (a.y.to_radians(), b.y.to_radians());
    let dlat = la2 - la1;
    let dlon = (b.x - a.x).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * 6371.0088 * h.sqrt().min(1.0).asin()
}
