//! The web viewer page: deterministic, self-contained (vendored Leaflet and its licence beside it), the
//! dated layers in its data script with the style's colours evaluated by the renderer, tile layers matching
//! the plan, and quotes that cannot break out of a script.

use frontmap::tiles::{self, TilesConfig};
use frontmap::viewer::{self, ViewerInput};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("viewer-tests").join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

fn config(out: &Path) -> TilesConfig {
    let mut cfg = TilesConfig::new(&root());
    for s in ["events", "fronts", "areas", "places"] {
        cfg.source_overrides.insert(s.into(), root().join(format!("tests/fixtures/render/{s}.geojson")));
    }
    cfg.out = out.to_path_buf();
    cfg
}

fn data(cfg: &TilesConfig) -> Value {
    let prep = tiles::prepare(cfg).expect("prepare");
    let input = ViewerInput {
        scene: &prep.scene,
        plan: &prep.plan,
        attribution: &prep.attribution,
        overlay_sources: &prep.overlay,
        tile_url: "tiles/{z}/{x}/{y}.png",
    };
    viewer::page_data(&input).expect("page data").0
}

/// The paint of the first item of a layer whose feature has `key` = `value`.
fn paint_of<'a>(d: &'a Value, layer: &str, key: &str, value: &str) -> &'a Value {
    let l = d["layers"].as_array().expect("layers").iter().find(|l| l["id"] == layer).expect("layer");
    let feats = d["sources"][l["source"].as_str().expect("source")]["features"].as_array().expect("features");
    l["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|it| {
            let f = &feats[it["f"].as_u64().expect("index") as usize];
            f["properties"][key].as_str().is_some_and(|v| v.contains(value))
        })
        .map(|it| &it["p"])
        .unwrap_or_else(|| panic!("no {key}={value} in {layer}"))
}

#[test]
fn overlay_colours_are_the_styles_evaluated_by_the_renderer() {
    let d = data(&config(&scratch("colours")));
    // styles/default.json: events circle-color by event_type, arrows by actor, the pocket fill.
    assert_eq!(paint_of(&d, "events", "event_type", "Battles")["fillColor"], "#e0301e");
    assert_eq!(paint_of(&d, "events", "event_type", "Explosions/Remote violence")["fillColor"], "#ff9500");
    assert_eq!(paint_of(&d, "fronts-arrow", "actor", "Military Forces of Iraq")["color"], "#1f4e9c");
    assert_eq!(paint_of(&d, "fronts-arrow", "actor", "Syria")["color"], "#8e2c8e");
    let pocket = paint_of(&d, "areas-pocket", "kind", "pocket");
    assert_eq!((pocket["fillColor"].as_str(), pocket["fillOpacity"].as_f64()), (Some("#2b2b2b"), Some(0.2)));
    // Zoom-dependent widths are sampled per Leaflet zoom (= style zoom + 1): line-width 7.5 at style zoom 10.
    let w = &paint_of(&d, "fronts-arrow", "actor", "Iraq")["weight"];
    assert_eq!(w[11].as_f64(), Some(7.5), "{w}");
    // Events draw battles last (on top), as circle-sort-key says.
    let ev = d["layers"].as_array().expect("layers").iter().find(|l| l["id"] == "events").expect("events");
    let feats = d["sources"]["events"]["features"].as_array().expect("features");
    let last = ev["items"].as_array().expect("items").last().expect("an item");
    assert_eq!(feats[last["f"].as_u64().expect("f") as usize]["properties"]["event_type"], "Battles");
}

#[test]
fn tile_layers_follow_the_plan_and_the_slider_spans_every_date() {
    let d = data(&config(&scratch("plan")));
    let tiles = d["tiles"].as_array().expect("tiles");
    assert_eq!(tiles.len(), 2, "{tiles:?}");
    assert_eq!((tiles[0]["maxNativeZoom"].as_u64(), tiles[1]["minNativeZoom"].as_u64()), (Some(10), Some(11)));
    assert_eq!(tiles[1]["maxNativeZoom"].as_u64(), Some(13));
    assert_eq!(tiles[0]["url"], "tiles/{z}/{x}/{y}.png");
    let (min, max) = (d["dates"]["min"].as_str().expect("min"), d["dates"]["max"].as_str().expect("max"));
    assert!(min < max && min.starts_with("2017-") && max.starts_with("2017-"), "{min} {max}");
    assert_eq!(d["sources"]["events"]["cumulative"], true);
    assert_eq!(d["sources"]["fronts"]["cumulative"], false);
    assert!(d["attribution"].as_str().is_some_and(|a| a.contains("GeoNames")));
    assert!(!d["legend"].as_array().expect("legend").is_empty());
}

#[test]
fn the_page_and_leaflet_are_written_once_and_deterministically() {
    let out = scratch("write");
    let cfg = config(&out);
    let prep = tiles::prepare(&cfg).expect("prepare");
    let input = ViewerInput {
        scene: &prep.scene,
        plan: &prep.plan,
        attribution: &prep.attribution,
        overlay_sources: &prep.overlay,
        tile_url: "tiles/{z}/{x}/{y}.png",
    };
    let first = viewer::write_viewer(&out, &input).expect("write");
    assert!(first.files_written.len() >= 4);
    let again = viewer::write_viewer(&out, &input).expect("write again");
    assert!(again.files_written.is_empty(), "rewritten: {:?}", again.files_written);
    let html = std::fs::read_to_string(out.join("index.html")).expect("index.html");
    for asset in ["vendor/leaflet/leaflet.js", "vendor/leaflet/leaflet.css", viewer::DATA_FILE] {
        assert!(html.contains(asset), "{asset} not referenced");
        assert!(out.join(asset).exists(), "{asset} not written");
    }
    assert!(std::fs::read_to_string(out.join("vendor/leaflet/LICENSE")).expect("licence").contains("BSD"));
    assert!(!html.contains("{{"), "a template marker is left in the page");
    assert!(!html.contains("<script src=\"http"), "the page loads no script from the network");
    // The data script is `window.FRONTMAP = {…};` around the same data `page_data` gives.
    let script = std::fs::read_to_string(out.join(viewer::DATA_FILE)).expect("data script");
    let json = script.strip_prefix("window.FRONTMAP = ").and_then(|s| s.strip_suffix(";\n")).expect("the assignment");
    let written: Value = serde_json::from_str(json).expect("the data is JSON");
    assert_eq!(written, viewer::page_data(&input).expect("page data").0);
    assert_eq!(
        first.features.get("events"),
        Some(&written["sources"]["events"]["features"].as_array().expect("a").len())
    );
}

#[test]
fn a_quote_cannot_break_out_of_the_pages_script() {
    let out = scratch("escape");
    let evil = out.join("events.geojson");
    std::fs::write(
        &evil,
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","id":"e1","geometry":{"type":"Point","coordinates":[41.0,34.4]},
        "properties":{"id":"e1","event_type":"Battles","date_start":"2017-11-01","date_end":"2017-11-01",
        "sources":[{"article":"a.txt","quote":"</script><script>alert(1)</script> & {{SCRIPT}}"}]}}]}"#,
    )
    .expect("write fixture");
    let mut cfg = config(&out);
    cfg.source_overrides.insert("events".into(), evil);
    let prep = tiles::prepare(&cfg).expect("prepare");
    let input = ViewerInput {
        scene: &prep.scene,
        plan: &prep.plan,
        attribution: &prep.attribution,
        overlay_sources: &prep.overlay,
        tile_url: "tiles/{z}/{x}/{y}.png",
    };
    let v = viewer::write_viewer(&out, &input).expect("write");
    assert_eq!(v.features.get("events"), Some(&1));
    let html = std::fs::read_to_string(out.join("index.html")).expect("index.html");
    assert!(!html.contains("alert"), "the quote is in the page itself");
    assert_eq!(html.matches("</script>").count(), 3, "only the page's own three scripts close");
    // In the data script, escaped: inert even if someone pastes it inside a <script> element.
    let script = std::fs::read_to_string(out.join(viewer::DATA_FILE)).expect("data script");
    assert!(!script.contains("<script>alert"), "the quote is not escaped");
    assert!(script.contains("\\u003c/script\\u003e\\u003cscript\\u003ealert(1)"), "the quote is not in the data");
    let data = viewer::page_data(&input).expect("page data").0;
    let quote = &data["sources"]["events"]["features"][0]["properties"]["sources"][0]["quote"];
    assert_eq!(quote, "</script><script>alert(1)</script> & {{SCRIPT}}", "the quote is not read back word for word");
}
