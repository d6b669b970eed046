//! A loaded source keeps only the properties the style reads (issue 8: the quotes of ten thousand events
//! are not held while rendering), and the feature digests that incremental builds compare still change
//! with everything that can change a drawing — and only with that.

mod common;

use common::root;
use frontmap::render::reads::FeatureIndex;
use frontmap::render::source::Properties;
use frontmap::render::{Scene, Style};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("render-source").join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

fn style() -> Style {
    Style::load(&root().join("styles/default.json")).expect("style")
}

/// The bundled style and its sources, with `events` read from `events`.
fn scene_with_events(events: &Path) -> Scene {
    let mut overrides = BTreeMap::new();
    for s in ["fronts", "areas", "places"] {
        overrides.insert(s.to_string(), root().join(format!("tests/fixtures/render/{s}.geojson")));
    }
    overrides.insert("events".to_string(), events.to_path_buf());
    Scene::load(style(), &root(), &overrides, None).expect("scene")
}

fn event(id: &str, lon: f64, event_type: &str, quote: &str) -> serde_json::Value {
    serde_json::json!({
        "type": "Feature", "id": id,
        "geometry": { "type": "Point", "coordinates": [lon, 34.4] },
        "properties": { "id": id, "event_type": event_type, "date_start": "2017-11-01", "date_end": "2017-11-01",
            "sources": [{ "article": "a.txt", "quote": quote }] }
    })
}

fn write_events(path: &Path, features: &[serde_json::Value]) {
    let fc = serde_json::json!({ "type": "FeatureCollection", "features": features });
    std::fs::write(path, fc.to_string()).expect("write events");
}

fn events_index(dir: &Path, name: &str, features: &[serde_json::Value]) -> Vec<([u8; 16], [f64; 4])> {
    let path = dir.join(name);
    write_events(&path, features);
    FeatureIndex::of(&scene_with_events(&path)).0.remove("events").expect("events indexed")
}

#[test]
fn the_kept_properties_are_those_the_style_reads() {
    let s = style();
    let events = s.source_properties("events");
    for k in ["event_type", "date_start", "date_end"] {
        assert!(events.contains(k), "{k} missing from {events:?}");
    }
    assert!(!events.contains("sources"), "the quotes are kept: {events:?}");
    // Every `get` in the events layers' filters and paint is kept (derived from the style, not a list).
    assert!(s.source_properties("fronts").contains("actor"));
    assert!(s.source_properties("places").contains("name"));
}

#[test]
fn a_loaded_source_holds_only_the_kept_properties() {
    let dir = scratch("kept");
    let path = dir.join("events.geojson");
    write_events(&path, &[event("e1", 41.0, "Battles", "a long quote")]);
    let scene = scene_with_events(&path);
    let f = &scene.sources["events"].features[0];
    assert_eq!(f.id.as_deref(), Some("e1"));
    assert_eq!(f.str_prop("event_type"), Some("Battles"));
    assert!(f.props.property("sources").is_none(), "{:?}", f.props);
    let keep = style().source_properties("events");
    assert!(f.props.iter().all(|(k, _)| keep.contains(k)));
}

#[test]
fn digests_change_with_what_is_drawn_and_not_with_unread_properties() {
    let dir = scratch("digests");
    let base = events_index(&dir, "a.geojson", &[event("e1", 41.0, "Battles", "quote one")]);
    // An unread property (the quote) changes: same digest, nothing to redraw.
    assert_eq!(base, events_index(&dir, "b.geojson", &[event("e1", 41.0, "Battles", "another quote")]));
    // A property the style reads, the geometry, the id: each changes the digest.
    for (what, f) in [
        ("event_type", event("e1", 41.0, "Explosions/Remote violence", "quote one")),
        ("geometry", event("e1", 41.1, "Battles", "quote one")),
        ("id", event("e2", 41.0, "Battles", "quote one")),
    ] {
        let other = events_index(&dir, "c.geojson", &[f]);
        assert_ne!(base[0].0, other[0].0, "changing the {what} left the digest unchanged");
    }
    let mut dated = event("e1", 41.0, "Battles", "quote one");
    dated["properties"]["date_end"] = serde_json::json!("2017-11-02");
    assert_ne!(base[0].0, events_index(&dir, "d.geojson", &[dated])[0].0, "a date window reads date_end");
}

#[test]
fn streaming_and_whole_reading_agree_and_errors_are_the_same() {
    let dir = scratch("forms");
    // A FeatureCollection whose "type" comes last, and one feature without geometry: streamed.
    let text = r#"{"features":[{"type":"Feature","geometry":null,"properties":{}},
        {"type":"Feature","geometry":{"type":"Point","coordinates":[41.0,34.4]},"properties":{"event_type":"Battles","sources":[]}}],
        "type":"FeatureCollection"}"#;
    let path = dir.join("late-type.geojson");
    std::fs::write(&path, text).expect("write");
    let keep = style().source_properties("events");
    let streamed = frontmap::render::source::Source::load_keeping("events", &path, Some(&keep)).expect("load");
    let whole = frontmap::render::source::Source::parse_keeping("events", &path, text, Some(&keep)).expect("parse");
    assert_eq!(streamed.features.len(), 1);
    assert_eq!(
        streamed.features.iter().map(|f| (f.digest, f.props.clone())).collect::<Vec<_>>(),
        whole.features.iter().map(|f| (f.digest, f.props.clone())).collect::<Vec<_>>()
    );
    // A bad feature, a bad shape, bad JSON: the same message as reading the text whole.
    for (name, bad) in [
        (
            "bad-feature",
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]}},{"type":"Nope"}]}"#,
        ),
        ("no-array", r#"{"type":"FeatureCollection","features":{}}"#),
        ("no-type", r#"{"features":[]}"#),
        ("truncated", r#"{"type":"FeatureCollection","features":[{"type":"Feature""#),
        ("a-feature", r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},"properties":{"a":1}}"#),
    ] {
        let path = dir.join(format!("{name}.geojson"));
        std::fs::write(&path, bad).expect("write");
        let a = frontmap::render::source::Source::load("x", &path).map(|s| s.features.len()).map_err(|e| e.to_string());
        let b = frontmap::render::source::Source::parse("x", &path, bad)
            .map(|s| s.features.len())
            .map_err(|e| e.to_string());
        assert_eq!(a, b, "{name}");
    }
}
