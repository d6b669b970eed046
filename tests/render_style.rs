//! The style file: the MapLibre subset is honoured, anything else is reported (file, layer, property),
//! and a bad style is an error naming what is wrong — never a panic.

use frontmap::render::expr::{self, Ctx, Rgba, Val};
use frontmap::render::{RenderError, Style};
use serde_json::json;
use std::path::Path;

fn parse(v: serde_json::Value) -> Result<Style, RenderError> {
    Style::parse(&v.to_string(), Path::new("styles/test.json"))
}

fn minimal(layers: serde_json::Value) -> serde_json::Value {
    json!({"version": 8, "sources": {"p": {"type": "geojson", "data": "x.geojson"}}, "layers": layers})
}

#[test]
fn the_bundled_style_parses_and_every_property_it_uses_is_supported() {
    let s = Style::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("styles/default.json")).expect("bundled style");
    assert!(s.warnings.is_empty(), "warnings: {:#?}", s.warnings);
    assert!(s.layers.len() > 10);
}

#[test]
fn an_unsupported_property_is_reported_with_file_layer_and_property() {
    let s = parse(minimal(
        json!([{"id": "roads", "type": "line", "source": "p", "paint": {"line-blur": 2, "line-color": "#f00"}}]),
    ))
    .expect("parses");
    assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
    let w = &s.warnings[0];
    assert!(w.contains("styles/test.json") && w.contains("roads") && w.contains("line-blur"), "{w}");
    assert!(s.layers[0].paint.contains_key("line-color"));
}

#[test]
fn unknown_layer_keys_and_top_level_keys_are_reported_too() {
    let mut v = minimal(json!([{"id": "a", "type": "fill", "source": "p", "interactive": true}]));
    v["sprite"] = json!("sprites/x");
    let s = parse(v).expect("parses");
    assert!(s.warnings.iter().any(|w| w.contains("\"interactive\"")), "{:?}", s.warnings);
    assert!(s.warnings.iter().any(|w| w.contains("\"sprite\"")), "{:?}", s.warnings);
}

#[test]
fn a_bad_style_is_an_error_that_names_the_layer_and_the_problem() {
    let cases = [
        (minimal(json!([{"id": "x", "type": "heatmap", "source": "p"}])), "heatmap"),
        (minimal(json!([{"id": "x", "type": "line", "source": "nope"}])), "nope"),
        (
            minimal(json!([{"id": "x", "type": "line", "source": "p", "paint": {"line-color": ["frobnicate", 1]}}])),
            "frobnicate",
        ),
        (minimal(json!([{"id": "x", "type": "line", "source": "p", "filter": ["match", ["get", "k"]]}])), "match"),
        (
            minimal(
                json!([{"id": "x", "type": "line", "source": "p", "paint": {"line-width": ["interpolate", ["cubic"], ["zoom"], 1, 2]}}]),
            ),
            "cubic",
        ),
        (
            minimal(
                json!([{"id": "x", "type": "line", "source": "p", "paint": {"line-width": {"stops": [[5, 1], [3, 2]]}}}]),
            ),
            "line-width",
        ),
        (
            minimal(json!([{"id": "x", "type": "line", "source": "p"}, {"id": "x", "type": "line", "source": "p"}])),
            "twice",
        ),
        (minimal(json!([{"type": "line", "source": "p"}])), "id"),
    ];
    for (style, needle) in cases {
        let err = parse(style.clone()).expect_err(&format!("{style} should be rejected"));
        let msg = err.to_string();
        assert!(msg.contains("styles/test.json") && msg.contains(needle), "{msg} should mention {needle}");
    }
}

#[test]
fn garbage_never_panics() {
    for text in [
        "",
        "[]",
        "{",
        "{\"version\": 8}",
        "{\"version\": 7, \"sources\": {}, \"layers\": []}",
        "null",
        "{\"version\":8,\"sources\":[],\"layers\":{}}",
    ] {
        assert!(Style::parse(text, Path::new("x.json")).is_err(), "{text:?}");
    }
    // Random nested junk in every property slot: errors or warnings, never a panic.
    let junk = [
        json!(null),
        json!([]),
        json!([[]]),
        json!({}),
        json!("{unclosed"),
        json!([1, 2, 3]),
        json!(["get"]),
        json!(["step"]),
        json!(["case", true]),
    ];
    for j in junk {
        for key in ["line-color", "line-width", "line-dasharray"] {
            let _ = parse(minimal(json!([{"id": "x", "type": "line", "source": "p", "paint": {key: j.clone()}}])));
        }
        let _ = parse(minimal(json!([{"id": "x", "type": "line", "source": "p", "filter": j.clone()}])));
    }
}

fn eval(e: serde_json::Value, props: serde_json::Value, zoom: f64) -> Val {
    let expr = expr::parse_value(&e).expect("expression");
    let props = props.as_object().cloned().unwrap_or_default();
    expr.eval(&Ctx { props: &props, id: None, geometry_type: "Point", zoom })
}

#[test]
fn expressions_evaluate_like_maplibre() {
    assert_eq!(eval(json!(["==", ["get", "kind"], "town"]), json!({"kind": "town"}), 0.0), Val::Bool(true));
    assert_eq!(eval(json!(["==", "kind", "town"]), json!({"kind": "city"}), 0.0), Val::Bool(false), "legacy filter");
    assert_eq!(eval(json!(["in", "kind", "town", "city"]), json!({"kind": "city"}), 0.0), Val::Bool(true), "legacy in");
    assert_eq!(
        eval(json!(["in", "iraq", ["downcase", ["get", "actor"]]]), json!({"actor": "Military Forces of Iraq"}), 0.0),
        Val::Bool(true)
    );
    assert_eq!(eval(json!(["match", ["get", "t"], ["a", "b"], 1, 2]), json!({"t": "b"}), 0.0), Val::Num(1.0));
    assert_eq!(eval(json!(["interpolate", ["linear"], ["zoom"], 5, 1, 10, 6]), json!({}), 7.5), Val::Num(3.5));
    assert_eq!(eval(json!(["step", ["zoom"], "a", 9.5, "b"]), json!({}), 9.6), Val::Str("b".into()));
    assert_eq!(eval(json!({"stops": [[4, 1], [8, 5]]}), json!({}), 6.0), Val::Num(3.0), "legacy zoom function");
    assert_eq!(
        eval(json!("{name} ({kind})"), json!({"name": "Rawa", "kind": "town"}), 0.0),
        Val::Str("Rawa (town)".into())
    );
    assert_eq!(
        eval(json!(["coalesce", ["get", "nope"], ["get", "name"]]), json!({"name": "X"}), 0.0),
        Val::Str("X".into())
    );
    assert_eq!(eval(json!(["-", 0, ["get", "n"]]), json!({"n": 3}), 0.0), Val::Num(-3.0));
}

#[test]
fn css_colours_parse() {
    assert_eq!(Rgba::parse("#fff"), Some(Rgba::WHITE));
    assert_eq!(Rgba::parse("#1f4e9c").map(Rgba::to_hex), Some("#1f4e9c".into()));
    let c = Rgba::parse("rgba(31, 78, 156, 0.5)").expect("rgba");
    assert!((c.a - 0.5).abs() < 1e-6 && c.to_hex() == "#1f4e9c");
    assert_eq!(Rgba::parse("hsl(0, 100%, 50%)").map(Rgba::to_hex), Some("#ff0000".into()));
    assert_eq!(Rgba::parse("not a colour"), None);
}
