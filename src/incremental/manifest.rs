//! `out/manifest.json`: what every output was built from, so a build can tell what changed.
//!
//! Inputs are listed with a content hash (BLAKE3) under a path relative to their root ("articles/…",
//! "gazetteer/…", "styles/…") plus the tool's identity; outputs with their own hash and the inputs they
//! depend on. The file is deterministic (sorted, no timestamps) and committed with `out/`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

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

/// BLAKE3 of a file's content, hex, read in pieces: an output layer of 10,000 articles is tens of
/// megabytes, and the manifest hashes every output.
pub fn hash_file(path: &std::path::Path) -> std::io::Result<String> {
    let mut h = blake3::Hasher::new();
    std::io::copy(&mut std::fs::File::open(path)?, &mut h)?;
    Ok(h.finalize().to_hex().to_string())
}

impl Manifest {
    /// The manifest as written: sorted keys, two-space indentation, a final newline.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).map(|s| s + "\n").unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manifest_is_sorted_json_with_a_final_newline() {
        let mut m = Manifest { tool: "frontmap 0.1.0".into(), ..Default::default() };
        m.inputs.insert("styles/default.json".into(), "2".into());
        m.inputs.insert("articles/a.txt".into(), "1".into());
        let json = m.to_json();
        assert!(json.ends_with("}\n"));
        assert!(json.find("articles/a.txt") < json.find("styles/default.json"));
    }
}
