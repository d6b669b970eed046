//! A file's bytes mapped read-only: the previous PMTiles archive (megabytes) is read in place, not copied
//! into fresh heap pages, when an edit rewrites it around a few new tiles.
//!
//! The mapping is only made of a file the build itself wrote and replaces by renaming (never truncating),
//! under the build lock: no writer of ours shrinks it while it is mapped. Elsewhere than Unix the file is
//! read whole.

use std::path::Path;

/// The bytes of a file, mapped (Unix) or read.
pub struct Mapped {
    #[cfg(unix)]
    map: Option<(std::ptr::NonNull<libc::c_void>, usize)>,
    #[cfg(not(unix))]
    bytes: Vec<u8>,
}

// SAFETY: the mapping is read-only and private to this value; it is shared as `&[u8]` only.
unsafe impl Send for Mapped {}
// SAFETY: as above.
unsafe impl Sync for Mapped {}

impl Mapped {
    /// Map (or read) the file at `path`.
    #[cfg(unix)]
    pub fn open(path: &Path) -> std::io::Result<Mapped> {
        use std::os::fd::AsRawFd;
        let file = std::fs::File::open(path)?;
        let len = usize::try_from(file.metadata()?.len()).map_err(std::io::Error::other)?;
        if len == 0 {
            return Ok(Mapped { map: None });
        }
        // SAFETY: a fresh read-only private mapping of an open descriptor, `len` bytes (the file's size); the
        // descriptor may close once mapped.
        let ptr =
            unsafe { libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ, libc::MAP_PRIVATE, file.as_raw_fd(), 0) };
        if ptr == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        Ok(Mapped { map: std::ptr::NonNull::new(ptr).map(|p| (p, len)) })
    }

    /// Read the file at `path`.
    #[cfg(not(unix))]
    pub fn open(path: &Path) -> std::io::Result<Mapped> {
        Ok(Mapped { bytes: std::fs::read(path)? })
    }

    /// The file's bytes.
    pub fn bytes(&self) -> &[u8] {
        #[cfg(unix)]
        return match self.map {
            // SAFETY: `len` bytes mapped readable at `p` for as long as `self` lives.
            Some((p, len)) => unsafe { std::slice::from_raw_parts(p.as_ptr().cast::<u8>(), len) },
            None => &[],
        };
        #[cfg(not(unix))]
        return &self.bytes;
    }
}

#[cfg(unix)]
impl Drop for Mapped {
    fn drop(&mut self) {
        if let Some((p, len)) = self.map.take() {
            // SAFETY: unmaps exactly the mapping `open` made; no slice of it outlives `self`.
            unsafe { libc::munmap(p.as_ptr(), len) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mapped_file_reads_as_its_bytes_and_an_empty_or_missing_one_is_told_apart() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (full, empty) = (dir.path().join("a.bin"), dir.path().join("empty.bin"));
        let bytes: Vec<u8> = (0..100_000u32).map(|i| (i % 253) as u8).collect();
        std::fs::write(&full, &bytes).expect("write");
        std::fs::write(&empty, b"").expect("write");
        assert_eq!(Mapped::open(&full).expect("map").bytes(), &bytes[..]);
        assert!(Mapped::open(&empty).expect("map").bytes().is_empty());
        assert!(Mapped::open(&dir.path().join("missing.bin")).is_err());
    }
}
