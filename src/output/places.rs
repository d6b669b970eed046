//! `out/places.geojson` and the `mentions` JSON Lines (DESIGN.md §4, §5).

use super::json::{round6, string_of, write_feature_collection};
use crate::gazetteer::Gazetteer;
use crate::geoparse::Mention;
use crate::text::Article;
use serde_json::json;
use std::collections::HashMap;
use std::io::Write;

/// One JSON Lines record of `frontmap mentions`, keys in the order of the contract.
pub fn mention_line(article: &Article, m: &Mention, g: &Gazetteer) -> String {
    let p = &g.places[m.place];
    // Keys in contract order: build by hand rather than sorting.
    let v = json!({
        "article": article.id,
        "start": m.source_range.start,
        "end": m.source_range.end,
        "surface": m.surface(&article.text),
        "place": p.id,
        "name": p.name,
        "kind": p.kind.as_str(),
        "lat": round6(m.point.y),
        "lon": round6(m.point.x),
        "geo_precision": m.geo_precision,
        "confidence": m.confidence,
    });
    serde_json::to_string(&v).unwrap_or_default()
}

/// Aggregate of one place over the corpus.
#[derive(Debug, Default)]
struct PlaceUse {
    mentions: usize,
    precision: u8,
    /// The citing articles, as indices into [`PlaceUses`]'s ids.
    articles: Vec<usize>,
}

/// What `out/places.geojson` counts, gathered an article at a time: a build streaming its corpus keeps this
/// (a few numbers and the citing article ids per place), not the mentions.
#[derive(Debug, Default)]
pub struct PlaceUses {
    /// By gazetteer index while counting (no id copied per mention), by id for the output.
    by_place: HashMap<usize, PlaceUse>,
    mentions: usize,
    /// The ids of the articles counted, each once: a place lists indices into these, not copies (131,676
    /// place–article pairs at 10,000 articles, 40 bytes each as copies; issue 8).
    articles: Vec<String>,
}

impl PlaceUses {
    /// Count the mentions of the next article.
    pub fn add(&mut self, article: &str, mentions: &[Mention]) {
        self.mentions += mentions.len();
        if mentions.is_empty() {
            return;
        }
        if self.articles.last().map(String::as_str) != Some(article) {
            self.articles.push(article.to_string());
        }
        let index = self.articles.len() - 1;
        for m in mentions {
            let e = self.by_place.entry(m.place).or_insert(PlaceUse { precision: 3, ..Default::default() });
            e.mentions += 1;
            e.precision = e.precision.min(m.geo_precision);
            // An article's mentions come together: it is listed once, when its first one is met.
            if e.articles.last() != Some(&index) {
                e.articles.push(index);
            }
        }
    }

    /// How many mentions were counted.
    pub fn mentions(&self) -> usize {
        self.mentions
    }

    /// Write `out/places.geojson` a feature at a time; returns how many places it has.
    pub fn write(self, w: &mut dyn Write, g: &Gazetteer) -> std::io::Result<usize> {
        let PlaceUses { by_place, articles, .. } = self;
        let mut uses: Vec<(String, (usize, PlaceUse))> =
            by_place.into_iter().map(|(i, u)| (g.places[i].id.clone(), (i, u))).collect();
        uses.sort_by(|a, b| a.0.cmp(&b.0));
        let mut bbox = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
        for (_, (i, _)) in &uses {
            let p = &g.places[*i];
            let (x, y) = (round6(p.point.x), round6(p.point.y));
            bbox = [bbox[0].min(x), bbox[1].min(y), bbox[2].max(x), bbox[3].max(y)];
        }
        let count = uses.len();
        let bbox = if count == 0 { None } else { Some(bbox) };
        let features = uses.into_iter().map(|(id, (i, u))| {
            let p = &g.places[i];
            let mut cited: Vec<&str> = u.articles.iter().filter_map(|a| articles.get(*a)).map(String::as_str).collect();
            cited.sort();
            json!({
                "type": "Feature",
                "id": id,
                "geometry": {"type": "Point", "coordinates": [round6(p.point.x), round6(p.point.y)]},
                "properties": {
                    "id": id,
                    "name": p.name,
                    "name_en": p.name_en,
                    "name_ar": p.name_ar,
                    "kind": p.kind.as_str(),
                    "country": p.country,
                    "parent": p.parent,
                    "source": p.source.as_str(),
                    "geo_precision": u.precision,
                    "mention_count": u.mentions,
                    "articles": cited,
                }
            })
        });
        write_feature_collection(w, features, bbox)?;
        Ok(count)
    }
}

/// `out/places.geojson`: one Point per resolved place.
pub fn places_geojson(parsed: &[(&Article, &[Mention])], g: &Gazetteer) -> String {
    string_of(|w| write_places_geojson(w, parsed, g).map(|_| ()))
}

/// [`places_geojson`] written to `w` a feature at a time; returns how many places it has.
pub fn write_places_geojson(
    w: &mut dyn Write,
    parsed: &[(&Article, &[Mention])],
    g: &Gazetteer,
) -> std::io::Result<usize> {
    let mut uses = PlaceUses::default();
    for (article, mentions) in parsed {
        uses.add(&article.id, mentions);
    }
    uses.write(w, g)
}
