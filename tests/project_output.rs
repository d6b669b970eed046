//! The projector's files as GIS tools read them: RFC 7946 FeatureCollections with a bbox and no crs, at most
//! six decimals, stable sorted ids, full ISO dates, one geometry type per layer, the same bytes every run.

mod project_common;

use frontmap::output::project as op;
use project_common::*;
use serde_json::Value;

fn layers(r: &Run) -> Vec<(&'static str, String)> {
    let p = &r.projection;
    vec![
        ("fronts", op::fronts_geojson(&p.axes)),
        ("areas", op::areas_geojson(&p.areas)),
        ("border", op::border_geojson(&p.borders)),
        ("crossings", op::crossings_geojson(&p.crossings)),
    ]
}

fn coords(v: &Value, out: &mut Vec<(f64, f64)>) {
    match v.as_array() {
        Some(a) if a.len() >= 2 && a[0].is_number() => {
            out.push((a[0].as_f64().unwrap_or(f64::NAN), a[1].as_f64().unwrap_or(f64::NAN)));
        }
        Some(a) => a.iter().for_each(|x| coords(x, out)),
        None => {}
    }
}

#[test]
fn two_runs_write_the_same_bytes() {
    let (a, b) = (run(), run());
    assert_eq!(layers(&a), layers(&b));
    assert_eq!(op::claims_json(&a.projection.claims), op::claims_json(&b.projection.claims));
}

#[test]
fn layers_are_rfc_7946_feature_collections() {
    let r = run();
    let geometry = [("fronts", "LineString"), ("areas", "Polygon"), ("border", "LineString"), ("crossings", "Point")];
    for (name, text) in layers(&r) {
        let doc: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(doc["type"], "FeatureCollection", "{name}");
        assert!(doc.get("crs").is_none(), "{name}: crs");
        let features = doc["features"].as_array().expect("features");
        assert!(!features.is_empty(), "{name}: empty");
        let bbox: Vec<f64> = doc["bbox"].as_array().expect("bbox").iter().filter_map(Value::as_f64).collect();
        let mut ids = Vec::new();
        for f in features {
            let g = &f["geometry"];
            let want = geometry.iter().find(|x| x.0 == name).map(|x| x.1).unwrap_or("");
            assert!(g["type"].as_str().is_some_and(|t| t.ends_with(want)), "{name}: {}", g["type"]);
            let mut cs = Vec::new();
            coords(&g["coordinates"], &mut cs);
            for (x, y) in cs {
                assert!(
                    bbox[0] <= x && x <= bbox[2] && bbox[1] <= y && y <= bbox[3],
                    "{name}: ({x}, {y}) outside bbox"
                );
                for v in [x, y] {
                    assert!(((v * 1e6).round() / 1e6 - v).abs() < 1e-12, "{name}: {v} has more than 6 decimals");
                }
            }
            assert_eq!(f["id"], f["properties"]["id"], "{name}");
            ids.push(f["id"].as_str().unwrap_or("").to_string());
        }
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(ids, sorted, "{name}: ids unique and sorted");
        // One feature per line, keys sorted: the diff of a rebuild shows one line per changed feature.
        assert_eq!(text.lines().count(), features.len() + 2, "{name}");
    }
}

#[test]
fn fronts_and_areas_carry_the_contract_fields_with_full_dates() {
    let r = run();
    let fronts: Value = serde_json::from_str(&op::fronts_geojson(&r.projection.axes)).expect("fronts");
    let areas: Value = serde_json::from_str(&op::areas_geojson(&r.projection.areas)).expect("areas");
    let iso = |v: &Value| v.as_str().is_some_and(|s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok());
    for f in fronts["features"].as_array().into_iter().flatten() {
        let p = &f["properties"];
        for k in ["id", "kind", "direction", "actor", "objective", "date_start", "date_end", "schematic", "quote"] {
            assert!(p.get(k).is_some(), "front {}: no {k}", f["id"]);
        }
        assert!(matches!(p["kind"].as_str(), Some("arrow" | "front_line")));
        assert_eq!(p["schematic"], true);
        assert!(iso(&p["date_start"]) && iso(&p["date_end"]), "{}", f["id"]);
    }
    for f in areas["features"].as_array().into_iter().flatten() {
        let p = &f["properties"];
        for k in ["id", "kind", "controller", "date_start", "date_end", "derivation"] {
            assert!(p.get(k).is_some_and(|v| !v.is_null()), "area {}: no {k}", f["id"]);
        }
        assert!(iso(&p["date_start"]) && iso(&p["date_end"]), "{}", f["id"]);
    }
}

#[test]
fn claims_json_lists_every_claim_with_the_contract_fields_and_a_summary() {
    let r = run();
    let doc: Value = serde_json::from_str(&op::claims_json(&r.projection.claims)).expect("claims.json");
    let claims = doc["claims"].as_array().expect("claims");
    assert_eq!(claims.len(), r.projection.claims.len());
    for c in claims {
        for k in ["quote", "stated", "computed", "unit", "ok"] {
            assert!(c.get(k).is_some(), "{}: no {k}", c["id"]);
        }
        assert!(c["ok"].is_boolean() || (c["ok"].is_null() && c["computed"].is_null()), "{}", c["id"]);
    }
    let s = &doc["summary"];
    let total =
        s["ok"].as_u64().unwrap_or(0) + s["failed"].as_u64().unwrap_or(0) + s["unchecked"].as_u64().unwrap_or(0);
    assert_eq!(s["total"].as_u64(), Some(total));
}
