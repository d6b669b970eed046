//! The gazetteer: every place frontmap can put on a map, with every name it goes by.
//!
//! Sources are merged in a fixed order, later ones overriding earlier ones by id (DESIGN.md §2):
//! Natural Earth countries and provinces, WDB-II rivers, lakes and borders (`basemap/`), GeoNames dumps
//! (`geonames/*.txt`), then the curated `places.geojson` and `aliases.tsv`, which fix and extend the
//! datasets (quarters of al-Qaïm, French exonyms, river names).

pub mod cache;
pub mod check;
pub mod diff;
pub mod geonames;
pub mod index;
pub mod layer;
pub mod place;
pub mod skeleton;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

pub use index::{AliasEntry, AliasFlags, AliasIndex, KeyMatch};
pub use place::{Kind, Place, Source};

/// Errors of the gazetteer stage; each names the file and the line or feature.
#[derive(Debug, thiserror::Error)]
pub enum GazetteerError {
    #[error("{path}: cannot read: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}:{line}:{column}: invalid JSON: {msg}")]
    Json { path: PathBuf, line: usize, column: usize, msg: String },
    #[error("{path}: feature {index}{}: {msg}", id.as_ref().map(|i| format!(" (id {i:?})")).unwrap_or_default())]
    Feature { path: PathBuf, index: usize, id: Option<String>, msg: String },
    #[error("{path}:{line}: bad GeoNames row: {msg}")]
    GeoNamesRow { path: PathBuf, line: usize, msg: String },
    #[error("{path}:{line}: bad alias row: {msg}")]
    AliasRow { path: PathBuf, line: usize, msg: String },
    #[error("{path}: not a gazetteer directory (no basemap/, geonames/, places.geojson or aliases.tsv)")]
    Empty { path: PathBuf },
}

/// The loaded gazetteer.
#[derive(Debug)]
pub struct Gazetteer {
    pub places: Vec<Place>,
    by_id: HashMap<String, usize>,
    /// Old ids of places that a curated entry took over (e.g. a GeoNames slug) → current index.
    redirects: HashMap<String, usize>,
    pub index: AliasIndex,
    /// Transliteration skeletons of every name, for spellings no alias covers.
    pub skeletons: skeleton::SkeletonIndex,
    /// Folded common words (see `lexicon/common-words.txt`).
    pub common_words: HashSet<String>,
    /// Files the gazetteer was read from, in load order.
    pub files: Vec<PathBuf>,
    /// `places[i].parent` resolved to an index once, for the hierarchy walks of disambiguation.
    parents: Vec<Option<u32>>,
}

/// The common-word list shipped with frontmap, folded.
pub fn builtin_common_words() -> HashSet<String> {
    include_str!("../../lexicon/common-words.txt")
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .flat_map(str::split_whitespace)
        .map(crate::text::fold::fold_name)
        .filter(|w| !w.is_empty())
        .collect()
}

/// Places being merged, before the index is built.
#[derive(Debug, Default)]
struct Merger {
    places: Vec<Place>,
    by_id: HashMap<String, usize>,
    by_geonames: HashMap<u64, usize>,
    redirects: HashMap<String, usize>,
}

impl Merger {
    fn add_dataset(&mut self, place: Place) {
        if let Some(&i) = self.by_id.get(&place.id) {
            // Same id twice in datasets: the later one wins (DESIGN.md §2).
            let gn = place.geonames_id;
            self.places[i] = place;
            if let Some(g) = gn {
                self.by_geonames.insert(g, i);
            }
            return;
        }
        let i = self.places.len();
        self.by_id.insert(place.id.clone(), i);
        if let Some(g) = place.geonames_id {
            self.by_geonames.entry(g).or_insert(i);
        }
        self.places.push(place);
    }

    /// A curated place: extends the place with the same id, or the GeoNames place it names, or is new.
    fn add_curated(&mut self, path: &Path, index: usize, lp: layer::LayerPlace) -> Result<(), GazetteerError> {
        let new = lp.place;
        let target = self
            .by_id
            .get(&new.id)
            .copied()
            .or_else(|| new.geonames_id.and_then(|g| self.by_geonames.get(&g).copied()));
        match target {
            Some(i) => {
                let old = &mut self.places[i];
                if old.id != new.id {
                    self.by_id.remove(&old.id);
                    self.redirects.insert(old.id.clone(), i);
                    self.by_id.insert(new.id.clone(), i);
                    old.id = new.id.clone();
                }
                if !old.aliases.contains(&old.name) && old.name != new.name {
                    let n = std::mem::take(&mut old.name);
                    old.aliases.push(n);
                }
                old.name = new.name;
                old.name_fr = new.name_fr.or(old.name_fr.take());
                old.name_en = new.name_en.or(old.name_en.take());
                old.name_ar = new.name_ar.or(old.name_ar.take());
                old.aliases.extend(new.aliases);
                old.weak_aliases.extend(new.weak_aliases);
                old.curated_names.extend(new.curated_names);
                if lp.set_kind {
                    old.kind = new.kind;
                }
                if lp.set_population {
                    old.population = new.population;
                }
                old.parent = new.parent.or(old.parent.take());
                old.country = new.country.or(old.country.take());
                if lp.has_geometry {
                    old.point = new.point;
                    if new.geometry.is_some() {
                        old.geometry = new.geometry;
                    }
                }
                old.area_km2 = new.area_km2.or(old.area_km2);
                old.how = new.how.or(old.how.take());
                old.source = Source::Curated;
                Ok(())
            }
            None => {
                if !lp.has_geometry {
                    return Err(GazetteerError::Feature {
                        path: path.to_path_buf(),
                        index,
                        id: Some(new.id.clone()),
                        msg: match new.geonames_id {
                            Some(g) => format!("no geometry, and geonames_id {g} is not in the gazetteer"),
                            None => "no geometry and no geonames_id to take it from".into(),
                        },
                    });
                }
                self.add_dataset(new);
                Ok(())
            }
        }
    }

    fn lookup(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).or_else(|| self.redirects.get(id)).copied()
    }
}

/// How one source file of a gazetteer is read (its place in the merge order follows from it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reader {
    /// A basemap layer: countries (which also get their name as French name), provinces, rivers…
    Basemap {
        source: Source,
        countries: bool,
    },
    GeoNames,
    Curated,
    Aliases,
}

/// One source file parsed but not merged: what the per-file cache keeps (see [`cache`]).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) enum Parsed {
    Layer(Vec<layer::LayerPlace>),
    GeoNames(Vec<Place>),
    /// `aliases.tsv` is applied to the merged places, so it is kept as text.
    Aliases(String),
}

/// The files of a gazetteer directory that are loaded, in load order, with how to read each.
pub(crate) fn sources(dir: &Path) -> Result<Vec<(PathBuf, Reader)>, GazetteerError> {
    let mut out = Vec::new();
    let basemap = dir.join("basemap");
    for name in ["countries", "provinces", "rivers", "lakes", "borders"] {
        let p = basemap.join(format!("{name}.geojson"));
        if p.is_file() {
            let source = if name == "rivers" { Source::Wdb2 } else { Source::NaturalEarth };
            out.push((p, Reader::Basemap { source, countries: name == "countries" }));
        }
    }
    let gn_dir = dir.join("geonames");
    if gn_dir.is_dir() {
        let mut gn_files: Vec<PathBuf> = std::fs::read_dir(&gn_dir)
            .map_err(|e| GazetteerError::Io { path: gn_dir.clone(), source: e })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && matches!(p.extension().and_then(|e| e.to_str()), Some("txt" | "tsv")))
            .collect();
        gn_files.sort();
        out.extend(gn_files.into_iter().map(|p| (p, Reader::GeoNames)));
    }
    for (name, reader) in [("places.geojson", Reader::Curated), ("aliases.tsv", Reader::Aliases)] {
        let p = dir.join(name);
        if p.is_file() {
            out.push((p, reader));
        }
    }
    if out.is_empty() {
        return Err(GazetteerError::Empty { path: dir.to_path_buf() });
    }
    Ok(out)
}

/// Parse the content of one source file (`path` is named in errors).
pub(crate) fn parse_source(path: &Path, reader: Reader, bytes: &[u8]) -> Result<Parsed, GazetteerError> {
    let text = || {
        // The error `read_to_string` gives.
        std::str::from_utf8(bytes).map_err(|_| GazetteerError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, "stream did not contain valid UTF-8"),
        })
    };
    Ok(match reader {
        Reader::Basemap { source, .. } => Parsed::Layer(layer::parse(path, text()?, source)?),
        Reader::Curated => Parsed::Layer(layer::parse(path, text()?, Source::Curated)?),
        Reader::GeoNames => Parsed::GeoNames(geonames::parse(path, bytes)?),
        Reader::Aliases => Parsed::Aliases(text()?.to_string()),
    })
}

/// Merge parsed sources in load order (DESIGN.md §2); parents are not assigned yet.
fn merge(parsed: Vec<(&Path, Reader, Parsed)>) -> Result<Merger, GazetteerError> {
    let mut m = Merger::default();
    for (path, reader, content) in parsed {
        merge_into(&mut m, path, reader, content)?;
    }
    Ok(m)
}

/// Merge one parsed source (or one block of a GeoNames file) into `m`: the sources in load order, each
/// file's blocks in file order, give the merge of the whole.
fn merge_into(m: &mut Merger, path: &Path, reader: Reader, content: Parsed) -> Result<(), GazetteerError> {
    match (reader, content) {
        (Reader::Basemap { countries, .. }, Parsed::Layer(lps)) => {
            for lp in lps {
                let mut place = lp.place;
                if place.name_fr.is_none() && countries {
                    place.name_fr = Some(place.name.clone());
                }
                if place.point.x.is_nan() {
                    // Features without a geometry or label point (far-away countries without
                    // a label) cannot be placed: skip them rather than invent a point.
                    continue;
                }
                m.add_dataset(place);
            }
        }
        (Reader::GeoNames, Parsed::GeoNames(places)) => {
            for place in places {
                m.add_dataset(place);
            }
        }
        (Reader::Curated, Parsed::Layer(lps)) => {
            for (i, lp) in lps.into_iter().enumerate() {
                m.add_curated(path, i, lp)?;
            }
        }
        (Reader::Aliases, Parsed::Aliases(text)) => read_aliases(path, &text, m)?,
        _ => {
            return Err(GazetteerError::Io {
                path: path.to_path_buf(),
                source: std::io::Error::new(std::io::ErrorKind::InvalidData, "parsed form of another kind of file"),
            });
        }
    }
    Ok(())
}

impl Gazetteer {
    /// Load a gazetteer directory.
    pub fn load_dir(dir: &Path) -> Result<Gazetteer, GazetteerError> {
        let sources = sources(dir)?;
        let mut parsed = Vec::with_capacity(sources.len());
        for (p, reader) in &sources {
            let bytes = std::fs::read(p).map_err(|e| GazetteerError::Io { path: p.clone(), source: e })?;
            parsed.push((p.as_path(), *reader, parse_source(p, *reader, &bytes)?));
        }
        let m = merge(parsed)?;
        Ok(Gazetteer::from_merger(m, sources.into_iter().map(|(p, _)| p).collect()))
    }

    /// A gazetteer from places already in memory (tests, tools).
    pub fn from_places(places: Vec<Place>) -> Gazetteer {
        let mut m = Merger::default();
        for p in places {
            m.add_dataset(p);
        }
        Gazetteer::from_merger(m, Vec::new())
    }

    fn from_merger(m: Merger, files: Vec<PathBuf>) -> Gazetteer {
        Gazetteer::from_merger_with(m, files, |places, common| {
            (AliasIndex::build(places, common), skeleton::SkeletonIndex::build(places))
        })
    }

    /// The gazetteer of merged places, with the alias and skeleton indexes `indexes` gives for the places
    /// (built, or reused from the cache when the names they index are the same).
    fn from_merger_with(
        mut m: Merger,
        files: Vec<PathBuf>,
        indexes: impl FnOnce(&[Place], &HashSet<String>) -> (AliasIndex, skeleton::SkeletonIndex),
    ) -> Gazetteer {
        assign_parents(&mut m);
        let common_words = builtin_common_words();
        let (index, skeletons) = indexes(&m.places, &common_words);
        let parents = (0..m.places.len())
            .map(|i| m.places[i].parent.as_deref().and_then(|p| m.lookup(p)).filter(|&p| p != i).map(|p| p as u32))
            .collect();
        Gazetteer {
            places: m.places,
            by_id: m.by_id,
            redirects: m.redirects,
            index,
            skeletons,
            common_words,
            files,
            parents,
        }
    }

    /// The loaded form, for a snapshot on disk (see [`cache`]).
    fn to_snapshot<'a>(&'a self, index_entry: &'a str) -> cache::SnapshotRef<'a> {
        let mut by_id: Vec<(&str, usize)> = self.by_id.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        by_id.sort();
        let mut redirects: Vec<(&str, usize)> = self.redirects.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        redirects.sort();
        let mut common_words: Vec<&str> = self.common_words.iter().map(String::as_str).collect();
        common_words.sort();
        cache::SnapshotRef {
            format: cache::format(),
            index_entry,
            by_id,
            redirects,
            common_words,
            files: &self.files,
            parents: &self.parents,
        }
    }

    /// Back from a snapshot; `None` if it is from another format or inconsistent.
    fn from_snapshot(
        s: cache::Snapshot,
        places: Vec<Place>,
        index: index::IndexParts,
        skeletons: skeleton::SkeletonIndex,
    ) -> Option<Gazetteer> {
        if s.format != cache::format() || s.parents.len() != places.len() {
            return None;
        }
        if s.by_id.iter().chain(&s.redirects).any(|(_, i)| *i >= places.len()) {
            return None;
        }
        Some(Gazetteer {
            index: AliasIndex::from_parts(index)?,
            places,
            by_id: s.by_id.into_iter().collect(),
            redirects: s.redirects.into_iter().collect(),
            skeletons,
            common_words: s.common_words.into_iter().collect(),
            files: s.files,
            parents: s.parents,
        })
    }

    /// Index of the place with this id (or a former id it took over).
    pub fn find(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).or_else(|| self.redirects.get(id)).copied()
    }

    pub fn get(&self, id: &str) -> Option<&Place> {
        self.find(id).map(|i| &self.places[i])
    }

    /// Index of the parent of place `i`.
    pub fn parent(&self, i: usize) -> Option<usize> {
        self.parents.get(i).copied().flatten().map(|p| p as usize)
    }

    /// The chain of ancestors of place `i`, nearest first (cycles cut).
    pub fn ancestors(&self, i: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut cur = i;
        while let Some(p) = self.parent(cur) {
            if p == i || out.contains(&p) {
                break;
            }
            out.push(p);
            cur = p;
        }
        out
    }

    /// Whether `ancestor` is an ancestor of `i`.
    pub fn is_ancestor(&self, ancestor: usize, i: usize) -> bool {
        let mut cur = i;
        for _ in 0..32 {
            match self.parent(cur) {
                Some(p) if p == ancestor => return true,
                Some(p) if p != i => cur = p,
                _ => return false,
            }
        }
        false
    }

    /// The country place of place `i` (by ISO code), if the gazetteer has it.
    pub fn country_of(&self, i: usize) -> Option<usize> {
        self.places[i].country.as_deref().and_then(|c| self.find(&c.to_ascii_lowercase()))
    }
}

/// GeoNames rows carry an admin-1 code; provinces carry the same code: link them. Provinces and
/// other places without a parent hang from their country.
fn assign_parents(m: &mut Merger) {
    let by_a1: HashMap<String, String> = m
        .places
        .iter()
        .filter(|p| p.kind == Kind::Province)
        .filter_map(|p| p.admin1.clone().map(|a| (a, p.id.clone())))
        .collect();
    let ids: HashSet<String> = m.places.iter().map(|p| p.id.clone()).collect();
    for p in &mut m.places {
        if p.parent.is_some() || p.kind == Kind::Country {
            continue;
        }
        if p.kind != Kind::Province {
            if let Some(prov) = p.admin1.as_ref().and_then(|a| by_a1.get(a)) {
                p.parent = Some(prov.clone());
                continue;
            }
        }
        if let Some(c) = p.country.as_ref().map(|c| c.to_ascii_lowercase()).filter(|c| ids.contains(c)) {
            p.parent = Some(c);
        }
    }
    // Parents given by redirected ids (a curated entry took over a GeoNames slug) point at the new id.
    let redirects: Vec<(String, String)> =
        m.redirects.iter().map(|(old, &i)| (old.clone(), m.places[i].id.clone())).collect();
    let redirects: HashMap<String, String> = redirects.into_iter().collect();
    for p in &mut m.places {
        if let Some(new) = p.parent.as_ref().and_then(|par| redirects.get(par)) {
            p.parent = Some(new.clone());
        }
    }
}

/// `aliases.tsv`: `PLACE_ID<TAB>ALIAS[<TAB>LANG[<TAB>NOTE]]`, `#` comments.
fn read_aliases(path: &Path, text: &str, m: &mut Merger) -> Result<(), GazetteerError> {
    for (n, line) in text.lines().enumerate() {
        let line_no = n + 1;
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let err = |msg: String| GazetteerError::AliasRow { path: path.to_path_buf(), line: line_no, msg };
        let mut cols = line.split('\t');
        let id = cols.next().unwrap_or("").trim();
        let alias = cols
            .next()
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .ok_or_else(|| err("expected PLACE_ID<TAB>ALIAS".into()))?;
        let i = m.lookup(id).ok_or_else(|| err(format!("unknown place id {id:?}")))?;
        let lang = cols.next().map(str::trim).unwrap_or("");
        let place = &mut m.places[i];
        match lang {
            "fr" if place.name_fr.is_none() => place.name_fr = Some(alias.to_string()),
            "en" if place.name_en.is_none() => place.name_en = Some(alias.to_string()),
            "ar" if place.name_ar.is_none() => place.name_ar = Some(alias.to_string()),
            _ => {}
        }
        place.aliases.push(alias.to_string());
        place.curated_names.push(alias.to_string());
    }
    Ok(())
}

/// Write a file atomically, mapping the error to the gazetteer's.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), GazetteerError> {
    crate::atomic::write(path, bytes)
        .map(|_| ())
        .map_err(|e| GazetteerError::Io { path: path.to_path_buf(), source: e })
}
