//! What changed between two versions of a layer, feature by feature, and where.
//!
//! Map sheets and tiles are redrawn only where something moved: the features added, removed or
//! changed between the previous and the new layer (by `id`), with the bounding boxes of both versions
//! (a feature that moved dirties where it was and where it is).

use serde_json::Value;
use std::collections::BTreeMap;

/// Bounding box in degrees: [west, south, east, north].
pub type BBox = [f64; 4];

/// Differences between two versions of one layer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LayerDiff {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<String>,
    /// Where the differences are (old and new extents of every feature concerned).
    pub bboxes: Vec<BBox>,
}

impl LayerDiff {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }

    pub fn count(&self) -> usize {
        self.added.len() + self.removed.len() + self.changed.len()
    }
}

fn extend(b: &mut Option<BBox>, c: &Value) {
    match c {
        Value::Array(items) if items.first().is_some_and(Value::is_number) => {
            let (x, y) = (items[0].as_f64().unwrap_or(0.0), items.get(1).and_then(Value::as_f64).unwrap_or(0.0));
            *b = Some(match *b {
                None => [x, y, x, y],
                Some([w, s, e, n]) => [w.min(x), s.min(y), e.max(x), n.max(y)],
            });
        }
        Value::Array(items) => items.iter().for_each(|i| extend(b, i)),
        _ => {}
    }
}

/// The bounding box of a GeoJSON geometry value.
pub fn geometry_bbox(g: &Value) -> Option<BBox> {
    let mut b = None;
    extend(&mut b, g.get("coordinates").unwrap_or(&Value::Null));
    if let Some(gs) = g.get("geometries").and_then(Value::as_array) {
        for sub in gs {
            extend(&mut b, sub.get("coordinates").unwrap_or(&Value::Null));
        }
    }
    b
}

/// Features of a FeatureCollection by id (feature index when it has none): (serialised feature, bbox).
fn features(text: &str) -> BTreeMap<String, (String, Option<BBox>)> {
    let Ok(v) = serde_json::from_str::<Value>(text) else { return BTreeMap::new() };
    let mut out = BTreeMap::new();
    for (i, f) in v.get("features").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let id = match f.get("id") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => format!("#{i}"),
        };
        let bbox = f.get("geometry").and_then(geometry_bbox);
        out.insert(id, (f.to_string(), bbox));
    }
    out
}

/// Compare two versions of a layer (`old` may be empty: everything is new).
pub fn diff_layers(old: &str, new: &str) -> LayerDiff {
    let (a, b) = (features(old), features(new));
    let mut d = LayerDiff::default();
    for (id, (fa, ba)) in &a {
        match b.get(id) {
            None => {
                d.removed.push(id.clone());
                d.bboxes.extend(*ba);
            }
            Some((fb, bb)) if fb != fa => {
                d.changed.push(id.clone());
                d.bboxes.extend(*ba);
                d.bboxes.extend(*bb);
            }
            _ => {}
        }
    }
    for (id, (_, bb)) in &b {
        if !a.contains_key(id) {
            d.added.push(id.clone());
            d.bboxes.extend(*bb);
        }
    }
    d
}

/// Whether two boxes overlap once `a` is grown by `margin` degrees.
pub fn intersects(a: &BBox, b: &BBox, margin: f64) -> bool {
    a[0] - margin <= b[2] && b[0] <= a[2] + margin && a[1] - margin <= b[3] && b[1] <= a[3] + margin
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","id":"a","geometry":{"type":"Point","coordinates":[41.0,34.4]},"properties":{"n":1}},
{"type":"Feature","id":"b","geometry":{"type":"Point","coordinates":[41.9,34.5]},"properties":{"n":2}},
{"type":"Feature","id":"c","geometry":{"type":"Point","coordinates":[40.1,35.3]},"properties":{"n":3}}]}"#;
    const NEW: &str = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","id":"a","geometry":{"type":"Point","coordinates":[41.0,34.4]},"properties":{"n":1}},
{"type":"Feature","id":"b","geometry":{"type":"Point","coordinates":[41.9,34.55]},"properties":{"n":2}},
{"type":"Feature","id":"d","geometry":{"type":"LineString","coordinates":[[40.0,34.0],[40.5,34.2]]},"properties":{}}]}"#;

    #[test]
    fn a_moved_feature_dirties_both_of_its_places() {
        let d = diff_layers(OLD, NEW);
        assert_eq!(d.changed, vec!["b".to_string()]);
        assert_eq!(d.removed, vec!["c".to_string()]);
        assert_eq!(d.added, vec!["d".to_string()]);
        assert!(d.bboxes.contains(&[41.9, 34.5, 41.9, 34.5]) && d.bboxes.contains(&[41.9, 34.55, 41.9, 34.55]));
        assert!(d.bboxes.contains(&[40.0, 34.0, 40.5, 34.2]));
        assert!(diff_layers(OLD, OLD).is_empty());
        assert_eq!(diff_layers("", OLD).added.len(), 3);
    }
}
