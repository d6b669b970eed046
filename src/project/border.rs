//! The borders and crossings the articles refer to, as features taken from the gazetteer.
//!
//! A border is drawn between every two countries the articles name as locations (not as governments:
//! "selon Bagdad" does not count) whose shared boundary the gazetteer has (`basemap/borders.geojson`, ids
//! "iq-sy": the two country ids sorted), and for every border a mention or an event resolved to. A crossing
//! is drawn when a mention or an event resolved to it ("le poste-frontière proche de cette localité").

use super::geom;
use crate::events::Event;
use crate::gazetteer::{Gazetteer, Kind};
use geo::{Coord, MultiLineString};
use std::collections::BTreeSet;

/// An international border.
#[derive(Debug, Clone)]
pub struct BorderLine {
    pub id: String,
    pub name: String,
    pub name_en: Option<String>,
    /// ISO codes of the two countries, sorted.
    pub countries: Vec<String>,
    pub geometry: MultiLineString<f64>,
    /// Geodesic length of the line as drawn, km.
    pub length_km: f64,
    pub source: String,
    /// Ids of the crossings drawn on it.
    pub crossings: Vec<String>,
}

/// A border crossing.
#[derive(Debug, Clone)]
pub struct Crossing {
    pub id: String,
    pub name: String,
    pub name_en: Option<String>,
    pub country: Option<String>,
    pub point: Coord<f64>,
    /// The border it lies on (the nearest drawn border), and how far from it, km.
    pub border: Option<String>,
    pub distance_to_border_km: Option<f64>,
    pub source: String,
    pub how: Option<String>,
}

/// The borders and crossings of a corpus, sorted by id, from the places its mentions resolved to (`mentioned`)
/// and its events.
pub fn borders(g: &Gazetteer, mentioned: &BTreeSet<usize>, events: &[Event]) -> (Vec<BorderLine>, Vec<Crossing>) {
    let mut referenced: BTreeSet<usize> = mentioned.clone();
    referenced.extend(events.iter().map(|e| e.place));
    let countries: BTreeSet<String> =
        mentioned.iter().filter(|&&p| g.places[p].kind == Kind::Country).map(|&p| g.places[p].id.clone()).collect();
    let mut ids: BTreeSet<usize> = referenced.iter().copied().filter(|&p| g.places[p].kind == Kind::Border).collect();
    let list: Vec<&String> = countries.iter().collect();
    for (i, a) in list.iter().enumerate() {
        for b in &list[i + 1..] {
            if let Some(p) = g.find(&format!("{a}-{b}")).filter(|&p| g.places[p].kind == Kind::Border) {
                ids.insert(p);
            }
        }
    }
    let mut lines: Vec<BorderLine> = ids
        .into_iter()
        .filter_map(|i| {
            let p = &g.places[i];
            let geometry = p.geometry.as_ref().and_then(geom::lines)?;
            let mut countries: Vec<String> = p.id.split('-').map(str::to_ascii_uppercase).collect();
            countries.sort();
            Some(BorderLine {
                id: p.id.clone(),
                name: p.name.clone(),
                name_en: p.name_en.clone(),
                countries,
                length_km: geom::length_km(&geometry),
                geometry,
                source: p.source.as_str().to_string(),
                crossings: Vec::new(),
            })
        })
        .collect();
    let mut crossings: Vec<Crossing> = referenced
        .iter()
        .filter(|&&p| g.places[p].kind == Kind::Crossing)
        .map(|&i| {
            let p = &g.places[i];
            let nearest = lines
                .iter()
                .filter_map(|l| {
                    geom::distance_to(p.point, &geo::Geometry::MultiLineString(l.geometry.clone()))
                        .map(|(d, _)| (d, l.id.clone()))
                })
                .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            Crossing {
                id: p.id.clone(),
                name: p.name.clone(),
                name_en: p.name_en.clone(),
                country: p.country.clone(),
                point: p.point,
                border: nearest.as_ref().map(|n| n.1.clone()),
                distance_to_border_km: nearest.map(|n| n.0),
                source: p.source.as_str().to_string(),
                how: p.how.clone(),
            }
        })
        .collect();
    crossings.sort_by(|a, b| a.id.cmp(&b.id));
    for l in &mut lines {
        l.crossings = crossings.iter().filter(|c| c.border.as_ref() == Some(&l.id)).map(|c| c.id.clone()).collect();
    }
    lines.sort_by(|a, b| a.id.cmp(&b.id));
    (lines, crossings)
}
