//! Opening a gazetteer from a snapshot of its loaded form, keyed by the content of its files.
//!
//! Loading means parsing megabytes of GeoJSON and GeoNames text and building the alias transducer: a
//! few hundred milliseconds for the bundled gazetteer, seconds for all of cities500. Most runs read an
//! unchanged gazetteer, so the loaded form is kept on disk (`postcard`) under a key made of every file's
//! path and bytes plus the identity of the frontmap binary: any edit, or a new frontmap, misses the cache
//! and rebuilds it. A snapshot that cannot be read is ignored, never trusted.

use super::{Gazetteer, GazetteerError};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Bump when the loaded form changes shape or meaning.
const SNAPSHOT_FORMAT: u32 = 1;

#[derive(Serialize, Deserialize)]
pub(super) struct Snapshot {
    pub format: u32,
    pub places: Vec<super::Place>,
    pub by_id: Vec<(String, usize)>,
    pub redirects: Vec<(String, usize)>,
    pub index: super::index::IndexParts,
    pub skeletons: super::skeleton::SkeletonIndex,
    pub common_words: Vec<String>,
    pub files: Vec<PathBuf>,
    pub parents: Vec<Option<u32>>,
}

/// Every file of a gazetteer directory, sorted (the inputs a snapshot depends on).
pub fn gazetteer_files(dir: &Path) -> Result<Vec<PathBuf>, GazetteerError> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let rd = std::fs::read_dir(&d).map_err(|e| GazetteerError::Io { path: d.clone(), source: e })?;
        for entry in rd.flatten() {
            let p = entry.path();
            let name = entry.file_name();
            if name.to_string_lossy().starts_with('.') {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The content key of a gazetteer directory.
pub fn content_key(dir: &Path) -> Result<String, GazetteerError> {
    let mut h = blake3::Hasher::new();
    h.update(
        format!("frontmap {} snapshot {SNAPSHOT_FORMAT} {}\n", env!("CARGO_PKG_VERSION"), crate::identity::binary())
            .as_bytes(),
    );
    h.update(include_str!("../../lexicon/common-words.txt").as_bytes());
    for f in gazetteer_files(dir)? {
        let rel = f.strip_prefix(dir).unwrap_or(&f);
        let bytes = std::fs::read(&f).map_err(|e| GazetteerError::Io { path: f.clone(), source: e })?;
        h.update(rel.to_string_lossy().as_bytes());
        h.update(&(bytes.len() as u64).to_le_bytes());
        h.update(&bytes);
    }
    Ok(h.finalize().to_hex().to_string())
}

/// Where snapshots live: `$FRONTMAP_CACHE`, else `$XDG_CACHE_HOME/frontmap`, else `~/.cache/frontmap`.
/// `FRONTMAP_CACHE=off` disables them.
pub fn cache_dir() -> Option<PathBuf> {
    match std::env::var_os("FRONTMAP_CACHE") {
        Some(v) if v == "off" => None,
        Some(v) => Some(PathBuf::from(v)),
        None => std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
            .map(|d| d.join("frontmap")),
    }
}

impl Gazetteer {
    /// Load a gazetteer directory, from its snapshot when one matches its current content.
    pub fn open(dir: &Path) -> Result<Gazetteer, GazetteerError> {
        Gazetteer::open_keyed(dir).map(|(g, _)| g)
    }

    /// [`Gazetteer::open`], also returning the content key (which [`Gazetteer::from_key`] can reopen
    /// later, while its snapshot is kept, to tell what an edit changed).
    pub fn open_keyed(dir: &Path) -> Result<(Gazetteer, String), GazetteerError> {
        let key = content_key(dir)?;
        if let Some(g) = Gazetteer::from_key(&key) {
            return Ok((g, key));
        }
        let g = Gazetteer::load_dir(dir)?;
        if let Some(cache) = cache_dir() {
            let path = cache.join(format!("gazetteer-{}.bin", &key[..32]));
            if let Ok(bytes) = postcard::to_stdvec(&g.to_snapshot()) {
                // A cache that cannot be written is only a slower next run.
                if crate::atomic::write(&path, &bytes).is_ok() {
                    prune(&cache, &path);
                }
            }
        }
        Ok((g, key))
    }

    /// The gazetteer snapshotted under a content key, if the snapshot is still kept and readable.
    pub fn from_key(key: &str) -> Option<Gazetteer> {
        let path = cache_dir()?.join(format!("gazetteer-{}.bin", key.get(..32)?));
        let bytes = std::fs::read(path).ok()?;
        postcard::from_bytes::<Snapshot>(&bytes).ok().and_then(Gazetteer::from_snapshot)
    }
}

/// Keep the eight newest snapshots.
fn prune(cache: &Path, keep: &Path) {
    let Ok(rd) = std::fs::read_dir(cache) else { return };
    let mut snaps: Vec<(std::time::SystemTime, PathBuf)> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("gazetteer-")) && p != keep)
        .filter_map(|p| std::fs::metadata(&p).and_then(|m| m.modified()).ok().map(|t| (t, p)))
        .collect();
    snaps.sort();
    let excess = snaps.len().saturating_sub(7);
    for (_, p) in snaps.into_iter().take(excess) {
        let _ = std::fs::remove_file(p);
    }
}

pub(super) fn format() -> u32 {
    SNAPSHOT_FORMAT
}
