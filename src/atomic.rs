//! Writing files so that a crash never leaves one half-written.
//!
//! Every output goes to a temporary file in the same directory, is flushed, then renamed over the
//! target: readers see the old file or the new one, never a prefix.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Write `bytes` to `path` atomically, creating parent directories. Returns whether the file changed
/// (an identical file is left untouched, so its mtime stays).
pub fn write(path: &Path, bytes: &[u8]) -> std::io::Result<bool> {
    if let Ok(old) = std::fs::read(path) {
        if old == bytes {
            return Ok(false);
        }
    }
    replace(path, bytes).map(|()| true)
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

/// [`write()`] for a file too large to hold in memory: `fill` streams it into a temporary sibling, which
/// replaces `path` only when its bytes differ (an identical file is left untouched, so its mtime stays).
/// Returns what `fill` returned and whether the file changed; `io_err` wraps the I/O errors.
pub fn write_streamed<T, E>(
    path: &Path,
    io_err: impl Fn(std::io::Error) -> E,
    fill: impl FnOnce(&mut dyn Write) -> Result<T, E>,
) -> Result<(T, bool), E> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(&io_err)?;
    }
    let tmp = temp_path(path);
    let result = (|| {
        let f = std::fs::File::create(&tmp).map_err(&io_err)?;
        let mut w = std::io::BufWriter::with_capacity(1 << 16, f);
        let value = fill(&mut w)?;
        let f = w.into_inner().map_err(|e| io_err(e.into_error()))?;
        if same_bytes(&tmp, path).unwrap_or(false) {
            drop(f);
            std::fs::remove_file(&tmp).map_err(&io_err)?;
            return Ok((value, false));
        }
        f.sync_data().map_err(&io_err)?;
        drop(f);
        std::fs::rename(&tmp, path).map_err(&io_err)?;
        Ok((value, true))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Whether two files hold the same bytes, compared a block at a time.
fn same_bytes(a: &Path, b: &Path) -> std::io::Result<bool> {
    use std::io::Read;
    let (fa, fb) = (std::fs::File::open(a)?, std::fs::File::open(b)?);
    if fa.metadata()?.len() != fb.metadata()?.len() {
        return Ok(false);
    }
    let (mut ra, mut rb) = (std::io::BufReader::new(fa), std::io::BufReader::new(fb));
    let (mut ba, mut bb) = (vec![0u8; 1 << 16], vec![0u8; 1 << 16]);
    loop {
        let n = ra.read(&mut ba)?;
        if n == 0 {
            return Ok(rb.read(&mut bb[..1])? == 0);
        }
        rb.read_exact(&mut bb[..n])?;
        if ba[..n] != bb[..n] {
            return Ok(false);
        }
    }
}
