//! Writing files so that a crash never leaves one half-written.
//!
//! Every output goes to a temporary file in the same directory, is flushed, then renamed over the
//! target: readers see the old file or the new one, never a prefix.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Write `bytes` to `path` atomically, creating parent directories. Returns whether the file changed
/// (an identical file is left untouched, so its mtime stays).
pub fn write(path: &Path, bytes: &[u8]) -> std::io::Result<bool> {
    if holds(path, bytes).unwrap_or(false) {
        return Ok(false);
    }
    replace(path, bytes).map(|()| true)
}

/// Whether the file at `path` holds exactly `bytes`: its size first, then its content a block at a time
/// (never the whole old file in memory beside the new bytes: a parse cache or a layer can be tens of
/// megabytes).
fn holds(path: &Path, bytes: &[u8]) -> std::io::Result<bool> {
    let f = std::fs::File::open(path)?;
    if f.metadata()?.len() != bytes.len() as u64 {
        return Ok(false);
    }
    same_stream(std::io::BufReader::new(f), bytes)
}

/// Write `bytes` to `path` atomically, without first comparing them with the file (for a caller that
/// already knows they differ).
pub fn replace(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = temp_path(path);
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_data()?;
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// The temporary sibling used while writing `path`.
pub fn temp_path(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

/// Whether a file name is a temporary sibling ([`temp_path`]) left by another process: a build killed
/// mid-write leaves one for the next build to remove. Our own are never stale (they may be being written
/// right now).
pub fn is_stale_temp(name: &str) -> bool {
    match name.strip_prefix('.').and_then(|n| n.rsplit_once(".tmp-")) {
        Some((_, pid)) => pid != std::process::id().to_string(),
        None => false,
    }
}

/// Remove the temporary files other processes left in `dir` ([`is_stale_temp`]); a directory that cannot
/// be read has none to remove.
pub fn remove_stale_temps_in(dir: &Path) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if is_stale_temp(&e.file_name().to_string_lossy()) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// [`write()`] for a file too large to hold in memory: `fill` streams it into a temporary sibling, which
/// replaces `path` only when its bytes differ (an identical file is left untouched, so its mtime stays).
/// Returns what `fill` returned and whether the file changed; `io_err` wraps the I/O errors.
pub fn write_streamed<T, E>(
    path: &Path,
    io_err: impl Fn(std::io::Error) -> E,
    fill: impl FnOnce(&mut dyn Write) -> Result<T, E>,
) -> Result<(T, bool), E> {
    let (value, staged) = stage(path, &io_err, fill)?;
    if staged.unchanged() {
        return Ok((value, false));
    }
    staged.commit().map_err(&io_err)?;
    Ok((value, true))
}

/// A new version of a file, written in full beside it and not yet in its place: the caller can compare it
/// with the old one (both on disk, neither in memory) before [`Staged::commit`] renames it over the old.
/// Dropped uncommitted, it is removed.
#[derive(Debug)]
pub struct Staged {
    path: PathBuf,
    tmp: PathBuf,
    file: Option<std::fs::File>,
}

/// Stream a new version of `path` into a temporary sibling with `fill` (the first half of
/// [`write_streamed`]); `io_err` wraps the I/O errors.
pub fn stage<T, E>(
    path: &Path,
    io_err: impl Fn(std::io::Error) -> E,
    fill: impl FnOnce(&mut dyn Write) -> Result<T, E>,
) -> Result<(T, Staged), E> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(&io_err)?;
    }
    let tmp = temp_path(path);
    let f = std::fs::File::create(&tmp).map_err(&io_err)?;
    // Owns the temporary file from here, so an error below removes it.
    let mut staged = Staged { path: path.to_path_buf(), tmp, file: None };
    let mut w = std::io::BufWriter::with_capacity(1 << 16, f);
    let value = fill(&mut w)?;
    staged.file = Some(w.into_inner().map_err(|e| io_err(e.into_error()))?);
    Ok((value, staged))
}

impl Staged {
    /// The new version, as written so far.
    pub fn temp(&self) -> &Path {
        &self.tmp
    }

    /// Whether the file in place already holds the same bytes (false when there is none or it cannot be
    /// read).
    pub fn unchanged(&self) -> bool {
        same_bytes(&self.tmp, &self.path).unwrap_or(false)
    }

    /// Flush the new version to disk and rename it over the old.
    pub fn commit(mut self) -> std::io::Result<()> {
        if let Some(f) = self.file.take() {
            f.sync_data()?;
        }
        std::fs::rename(&self.tmp, &self.path)?;
        // Renamed: nothing left for `drop` to remove.
        self.tmp = PathBuf::new();
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.tmp.as_os_str().is_empty() {
            self.file.take();
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Whether two files hold the same bytes, compared a block at a time.
fn same_bytes(a: &Path, b: &Path) -> std::io::Result<bool> {
    let (fa, fb) = (std::fs::File::open(a)?, std::fs::File::open(b)?);
    if fa.metadata()?.len() != fb.metadata()?.len() {
        return Ok(false);
    }
    same_stream(std::io::BufReader::new(fa), std::io::BufReader::new(fb))
}

/// Whether two readers yield the same bytes, read a block at a time.
fn same_stream(mut a: impl std::io::Read, mut b: impl std::io::Read) -> std::io::Result<bool> {
    let (mut ba, mut bb) = (vec![0u8; 1 << 16], vec![0u8; 1 << 16]);
    loop {
        let n = a.read(&mut ba)?;
        if n == 0 {
            return Ok(b.read(&mut bb[..1])? == 0);
        }
        match b.read_exact(&mut bb[..n]) {
            Ok(()) if ba[..n] == bb[..n] => {}
            Ok(()) => return Ok(false),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(false),
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_of_the_same_bytes_leaves_the_file_alone_and_any_difference_replaces_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("big.bin");
        let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        assert!(write(&path, &bytes).expect("first write"));
        assert!(!write(&path, &bytes).expect("same bytes"));
        for edit in [0, 65_536, 199_999] {
            let mut other = bytes.clone();
            other[edit] ^= 1;
            assert!(write(&path, &other).expect("changed byte"), "byte {edit}");
            assert_eq!(std::fs::read(&path).expect("read"), other);
            assert!(write(&path, &bytes).expect("back"));
        }
        assert!(write(&path, &bytes[..1000]).expect("shorter"));
        assert!(write(&path, &bytes).expect("longer"));
        assert_eq!(std::fs::read(&path).expect("read"), bytes);
    }

    #[test]
    fn a_staged_file_replaces_the_old_only_when_committed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("layer.json");
        std::fs::write(&path, "old").expect("write old");
        let io = |e: std::io::Error| e;
        let ((), staged) = stage(&path, io, |w| w.write_all(b"new")).expect("stage");
        assert!(!staged.unchanged());
        assert_eq!(std::fs::read_to_string(staged.temp()).expect("temp"), "new");
        let temp = staged.temp().to_path_buf();
        drop(staged);
        assert!(!temp.exists(), "an uncommitted version is removed");
        assert_eq!(std::fs::read_to_string(&path).expect("old kept"), "old");
        let ((), staged) = stage(&path, io, |w| w.write_all(b"new")).expect("stage");
        staged.commit().expect("commit");
        assert_eq!(std::fs::read_to_string(&path).expect("new"), "new");
        assert!(!write_streamed(&path, io, |w| w.write_all(b"new")).expect("same").1, "identical: untouched");
    }
}
