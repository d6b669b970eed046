//! Layer runs: the basemap layers of a map are drawn once and kept, so a sheet whose article-derived
//! layers changed redraws only those.
//!
//! A map is drawn as a stack of *runs* of consecutive style layers. A run is *live* when its layers read
//! a source the build writes (its `data` lies under `out/`: places, events, fronts, areas) and *fixed*
//! otherwise (the background and reference data: countries, rivers, borders…). The first run is drawn
//! onto the canvas; every later fixed run is drawn into a transparent canvas of its own and composited
//! over what lies below; live layers are drawn straight onto the canvas. That procedure is the same
//! whether a fixed run comes from the cache or is drawn now, so a map assembled from kept runs is
//! byte-identical to one drawn from scratch.
//!
//! A kept run ([`RunCache`]) is valid for one key: the caller's key (binary, style, sheet file, sheet),
//! the part of the sheet, the view, the selection, the run's layers and the digests of the whole sources
//! they read. It stores the pixels (run-length encoded), what the run adds to [`DrawStats`] and the
//! (source, box) reads it made, which are replayed so the sheet's own record of its reads stays complete.
//!
//! ```
//! use frontmap::render::{composite::over_rle, groups::encode_rle};
//! let pixels = [0u8, 0, 0, 0, 0, 0, 0, 0, 9, 8, 7, 255];
//! let mut canvas = [0u8; 12]; // a kept run blended over a transparent canvas is the run itself
//! assert_eq!(over_rle(&mut canvas, &encode_rle(&pixels)), Some(()));
//! assert_eq!(canvas, pixels);
//! ```

use super::composite;
use super::draw::{self, DrawStats};
use super::mercator::View;
use super::reads::{self, Reads};
use super::scene::{Scene, Selection};
use super::source::{self, Digest};
use super::style::{Layer, LayerKind};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tiny_skia::Pixmap;

/// Where fixed runs are kept between builds, and what they are valid for.
#[derive(Debug, Clone, Default)]
pub struct RunCache {
    dir: Option<PathBuf>,
    key: Digest,
    sources: BTreeMap<String, Digest>,
}

/// First bytes of a kept run (format version included: bump on any change of layout).
const MAGIC: &[u8; 8] = b"FMRUN01\n";

impl RunCache {
    /// No cache: every run is drawn (the same way, so the output is the same).
    pub fn off() -> RunCache {
        RunCache::default()
    }

    /// A cache in `dir` for renderings whose inputs besides the features are summed up by `key`.
    pub fn new(dir: &Path, key: Digest, scene: &Scene) -> RunCache {
        let sources = scene
            .sources
            .iter()
            .map(|(id, s)| {
                let mut h = blake3::Hasher::new();
                for f in &s.features {
                    h.update(&f.digest);
                }
                (id.clone(), source::short(h.finalize()))
            })
            .collect();
        RunCache { dir: Some(dir.to_path_buf()), key, sources }
    }

    /// The same cache and source digests for another caller key (one per sheet).
    pub fn keyed(&self, key: Digest) -> RunCache {
        RunCache { key, ..self.clone() }
    }

    fn run_key(&self, part: &str, view: &View, sel: &Selection, layers: &[&Layer]) -> Digest {
        let mut h = blake3::Hasher::new();
        h.update(&self.key);
        h.update(format!("{part}\0{view:?}\0{sel:?}\0").as_bytes());
        for l in layers {
            h.update(l.id.as_bytes());
            h.update(&[0]);
            if let Some(d) = l.source.as_ref().and_then(|s| self.sources.get(s)) {
                h.update(d);
            }
        }
        source::short(h.finalize())
    }

    fn path(&self, part: &str, index: usize) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.join(format!("{}.{index}.run", file_part(part))))
    }

    /// Where a part of a sheet keeps its label sprites ([`super::sprites`]); none when the cache is off.
    pub fn sprites_file(&self, part: &str) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.join(format!("{}.sprites", file_part(part))))
    }

    /// Draw what `draw` draws as an overlay of `pixmap`: into a transparent canvas of its own, kept under
    /// `part` for `key` (everything the drawing depends on besides the caller's key), then blended over
    /// `pixmap` — or blended straight from the cache when it holds it. Furniture is the same from one
    /// edit to the next; the same arithmetic either way keeps a sheet byte-identical to one drawn anew.
    pub fn overlay(&self, pixmap: &mut Pixmap, part: &str, key: &[u8], draw: impl FnOnce(&mut Pixmap)) {
        let (w, h) = (pixmap.width(), pixmap.height());
        let mut hasher = blake3::Hasher::new();
        hasher.update(&self.key);
        hasher.update(part.as_bytes());
        hasher.update(&[0]);
        hasher.update(key);
        let key = source::short(hasher.finalize());
        if let Some(k) = self.load(part, 0, &key, w, h) {
            if composite::over_rle(pixmap.data_mut(), &k.bytes[k.rle_at..]).is_some() {
                return;
            }
        }
        // A canvas of the size of one that exists: it cannot fail to be made.
        let Some(mut layer) = Pixmap::new(w, h) else { return draw(pixmap) };
        draw(&mut layer);
        self.store(part, 0, &key, &layer, &DrawStats::default(), &Reads::default());
        composite::over_pixmap(pixmap, &layer, 0, 0);
    }

    /// Where a sheet keeps something else between builds under `name` (its PNG's bands); none when the
    /// cache is off.
    pub fn kept_file(&self, name: &str) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.join(format!("{}.kept", file_part(name))))
    }

    /// Remove the kept runs of every sheet but these (a sheet removed from `maps.toml` leaves none behind).
    pub fn retain_sheets(&self, sheets: &[&str]) {
        let Some(dir) = &self.dir else { return };
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        let prefixes: Vec<String> = sheets.iter().map(|s| format!("{}.", file_part(s))).collect();
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if [".run", ".sprites", ".kept"].iter().any(|e| name.ends_with(e))
                && !prefixes.iter().any(|p| name.starts_with(p.as_str()))
            {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }

    /// The kept run, if its file holds exactly this key and size.
    fn load(&self, part: &str, index: usize, key: &Digest, w: u32, h: u32) -> Option<Kept> {
        let bytes = std::fs::read(self.path(part, index)?).ok()?;
        let rest = bytes.strip_prefix(MAGIC)?;
        let (k, rest) = rest.split_at_checked(16)?;
        if k != key {
            return None;
        }
        let (dims, rest) = rest.split_at_checked(12)?;
        let word = |i: usize| dims.get(i..i + 4).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes);
        if word(0)? != w || word(4)? != h {
            return None;
        }
        let (meta, rle) = rest.split_at_checked(word(8)? as usize)?;
        let (stats, reads): (StoredStats, Reads) = postcard::from_bytes(meta).ok()?;
        let rle_at = bytes.len() - rle.len();
        Some(Kept { stats: stats.into(), reads, bytes, rle_at })
    }

    /// Keep a run (a cache that cannot be written only makes the next build slower).
    fn store(&self, part: &str, index: usize, key: &Digest, pm: &Pixmap, stats: &DrawStats, reads: &Reads) {
        let Some(path) = self.path(part, index) else { return };
        let Ok(meta) = postcard::to_stdvec(&(StoredStats::from(stats), reads)) else { return };
        let mut bytes = Vec::with_capacity(64 + meta.len());
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(key);
        for v in [pm.width(), pm.height(), meta.len() as u32] {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        bytes.extend_from_slice(&meta);
        bytes.extend_from_slice(&encode_rle(pm.data()));
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = crate::atomic::write(&path, &bytes);
    }
}

/// A sheet or part name as it appears in a run's file name.
fn file_part(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '.' }).collect()
}

/// A run read back from the cache.
struct Kept {
    stats: DrawStats,
    reads: Reads,
    /// The run's file; its pixels, run-length encoded ([`encode_rle`]) from `rle_at` on, are checked when
    /// they are composited.
    bytes: Vec<u8>,
    rle_at: usize,
}

/// [`DrawStats`] as stored (boxes as plain arrays).
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredStats {
    drawn: BTreeMap<String, usize>,
    values: BTreeMap<String, std::collections::BTreeSet<String>>,
    obstacles: Vec<[f64; 4]>,
}

impl From<&DrawStats> for StoredStats {
    fn from(s: &DrawStats) -> StoredStats {
        StoredStats {
            drawn: s.drawn.clone(),
            values: s.values.clone(),
            obstacles: s.obstacles.iter().map(|b| [b.x0, b.y0, b.x1, b.y1]).collect(),
        }
    }
}

impl From<StoredStats> for DrawStats {
    fn from(s: StoredStats) -> DrawStats {
        DrawStats {
            drawn: s.drawn,
            values: s.values,
            obstacles: s
                .obstacles
                .into_iter()
                .map(|b| draw::PxBox { x0: b[0], y0: b[1], x1: b[2], y1: b[3] })
                .collect(),
        }
    }
}

/// Whether a layer reads what the build writes (a source under `out/`), so it is drawn on every run.
pub(crate) fn live(scene: &Scene, layer: &Layer) -> bool {
    layer.source.as_ref().and_then(|s| scene.style.sources.get(s)).is_some_and(|d| d.data.starts_with("out/"))
}

/// Draw the layers `sel` shows at `view` onto `pixmap` (transparent, the view's size), run by run,
/// taking fixed runs from `cache` when it holds them under this `part` name (unique within the caller's
/// key) and keeping those it draws.
pub fn draw_map(
    pixmap: &mut Pixmap,
    scene: &Scene,
    view: &View,
    sel: &Selection,
    stats: &mut DrawStats,
    cache: &RunCache,
    part: &str,
) {
    // Labels are placed and drawn later, over the whole map: they take no part in the runs.
    let layers: Vec<&Layer> = scene
        .style
        .layers
        .iter()
        .filter(|l| l.kind != LayerKind::Symbol && l.visible_at(view.zoom) && sel.shows_layer(&l.id))
        .collect();
    let mut runs: Vec<(bool, Vec<&Layer>)> = Vec::new();
    for l in layers {
        let fixed = !live(scene, l);
        match runs.last_mut() {
            Some((f, run)) if *f == fixed => run.push(l),
            _ => runs.push((fixed, vec![l])),
        }
    }
    for (index, (fixed, run)) in runs.iter().enumerate() {
        if !fixed {
            for l in run {
                draw::draw_layer(pixmap, scene, l, view, sel, stats);
            }
            continue;
        }
        let key = cache.run_key(part, view, sel, run);
        let (w, h) = (pixmap.width(), pixmap.height());
        // A kept run is blended over the canvas with the same arithmetic as a run just drawn.
        if let Some(k) = cache.load(part, index, &key, w, h) {
            if composite::over_rle(pixmap.data_mut(), &k.bytes[k.rle_at..]).is_some() {
                for (source, b) in &k.reads.0 {
                    reads::note(source, *b);
                }
                stats.absorb(k.stats);
                continue;
            }
        }
        // The first run is drawn on the (transparent) canvas itself; later ones apart, then blended.
        let mut layer_pm = if index == 0 { None } else { Pixmap::new(w, h) };
        let target = match layer_pm.as_mut() {
            Some(pm) => pm,
            None => &mut *pixmap,
        };
        let mut run_stats = DrawStats::default();
        let ((), read) = reads::recording(|| {
            for l in run {
                draw::draw_layer(target, scene, l, view, sel, &mut run_stats);
            }
        });
        cache.store(part, index, &key, target, &run_stats, &read);
        if let Some(pm) = &layer_pm {
            composite::over_pixmap(pixmap, pm, 0, 0);
        }
        stats.absorb(run_stats);
    }
}

/// Run-length encode RGBA pixels: tokens of a little-endian `u32` header, then either one pixel repeated
/// `header & 0x7fff_ffff` times (high bit set) or `header` literal pixels. Maps are mostly flat colour or
/// transparent, so this shrinks them tenfold and decodes at memory speed.
pub fn encode_rle(data: &[u8]) -> Vec<u8> {
    let px: Vec<[u8; 4]> = data.chunks_exact(4).map(|c| [c[0], c[1], c[2], c[3]]).collect();
    let mut out = Vec::new();
    let mut i = 0;
    let mut literal_start = 0;
    let flush = |out: &mut Vec<u8>, from: usize, to: usize| {
        if to > from {
            out.extend_from_slice(&((to - from) as u32).to_le_bytes());
            for p in &px[from..to] {
                out.extend_from_slice(p);
            }
        }
    };
    while i < px.len() {
        let mut j = i + 1;
        while j < px.len() && px[j] == px[i] && j - i < 0x7fff_ffff {
            j += 1;
        }
        if j - i >= 3 {
            flush(&mut out, literal_start, i);
            out.extend_from_slice(&(((j - i) as u32) | 0x8000_0000).to_le_bytes());
            out.extend_from_slice(&px[i]);
            literal_start = j;
        }
        i = j;
    }
    flush(&mut out, literal_start, px.len());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_runs_of_a_sheet_no_longer_drawn_are_removed() {
        let dir = std::env::temp_dir().join(format!("frontmap-runs-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        for f in ["theatre.map.1.run", "theatre.panel-0.0.run", "al-qaim.map.1.run", "gone.map.1.run", "notes.txt"] {
            std::fs::write(dir.join(f), b"").unwrap_or_else(|e| panic!("{e}"));
        }
        let cache = RunCache { dir: Some(dir.clone()), key: [0; 16], sources: BTreeMap::new() };
        cache.retain_sheets(&["theatre", "al qaim"]);
        let mut left: Vec<String> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["notes.txt", "theatre.map.1.run", "theatre.panel-0.0.run"]);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn rle_round_trips_runs_and_literals() {
        let mut data = vec![0u8; 4 * 100];
        data.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4]);
        data.extend(std::iter::repeat_n([10u8, 20, 30, 255], 7).flatten());
        data.extend_from_slice(&[9, 9, 9, 9]);
        let enc = encode_rle(&data);
        assert!(enc.len() < data.len() / 4);
        // Over a transparent canvas, the decoded run is the run itself; another size is refused.
        let mut canvas = vec![0u8; data.len()];
        assert_eq!(composite::over_rle(&mut canvas, &enc), Some(()));
        assert_eq!(canvas, data);
        assert_eq!(composite::over_rle(&mut vec![0u8; data.len() + 4], &enc), None);
        assert_eq!(composite::over_rle(&mut canvas, &enc[..enc.len() - 1]), None);
        assert_eq!(composite::over_rle(&mut [], &[]), Some(()));
    }
}
