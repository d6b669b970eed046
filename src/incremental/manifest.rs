//! `out/manifest.json`: what every output was built from, so a build can tell what changed.
//!
//! Inputs are listed with a content hash (BLAKE3) under a path relative to their root ("articles/…",
//! "gazetteer/…", "styles/…") plus the tool's identity; outputs with their own hash and the inputs they
//! depend on. The file is deterministic (sorted, no timestamps) and committed with `out/`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One output and what it was made from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputEntry {
    pub hash: String,
    /// Input groups this output depends on ("articles", "gazetteer", "styles", "tool").
    pub inputs: Vec<String>,
}

/// The manifest of a build.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// frontmap version and the hash of its built-in lexicons.
    pub tool: String,
    /// Input path (relative, with its group prefix) → content hash.
    pub inputs: BTreeMap<String, String>,
    /// Output path (relative to out/) → entry.
    pub outputs: BTreeMap<String, OutputEntry>,
}

/// An error reading inputs for the manifest.
#[derive(Debug, thiserror::Error)]
#[error("{path}: cannot read: {source}")]
pub struct ManifestError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

/// BLAKE3 of a byte string, hex.
pub fn hash_bytes(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

impl Manifest {
    /// Read a manifest; `None` when missing or unreadable (a full build follows).
    pub fn load(path: &Path) -> Option<Manifest> {
        let text = std::fs::read_to_string(path).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// The manifest as written: sorted keys, two-space indentation, a final newline.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).map(|s| s + "\n").unwrap_or_default()
    }

    /// Input groups ("articles", "gazetteer", …) whose files differ from `other`'s.
    pub fn changed_groups(&self, other: &Manifest) -> Vec<String> {
        let group = |k: &str| k.split('/').next().unwrap_or("").to_string();
        let mut groups: Vec<String> = Vec::new();
        for k in self.inputs.keys().chain(other.inputs.keys()) {
            if self.inputs.get(k) != other.inputs.get(k) {
                let g = group(k);
                if !groups.contains(&g) {
                    groups.push(g);
                }
            }
        }
        if self.tool != other.tool {
            groups.push("tool".to_string());
        }
        groups.sort();
        groups
    }

    /// Input files (with their group prefix) that differ from `other`'s.
    pub fn changed_inputs(&self, other: &Manifest) -> Vec<String> {
        let mut keys: Vec<String> = self
            .inputs
            .keys()
            .chain(other.inputs.keys())
            .filter(|k| self.inputs.get(*k) != other.inputs.get(*k))
            .cloned()
            .collect();
        keys.sort();
        keys.dedup();
        keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_groups_name_what_moved() {
        let mut a = Manifest { tool: "t".into(), ..Default::default() };
        a.inputs.insert("articles/a.txt".into(), "1".into());
        a.inputs.insert("gazetteer/places.geojson".into(), "2".into());
        let mut b = a.clone();
        assert!(a.changed_groups(&b).is_empty());
        b.inputs.insert("gazetteer/places.geojson".into(), "3".into());
        b.inputs.insert("articles/b.txt".into(), "4".into());
        assert_eq!(a.changed_groups(&b), vec!["articles".to_string(), "gazetteer".to_string()]);
        assert_eq!(a.changed_inputs(&b), vec!["articles/b.txt".to_string(), "gazetteer/places.geojson".to_string()]);
    }
}
