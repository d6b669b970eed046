//! Deterministic JSON: sorted keys, coordinates rounded to 6 decimals, one feature per line.
//!
//! `out/` is committed and CI rebuilds it byte for byte, so every writer goes through here: the same
//! inputs give the same bytes on any machine.

use serde_json::{Map, Value};
use std::io::Write;

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
    string_of(|w| write_feature_collection(w, features, bbox))
}

/// [`feature_collection`] written to `w`, each feature serialized as it comes from `features`: a layer of
/// ten thousand events is never held whole, as JSON values or as text (a build streams its layers into
/// their files).
pub fn write_feature_collection<I>(w: &mut dyn Write, features: I, bbox: Option<[f64; 4]>) -> std::io::Result<()>
where
    I: IntoIterator,
    I::Item: std::borrow::Borrow<Value>,
{
    use std::borrow::Borrow;
    w.write_all(b"{\"type\":\"FeatureCollection\"")?;
    if let Some(b) = bbox {
        let b = serde_json::to_string(&b.map(round6).to_vec()).unwrap_or_default();
        write!(w, ",\"bbox\":{b}")?;
    }
    w.write_all(b",\"features\":[")?;
    for (i, f) in features.into_iter().enumerate() {
        w.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        w.write_all(to_line(f.borrow()).as_bytes())?;
    }
    w.write_all(b"\n]}\n")
}

/// The text a writer of a layer writes, for callers that want it whole (tests, `frontmap` subcommands
/// printing one layer).
pub fn string_of(fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> String {
    let mut bytes = Vec::new();
    // Writing into a Vec cannot fail, and every writer here writes UTF-8.
    let _ = fill(&mut bytes);
    String::from_utf8(bytes).unwrap_or_default()
}
