//! Deterministic JSON: sorted keys, coordinates rounded to 6 decimals, one feature per line.
//!
//! `out/` is committed and CI rebuilds it byte for byte, so every writer goes through here: the same
//! inputs give the same bytes on any machine.

use serde_json::{Map, Value};

/// Round a coordinate to 6 decimals (≈ 0.1 m), the precision of every coordinate we write.
pub fn round6(v: f64) -> f64 {
    let r = (v * 1e6).round() / 1e6;
    if r == 0.0 { 0.0 } else { r }
}

/// Round to `d` decimals (for measured values such as distances).
pub fn round_to(v: f64, d: i32) -> f64 {
    let f = 10f64.powi(d);
    let r = (v * f).round() / f;
    if r == 0.0 { 0.0 } else { r }
}

/// Recursively sort object keys (RFC 8785-like canonical order, minus number canonicalisation).
pub fn sorted(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut entries: Vec<(String, Value)> = m.into_iter().map(|(k, v)| (k, sorted(v))).collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            let mut out = Map::new();
            for (k, v) in entries {
                out.insert(k, v);
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// Compact JSON of a value with sorted keys.
pub fn to_line(v: &Value) -> String {
    serde_json::to_string(&sorted(v.clone())).unwrap_or_else(|_| "null".to_string())
}

/// A GeoJSON FeatureCollection, one feature per line, with a `bbox` member, keys sorted.
pub fn feature_collection(features: &[Value], bbox: Option<[f64; 4]>) -> String {
    feature_collection_of(features, bbox)
}

/// [`feature_collection`] of features made one at a time: each is serialized as soon as it comes, so a
/// layer of ten thousand events is never held whole as JSON values.
pub fn feature_collection_of<I>(features: I, bbox: Option<[f64; 4]>) -> String
where
    I: IntoIterator,
    I::Item: std::borrow::Borrow<Value>,
{
    use std::borrow::Borrow;
    let mut out = String::from("{\"type\":\"FeatureCollection\"");
    if let Some(b) = bbox {
        out.push_str(&format!(",\"bbox\":{}", serde_json::to_string(&b.map(round6).to_vec()).unwrap_or_default()));
    }
    out.push_str(",\"features\":[");
    for (i, f) in features.into_iter().enumerate() {
        out.push_str(if i == 0 { "\n" } else { ",\n" });
        out.push_str(&to_line(f.borrow()));
    }
    out.push_str("\n]}\n");
    out
}
