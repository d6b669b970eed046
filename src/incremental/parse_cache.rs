//! Keeping each article's geoparse between builds, and knowing when a gazetteer edit invalidates it.
//!
//! A cached parse records what it depended on: the alias keys found in the text, the transliteration
//! skeletons looked up, and a digest of every candidate place (its point, kind, parent, country,
//! population, feature children and names). Under a new gazetteer the parse is reused when the text
//! still yields the same keys with the same entries, the skeletons the same places, and every candidate
//! the same digest; otherwise the article is parsed again. Adding an article parses only it; moving
//! Rawa re-parses only the articles that could have named Rawa.

use crate::gazetteer::{Gazetteer, Place};
use crate::geoparse::context::Direction;
use crate::geoparse::{Lookups, Mention, NonPlace, NonPlaceReason, Parsed};
use crate::text::Zone;
use geo::Coord;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// A mention stored by place id (indices change between gazetteers).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredMention {
    range: (usize, usize),
    source_range: (usize, usize),
    place: String,
    point: (f64, f64),
    geo_precision: u8,
    confidence: f64,
    zone: Zone,
    sentence: Option<usize>,
    direction: Option<Direction>,
    nested: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredNonPlace {
    range: (usize, usize),
    place: String,
    metonymy: bool,
    sentence: Option<usize>,
}

/// One article's parse and its dependencies, encoded as soon as it is made: decoded, with its strings of
/// keys, place ids and digests, it weighs several times its bytes, and a build holds ten thousand.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    /// Hash of the article's bytes and outside facts.
    text: String,
    /// The postcard encoding of its [`EntryData`].
    data: Vec<u8>,
}

/// What an [`Entry`] holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct EntryData {
    mentions: Vec<StoredMention>,
    non_places: Vec<StoredNonPlace>,
    /// Alias key → digest of its entries.
    keys: BTreeMap<String, String>,
    /// Skeleton → digest of its places.
    skeletons: BTreeMap<String, String>,
    /// Candidate place id → digest.
    candidates: BTreeMap<String, String>,
}

/// All cached parses of a build, kept in a file of their own (`out/.cache/parses.bin`, see
/// [`ParseCache::save`]) rather than inside the build state: written once, streamed, as soon as the
/// articles are parsed, and never read by a build that has nothing to do.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ParseCache {
    entries: BTreeMap<String, Entry>,
}

/// Digest of what about a place can change a parse.
pub fn place_digest(g: &Gazetteer, i: usize, children: &HashMap<usize, Vec<usize>>) -> String {
    let p: &Place = &g.places[i];
    let mut h = blake3::Hasher::new();
    let r = |v: f64| format!("{v:.6}");
    h.update(
        format!(
            "{}|{}|{}|{}|{:?}|{:?}|{}|{:?}",
            p.id,
            r(p.point.x),
            r(p.point.y),
            p.kind.as_str(),
            p.parent,
            p.country,
            p.population,
            p.feature_code
        )
        .as_bytes(),
    );
    for n in p.all_names().chain(p.curated_names.iter().map(String::as_str)) {
        h.update(n.as_bytes());
        h.update(b"\x00");
    }
    if let Some(geom) = &p.geometry {
        use geo::CoordsIter;
        h.update(format!("{:?}", std::mem::discriminant(geom)).as_bytes());
        for c in geom.coords_iter() {
            h.update(&c.x.to_le_bytes());
            h.update(&c.y.to_le_bytes());
        }
    }
    for c in children.get(&i).into_iter().flatten() {
        h.update(g.places[*c].id.as_bytes());
    }
    h.finalize().to_hex()[..24].to_string()
}

fn key_digest(g: &Gazetteer, key: &str) -> String {
    let mut h = blake3::Hasher::new();
    if let Some(k) = g.index.find_key(key) {
        for e in g.index.entries(k) {
            h.update(g.places[e.place as usize].id.as_bytes());
            h.update(&[e.flags.0]);
        }
    }
    h.finalize().to_hex()[..24].to_string()
}

fn skeleton_digest(g: &Gazetteer, key: &str) -> String {
    let mut h = blake3::Hasher::new();
    for p in g.skeletons.get(key) {
        h.update(g.places[p as usize].id.as_bytes());
    }
    h.finalize().to_hex()[..24].to_string()
}

/// The digests of a gazetteer's places, each computed once per build on first use (from any thread):
/// ten thousand articles naming Iraq hash its polygon once, not ten thousand times.
pub struct PlaceDigests<'g> {
    g: &'g Gazetteer,
    children: HashMap<usize, Vec<usize>>,
    memo: Vec<std::sync::OnceLock<String>>,
}

impl<'g> PlaceDigests<'g> {
    pub fn new(g: &'g Gazetteer) -> PlaceDigests<'g> {
        PlaceDigests {
            g,
            children: feature_children(g),
            memo: (0..g.places.len()).map(|_| Default::default()).collect(),
        }
    }

    /// The digest of place `i`.
    pub fn get(&self, i: usize) -> &str {
        match self.memo.get(i) {
            Some(cell) => cell.get_or_init(|| place_digest(self.g, i, &self.children)),
            None => "",
        }
    }
}

/// Non-settlement children of every place (the features "l'aéroport de X" can reach).
pub fn feature_children(g: &Gazetteer) -> HashMap<usize, Vec<usize>> {
    let mut m: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in 0..g.places.len() {
        if let Some(p) = g.parent(i) {
            if !g.places[i].kind.is_settlement() {
                m.entry(p).or_default().push(i);
            }
        }
    }
    m
}

/// Bump when the parse cache file changes shape.
const FILE_FORMAT: u32 = 1;

impl ParseCache {
    /// The cache [`ParseCache::save`] left at `path` for this `binary`. A missing or unreadable file, or
    /// one another binary wrote, gives an empty cache: it is only a cache, and every entry is checked
    /// against the current text and gazetteer before use anyway.
    pub fn load(path: &Path, binary: &str) -> ParseCache {
        let Ok(bytes) = std::fs::read(path) else { return ParseCache::default() };
        match postcard::take_from_bytes::<(u32, String)>(&bytes) {
            Ok(((FILE_FORMAT, b), rest)) if b == binary => postcard::from_bytes(rest).unwrap_or_default(),
            _ => ParseCache::default(),
        }
    }

    /// Write the cache to `path` for [`ParseCache::load`]: encoded straight into a temporary file that
    /// then replaces the old one, so the entries and their encoding are never in memory together and a
    /// build killed meanwhile leaves the previous file whole.
    pub fn save(&self, path: &Path, binary: &str) -> std::io::Result<()> {
        let encode = |w: &mut dyn std::io::Write| {
            postcard::to_io(&(FILE_FORMAT, binary, self), w).map(|_| ()).map_err(std::io::Error::other)
        };
        crate::atomic::write_streamed(path, |e| e, encode).map(|_| ())
    }

    /// The cached parse of `article_key` if it is still what the gazetteer would give; `text_hash`
    /// identifies the article's bytes and facts; `spotted` is the set of alias keys the current
    /// gazetteer finds in the text.
    pub fn get(
        &self,
        g: &Gazetteer,
        digests: &PlaceDigests<'_>,
        article_key: &str,
        text_hash: &str,
        spotted: &[String],
    ) -> Option<Parsed> {
        let stored = self.entries.get(article_key)?;
        if stored.text != text_hash {
            return None;
        }
        let e: EntryData = postcard::from_bytes(&stored.data).ok()?;
        if !e.keys.keys().eq(spotted.iter()) {
            return None;
        }
        if e.keys.iter().any(|(k, d)| key_digest(g, k) != *d)
            || e.skeletons.iter().any(|(k, d)| skeleton_digest(g, k) != *d)
        {
            return None;
        }
        for (id, d) in &e.candidates {
            let i = g.find(id)?;
            if g.places[i].id != *id || digests.get(i) != d {
                return None;
            }
        }
        let find = |id: &str| g.find(id);
        let mentions = e
            .mentions
            .iter()
            .map(|m| {
                Some(Mention {
                    range: m.range.0..m.range.1,
                    source_range: m.source_range.0..m.source_range.1,
                    place: find(&m.place)?,
                    point: Coord { x: m.point.0, y: m.point.1 },
                    geo_precision: m.geo_precision,
                    confidence: m.confidence,
                    zone: m.zone,
                    sentence: m.sentence,
                    direction: m.direction,
                    nested: m.nested,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        let non_places = e
            .non_places
            .iter()
            .map(|n| {
                Some(NonPlace {
                    range: n.range.0..n.range.1,
                    place: find(&n.place)?,
                    reason: if n.metonymy { NonPlaceReason::Metonymy } else { NonPlaceReason::Comparison },
                    sentence: n.sentence,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        let candidates = e.candidates.keys().filter_map(|id| find(id)).collect();
        Some(Parsed {
            mentions,
            non_places,
            lookups: Lookups {
                keys: e.keys.keys().cloned().collect(),
                skeletons: e.skeletons.keys().cloned().collect(),
                candidates,
            },
        })
    }

    /// Store an entry made by [`ParseCache::entry`].
    pub fn insert(&mut self, article_key: &str, entry: Entry) {
        self.entries.insert(article_key.to_string(), entry);
    }

    /// Whether a parse of this article with this text is stored (if not, [`ParseCache::get`] cannot hit, and
    /// the caller can skip spotting the article's keys).
    pub fn has(&self, article_key: &str, text_hash: &str) -> bool {
        self.entries.get(article_key).is_some_and(|e| e.text == text_hash)
    }

    /// The entry of a fresh parse (pure: build them in parallel, [`CacheWriter::push`] them in order).
    pub fn entry(g: &Gazetteer, digests: &PlaceDigests<'_>, text_hash: &str, p: &Parsed) -> Entry {
        let id = |i: usize| g.places[i].id.clone();
        let data = EntryData {
            mentions: p
                .mentions
                .iter()
                .map(|m| StoredMention {
                    range: (m.range.start, m.range.end),
                    source_range: (m.source_range.start, m.source_range.end),
                    place: id(m.place),
                    point: (m.point.x, m.point.y),
                    geo_precision: m.geo_precision,
                    confidence: m.confidence,
                    zone: m.zone,
                    sentence: m.sentence,
                    direction: m.direction,
                    nested: m.nested,
                })
                .collect(),
            non_places: p
                .non_places
                .iter()
                .map(|n| StoredNonPlace {
                    range: (n.range.start, n.range.end),
                    place: id(n.place),
                    metonymy: n.reason == NonPlaceReason::Metonymy,
                    sentence: n.sentence,
                })
                .collect(),
            keys: p.lookups.keys.iter().map(|k| (k.clone(), key_digest(g, k))).collect(),
            skeletons: p.lookups.skeletons.iter().map(|k| (k.clone(), skeleton_digest(g, k))).collect(),
            candidates: p.lookups.candidates.iter().map(|&c| (id(c), digests.get(c).to_string())).collect(),
        };
        Entry { text: text_hash.to_string(), data: super::encode(&data).unwrap_or_default() }
    }

    /// Take the entry of an article out of the cache (to move it into a [`CacheWriter`] once it has hit).
    pub fn take(&mut self, article_key: &str) -> Option<Entry> {
        self.entries.remove(article_key)
    }
}

/// The next build's parse cache, written an entry at a time as a build streams its articles, so the entries
/// of ten thousand articles are never in memory together. [`CacheWriter::save`] writes exactly the file
/// [`ParseCache::save`] would for the same entries.
///
/// Postcard encodes the cache as the number of entries, then each (article, entry) pair in key order. The
/// number is known last, so the pairs go to a side file first (or to memory when the file cannot be made);
/// entries that do not come in key order (file names that are not valid Unicode) are put in order at the end.
pub struct CacheWriter {
    binary: String,
    body: Body,
    count: usize,
    last: Option<String>,
    in_order: bool,
}

enum Body {
    File {
        path: std::path::PathBuf,
        w: std::io::BufWriter<std::fs::File>,
    },
    Memory(Vec<u8>),
    /// Writing the side file failed: the cache is lost (the next build parses every article again).
    Failed,
}

impl CacheWriter {
    /// A writer for `binary`'s cache keeping its pairs in `side` (a scratch file, removed once saved).
    pub fn new(side: &Path, binary: &str) -> CacheWriter {
        if let Some(dir) = side.parent().filter(|d| !d.as_os_str().is_empty()) {
            let _ = std::fs::create_dir_all(dir);
        }
        let body = match std::fs::File::create(side) {
            Ok(f) => Body::File { path: side.to_path_buf(), w: std::io::BufWriter::with_capacity(1 << 16, f) },
            Err(_) => Body::Memory(Vec::new()),
        };
        CacheWriter { binary: binary.to_string(), body, count: 0, last: None, in_order: true }
    }

    /// Add the entry of the next article.
    pub fn push(&mut self, article_key: &str, entry: &Entry) {
        if self.last.as_deref().is_some_and(|l| l >= article_key) {
            self.in_order = false;
        }
        self.last = Some(article_key.to_string());
        let pair = (article_key, entry);
        let written = match &mut self.body {
            Body::File { w, .. } => postcard::to_io(&pair, w).is_ok(),
            Body::Memory(v) => postcard::to_io(&pair, v).is_ok(),
            Body::Failed => false,
        };
        if written {
            self.count += 1;
        } else {
            self.fail();
        }
    }

    fn fail(&mut self) {
        if let Body::File { path, .. } = std::mem::replace(&mut self.body, Body::Failed) {
            let _ = std::fs::remove_file(path);
        }
    }

    /// Write the cache to `path` for [`ParseCache::load`], atomically (as [`ParseCache::save`]).
    pub fn save(mut self, path: &Path) -> std::io::Result<()> {
        use std::io::Read;
        let mut body: Box<dyn Read> = match std::mem::replace(&mut self.body, Body::Failed) {
            Body::File { path: side, w } => {
                let flushed = w.into_inner().map_err(|e| e.into_error());
                let opened = flushed.and_then(|_| std::fs::File::open(&side));
                // Open, the side file can go: what was written stays readable until it is closed.
                let _ = std::fs::remove_file(&side);
                Box::new(std::io::BufReader::with_capacity(1 << 16, opened?))
            }
            Body::Memory(v) => Box::new(std::io::Cursor::new(v)),
            Body::Failed => return Err(std::io::Error::other("the parse cache could not be written")),
        };
        if !self.in_order {
            // Rare: read the pairs back and let the map order them (the last entry of a key wins, as on insert).
            let mut bytes = Vec::new();
            body.read_to_end(&mut bytes)?;
            let mut cache = ParseCache::default();
            let mut rest = bytes.as_slice();
            for _ in 0..self.count {
                let ((key, entry), tail): ((String, Entry), &[u8]) =
                    postcard::take_from_bytes(rest).map_err(std::io::Error::other)?;
                cache.entries.insert(key, entry);
                rest = tail;
            }
            return cache.save(path, &self.binary);
        }
        let (binary, count) = (&self.binary, self.count);
        let fill = |w: &mut dyn std::io::Write| {
            postcard::to_io(&(FILE_FORMAT, binary, count), &mut *w).map_err(std::io::Error::other)?;
            std::io::copy(&mut body, w).map(|_| ())
        };
        crate::atomic::write_streamed(path, |e| e, fill).map(|_| ())
    }
}

impl Drop for CacheWriter {
    fn drop(&mut self) {
        self.fail();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache() -> ParseCache {
        let mut c = ParseCache::default();
        c.insert("a.txt", Entry { text: "hash-a".into(), data: vec![1, 2, 3] });
        c
    }

    #[test]
    fn the_saved_cache_is_read_back_only_by_the_binary_that_wrote_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("parses.bin");
        cache().save(&path, "binary-1").expect("saved");
        assert!(ParseCache::load(&path, "binary-1").has("a.txt", "hash-a"));
        assert!(!ParseCache::load(&path, "binary-2").has("a.txt", "hash-a"));
    }

    #[test]
    fn a_missing_or_damaged_file_is_an_empty_cache() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("parses.bin");
        assert!(ParseCache::load(&path, "b").entries.is_empty());
        cache().save(&path, "b").expect("saved");
        let bytes = std::fs::read(&path).expect("read");
        std::fs::write(&path, &bytes[..bytes.len() - 2]).expect("truncated");
        assert!(ParseCache::load(&path, "b").entries.is_empty());
        assert!(!dir.path().read_dir().expect("dir").flatten().any(|e| e.file_name() != "parses.bin"));
    }

    #[test]
    fn a_streamed_cache_is_the_file_the_cache_itself_saves() {
        let dir = tempfile::tempdir().expect("temp dir");
        let entry = |text: &str, n: u8| Entry { text: text.to_string(), data: vec![n; n as usize * 100] };
        let mut c = ParseCache::default();
        for (k, n) in [("a.txt", 1), ("b.txt", 2), ("c.txt", 3)] {
            c.insert(k, entry(k, n));
        }
        c.save(&dir.path().join("expected"), "bin").expect("saved");
        let expected = std::fs::read(dir.path().join("expected")).expect("read");
        // In key order, and out of order (with a key met twice: the last one wins, as on insert).
        for order in [&["a.txt", "b.txt", "c.txt"][..], &["c.txt", "a.txt", "c.txt", "b.txt"][..]] {
            let mut w = CacheWriter::new(&dir.path().join("side"), "bin");
            for (i, k) in order.iter().enumerate() {
                let e = if i == 0 && order.len() == 4 { entry("stale", 9) } else { c.entries[*k].clone() };
                w.push(k, &e);
            }
            w.save(&dir.path().join("parses.bin")).expect("saved");
            assert_eq!(std::fs::read(dir.path().join("parses.bin")).expect("read"), expected);
            assert!(!dir.path().join("side").exists());
        }
    }
}
