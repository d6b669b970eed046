//! What changed between two versions of a layer, feature by feature (by `id`): what a build reports as
//! redone ("1 event, 8 fronts"). Where to redraw is decided from the features the renderings read
//! ([`crate::render::reads`]), not from this diff.

use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

/// Differences between two versions of one layer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LayerDiff {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<String>,
}

impl LayerDiff {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }

    pub fn count(&self) -> usize {
        self.added.len() + self.removed.len() + self.changed.len()
    }
}

/// Features of a FeatureCollection by id (feature index when it has none), as digests of their JSON. The
/// collection is streamed feature by feature from `open()`: a layer of tens of megabytes (the events of
/// 10,000 articles) is never held as one JSON tree, nor, read from a file, as one text.
fn features<R: Read>(open: &dyn Fn() -> std::io::Result<R>) -> BTreeMap<String, [u8; 32]> {
    let mut out = BTreeMap::new();
    let mut i = 0usize;
    let mut add = |f: Value| {
        let id = match f.get("id") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => format!("#{i}"),
        };
        out.insert(id, *blake3::hash(f.to_string().as_bytes()).as_bytes());
        i += 1;
    };
    match crate::render::source::stream_features(open, &mut add) {
        Ok(true) => {}
        // Not one well-formed FeatureCollection: read whole, as far as it goes.
        _ => {
            let mut text = String::new();
            if open().and_then(|mut r| r.read_to_string(&mut text)).is_err() {
                return out;
            }
            let Ok(v) = serde_json::from_str::<Value>(&text) else { return out };
            for f in v.get("features").and_then(Value::as_array).into_iter().flatten() {
                add(f.clone());
            }
        }
    }
    out
}

/// Compare two versions of a layer held as files (`old` may be missing: everything is new), streaming
/// both.
pub fn diff_layer_files(old: &Path, new: &Path) -> LayerDiff {
    let open = |path: &Path| {
        let path = path.to_path_buf();
        move || std::fs::File::open(&path).map(std::io::BufReader::new)
    };
    diff_features(&features(&open(old)), &features(&open(new)))
}

/// The features added, removed and changed from `a` to `b` (by id and digest).
fn diff_features(a: &BTreeMap<String, [u8; 32]>, b: &BTreeMap<String, [u8; 32]>) -> LayerDiff {
    let mut d = LayerDiff::default();
    for (id, fa) in a {
        match b.get(id) {
            None => d.removed.push(id.clone()),
            Some(fb) if fb != fa => d.changed.push(id.clone()),
            _ => {}
        }
    }
    d.added.extend(b.keys().filter(|id| !a.contains_key(*id)).cloned());
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Compare two versions of a layer held as text (`old` may be empty: everything is new).
    fn diff_layers(old: &str, new: &str) -> LayerDiff {
        diff_features(&features(&|| Ok(old.as_bytes())), &features(&|| Ok(new.as_bytes())))
    }

    const OLD: &str = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","id":"a","geometry":{"type":"Point","coordinates":[41.0,34.4]},"properties":{"n":1}},
{"type":"Feature","id":"b","geometry":{"type":"Point","coordinates":[41.9,34.5]},"properties":{"n":2}},
{"type":"Feature","id":"c","geometry":{"type":"Point","coordinates":[40.1,35.3]},"properties":{"n":3}}]}"#;
    const NEW: &str = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","id":"a","geometry":{"type":"Point","coordinates":[41.0,34.4]},"properties":{"n":1}},
{"type":"Feature","id":"b","geometry":{"type":"Point","coordinates":[41.9,34.55]},"properties":{"n":2}},
{"type":"Feature","id":"d","geometry":{"type":"LineString","coordinates":[[40.0,34.0],[40.5,34.2]]},"properties":{}}]}"#;

    #[test]
    fn features_are_compared_by_id() {
        let d = diff_layers(OLD, NEW);
        assert_eq!(d.changed, vec!["b".to_string()]);
        assert_eq!(d.removed, vec!["c".to_string()]);
        assert_eq!(d.added, vec!["d".to_string()]);
        assert!(diff_layers(OLD, OLD).is_empty());
        assert_eq!(diff_layers("", OLD).added.len(), 3);
    }

    #[test]
    fn files_are_compared_as_their_texts_are() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (old, new) = (dir.path().join("old.geojson"), dir.path().join("new.geojson"));
        std::fs::write(&old, OLD).expect("write old");
        std::fs::write(&new, NEW).expect("write new");
        assert_eq!(diff_layer_files(&old, &new), diff_layers(OLD, NEW));
        assert!(diff_layer_files(&old, &old).is_empty());
        assert_eq!(diff_layer_files(&dir.path().join("missing.geojson"), &old).added.len(), 3);
    }
}
