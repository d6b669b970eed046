//! The XYZ directory `tiles/{z}/{x}/{y}.png`: write what changed, leave identical tiles alone, remove
//! tiles the plan no longer makes.
//!
//! Each tile is written to a temporary sibling and renamed over its name, so a reader (a tile server, the
//! viewer) sees the old tile or the new one, never half a PNG. Unlike [`crate::atomic::write`] this does not
//! `fsync` each file: thousands of syncs would dominate the pyramid's time, and tiles are a cache that
//! `build` recreates, so losing the last ones to a power cut costs a rebuild, not data.

use super::error::TilesError;
use super::tile::TileId;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

/// What writing one tile did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    Written,
    Unchanged,
}

/// An XYZ tile directory.
#[derive(Debug, Clone)]
pub struct TileDir {
    pub root: PathBuf,
    /// File name suffix before `.png`: empty at 1×, `@2x` at 2×.
    pub suffix: String,
}

impl TileDir {
    /// The directory `root`, with tile names `{y}{suffix}.png`.
    pub fn new(root: &Path, suffix: &str) -> TileDir {
        TileDir { root: root.to_path_buf(), suffix: suffix.to_string() }
    }

    /// The file of a tile.
    pub fn path(&self, t: &TileId) -> PathBuf {
        self.root.join(t.rel_path(&self.suffix))
    }

    /// Which of these tiles have a file: one directory listing per `z/x` column (on every core) instead
    /// of one `stat` per tile, which on a pyramid of thousands is most of an edit's tile pass.
    pub fn present(&self, tiles: &[TileId]) -> std::collections::HashSet<TileId> {
        use rayon::prelude::*;
        let mut columns: Vec<(u8, u32)> = tiles.iter().map(|t| (t.z, t.x)).collect();
        columns.sort_unstable();
        columns.dedup();
        let tail = format!("{}.png", self.suffix);
        let found: std::collections::HashSet<TileId> = columns
            .par_iter()
            .flat_map_iter(|&(z, x)| {
                let dir = self.root.join(z.to_string()).join(x.to_string());
                let names = std::fs::read_dir(dir).into_iter().flatten().flatten();
                let tail = &tail;
                names.filter_map(move |e| {
                    let is_file = e.file_type().is_ok_and(|t| t.is_file());
                    let name = e.file_name();
                    let y = name.to_str()?.strip_suffix(tail.as_str())?.parse::<u32>().ok()?;
                    is_file.then_some(TileId { z, x, y })
                })
            })
            .collect();
        tiles.iter().filter(|t| found.contains(t)).copied().collect()
    }

    /// Create the `z/x` directories of these tiles up front, so writing a tile is one file and one rename
    /// (directories left empty are removed by [`TileDir::prune`]).
    pub fn create_dirs(&self, tiles: &[TileId]) -> Result<(), TilesError> {
        let mut columns: Vec<(u8, u32)> = tiles.iter().map(|t| (t.z, t.x)).collect();
        columns.sort_unstable();
        columns.dedup();
        for (z, x) in columns {
            let dir = self.root.join(z.to_string()).join(x.to_string());
            std::fs::create_dir_all(&dir).map_err(|e| TilesError::Write { path: dir, source: e })?;
        }
        Ok(())
    }

    /// Write a tile unless the file already holds these bytes.
    pub fn put(&self, t: &TileId, bytes: &[u8]) -> Result<Stored, TilesError> {
        let path = self.path(t);
        if let Ok(old) = std::fs::read(&path) {
            if old == bytes {
                return Ok(Stored::Unchanged);
            }
        }
        let werr = |p: &Path, source| TilesError::Write { path: p.to_path_buf(), source };
        if let Some(dir) = path.parent().filter(|d| !d.is_dir()) {
            std::fs::create_dir_all(dir).map_err(|e| werr(dir, e))?;
        }
        let tmp = crate::atomic::temp_path(&path);
        let result = (|| {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(bytes)?;
            drop(f);
            std::fs::rename(&tmp, &path)
        })();
        if let Err(e) = result {
            let _ = std::fs::remove_file(&tmp);
            return Err(werr(&path, e));
        }
        Ok(Stored::Written)
    }

    /// Mark the pyramid as being written, before the first tile is: a build killed before
    /// [`TileDir::end_writes`] leaves the mark, and the next build (even one with nothing else to do)
    /// then looks for the half-written tiles ([`clean_interrupted`]). Temporary files stay beside their
    /// tiles (a rename within a directory; renaming thousands of tiles out of one shared directory made
    /// a cold build on disk a quarter slower).
    pub fn begin_writes(&self) -> Result<(), TilesError> {
        let werr = |source| TilesError::Write { path: self.root.join(WRITING), source };
        std::fs::create_dir_all(&self.root).map_err(werr)?;
        std::fs::write(self.root.join(WRITING), b"").map_err(werr)
    }

    /// Every tile of the run is in place: remove the mark of [`TileDir::begin_writes`].
    pub fn end_writes(&self) {
        let _ = std::fs::remove_file(self.root.join(WRITING));
    }

    /// Remove tile files (`{z}/{x}/{y}{suffix}.png`) that are not in `keep` and tile directories left
    /// empty; anything else in the directory is left alone. Returns how many tiles were removed.
    pub fn prune(&self, keep: &BTreeSet<TileId>) -> Result<usize, TilesError> {
        let mut removed = 0;
        let Ok(zs) = std::fs::read_dir(&self.root) else { return Ok(0) };
        let rerr = |p: &Path, source| TilesError::Read { path: p.to_path_buf(), source };
        for zd in sorted(zs) {
            let Some(z) = number(&zd).and_then(|z| u8::try_from(z).ok()) else { continue };
            if !zd.is_dir() {
                continue;
            }
            for xd in sorted(std::fs::read_dir(&zd).map_err(|e| rerr(&zd, e))?) {
                let Some(x) = number(&xd) else { continue };
                if !xd.is_dir() {
                    continue;
                }
                for f in sorted(std::fs::read_dir(&xd).map_err(|e| rerr(&xd, e))?) {
                    let Some(name) = f.file_name().and_then(|n| n.to_str()) else { continue };
                    let Some(stem) = name.strip_suffix(".png").and_then(|n| n.strip_suffix(self.suffix.as_str()))
                    else {
                        continue;
                    };
                    // `12@2x.png` is not a 1× tile: the stem must be all digits.
                    let Ok(y) = stem.parse::<u32>() else { continue };
                    if !stem.bytes().all(|b| b.is_ascii_digit()) {
                        continue;
                    }
                    let keep_it = TileId::new(z, x, y).is_some_and(|t| keep.contains(&t));
                    if !keep_it {
                        std::fs::remove_file(&f).map_err(|e| TilesError::Write { path: f.clone(), source: e })?;
                        removed += 1;
                    }
                }
                let _ = std::fs::remove_dir(&xd); // only succeeds when empty
            }
            let _ = std::fs::remove_dir(&zd);
        }
        Ok(removed)
    }
}

/// The mark of a pyramid being written ([`TileDir::begin_writes`]).
pub const WRITING: &str = ".writing";

/// If the last run writing the pyramid under `root` was killed (its mark is still there), remove the
/// temporary files it left beside the tiles, then the mark. One `stat` when it was not.
pub fn clean_interrupted(root: &Path) {
    let mark = root.join(WRITING);
    if !mark.exists() {
        return;
    }
    let dirs = |d: &Path| -> Vec<PathBuf> {
        std::fs::read_dir(d).into_iter().flatten().flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect()
    };
    for xd in dirs(root).iter().flat_map(|zd| dirs(zd)) {
        crate::atomic::remove_stale_temps_in(&xd);
    }
    let _ = std::fs::remove_file(mark);
}

fn sorted(rd: std::fs::ReadDir) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    v.sort();
    v
}

fn number(p: &Path) -> Option<u32> {
    let name = p.file_name()?.to_str()?;
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    name.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_run_killed_mid_write_left_goes_when_its_mark_is_found() {
        let root = std::env::temp_dir().join(format!("frontmap-interrupted-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let dir = TileDir::new(&root, "");
        let t = TileId::new(5, 19, 12).unwrap_or_else(|| panic!("tile"));
        dir.begin_writes().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(dir.put(&t, b"png").ok(), Some(Stored::Written));
        // Killed here: the mark stays, with a half-written tile of that (other) process beside a tile.
        let half = root.join("5/19/.13.png.tmp-1");
        std::fs::write(&half, b"half").unwrap_or_else(|e| panic!("{e}"));
        clean_interrupted(&root);
        assert!(!half.exists() && !root.join(WRITING).exists());
        assert_eq!(std::fs::read(dir.path(&t)).ok(), Some(b"png".to_vec()));
        // A run that ended leaves no mark, and nothing is listed.
        dir.begin_writes().unwrap_or_else(|e| panic!("{e}"));
        dir.end_writes();
        std::fs::write(&half, b"half").unwrap_or_else(|e| panic!("{e}"));
        clean_interrupted(&root);
        assert!(half.exists());
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn present_lists_the_tiles_whose_files_exist_and_nothing_else() {
        let root = std::env::temp_dir().join(format!("frontmap-present-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let dir = TileDir::new(&root, "");
        let t = |z, x, y| TileId::new(z, x, y).unwrap_or_else(|| panic!("tile {z}/{x}/{y}"));
        let asked = [t(3, 1, 2), t(3, 1, 3), t(3, 2, 2), t(4, 0, 0)];
        dir.create_dirs(&asked).unwrap_or_else(|e| panic!("{e}"));
        for p in [dir.path(&asked[0]), dir.path(&asked[2]), dir.path(&t(3, 1, 7))] {
            std::fs::write(p, b"png").unwrap_or_else(|e| panic!("{e}"));
        }
        // Not tiles: a directory named like one, a temporary file, another suffix.
        std::fs::create_dir_all(root.join("4/0/0.png")).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(root.join("3/1/.3.png.tmp-1"), b"").unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(root.join("3/1/3@2x.png"), b"").unwrap_or_else(|e| panic!("{e}"));
        let mut found: Vec<TileId> = dir.present(&asked).into_iter().collect();
        found.sort();
        assert_eq!(found, vec![asked[0], asked[2]]);
        let _ = std::fs::remove_dir_all(&root);
    }
}
