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
