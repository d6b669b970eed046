//! Rebuilding only what changed.
//!
//! A build records, beside its outputs, what it was made from: the committed [`manifest::Manifest`]
//! (inputs and outputs with content hashes, the same on every machine) and a private [`State`] in
//! `out/.cache/` (stat cache, the binary that built it, what each sheet and tile read), with the
//! per-article parses in a file beside it. The next build hashes its inputs (only files whose size or mtime moved are read again),
//! returns at once when nothing changed, and otherwise redoes only the articles, sheets and tiles whose
//! dependencies differ.

pub mod diff;
pub mod manifest;
pub mod parse_cache;

/// Postcard bytes in a buffer of exactly their size: the parse cache of 10,000 articles is tens of
/// megabytes, and a doubling `Vec` would hold up to twice that (and copy it) while it grows.
pub fn encode<T: serde::Serialize + ?Sized>(value: &T) -> postcard::Result<Vec<u8>> {
    let size = postcard::serialize_with_flavor(value, postcard::ser_flavors::Size::default())?;
    postcard::to_extend(value, Vec::with_capacity(size))
}

use manifest::ManifestError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// An opaque byte string kept in the state, read and written whole (serde's default is one element at a
/// time: the tiles' record is over a megabyte).
pub type Bytes = serde_bytes::ByteBuf;

/// Bump when [`State`] changes shape.
const STATE_FORMAT: u32 = 7;

/// Size, modification time and inode of a file: what a stat says without reading it. The inode tells
/// apart two files renamed into place within one tick of a coarse clock (every atomic write is a new
/// inode); it is 0 where the platform has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    pub len: u64,
    pub mtime_ns: u128,
    pub ino: u64,
}

impl Stamp {
    /// The stamp of a file, if it exists.
    pub fn of(path: &Path) -> Option<Stamp> {
        let m = std::fs::metadata(path).ok()?;
        let mtime_ns = m.modified().ok()?.duration_since(UNIX_EPOCH).ok()?.as_nanos();
        #[cfg(unix)]
        let ino = std::os::unix::fs::MetadataExt::ino(&m);
        #[cfg(not(unix))]
        let ino = 0;
        Some(Stamp { len: m.len(), mtime_ns, ino })
    }

    /// Whether the file was modified so recently that a later write in the same clock tick could leave
    /// the stamp unchanged ("racy" in git's words): such files are always hashed again.
    fn is_racy(&self) -> bool {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        now.saturating_sub(self.mtime_ns) < 2_000_000_000
    }
}

/// What the previous build of an output directory knew (`out/.cache/state.bin`). Never trusted beyond
/// what it can prove: an unreadable or foreign state is an empty one, and a full build follows.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct State {
    format: u32,
    /// The binary that made the outputs ([`crate::identity::binary`]).
    pub binary: String,
    /// Everything else that decides the outputs besides the input files (options, paths).
    pub config: String,
    /// Stat cache: absolute input path → (stamp, content hash).
    pub stats: BTreeMap<PathBuf, (Stamp, String)>,
    /// Inputs by manifest name ("articles/x.txt") → content hash.
    pub inputs: BTreeMap<String, String>,
    /// Every output file (relative to out/, tiles included) → its stamp when the build finished.
    pub outputs: BTreeMap<String, Stamp>,
    /// Every directory under out/ (relative to it) → its stamp when its files were last listed.
    pub dirs: BTreeMap<String, Stamp>,
    /// The output file system's clock just before those listings (the modification time of a file written
    /// for the purpose), in nanoseconds since the epoch; 0 when unknown. See [`State::record_outputs`].
    pub listed_at_ns: u128,
    /// The gazetteer's snapshot key, to find the previous gazetteer when describing an edit.
    pub gazetteer_key: String,
    /// The previous summary (counts, warnings), repeated by a build that had nothing to do.
    #[serde(with = "serde_bytes")]
    pub summary: Vec<u8>,
    /// Per-sheet and per-tile dependencies (opaque to this module: owned by the renderer and tiler).
    #[serde(with = "serde_bytes")]
    pub sheets: Vec<u8>,
    pub tiles: BTreeMap<String, Bytes>,
}

impl State {
    /// The directory of private build state inside an output directory.
    pub fn dir(out: &Path) -> PathBuf {
        out.join(".cache")
    }

    fn path(out: &Path) -> PathBuf {
        Self::dir(out).join("state.bin")
    }

    /// Where the per-article parses of the builds into `out` are kept ([`parse_cache::ParseCache::save`]).
    pub fn parses_path(out: &Path) -> PathBuf {
        Self::dir(out).join("parses.bin")
    }

    /// The state of the last build into `out` (empty when there is none or it cannot be read).
    pub fn load(out: &Path) -> State {
        std::fs::read(Self::path(out))
            .ok()
            .and_then(|b| postcard::from_bytes::<State>(&b).ok())
            .filter(|s| s.format == STATE_FORMAT)
            .unwrap_or_default()
    }

    /// Save atomically (last step of a build: a build killed earlier leaves the old state, whose inputs
    /// no longer match, so the next build redoes the work).
    pub fn save(&mut self, out: &Path) -> std::io::Result<()> {
        self.format = STATE_FORMAT;
        let bytes = encode(self).map_err(std::io::Error::other)?;
        // Its stamps and summary always differ from the last build's: no point reading the old file.
        crate::atomic::replace(&Self::path(out), &bytes)
    }

    /// Hash the files under `dir` (hidden ones excepted) into `inputs` as `prefix/relative/path`,
    /// reading only those whose stamp moved since the last build.
    pub fn hash_tree(
        &mut self,
        prefix: &str,
        dir: &Path,
        inputs: &mut BTreeMap<String, String>,
    ) -> Result<(), ManifestError> {
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            let rd = std::fs::read_dir(&d).map_err(|e| ManifestError { path: d.clone(), source: e })?;
            for entry in rd.flatten() {
                if entry.file_name().to_string_lossy().starts_with('.') {
                    continue;
                }
                let p = entry.path();
                let Ok(ft) = entry.file_type() else { continue };
                if ft.is_dir() {
                    stack.push(p);
                    continue;
                }
                let rel = p.strip_prefix(dir).unwrap_or(&p).to_string_lossy().replace('\\', "/");
                let hash = self.hash_file(&p)?;
                inputs.insert(format!("{prefix}/{rel}"), hash);
            }
        }
        Ok(())
    }

    /// The content hash of one input file, from the stat cache when its stamp is unchanged.
    pub fn hash_file(&mut self, p: &Path) -> Result<String, ManifestError> {
        let stamp = Stamp::of(p);
        if let (Some(s), Some((old, hash))) = (stamp, self.stats.get(p)) {
            if s == *old && !s.is_racy() {
                return Ok(hash.clone());
            }
        }
        let hash = manifest::hash_file(p).map_err(|e| ManifestError { path: p.to_path_buf(), source: e })?;
        if let Some(s) = stamp {
            self.stats.insert(p.to_path_buf(), (s, hash.clone()));
        }
        Ok(hash)
    }

    /// Whether every output recorded by the last build is still there, untouched (stat calls spread over
    /// the cores: a pyramid is thousands of files).
    pub fn outputs_intact(&self, out: &Path) -> bool {
        use rayon::prelude::*;
        let outputs: Vec<(&String, &Stamp)> = self.outputs.iter().collect();
        !outputs.is_empty() && outputs.par_iter().all(|(rel, stamp)| Stamp::of(&out.join(rel)) == Some(**stamp))
    }

    /// Record the stamps of the output files now in `out`, tiles included (hidden files excepted): a tile
    /// deleted or edited by hand makes the next build redo its work.
    ///
    /// A directory whose own stamp is unchanged since the last build listed it, and older than that listing
    /// in the file system's own clock ([`State::listed_at_ns`]; else a change in the same tick could have
    /// left the stamp as it was), keeps the stamps recorded then: every output is written to a temporary
    /// file renamed into place, which moves its directory's stamp, so the hundreds of tile columns an edit
    /// did not touch are neither listed nor their files stat'ed again (a third of the time an edit spent
    /// after rendering). `out/` itself is always listed: MBTiles is updated in place.
    pub fn record_outputs(&mut self, out: &Path) {
        use rayon::prelude::*;
        let (previous, previous_dirs) = (std::mem::take(&mut self.outputs), std::mem::take(&mut self.dirs));
        let previous_clock = std::mem::replace(&mut self.listed_at_ns, file_system_clock(out).unwrap_or(0));
        let mut to_stat: Vec<(String, PathBuf)> = Vec::new();
        let mut stack = vec![(String::new(), out.to_path_buf())];
        while let Some((rel_dir, d)) = stack.pop() {
            let Some(stamp) = Stamp::of(&d) else { continue };
            if !rel_dir.is_empty() {
                self.dirs.insert(rel_dir.clone(), stamp);
                if previous_dirs.get(&rel_dir) == Some(&stamp) && stamp.mtime_ns < previous_clock {
                    let prefix = format!("{rel_dir}/");
                    for (rel, s) in direct_children(&previous, &prefix) {
                        self.outputs.insert(rel.clone(), *s);
                    }
                    for (rel, _) in direct_children(&previous_dirs, &prefix) {
                        stack.push((rel.clone(), out.join(rel)));
                    }
                    continue;
                }
            }
            let Ok(rd) = std::fs::read_dir(&d) else { continue };
            for entry in rd.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') {
                    continue;
                }
                let rel = if rel_dir.is_empty() { name } else { format!("{rel_dir}/{name}") };
                if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    stack.push((rel, entry.path()));
                } else {
                    to_stat.push((rel, entry.path()));
                }
            }
        }
        let stamped: Vec<(String, Stamp)> =
            to_stat.into_par_iter().filter_map(|(rel, p)| Stamp::of(&p).map(|s| (rel, s))).collect();
        self.outputs.extend(stamped);
    }
}

/// The current time of the file system of `out`, as it stamps files: the modification time of a file written
/// now in `out/.cache`. A directory whose stamp is older than this, in that same clock, was last modified in
/// an earlier tick of it: listed after this reading, any later change moves its stamp (git's rule for "racy"
/// entries, whatever the file system's timestamp granularity). `None` if the file cannot be written.
fn file_system_clock(out: &Path) -> Option<u128> {
    let path = State::dir(out).join("clock");
    std::fs::create_dir_all(State::dir(out)).ok()?;
    // Written, not just opened: every write of data moves a file's modification time.
    std::fs::write(&path, b"frontmap\n").ok()?;
    Stamp::of(&path).map(|s| s.mtime_ns)
}

/// The entries of `map` (keyed by relative path) directly under the directory `prefix` ("a/b/"): contiguous in a
/// sorted map, so a range scan.
fn direct_children<'a, V>(map: &'a BTreeMap<String, V>, prefix: &'a str) -> impl Iterator<Item = (&'a String, &'a V)> {
    map.range(prefix.to_string()..)
        .take_while(move |(k, _)| k.starts_with(prefix))
        .filter(move |(k, _)| !k[prefix.len()..].contains('/'))
}

/// A build's hold on its output directory (an advisory lock on the directory itself, so no file is added;
/// the system releases it when the process ends, however it ends). Two builds of one `out/` — a `watch`
/// session and a `build` run by hand — would write the same files and each clear the other's temporary
/// files: the second waits.
#[derive(Debug)]
pub struct BuildLock {
    _file: std::fs::File,
}

impl BuildLock {
    /// Take the lock of `out`, waiting (and saying so on stderr) while another build holds it.
    pub fn acquire(out: &Path) -> std::io::Result<BuildLock> {
        let file = std::fs::File::open(out)?;
        if !flock(&file, false)? {
            eprintln!("waiting for another build of {} to finish", out.display());
            flock(&file, true)?;
        }
        Ok(BuildLock { _file: file })
    }
}

/// An exclusive `flock` on `file`: `Ok(false)` if another process holds it and `wait` is false.
#[cfg(unix)]
fn flock(file: &std::fs::File, wait: bool) -> std::io::Result<bool> {
    use std::os::fd::AsRawFd;
    let op = if wait { libc::LOCK_EX } else { libc::LOCK_EX | libc::LOCK_NB };
    loop {
        // SAFETY: `flock` on a descriptor this `File` owns and keeps open; no memory is touched.
        if unsafe { libc::flock(file.as_raw_fd(), op) } == 0 {
            return Ok(true);
        }
        let e = std::io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EWOULDBLOCK) if !wait => return Ok(false),
            _ => return Err(e),
        }
    }
}

/// No advisory locks here: builds of one directory are not kept apart.
#[cfg(not(unix))]
fn flock(_file: &std::fs::File, _wait: bool) -> std::io::Result<bool> {
    Ok(true)
}

/// Remove the temporary files an interrupted build left in `out` and `out/maps`.
pub fn remove_stale_temps(out: &Path) {
    for d in [out.to_path_buf(), out.join("maps")] {
        crate::atomic::remove_stale_temps_in(&d);
    }
}

/// Which input groups an output of `out/` depends on (the manifest lists them).
pub fn output_inputs(rel: &str) -> Vec<String> {
    let groups: &[&str] = if rel == "events.qml" {
        &["tool"]
    } else if rel.starts_with("maps/")
        || rel.starts_with("tiles")
        || rel == "index.html"
        || rel == crate::viewer::DATA_FILE
    {
        &["articles", "gazetteer", "styles", "tool"]
    } else if rel.starts_with("vendor/") || rel.ends_with(".js") || rel.ends_with(".css") {
        &["tool"]
    } else {
        &["articles", "gazetteer", "tool"]
    };
    groups.iter().map(|g| g.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Directories `a/` (holding `x.png`) and `b/` (holding `y.png`) under `out`.
    fn two_columns(out: &Path) -> (PathBuf, PathBuf) {
        let (a, b) = (out.join("a"), out.join("b"));
        for (d, f) in [(&a, "x.png"), (&b, "y.png")] {
            std::fs::create_dir_all(d).expect("dir");
            std::fs::write(d.join(f), b"tile").expect("write");
        }
        (a, b)
    }

    #[test]
    fn a_directory_untouched_since_it_was_listed_keeps_its_stamps_and_a_touched_one_is_listed_again() {
        let out = tempfile::tempdir().expect("temp dir");
        let (a, b) = two_columns(out.path());
        // Listed an hour ago, as far as the directories' stamps tell (not racy).
        let hour_ago = SystemTime::now() - std::time::Duration::from_secs(3600);
        for d in [&a, &b] {
            std::fs::File::open(d).and_then(|f| f.set_modified(hour_ago)).expect("set mtime");
        }
        let mut state = State::default();
        state.record_outputs(out.path());
        let before = state.outputs.clone();
        assert_eq!(before.keys().collect::<Vec<_>>(), ["a/x.png", "b/y.png"]);
        // A file rewritten in place leaves its directory's stamp alone; a file renamed in moves it.
        std::fs::write(b.join("y.png"), b"tile, longer").expect("rewrite");
        std::fs::write(a.join("z.png"), b"new").expect("write");
        state.record_outputs(out.path());
        assert_eq!(state.outputs.keys().collect::<Vec<_>>(), ["a/x.png", "a/z.png", "b/y.png"]);
        assert_eq!(state.outputs["b/y.png"], before["b/y.png"], "b/ was not listed again");
        assert_eq!(state.outputs["a/x.png"], before["a/x.png"]);
        // Its directory gone, a file goes from the record.
        std::fs::remove_dir_all(&b).expect("remove");
        state.record_outputs(out.path());
        assert_eq!(state.outputs.keys().collect::<Vec<_>>(), ["a/x.png", "a/z.png"]);
        assert!(!state.dirs.contains_key("b"));
    }

    #[test]
    fn a_directory_listed_after_its_last_change_is_trusted_however_young_and_one_changed_later_is_not() {
        let out = tempfile::tempdir().expect("temp dir");
        let (a, b) = two_columns(out.path());
        // b's stamp is in the future of the listing's clock: as if changed in the tick of the listing.
        let later = SystemTime::now() + std::time::Duration::from_secs(3600);
        std::fs::File::open(&b).and_then(|f| f.set_modified(later)).expect("set mtime");
        // Both directories were last changed more than a clock tick before they are listed, a moment ago.
        std::thread::sleep(std::time::Duration::from_millis(50));
        let mut state = State::default();
        state.record_outputs(out.path());
        assert!(state.listed_at_ns > 0, "the file system's clock was read");
        let before = state.outputs.clone();
        // Files rewritten in place leave their directories' stamps alone.
        std::fs::write(a.join("x.png"), b"tile, longer").expect("rewrite");
        std::fs::write(b.join("y.png"), b"tile, longer").expect("rewrite");
        state.record_outputs(out.path());
        assert_eq!(state.outputs["a/x.png"], before["a/x.png"], "a/, listed after its last change, was trusted");
        assert_ne!(
            state.outputs["b/y.png"], before["b/y.png"],
            "b/, possibly changed as it was listed, was listed again"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_file_renamed_over_another_of_the_same_size_and_time_has_another_stamp() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (path, other) = (dir.path().join("tiles.pmtiles"), dir.path().join("next"));
        let time = UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
        for (p, bytes) in [(&path, b"aaaa"), (&other, b"bbbb")] {
            let f = std::fs::File::create(p).expect("create");
            std::io::Write::write_all(&mut &f, bytes).expect("write");
            f.set_modified(time).expect("mtime");
        }
        let before = Stamp::of(&path).expect("stamp");
        std::fs::rename(&other, &path).expect("rename");
        let after = Stamp::of(&path).expect("stamp");
        assert_eq!((before.len, before.mtime_ns), (after.len, after.mtime_ns));
        assert_ne!(before, after, "same size and time, another file");
    }
}
