//! Opening a gazetteer from a snapshot of its loaded form, keyed by the content of its files.
//!
//! Loading means parsing megabytes of GeoJSON and GeoNames text and building the alias transducer: a
//! few hundred milliseconds for the bundled gazetteer, seconds for all of cities500. Most runs read an
//! unchanged gazetteer, so the loaded form is kept on disk (`postcard`) under a key made of every file's
//! path and bytes plus the identity of the frontmap binary: any edit, or a new frontmap, misses the cache
//! and rebuilds it. A snapshot that cannot be read is ignored, never trusted.
//!
//! An edit misses the snapshot, but rarely the rest (issue 7): each source file's parsed form is cached
//! under a key of its own bytes (`gazpart-*`), so only edited files are parsed again before the merge — a
//! GeoNames file block by block ([`geonames::blocks`]), so editing one row of it parses one block — and
//! the alias and skeleton indexes under a digest of the names they index (`gazindex-*`), so an edit that
//! moves a place reuses them (those of the gazetteer cached last are decoded while the files are merged). Each gazetteer also keeps its places one by one with a digest each
//! (`gazplaces-*`): the next build tells what an edit did by decoding only the places that differ. The
//! snapshot itself holds the rest and names its indexes entry, so an edit writes each part once. These
//! entries and the snapshot are written after the gazetteer is in use; every entry is read as untrusted
//! (any that does not decode is a miss), and the cache keeps the entries of the last eight gazetteers.

use super::diff::{PlaceChange, changes_among};
use super::index::{self, AliasIndex, IndexParts};
use super::skeleton::SkeletonIndex;
use super::{Gazetteer, GazetteerError, Merger, Parsed, Place, Reader, geonames, merge_into, parse_source, sources};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// Bump when the loaded form changes shape or meaning.
const SNAPSHOT_FORMAT: u32 = 4;

/// The loaded form of a gazetteer under its content key (`gazetteer-KEY.bin`), less what other entries
/// hold: its places are the `gazplaces-KEY.bin` entry and its indexes the `gazindex-*` entry it names. An
/// edit used to write every place and the whole index twice over (a third of its cache writer's work).
#[derive(Serialize, Deserialize)]
pub(super) struct Snapshot {
    pub format: u32,
    pub index_entry: String,
    pub by_id: Vec<(String, usize)>,
    pub redirects: Vec<(String, usize)>,
    pub common_words: Vec<String>,
    pub files: Vec<PathBuf>,
    pub parents: Vec<Option<u32>>,
}

/// A [`Snapshot`] as written, borrowing the gazetteer's parts (the same bytes).
#[derive(Serialize)]
pub(super) struct SnapshotRef<'a> {
    pub format: u32,
    pub index_entry: &'a str,
    pub by_id: Vec<(&'a str, usize)>,
    pub redirects: Vec<(&'a str, usize)>,
    pub common_words: Vec<&'a str>,
    pub files: &'a [PathBuf],
    pub parents: &'a [Option<u32>],
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

/// What every cache key starts with: a new frontmap, or a new loaded form, misses every entry.
fn key_header(what: &str) -> String {
    format!("frontmap {} {what} {SNAPSHOT_FORMAT} {}\n", env!("CARGO_PKG_VERSION"), crate::identity::binary())
}

/// The files of a gazetteer directory, read and hashed once: the content key, and each file's bytes (what
/// is parsed is exactly what was hashed).
pub struct Inputs {
    /// The content key of the whole directory (see [`content_key`]).
    pub key: String,
    files: HashMap<PathBuf, (blake3::Hash, Vec<u8>)>,
    dir: PathBuf,
}

impl Inputs {
    /// Read and hash every file of `dir`.
    pub fn read(dir: &Path) -> Result<Inputs, GazetteerError> {
        let mut h = blake3::Hasher::new();
        h.update(key_header("snapshot").as_bytes());
        h.update(include_str!("../../lexicon/common-words.txt").as_bytes());
        // Read and hashed side by side (megabytes of GeoJSON and GeoNames, before anything else can start),
        // then keyed in directory order.
        let read: Vec<(PathBuf, blake3::Hash, Vec<u8>)> = gazetteer_files(dir)?
            .into_par_iter()
            .map(|f| {
                let bytes = std::fs::read(&f).map_err(|e| GazetteerError::Io { path: f.clone(), source: e })?;
                Ok((f, blake3::hash(&bytes), bytes))
            })
            .collect::<Result<_, GazetteerError>>()?;
        let mut files = HashMap::with_capacity(read.len());
        for (f, hash, bytes) in read {
            let rel = f.strip_prefix(dir).unwrap_or(&f);
            h.update(rel.to_string_lossy().as_bytes());
            h.update(&(bytes.len() as u64).to_le_bytes());
            h.update(hash.as_bytes());
            files.insert(f, (hash, bytes));
        }
        Ok(Inputs { key: h.finalize().to_hex().to_string(), files, dir: dir.to_path_buf() })
    }

    /// The bytes of a source file and the key of its parsed form in the cache.
    fn source(&self, path: &Path) -> Result<(String, std::borrow::Cow<'_, [u8]>), GazetteerError> {
        let rel = path.strip_prefix(&self.dir).unwrap_or(path);
        let (hash, bytes) = match self.files.get(path) {
            Some((hash, bytes)) => (*hash, std::borrow::Cow::Borrowed(bytes.as_slice())),
            // A file the directory walk skips (a hidden GeoNames file) is still loaded: read it now.
            None => {
                let bytes =
                    std::fs::read(path).map_err(|e| GazetteerError::Io { path: path.to_path_buf(), source: e })?;
                (blake3::hash(&bytes), std::borrow::Cow::Owned(bytes))
            }
        };
        let mut h = blake3::Hasher::new();
        h.update(key_header("part").as_bytes());
        h.update(rel.to_string_lossy().as_bytes());
        h.update(hash.as_bytes());
        Ok((h.finalize().to_hex()[..32].to_string(), bytes))
    }
}

/// The content key of a gazetteer directory.
pub fn content_key(dir: &Path) -> Result<String, GazetteerError> {
    Inputs::read(dir).map(|i| i.key)
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

/// What a loaded gazetteer was made of, kept beside its snapshot (`gazetteer-KEY.parts`): the cache
/// entries of its parsed source files and of its indexes, so pruning keeps those still in use.
#[derive(Serialize, Deserialize)]
struct Manifest {
    format: u32,
    entries: Vec<String>,
}

/// The alias and skeleton indexes as cached (`gazindex-KEY.bin`).
#[derive(Serialize, Deserialize)]
struct CachedIndexes {
    format: u32,
    index: IndexParts,
    skeletons: SkeletonIndex,
}

/// Cache entries a miss made, written after the gazetteer is in use (a build does it on a thread of its
/// own, off the gazetteer stage): parsed files and indexes first, then the places, then the snapshot
/// that needs both, then the manifest that references them all, so no entry names one not written.
pub struct CacheWrites {
    cache: PathBuf,
    key: String,
    entries: Vec<Entry>,
    /// The `gazindex-*` entry of this gazetteer's indexes (among `entries` when this miss built them).
    index_entry: String,
    manifest: Manifest,
}

impl CacheWrites {
    /// Write the entries, the snapshot of `g` and the manifest, then prune the cache. A cache that cannot
    /// be written is only a slower next run.
    pub fn write(self, g: &Gazetteer) {
        let places = PlacesEntry::bytes(&g.places);
        self.write_with(g, places);
    }

    /// The entry of `g`'s places one by one ([`CacheWrites::write`] writes it): a caller that also tells what
    /// an edit did reads the places' digests from it ([`Gazetteer::changes_since_key_given`]) rather than
    /// digesting every place a second time.
    pub fn places_entry(&self, g: &Gazetteer) -> Option<Vec<u8>> {
        PlacesEntry::bytes(&g.places)
    }

    /// [`CacheWrites::write`], with the places entry already made by [`CacheWrites::places_entry`].
    pub fn write_with(self, g: &Gazetteer, places: Option<Vec<u8>>) {
        for (path, bytes) in &self.entries {
            if crate::atomic::write(path, bytes).is_err() {
                return;
            }
        }
        let places = places
            .is_some_and(|b| crate::atomic::write(&self.cache.join(format!("gazplaces-{}.bin", self.key)), &b).is_ok());
        if let (true, Ok(bytes)) = (places, postcard::to_stdvec(&g.to_snapshot(&self.index_entry))) {
            let _ = crate::atomic::write(&self.cache.join(format!("gazetteer-{}.bin", self.key)), &bytes);
        }
        let manifest = self.cache.join(format!("gazetteer-{}.parts", self.key));
        if let Ok(bytes) = postcard::to_stdvec(&self.manifest) {
            if crate::atomic::write(&manifest, &bytes).is_ok() {
                prune(&self.cache);
            }
        }
    }
}

/// The indexes entry of the gazetteer whose cache manifest was written last, if any.
fn latest_index_entry(cache: &Path) -> Option<String> {
    let latest = std::fs::read_dir(cache)
        .ok()?
        .flatten()
        .filter(|e| e.file_name().to_str().is_some_and(|n| n.starts_with("gazetteer-") && n.ends_with(".parts")))
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .max()?;
    let manifest = read_entry::<Manifest>(&latest.1)?;
    manifest.entries.into_iter().find(|e| e.starts_with("gazindex-"))
}

/// A piece of a gazetteer directory loaded on its own: a file, or a block of rows of a GeoNames file (so an
/// edit of one row of a file of hundreds of thousands parses one block).
struct Unit<'a> {
    path: &'a Path,
    reader: Reader,
    what: What<'a>,
}

enum What<'a> {
    /// A whole file: the key of its parsed form in the cache, and its bytes.
    File(&'a str, &'a [u8]),
    Block(geonames::Block<'a>),
}

impl Unit<'_> {
    /// The parsed form, read from its cache entry (keyed by the bytes) or parsed (and then returned as an
    /// entry to write), with the name of its entry for the manifest.
    fn load(&self, cache: Option<&Path>) -> Result<Loaded<Parsed>, GazetteerError> {
        let name = match &self.what {
            What::File(part, _) => format!("gazpart-{part}.bin"),
            What::Block(b) => {
                let mut h = blake3::Hasher::new();
                h.update(key_header("geonames-block").as_bytes());
                h.update(b.bytes);
                format!("gazpart-{}.bin", &h.finalize().to_hex()[..32])
            }
        };
        let entry = cache.map(|c| c.join(&name));
        let parsed = match &self.what {
            What::File(..) => entry.as_deref().and_then(read_entry::<Parsed>),
            What::Block(_) => entry.as_deref().and_then(read_entry::<Vec<Place>>).map(Parsed::GeoNames),
        };
        if let Some(parsed) = parsed {
            return Ok((parsed, Vec::new(), vec![name]));
        }
        let (parsed, bytes) = match &self.what {
            What::File(_, bytes) => {
                let parsed = parse_source(self.path, self.reader, bytes)?;
                let bytes = postcard::to_stdvec(&parsed).ok();
                (parsed, bytes)
            }
            What::Block(b) => {
                let places = geonames::parse_block(self.path, b)?;
                let bytes = postcard::to_stdvec(&places).ok();
                (Parsed::GeoNames(places), bytes)
            }
        };
        let write = entry.zip(bytes);
        Ok((parsed, write.into_iter().collect(), vec![name]))
    }
}

/// A source as loaded: its parsed form, the cache entries to write, the names of the entries it stands on.
type Loaded<T> = (T, Vec<Entry>, Vec<String>);

/// A cache entry to write: its path and bytes.
type Entry = (PathBuf, Vec<u8>);

/// A cache entry decoded, or `None` if it is missing or unreadable (never trusted then).
fn read_entry<T: serde::de::DeserializeOwned>(path: &Path) -> Option<T> {
    postcard::from_bytes(&std::fs::read(path).ok()?).ok()
}

impl Gazetteer {
    /// Load a gazetteer directory, from its snapshot when one matches its current content.
    pub fn open(dir: &Path) -> Result<Gazetteer, GazetteerError> {
        Gazetteer::open_keyed(dir).map(|(g, _)| g)
    }

    /// [`Gazetteer::open`], also returning the content key (which [`Gazetteer::changes_since_key`] takes
    /// later, while its cache entries are kept, to tell what an edit changed).
    pub fn open_keyed(dir: &Path) -> Result<(Gazetteer, String), GazetteerError> {
        let inputs = Inputs::read(dir)?;
        let key = inputs.key.clone();
        let (g, writes) = Gazetteer::open_inputs(inputs)?;
        if let Some(w) = writes {
            w.write(&g);
        }
        Ok((g, key))
    }

    /// Open read inputs: the snapshot when one matches; else the files are merged from their cached
    /// parsed forms (parsing only the files not in the cache) and the indexes reused when the names they
    /// index are unchanged. The result equals [`Gazetteer::load_dir`]. The cache entries to write are
    /// returned, for the caller to write when it suits it.
    pub fn open_inputs(inputs: Inputs) -> Result<(Gazetteer, Option<CacheWrites>), GazetteerError> {
        Gazetteer::open_inputs_in(inputs, cache_dir())
    }

    /// [`Gazetteer::open_inputs`] with this cache directory (`None`: no cache).
    fn open_inputs_in(
        inputs: Inputs,
        cache: Option<PathBuf>,
    ) -> Result<(Gazetteer, Option<CacheWrites>), GazetteerError> {
        if let Some(g) = cache.as_deref().and_then(|c| Gazetteer::from_key_in(&inputs.key, c)) {
            return Ok((g, None));
        }
        // The indexes of the gazetteer cached last, decoded while this one is parsed and merged: an edit that
        // moves a place indexes the same names, and their decoding was a fifth of the edit's gazetteer time.
        let prefetch = cache.as_deref().and_then(latest_index_entry).map(|name| {
            let path = cache.as_deref().map(|c| c.join(&name)).unwrap_or_default();
            (name, std::thread::spawn(move || read_entry::<CachedIndexes>(&path)))
        });
        let sources = sources(&inputs.dir)?;
        let files: Vec<(String, std::borrow::Cow<'_, [u8]>)> =
            sources.iter().map(|(path, _)| inputs.source(path)).collect::<Result<_, _>>()?;
        // Every file, GeoNames files block by block, in load order.
        let mut units = Vec::new();
        for ((path, reader), (part, bytes)) in sources.iter().zip(&files) {
            match reader {
                Reader::GeoNames => units.extend(geonames::blocks(bytes).into_iter().map(|b| Unit {
                    path,
                    reader: *reader,
                    what: What::Block(b),
                })),
                _ => units.push(Unit { path, reader: *reader, what: What::File(part, bytes) }),
            }
        }
        // Units are read or parsed on every core while this thread merges them in order as they come: the
        // merge of a GeoNames file's first blocks overlaps the decoding of its last.
        let mut entries = Vec::new();
        let mut manifest = Manifest { format: SNAPSHOT_FORMAT, entries: Vec::new() };
        let mut m = Merger::default();
        std::thread::scope(|s| {
            let (done, arrived) = std::sync::mpsc::channel();
            let (units, cache) = (&units, cache.as_deref());
            s.spawn(move || {
                units.par_iter().enumerate().for_each_with(done, |done, (i, u)| {
                    let _ = done.send((i, u.load(cache)));
                });
            });
            let mut waiting = std::collections::BTreeMap::new();
            let mut next = 0;
            while next < units.len() {
                match waiting.remove(&next) {
                    Some(loaded) => {
                        // The first unit in load order that fails is the one reported.
                        let (content, writes, names): Loaded<Parsed> = loaded?;
                        entries.extend(writes);
                        manifest.entries.extend(names);
                        merge_into(&mut m, units[next].path, units[next].reader, content)?;
                        next += 1;
                    }
                    // A closed channel with units missing is a panic, which the scope re-raises.
                    None => match arrived.recv() {
                        Ok((i, loaded)) => {
                            waiting.insert(i, loaded);
                        }
                        Err(_) => break,
                    },
                }
            }
            Ok::<(), GazetteerError>(())
        })?;
        let files = sources.iter().map(|(p, _)| p.clone()).collect();
        let mut index_entry = String::new();
        let g = Gazetteer::from_merger_with(m, files, |places, common| {
            let mut h = blake3::Hasher::new();
            h.update(key_header("index").as_bytes());
            h.update(index::names_digest(places, common).as_bytes());
            let name = format!("gazindex-{}.bin", &h.finalize().to_hex()[..32]);
            let entry = cache.as_ref().map(|c| c.join(&name));
            index_entry.clone_from(&name);
            manifest.entries.push(name);
            let cached = match prefetch {
                Some((guess, read)) if guess == index_entry => read.join().ok().flatten(),
                // A wrong guess is left to finish on its own.
                _ => entry.as_deref().and_then(read_entry::<CachedIndexes>),
            };
            let cached = cached.filter(|c| c.format == SNAPSHOT_FORMAT);
            if let Some(index) = cached.and_then(|c| Some((AliasIndex::from_parts(c.index)?, c.skeletons))) {
                return index;
            }
            let (index, skeletons) = (AliasIndex::build(places, common), SkeletonIndex::build(places));
            let c = CachedIndexes { format: SNAPSHOT_FORMAT, index: index.to_parts(), skeletons: skeletons.clone() };
            entries.extend(entry.and_then(|e| postcard::to_stdvec(&c).ok().map(|b| (e, b))));
            (index, skeletons)
        });
        let key = inputs.key[..32].to_string();
        let writes = cache.map(|cache| CacheWrites { cache, key, entries, index_entry, manifest });
        Ok((g, writes))
    }

    /// The gazetteer snapshotted under a content key, if the snapshot is still kept and readable.
    pub fn from_key(key: &str) -> Option<Gazetteer> {
        Gazetteer::from_key_in(key, &cache_dir()?)
    }

    fn from_key_in(key: &str, cache: &Path) -> Option<Gazetteer> {
        let key = key.get(..32)?;
        let head = read_entry::<Snapshot>(&cache.join(format!("gazetteer-{key}.bin")))?;
        // The snapshot names its indexes entry: one of ours ("gazindex-" and hex digits), never a path.
        let digits = head.index_entry.strip_prefix("gazindex-").and_then(|n| n.strip_suffix(".bin"))?;
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let indexes =
            read_entry::<CachedIndexes>(&cache.join(&head.index_entry)).filter(|c| c.format == SNAPSHOT_FORMAT)?;
        let bytes = std::fs::read(cache.join(format!("gazplaces-{key}.bin"))).ok()?;
        let places = PlacesEntry::parse(&bytes)?;
        let places = (0..places.head.ids.len()).into_par_iter().map(|i| places.place(i)).collect::<Option<Vec<_>>>()?;
        Gazetteer::from_snapshot(head, places, indexes.index, indexes.skeletons)
    }

    /// What changed since the gazetteer opened under an earlier content key, place by place (see
    /// [`super::diff::place_changes`]): only the places whose digest differs are decoded from that
    /// gazetteer's places entry (which its snapshot also stands on); `None` when it is not kept.
    pub fn changes_since_key(&self, key: &str) -> Option<Vec<PlaceChange>> {
        self.changes_since_key_in(key, &cache_dir()?)
    }

    /// [`Gazetteer::changes_since_key`], the digests of this gazetteer's places taken from its places entry
    /// ([`CacheWrites::places_entry`]) rather than computed again.
    pub fn changes_since_key_given(&self, key: &str, places_entry: &[u8]) -> Option<Vec<PlaceChange>> {
        let new = PlacesEntry::parse(places_entry)?;
        if new.head.ids.len() != self.places.len() || new.head.ids.iter().zip(&self.places).any(|(id, p)| *id != p.id) {
            return self.changes_since_key(key);
        }
        self.changes_with_digests(key, &cache_dir()?, &new.head.digests)
    }

    fn changes_since_key_in(&self, key: &str, cache: &Path) -> Option<Vec<PlaceChange>> {
        let digests: Vec<Digest> =
            self.places.par_iter().map_init(Vec::new, |buf, p| place_digest(p, buf)).collect::<Option<_>>()?;
        self.changes_with_digests(key, cache, &digests)
    }

    /// What changed since the gazetteer kept under `key`, given the digest of each of this one's places.
    fn changes_with_digests(&self, key: &str, cache: &Path, digests: &[Digest]) -> Option<Vec<PlaceChange>> {
        let bytes = std::fs::read(cache.join(format!("gazplaces-{}.bin", key.get(..32)?))).ok()?;
        let old = PlacesEntry::parse(&bytes)?;
        let new_by_id: HashMap<&str, Digest> =
            self.places.iter().map(|p| p.id.as_str()).zip(digests.iter().copied()).collect();
        let old_by_id: HashMap<&str, Digest> =
            old.head.ids.iter().map(String::as_str).zip(old.head.digests.iter().copied()).collect();
        let mut old_changed = Vec::new();
        for (i, (id, d)) in old.head.ids.iter().zip(&old.head.digests).enumerate() {
            if new_by_id.get(id.as_str()) != Some(d) {
                old_changed.push(old.place(i)?);
            }
        }
        let old_refs: Vec<&Place> = old_changed.iter().collect();
        let new_refs: Vec<&Place> = self
            .places
            .iter()
            .zip(digests)
            .filter(|(p, d)| old_by_id.get(p.id.as_str()) != Some(*d))
            .map(|(p, _)| p)
            .collect();
        Some(changes_among(&old_refs, |id| old_by_id.contains_key(id), &new_refs, self))
    }
}

/// A place's digest: the XXH3-128 hash of its postcard form. It only tells one version of a place from
/// the next, so a fast hash with 128 bits does (most places are a few hundred bytes, on which blake3 works a
/// block at a time; an edit digests every place).
type Digest = [u8; 16];

fn digest_of(bytes: &[u8]) -> Digest {
    twox_hash::XxHash3_128::oneshot(bytes).to_le_bytes()
}

fn place_digest(p: &Place, buf: &mut Vec<u8>) -> Option<Digest> {
    buf.clear();
    *buf = postcard::to_extend(p, std::mem::take(buf)).ok()?;
    Some(digest_of(buf))
}

/// The head of a places entry (`gazplaces-KEY.bin`: the head's length as 8 bytes, the head, then each
/// place's postcard form end to end): ids and digests in place order, and where each place's bytes end.
#[derive(Serialize, Deserialize)]
struct PlacesHead {
    format: u32,
    ids: Vec<String>,
    digests: Vec<Digest>,
    ends: Vec<u64>,
}

/// A places entry read back, its places decoded one at a time on demand.
struct PlacesEntry<'a> {
    head: PlacesHead,
    blobs: &'a [u8],
}

impl<'a> PlacesEntry<'a> {
    /// The places entry of `places`, for a later build's [`Gazetteer::changes_since_key`].
    fn bytes(places: &[Place]) -> Option<Vec<u8>> {
        let mut blobs = Vec::new();
        let mut head = PlacesHead { format: SNAPSHOT_FORMAT, ids: Vec::new(), digests: Vec::new(), ends: Vec::new() };
        for p in places {
            let start = blobs.len();
            blobs = postcard::to_extend(p, blobs).ok()?;
            head.ids.push(p.id.clone());
            head.digests.push(digest_of(&blobs[start..]));
            head.ends.push(blobs.len() as u64);
        }
        let head = postcard::to_stdvec(&head).ok()?;
        let mut out = (head.len() as u64).to_le_bytes().to_vec();
        out.extend_from_slice(&head);
        out.extend_from_slice(&blobs);
        Some(out)
    }

    /// The entry in `bytes`; `None` if it is from another format or inconsistent.
    fn parse(bytes: &'a [u8]) -> Option<PlacesEntry<'a>> {
        let head_len = usize::try_from(u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?)).ok()?;
        let head_end = head_len.checked_add(8)?;
        let head: PlacesHead = postcard::from_bytes(bytes.get(8..head_end)?).ok()?;
        let blobs = &bytes[head_end..];
        let n = head.ids.len();
        let consistent = head.format == SNAPSHOT_FORMAT
            && head.digests.len() == n
            && head.ends.len() == n
            && head.ends.windows(2).all(|w| w[0] <= w[1])
            && head.ends.last().is_none_or(|&e| e == blobs.len() as u64);
        consistent.then_some(PlacesEntry { head, blobs })
    }

    /// Place `i`, decoded.
    fn place(&self, i: usize) -> Option<Place> {
        let start = if i == 0 { 0 } else { usize::try_from(*self.head.ends.get(i - 1)?).ok()? };
        let end = usize::try_from(*self.head.ends.get(i)?).ok()?;
        postcard::from_bytes(self.blobs.get(start..end)?).ok()
    }
}

/// Keep the cache entries of the eight gazetteers opened last (by manifest time): their snapshots,
/// places, manifests, parsed files and indexes. Everything else of ours goes, including entries of other
/// frontmap binaries.
fn prune(cache: &Path) {
    let Ok(rd) = std::fs::read_dir(cache) else { return };
    let names: Vec<String> = rd.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    let mut manifests: Vec<(std::time::SystemTime, String)> = names
        .iter()
        .filter_map(|n| n.strip_prefix("gazetteer-")?.strip_suffix(".parts"))
        .filter_map(|k| {
            let t = std::fs::metadata(cache.join(format!("gazetteer-{k}.parts"))).and_then(|m| m.modified()).ok()?;
            Some((t, k.to_string()))
        })
        .collect();
    manifests.sort_by(|a, b| b.cmp(a));
    manifests.truncate(8);
    let mut keep: HashSet<String> = HashSet::new();
    for (_, k) in &manifests {
        keep.insert(format!("gazetteer-{k}.parts"));
        keep.insert(format!("gazetteer-{k}.bin"));
        keep.insert(format!("gazplaces-{k}.bin"));
        if let Some(m) = read_entry::<Manifest>(&cache.join(format!("gazetteer-{k}.parts"))) {
            keep.extend(m.entries);
        }
    }
    for n in names {
        if ["gazetteer-", "gazplaces-", "gazpart-", "gazindex-"].iter().any(|p| n.starts_with(p)) && !keep.contains(&n)
        {
            let _ = std::fs::remove_file(cache.join(n));
        }
    }
}

pub(super) fn format() -> u32 {
    SNAPSHOT_FORMAT
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gazetteer::diff::place_changes;

    /// A scratch copy of the bundled gazetteer and a cache directory beside it.
    fn scratch() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let tmp = tempfile::tempdir().expect("temp dir");
        let gaz = tmp.path().join("gazetteer");
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("gazetteer");
        for f in gazetteer_files(&src).expect("bundled gazetteer") {
            let dest = gaz.join(f.strip_prefix(&src).expect("under the gazetteer"));
            std::fs::create_dir_all(dest.parent().expect("a parent")).expect("mkdir");
            std::fs::copy(&f, &dest).expect("copy");
        }
        let cache = tmp.path().join("cache");
        (tmp, gaz, cache)
    }

    /// The whole loaded form: places, indexes and the rest.
    fn bytes(g: &Gazetteer) -> Vec<u8> {
        postcard::to_stdvec(&(&g.places, g.index.to_parts(), &g.skeletons, g.to_snapshot(""))).expect("snapshot")
    }

    /// Open `dir` through `cache`, check it equals a full load, write its cache entries; the key, the
    /// names of the entries the miss had to make, and the gazetteer.
    fn open_checked(dir: &Path, cache: &Path) -> (String, Vec<String>, Gazetteer) {
        let inputs = Inputs::read(dir).expect("inputs");
        let key = inputs.key.clone();
        let (g, writes) = Gazetteer::open_inputs_in(inputs, Some(cache.to_path_buf())).expect("opens");
        let full = Gazetteer::load_dir(dir).expect("loads");
        assert!(bytes(&g) == bytes(&full), "the gazetteer opened from the cache differs from a full load");
        let made = writes
            .map(|w| {
                let names =
                    w.entries.iter().filter_map(|(p, _)| p.file_name()).map(|n| n.to_string_lossy().into_owned());
                let names = names.collect();
                w.write(&g);
                names
            })
            .unwrap_or_default();
        (key, made, g)
    }

    fn edit(path: &Path, from: &str, to: &str) {
        let text = std::fs::read_to_string(path).expect("read");
        assert!(text.contains(from), "{from:?} not in {}", path.display());
        std::fs::write(path, text.replacen(from, to, 1)).expect("write");
    }

    fn lines(changes: &[PlaceChange]) -> Vec<String> {
        changes.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn incremental_open_equals_a_full_load() {
        let (_tmp, gaz, cache) = scratch();
        let (cold, made, old) = open_checked(&gaz, &cache);
        assert!(made.iter().any(|n| n.starts_with("gazindex-")), "a cold open builds the indexes");
        // The same content again: the snapshot.
        let (again, made, _) = open_checked(&gaz, &cache);
        assert_eq!((again.as_str(), made.len()), (cold.as_str(), 0));

        // Move Rawa: only that file is parsed again, the indexes are reused, and the change is told.
        let mideast = gaz.join("geonames/cities500-mideast.txt");
        edit(&mideast, "\t34.48229\t41.91898\t", "\t34.53229\t41.91898\t");
        let (moved, made, new) = open_checked(&gaz, &cache);
        assert_eq!(made.len(), 1, "{made:?}");
        assert!(made[0].starts_with("gazpart-"));
        let changes = new.changes_since_key_in(&cold, &cache).expect("the old gazetteer is kept");
        assert_eq!(lines(&changes), ["Rawa moved 5.5 km north"]);
        assert_eq!(changes, place_changes(&old, &new));

        // A new alias: the indexes are rebuilt and find it.
        let aliases = gaz.join("aliases.tsv");
        let mut text = std::fs::read_to_string(&aliases).expect("aliases");
        text.push_str("rawa\tRawa Zyxw\n");
        std::fs::write(&aliases, text).expect("write aliases");
        let (_, made, renamed) = open_checked(&gaz, &cache);
        assert!(made.iter().any(|n| n.starts_with("gazindex-")), "{made:?}");
        assert!(renamed.index.find_key("rawa zyxw").is_some());
        let changes = renamed.changes_since_key_in(&moved, &cache).expect("kept");
        assert_eq!(changes, place_changes(&new, &renamed));
        assert_eq!(lines(&changes), ["alias \"Rawa Zyxw\" added to Rawa"]);

        // A file added, then one removed.
        let extra = gaz.join("geonames/extra.txt");
        let row = std::fs::read_to_string(&mideast).expect("rows");
        let row = row.lines().find(|l| l.starts_with("92004\t")).expect("Rawa's row");
        std::fs::write(&extra, row.replacen("92004\tRāwah\tRawah", "99999992\tZyxwville\tZyxwville", 1) + "\n")
            .expect("write");
        let (added, _, with_extra) = open_checked(&gaz, &cache);
        let changes = with_extra.changes_since_key_in(&moved, &cache).expect("kept");
        let g = |key: &str| Gazetteer::from_key_in(key, &cache).expect("snapshot kept");
        assert_eq!(changes, place_changes(&g(&moved), &with_extra));
        std::fs::remove_file(gaz.join("geonames/capitals.txt")).expect("remove");
        let (_, _, without) = open_checked(&gaz, &cache);
        let changes = without.changes_since_key_in(&added, &cache).expect("kept");
        assert_eq!(changes, place_changes(&g(&added), &without));
        assert!(!changes.is_empty());
    }

    #[test]
    fn the_first_bad_row_in_load_order_is_reported_whichever_block_is_loaded_first() {
        let (_tmp, gaz, cache) = scratch();
        let file = gaz.join("geonames/cities500-mideast.txt");
        let text = std::fs::read_to_string(&file).expect("GeoNames file");
        let mut lines: Vec<&str> = text.lines().collect();
        let last = lines.len() - 10;
        assert!(last > 4000, "the bundled file has {} rows", lines.len());
        // Two bad rows, blocks apart; cached entries for the blocks around neither (a warm cache) or all.
        for warm in [false, true] {
            if warm {
                let _ = Gazetteer::open_inputs_in(Inputs::read(&gaz).expect("inputs"), Some(cache.clone()));
            }
            lines[last] = "bad\trow";
            lines[1200] = "another\tbad row";
            std::fs::write(&file, lines.join("\n") + "\n").expect("write");
            match Gazetteer::open_inputs_in(Inputs::read(&gaz).expect("inputs"), Some(cache.clone())) {
                Err(GazetteerError::GeoNamesRow { line, .. }) => assert_eq!(line, 1201, "warm cache: {warm}"),
                other => panic!("expected a row error, got {:?}", other.map(|_| ())),
            }
            lines = text.lines().collect();
            std::fs::write(&file, &text).expect("write");
        }
    }

    #[test]
    fn unreadable_entries_are_not_trusted_and_the_cache_stays_bounded() {
        let (_tmp, gaz, cache) = scratch();
        let (first, _, _) = open_checked(&gaz, &cache);
        let mideast = gaz.join("geonames/cities500-mideast.txt");
        for name in std::fs::read_dir(&cache).expect("cache").flatten().map(|e| e.path()) {
            let n = name.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            if n.starts_with("gazpart-") || n.starts_with("gazindex-") || n.starts_with("gazplaces-") {
                std::fs::write(&name, b"garbage").expect("spoil");
            }
        }
        edit(&mideast, "\t34.48229\t41.91898\t", "\t34.53229\t41.91898\t");
        let (_, _, moved) = open_checked(&gaz, &cache);
        // The entries the first gazetteer's snapshot stands on are spoilt: the change cannot be told (and
        // is not made up), and that gazetteer is no longer opened from its snapshot.
        assert_eq!(moved.changes_since_key_in(&first, &cache), None);
        assert!(Gazetteer::from_key_in(&first, &cache).is_none());
        for i in 0..10 {
            edit(&mideast, "\t34.5", &format!("\t34.6{i}"));
            open_checked(&gaz, &cache);
            edit(&mideast, &format!("\t34.6{i}"), "\t34.5");
        }
        let names: Vec<String> = std::fs::read_dir(&cache)
            .expect("cache")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        let manifests: Vec<&String> = names.iter().filter(|n| n.ends_with(".parts")).collect();
        assert_eq!(manifests.len(), 8, "{names:?}");
        for m in manifests {
            let m: Manifest = read_entry(&cache.join(m)).expect("manifest");
            assert!(m.entries.iter().all(|e| names.contains(e)), "a kept manifest names a pruned entry");
        }
        assert!(names.iter().filter(|n| n.starts_with("gazetteer-") && n.ends_with(".bin")).count() <= 8);
    }
}
