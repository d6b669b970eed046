//! Shared by the `project_*` tests: the bundled corpus run through the pipeline up to the projector.
#![allow(dead_code)]

use frontmap::events::{Event, EventCoder};
use frontmap::gazetteer::Gazetteer;
use frontmap::geoparse::GeoParser;
use frontmap::project::Projection;
use frontmap::text::Article;
use geo::Coord;
use std::path::PathBuf;

pub struct Run {
    pub g: Gazetteer,
    pub articles: Vec<Article>,
    pub events: Vec<Event>,
    pub projection: Projection,
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The bundled articles and gazetteer, geoparsed, coded and projected.
pub fn run() -> Run {
    let g = Gazetteer::load_dir(&root().join("gazetteer")).expect("bundled gazetteer");
    let articles = frontmap::build::read_articles(&root().join("articles"), None).expect("bundled articles");
    let parser = GeoParser::new(&g);
    let parsed = frontmap::build::geoparse_all(&parser, &articles);
    let events = EventCoder::default().code(&g, &articles, &parsed).events;
    let projection = frontmap::project::project(&g, &articles, &parsed, &events);
    drop(parser);
    Run { g, articles, events, projection }
}

pub fn fixture(name: &str) -> serde_json::Value {
    let p = root().join("tests/fixtures").join(name);
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A gold place of `gold-places.json` by id.
pub fn gold_place(id: &str) -> serde_json::Value {
    fixture("gold-places.json")["places"]
        .as_array()
        .and_then(|a| a.iter().find(|p| p["id"] == id).cloned())
        .unwrap_or_else(|| panic!("gold place {id}"))
}

pub fn gold_point(id: &str) -> Coord<f64> {
    let p = gold_place(id);
    Coord { x: p["lon"].as_f64().unwrap_or(f64::NAN), y: p["lat"].as_f64().unwrap_or(f64::NAN) }
}

/// The gazetteer point of a place.
pub fn point(g: &Gazetteer, id: &str) -> Coord<f64> {
    g.get(id).unwrap_or_else(|| panic!("gazetteer place {id}")).point
}

/// Whether a bearing lies in a clockwise range `[from, to]` that may wrap through north.
pub fn bearing_in(range: [f64; 2], b: f64) -> bool {
    let (from, to, b) = (range[0].rem_euclid(360.0), range[1].rem_euclid(360.0), b.rem_euclid(360.0));
    if from <= to { from <= b && b <= to } else { b >= from || b <= to }
}
