//! XYZ raster tiles, MBTiles and the web viewer: the map of the sheets, cut into a pyramid that web maps and
//! QGIS read.
//!
//! One renderer: a tile is a [`View`](crate::render::View) of the same [`Scene`] the sheets draw, at the
//! style zoom of its tile zoom (MapLibre's convention: 256-px tile zoom − 1). Labels are placed once per
//! zoom level over the level's whole extent ([`labels`]), so they are never cut or duplicated at tile edges.
//! Lines are drawn "seamless" (dash phase and arrow shapes computed on the whole line), so they continue
//! across tile edges too.
//!
//! Layers: the tiles carry the basemap, places and everything undated; the dated layers (the sources that
//! `maps.toml` gives date windows: events, fronts, areas) are left to the viewer, which draws them above
//! the tiles with a date slider — a raster cannot be filtered by date. `--all-layers` bakes them in too,
//! at the theatre sheet's dates.
//!
//! Per file: [`tile`] (tile maths), [`plan`] (which tiles), [`labels`] (placement per level), [`raster`]
//! (one tile → PNG), [`store`] (the XYZ directory), [`mbtiles`] (the SQLite file), [`pmtiles`] (the
//! single-file archive for static hosting).

pub mod base;
pub mod error;
pub mod labels;
pub mod mapped;
pub mod mbtiles;
pub mod plan;
pub mod pmtiles;
pub mod raster;
pub mod store;
pub mod tile;

pub use error::TilesError;
pub use plan::{Plan, ZoomRange};
pub use tile::{TileId, TileRange};

use crate::render::reads::{self, FeatureIndex, Reads};
use crate::render::scene::{DateWindow, Scene, Selection};
use crate::render::sheets::{DateSpec, SheetsFile};
use crate::render::source::{self, Digest};
use crate::render::style::Style;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use raster::{TileImage, TileRenderer};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// What `frontmap tiles` (and the tile step of `build`) renders, from where, to where.
#[derive(Debug, Clone)]
pub struct TilesConfig {
    /// The styles directory (`maps.toml`, and the style it names).
    pub styles: PathBuf,
    /// A style file to use instead of the one `maps.toml` names.
    pub style: Option<PathBuf>,
    /// Relative style paths resolve against this directory (the repository root).
    pub base: PathBuf,
    /// Output directory: tiles go to `OUT/tiles/` (`OUT/tiles@2x/` at scale 2), `OUT/tiles.mbtiles`, and
    /// the viewer to `OUT/index.html`.
    pub out: PathBuf,
    /// Only these zooms (of the default plan, or of `bbox`).
    pub zoom: Option<ZoomRange>,
    /// One box (west, south, east, north in degrees) at every zoom instead of the default plan.
    pub bbox: Option<[f64; 4]>,
    /// Device pixel ratio: 1 (256-px tiles) or 2 (512-px tiles, "@2x").
    pub scale: f64,
    /// Replace a style source's file.
    pub source_overrides: BTreeMap<String, PathBuf>,
    /// Rewrite relative style paths starting with a prefix (`out/` → the build's output directory).
    pub path_prefixes: Vec<(String, PathBuf)>,
    /// Draw the dated layers into the tiles too (at the theatre sheet's date windows).
    pub all_layers: bool,
    /// Write `tiles.mbtiles`.
    pub mbtiles: bool,
    /// Write `tiles.pmtiles`.
    pub pmtiles: bool,
    /// Write `index.html` and the vendored Leaflet (only at scale 1).
    pub viewer: bool,
    /// Show a progress bar on stderr (it hides itself when stderr is not a terminal).
    pub progress: bool,
    /// Sources already loaded by this build (its sheets read the same files).
    pub shelf: crate::render::scene::SourceShelf,
    /// Where the bases of low-zoom tiles are kept between runs ([`base`]); `None`: drawn every time.
    pub bases: Option<PathBuf>,
}

impl TilesConfig {
    /// The defaults for a source tree rooted at `base`: `base/styles`, into `base/out`, the default pyramid
    /// at 1×, with MBTiles and the viewer.
    pub fn new(base: &Path) -> TilesConfig {
        TilesConfig {
            styles: base.join("styles"),
            style: None,
            base: base.to_path_buf(),
            out: base.join("out"),
            zoom: None,
            bbox: None,
            scale: 1.0,
            source_overrides: BTreeMap::new(),
            path_prefixes: Vec::new(),
            all_layers: false,
            mbtiles: true,
            pmtiles: true,
            viewer: true,
            progress: false,
            shelf: Default::default(),
            bases: None,
        }
    }

    /// `tiles`, or `tiles@2x` at scale 2: the directory and MBTiles stem.
    pub fn stem(&self) -> String {
        if (self.scale - 1.0).abs() < 1e-9 { "tiles".into() } else { format!("tiles@{}x", self.scale.round() as u32) }
    }

    /// The XYZ directory.
    pub fn tile_dir(&self) -> PathBuf {
        self.out.join(self.stem())
    }

    /// The MBTiles file.
    pub fn mbtiles_path(&self) -> PathBuf {
        self.out.join(format!("{}.mbtiles", self.stem()))
    }

    /// The PMTiles file.
    pub fn pmtiles_path(&self) -> PathBuf {
        self.out.join(format!("{}.pmtiles", self.stem()))
    }
}

/// What a tiles run did.
#[derive(Debug, Clone, Default)]
pub struct TilesSummary {
    /// Tiles in the plan, per zoom.
    pub planned: BTreeMap<u8, usize>,
    /// Tiles with something drawn (files in the directory, rows in MBTiles).
    pub tiles: usize,
    /// Background-only tiles, not written.
    pub background: usize,
    pub tiles_written: usize,
    pub tiles_unchanged: usize,
    /// Tiles drawn again this run (all of them, unless an earlier run's state showed most unchanged).
    pub rendered: usize,
    /// Stale tiles removed from the directory (no longer in the plan, or now background-only).
    pub tiles_removed: usize,
    /// Labels placed, over all levels.
    pub labels: usize,
    pub mbtiles: Option<mbtiles::MbtilesSummary>,
    pub pmtiles: Option<pmtiles::PmtilesSummary>,
    /// Files other than tiles (MBTiles, PMTiles, index.html, vendored Leaflet) written / unchanged.
    pub files_written: Vec<PathBuf>,
    pub files_unchanged: usize,
    /// Time to load the scene and place the labels of every level (part of `render_seconds`).
    pub label_seconds: f64,
    /// Rendering time (loading, labels, tiles, directory), without MBTiles and viewer.
    pub render_seconds: f64,
    pub seconds: f64,
    pub warnings: Vec<String>,
}

impl TilesSummary {
    /// Tiles in the plan.
    pub fn planned_total(&self) -> usize {
        self.planned.values().sum()
    }

    /// The one-line summary of the CLI.
    pub fn line(&self) -> String {
        let planned = self.planned_total();
        let rate = if self.render_seconds > 0.0 { planned as f64 / self.render_seconds } else { 0.0 };
        let zooms = match (self.planned.keys().next(), self.planned.keys().last()) {
            (Some(a), Some(b)) => format!("z{a}–z{b}"),
            _ => "no zoom".into(),
        };
        let mut s = format!(
            "{planned} tiles ({zooms}) in {:.2} s ({rate:.0} tiles/s; {:.2} s loading and placing labels): {} drawn ({} written, {} unchanged), {} background-only skipped, {} stale removed",
            self.render_seconds,
            self.label_seconds,
            self.tiles,
            self.tiles_written,
            self.tiles_unchanged,
            self.background,
            self.tiles_removed
        );
        if let Some(m) = &self.mbtiles {
            s.push_str(&format!(
                "; {} {:.1} MB, {} distinct images{}",
                m.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
                m.bytes as f64 / 1e6,
                m.images,
                if m.written { "" } else { " (unchanged)" }
            ));
        }
        if let Some(p) = &self.pmtiles {
            s.push_str(&format!(
                "; {} {:.1} MB{}",
                p.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
                p.bytes as f64 / 1e6,
                if p.written { "" } else { " (unchanged)" }
            ));
        }
        s
    }
}

fn rewrite(prefixes: &[(String, PathBuf)], rel: &str) -> Option<PathBuf> {
    prefixes.iter().find_map(|(prefix, dir)| rel.strip_prefix(prefix.as_str()).map(|rest| dir.join(rest)))
}

/// Everything a run needs before drawing: the scene, sheets, plan, selection, attribution.
pub struct Prepared {
    pub scene: Scene,
    pub sheets: SheetsFile,
    pub plan: Plan,
    pub sel: Selection,
    /// The dated sources, drawn by the viewer rather than the tiles (unless `all_layers`).
    pub overlay: BTreeSet<String>,
    pub attribution: String,
}

/// Load the style, layers and sheets, and plan the pyramid.
pub fn prepare(cfg: &TilesConfig) -> Result<Prepared, TilesError> {
    if !(cfg.scale.is_finite() && (1.0..=4.0).contains(&cfg.scale) && cfg.scale.fract() == 0.0) {
        return Err(TilesError::Plan(format!("scale {} must be 1, 2, 3 or 4", cfg.scale)));
    }
    let sheets = SheetsFile::load(&cfg.styles.join("maps.toml"))?;
    let style_path = cfg.style.clone().unwrap_or_else(|| cfg.styles.join(&sheets.defaults.style));
    let style = Style::load(&style_path)?;
    let mut overrides = cfg.source_overrides.clone();
    for (id, def) in &style.sources {
        if let Some(p) = rewrite(&cfg.path_prefixes, &def.data) {
            overrides.entry(id.clone()).or_insert(p);
        }
    }
    let scene = Scene::load_from(style, &cfg.base, &overrides, None, &cfg.shelf)?;
    // Dated sources: those any sheet or panel gives a date window.
    let overlay: BTreeSet<String> = sheets
        .sheets
        .iter()
        .flat_map(|s| s.dates.keys().chain(s.panel.iter().flat_map(|p| p.dates.keys())))
        .filter(|k| scene.style.sources.contains_key(*k))
        .cloned()
        .collect();
    let default_plan = Plan::default_for(&sheets)?;
    let plan = match (cfg.bbox, cfg.zoom) {
        (Some(b), z) => Plan::uniform(b, z.unwrap_or(ZoomRange { min: 0, max: plan::DETAIL_MAX_ZOOM })),
        (None, Some(z)) => default_plan.restrict(z),
        (None, None) => default_plan.clone(),
    };
    if plan.regions.is_empty() {
        return Err(TilesError::Plan("no tiles: the zoom range misses every region of the plan".into()));
    }
    // The theatre (the default plan's first region) lends its date windows to `all_layers`.
    let theatre = default_plan.regions.first().and_then(|r| sheets.sheet(&r.name));
    let sel = if cfg.all_layers {
        let dates = theatre
            .map(|t| {
                t.dates
                    .iter()
                    .map(|(k, v)| {
                        let w = match v {
                            DateSpec::Day(d) => DateWindow::day(d),
                            DateSpec::Range([a, b]) => DateWindow { from: a.clone(), to: b.clone() },
                        };
                        (k.clone(), w)
                    })
                    .collect()
            })
            .unwrap_or_default();
        Selection { only: None, hide: Vec::new(), dates }
    } else {
        let hide = scene
            .style
            .layers
            .iter()
            .filter(|l| l.source.as_ref().is_some_and(|s| overlay.contains(s)))
            .map(|l| l.id.clone())
            .collect();
        Selection { only: None, hide, dates: BTreeMap::new() }
    };
    let corpus =
        sheets.defaults.corpus.as_deref().map(|c| rewrite(&cfg.path_prefixes, c).unwrap_or_else(|| cfg.base.join(c)));
    let attribution = crate::render::attribution(&sheets.defaults.attribution, corpus.as_deref());
    Ok(Prepared { scene, sheets, plan, sel, overlay, attribution })
}

fn progress_bar(cfg: &TilesConfig, len: usize) -> ProgressBar {
    if !cfg.progress {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{prefix} [{bar:32}] {pos}/{len} tiles, {per_sec}, {eta} left")
        .map(|s| s.progress_chars("=> "))
    {
        pb.set_style(style);
    }
    pb.set_prefix("tiles");
    pb
}

/// Render the pyramid into `cfg.out`: the XYZ directory, MBTiles and the viewer.
pub fn build_tiles(cfg: &TilesConfig) -> Result<TilesSummary, TilesError> {
    build_tiles_since(cfg, None).map(|(s, _)| s)
}

/// What one tile depended on when it was last drawn.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct TileRecord {
    /// The features it read: for each source (an index into [`TilesState::sources`]; `u16::MAX` for one not
    /// there, taken as changed), the projected box it read (an index into `boxes`). A tile reads most of its
    /// sources over one box or two, and thousands of tiles name the same sources: as indexes, the state of a
    /// pyramid is a fraction of the size, and decodes without allocating a name per read.
    reads: Vec<(u16, u16)>,
    boxes: Vec<[f64; 4]>,
    /// The labels of its level that reach into it.
    labels: Digest,
    /// Whether it drew anything (background-only tiles have no file).
    drawn: bool,
}

impl TileRecord {
    fn new(reads: &Reads, sources: &[String], labels: Digest, drawn: bool) -> TileRecord {
        let mut boxes: Vec<[f64; 4]> = Vec::new();
        let reads = reads
            .0
            .iter()
            .map(|(s, b)| {
                let source = sources.binary_search(s).ok().and_then(|i| u16::try_from(i).ok()).unwrap_or(u16::MAX);
                let at = match boxes.iter().position(|x| x == b) {
                    Some(i) => i,
                    None => {
                        boxes.push(*b);
                        boxes.len() - 1
                    }
                };
                (source, u16::try_from(at).unwrap_or(u16::MAX))
            })
            .collect();
        TileRecord { reads, boxes, labels, drawn }
    }

    /// Whether a feature changed where the tile read: `changed[i]` holds the boxes where source `i` of the
    /// record's table changed.
    fn touched(&self, changed: &[Option<&Vec<crate::render::mercator::Bbox>>]) -> bool {
        self.reads.iter().any(|&(s, b)| match (changed.get(usize::from(s)), self.boxes.get(usize::from(b))) {
            (Some(Some(boxes)), Some(r)) => {
                let reach = crate::render::mercator::Bbox::new(r[0], r[1], r[2], r[3]);
                boxes.iter().any(|x| x.intersects(&reach))
            }
            (Some(None), Some(_)) => false,
            _ => true,
        })
    }

    /// The record with its sources indexed in table `to` instead of `from`.
    fn reindexed(mut self, from: &[String], to: &[String]) -> TileRecord {
        for (s, _) in &mut self.reads {
            let name = from.get(usize::from(*s));
            *s = name.and_then(|n| to.binary_search(n).ok()).and_then(|i| u16::try_from(i).ok()).unwrap_or(u16::MAX);
        }
        self
    }
}

/// What a pyramid depended on ([`build_tiles_since`] keeps it between runs).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
struct TilesState {
    /// Everything but features and labels: binary, style and sheet files, plan, selection, scale.
    global: Digest,
    features: FeatureIndex,
    /// The sources the records name, sorted.
    sources: Vec<String>,
    tiles: BTreeMap<(u8, u32, u32), TileRecord>,
    /// The stamp of the PMTiles archive this state's run left (none if it wrote none).
    pmtiles: Option<crate::incremental::Stamp>,
}

fn global_key(cfg: &TilesConfig, prep: &Prepared) -> Digest {
    let mut h = blake3::Hasher::new();
    h.update(crate::identity::binary().as_bytes());
    h.update(&std::fs::read(&prep.scene.style.path).unwrap_or_default());
    h.update(&std::fs::read(cfg.styles.join("maps.toml")).unwrap_or_default());
    h.update(
        format!("{:?}|{:?}|{}|{}|{}", prep.plan, prep.sel, cfg.scale, cfg.all_layers, prep.attribution).as_bytes(),
    );
    source::short(h.finalize())
}

/// A drawn tile and its PNG.
type TileBytes = (TileId, Arc<Vec<u8>>);

/// A tile of this run: left as it was, or drawn again.
enum Outcome {
    Clean(TileRecord),
    Drawn(TileImage, Option<store::Stored>, TileRecord),
}

/// [`build_tiles`], drawing again only the tiles whose inputs changed since the run that returned
/// `previous` (the opaque state this function returns). A tile is redrawn when the style, sheets file,
/// plan or scale changed, when a feature it read was added, removed or changed, when the labels of its
/// level that reach into it changed, or when its file is missing. MBTiles is then updated in place (one
/// transaction for the changed tiles); PMTiles, whose directory is one sorted block, is rewritten when
/// any tile changed.
pub fn build_tiles_since(cfg: &TilesConfig, previous: Option<&[u8]>) -> Result<(TilesSummary, Vec<u8>), TilesError> {
    let started = Instant::now();
    let mut prep = prepare(cfg)?;
    let levels = prep.plan.levels()?;
    let mut summary = TilesSummary { warnings: prep.scene.warnings.clone(), ..Default::default() };
    for l in &levels {
        summary.planned.insert(l.z, l.tiles.len());
    }
    let prev: TilesState = previous.and_then(|b| postcard::from_bytes(b).ok()).unwrap_or_default();
    let global = global_key(cfg, &prep);
    let features = FeatureIndex::of(&prep.scene);
    let same_global = prev.global == global;
    let changes = prev.features.changes(&features);
    // Where each source of the previous records changed.
    let changed_in: Vec<_> = prev.sources.iter().map(|s| changes.boxes.get(s)).collect();
    let sources: Vec<String> = prep.scene.sources.keys().cloned().collect();
    let all: Vec<TileId> = levels.iter().flat_map(|l| l.tiles.iter().copied()).collect();
    store::clean_interrupted(&cfg.tile_dir());
    let dir = store::TileDir::new(&cfg.tile_dir(), "");
    let present = if prev.tiles.is_empty() { Default::default() } else { dir.present(&all) };
    // Every tile known, unchanged, and its file (if drawn) in place: nothing will be drawn.
    let untouched = same_global
        && changes.is_empty()
        && all.iter().all(|t| prev.tiles.get(&(t.z, t.x, t.y)).is_some_and(|r| !r.drawn || present.contains(t)));
    // Labels: one placement per level over its whole extent, levels in parallel. They avoid the dots the
    // viewer draws over the tiles (every date: the slider's last day shows them all). Not needed when
    // nothing will be drawn.
    let avoid = Selection { hide: Vec::new(), ..prep.sel.clone() };
    let placements: HashMap<u8, crate::render::labels::Placement> = if untouched {
        HashMap::new()
    } else {
        levels.par_iter().map(|l| (l.z, labels::place_level(&prep.scene, l, &prep.sel, &avoid, cfg.scale))).collect()
    };
    summary.labels = placements.values().map(|p| p.labels.len()).sum();
    // The dated sources only kept the labels off the viewer's dots: unless drawn into the tiles, they go now
    // (megabytes of events at 10,000 articles), before the tiles are drawn.
    if !cfg.all_layers {
        drop_features(&mut prep.scene, &cfg.shelf, |id| prep.overlay.contains(id));
    }
    summary.label_seconds = started.elapsed().as_secs_f64();
    let bases = cfg.bases.as_deref().and_then(|dir| base::KeptBases::new(dir, global, &prep.scene));
    if let Some(b) = bases.as_ref().filter(|_| !same_global) {
        // Kept under another plan or style: none is valid, and tiles gone from the plan leave none behind.
        b.clear();
    }
    let renderer = TileRenderer::new(&prep.scene, &prep.sel, cfg.scale, &placements).keeping_bases(bases);
    let size = f64::from(renderer.size());
    let cells: HashMap<u8, crate::render::labels::LabelCells> =
        placements.iter().map(|(z, p)| (*z, crate::render::labels::LabelCells::new(p, size))).collect();
    let bar = progress_bar(cfg, all.len());
    if !untouched {
        dir.begin_writes()?;
    }
    let outcomes: Vec<Outcome> = all
        .par_iter()
        .map(|t| {
            let view = renderer.view(t);
            let labels = placements
                .get(&t.z)
                .zip(cells.get(&t.z))
                .map(|(p, c)| crate::render::labels::labels_digest_in(p, c, &view, size, size));
            if let Some(rec) = prev.tiles.get(&(t.z, t.x, t.y)).filter(|_| same_global) {
                let labels_same = labels.is_none_or(|l| l == rec.labels);
                if labels_same && !rec.touched(&changed_in) && (!rec.drawn || present.contains(t)) {
                    bar.inc(1);
                    return Ok(Outcome::Clean(rec.clone()));
                }
            }
            if !dir.path(t).parent().is_some_and(Path::is_dir) {
                dir.create_dirs(std::slice::from_ref(t))?;
            }
            let (img, read) = reads::recording(|| renderer.render(t));
            let img = img?;
            let stored = match &img {
                TileImage::Png(bytes) | TileImage::Flat(_, bytes) => Some(dir.put(t, bytes)?),
                TileImage::Background => None,
            };
            let rec = TileRecord::new(&read.merged(), &sources, labels.unwrap_or_default(), img.bytes().is_some());
            bar.inc(1);
            Ok(Outcome::Drawn(img, stored, rec))
        })
        .collect::<Result<_, TilesError>>()?;
    bar.finish_and_clear();
    let reindex = prev.sources != sources;
    let mut state = TilesState { global, features, sources, tiles: BTreeMap::new(), pmtiles: None };
    // Tiles redrawn (None: no longer drawn), for the in-place MBTiles update.
    let mut changed: Vec<(TileId, Option<Arc<Vec<u8>>>)> = Vec::new();
    let mut keep: BTreeSet<TileId> = BTreeSet::new();
    let mut fresh: HashMap<TileId, Arc<Vec<u8>>> = HashMap::new();
    for (t, outcome) in all.iter().zip(outcomes) {
        let rec = match outcome {
            Outcome::Clean(rec) => {
                if rec.drawn {
                    summary.tiles_unchanged += 1;
                    keep.insert(*t);
                }
                if reindex { rec.reindexed(&prev.sources, &state.sources) } else { rec }
            }
            Outcome::Drawn(img, stored, rec) => {
                summary.rendered += 1;
                match img.bytes() {
                    Some(bytes) => {
                        keep.insert(*t);
                        fresh.insert(*t, bytes.clone());
                        if matches!(stored, Some(store::Stored::Written)) {
                            summary.tiles_written += 1;
                        } else {
                            summary.tiles_unchanged += 1;
                        }
                        // Every redrawn tile goes to MBTiles, even when the directory already had its
                        // bytes (an interrupted run may have written the file and not the archive).
                        changed.push((*t, Some(bytes.clone())));
                    }
                    None => changed.push((*t, None)),
                }
                rec
            }
        };
        state.tiles.insert((t.z, t.x, t.y), rec);
    }
    summary.background = state.tiles.values().filter(|r| !r.drawn).count();
    summary.tiles = keep.len();
    // Stale files: everything not kept, when the plan may have changed; else only tiles no longer drawn.
    if !same_global || prev.tiles.is_empty() {
        summary.tiles_removed = dir.prune(&keep)?;
    } else {
        for (t, bytes) in &changed {
            if bytes.is_none() {
                let p = dir.path(t);
                if p.is_file() {
                    std::fs::remove_file(&p).map_err(|e| TilesError::Write { path: p.clone(), source: e })?;
                    summary.tiles_removed += 1;
                }
            }
        }
    }
    dir.end_writes();
    summary.render_seconds = started.elapsed().as_secs_f64();
    // The features are drawn: free them (and the labels) before the archives, which hold every tile twice
    // over. Peak memory at 10,000 articles depends on it.
    drop(renderer);
    drop(cells);
    drop(placements);
    drop_features(&mut prep.scene, &cfg.shelf, |_| true);
    if cfg.mbtiles || cfg.pmtiles {
        let meta = metadata(&prep, cfg)?;
        let in_place = same_global && !prev.tiles.is_empty() && cfg.mbtiles && cfg.mbtiles_path().is_file();
        let pmtiles_current = same_global && changed.is_empty() && cfg.pmtiles_path().is_file();
        // The full set of drawn tiles, when MBTiles must be written whole: fresh bytes, or the file on disk.
        let drawn: Option<Vec<TileBytes>> =
            if cfg.mbtiles && !in_place { Some(full_set(&keep, &fresh, &dir)?) } else { None };
        let pm_job = PmtilesJob {
            path: cfg.pmtiles_path(),
            meta: &meta,
            keep: &keep,
            fresh: &fresh,
            dir: &dir,
            drawn: drawn.as_deref(),
            previous: prev.pmtiles.filter(|_| same_global && !prev.tiles.is_empty()),
        };
        // MBTiles on its own thread while PMTiles is assembled and written here: both end in an fsync.
        let (mb, pm) = std::thread::scope(|s| {
            let mb = cfg.mbtiles.then(|| {
                s.spawn(|| match &drawn {
                    Some(d) => mbtiles::write(&cfg.mbtiles_path(), &meta, d),
                    None => mbtiles::update(&cfg.mbtiles_path(), &meta, &changed),
                })
            });
            let pm = if !cfg.pmtiles {
                Ok(None)
            } else if keep.is_empty() {
                // A PMTiles directory cannot be empty: no archive (and no stale one) when every tile is
                // background.
                match std::fs::remove_file(cfg.pmtiles_path()) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        Err(TilesError::Write { path: cfg.pmtiles_path(), source: e })
                    }
                    _ => Ok(None),
                }
            } else if pmtiles_current {
                Ok(None)
            } else {
                pm_job.run().map(Some)
            };
            let mb = mb.map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).transpose();
            (mb, pm)
        });
        summary.mbtiles = mb?;
        summary.pmtiles = pm?;
        state.pmtiles = match &summary.pmtiles {
            Some(p) => p.stamp,
            None if cfg.pmtiles && pmtiles_current && !keep.is_empty() => prev.pmtiles,
            None => None,
        };
        for (written, path) in [
            summary.mbtiles.as_ref().map(|m| (m.written, m.path.clone())),
            summary.pmtiles.as_ref().map(|p| (p.written, p.path.clone())),
        ]
        .into_iter()
        .flatten()
        {
            if written {
                summary.files_written.push(path);
            } else {
                summary.files_unchanged += 1;
            }
        }
        if cfg.pmtiles && pmtiles_current {
            summary.files_unchanged += 1;
        }
    }
    // The tiles held for the archives go before the viewer, which reads the overlay layers from their files.
    drop(fresh);
    if cfg.viewer && (cfg.scale - 1.0).abs() < 1e-9 {
        let url = format!("{}/{{z}}/{{x}}/{{y}}.png", cfg.stem());
        let input = crate::viewer::ViewerInput {
            scene: &prep.scene,
            plan: &prep.plan,
            attribution: &prep.attribution,
            overlay_sources: &prep.overlay,
            tile_url: &url,
        };
        let v = crate::viewer::write_viewer(&cfg.out, &input)?;
        summary.files_written.extend(v.files_written);
        summary.files_unchanged += v.files_unchanged;
    }
    summary.seconds = started.elapsed().as_secs_f64();
    Ok((summary, crate::incremental::encode(&state).unwrap_or_default()))
}

/// Empty the sources of `scene` that `which` picks, on `shelf` too (ids, paths and presence stay): their
/// features are freed once no other scene holds them.
fn drop_features(scene: &mut Scene, shelf: &crate::render::scene::SourceShelf, which: impl Fn(&str) -> bool) {
    shelf.forget(&which);
    for (id, source) in scene.sources.iter_mut().filter(|(id, _)| which(id)) {
        *source = Arc::new(crate::render::source::Source {
            id: id.clone(),
            path: source.path.clone(),
            features: Vec::new(),
            present: source.present,
        });
    }
}

/// Every drawn tile and its bytes: fresh from this run, or read from its file.
fn full_set(
    keep: &BTreeSet<TileId>,
    fresh: &HashMap<TileId, Arc<Vec<u8>>>,
    dir: &store::TileDir,
) -> Result<Vec<TileBytes>, TilesError> {
    keep.iter()
        .map(|t| match fresh.get(t) {
            Some(b) => Ok((*t, b.clone())),
            None => {
                let p = dir.path(t);
                std::fs::read(&p).map(|b| (*t, Arc::new(b))).map_err(|e| TilesError::Read { path: p, source: e })
            }
        })
        .collect()
}

/// Remove what builds killed mid-write left of the pyramids in `out` (every `tiles*` directory): one
/// `stat` each unless a run was killed, so a build that finds nothing else to do still does it.
pub fn clean_interrupted_tiles(out: &Path) {
    let Ok(entries) = std::fs::read_dir(out) else { return };
    for e in entries.flatten() {
        if e.file_name().to_string_lossy().starts_with("tiles") && e.file_type().is_ok_and(|t| t.is_dir()) {
            store::clean_interrupted(&e.path());
        }
    }
}

/// Writing the PMTiles archive of a run.
struct PmtilesJob<'a> {
    path: PathBuf,
    meta: &'a mbtiles::Metadata,
    keep: &'a BTreeSet<TileId>,
    fresh: &'a HashMap<TileId, Arc<Vec<u8>>>,
    dir: &'a store::TileDir,
    /// Every drawn tile, when the caller already has them all.
    drawn: Option<&'a [TileBytes]>,
    /// The stamp of the archive the previous run left, if its tiles are the ones this run keeps unless
    /// redrawn (same style, plan and scale).
    previous: Option<crate::incremental::Stamp>,
}

impl PmtilesJob<'_> {
    /// Write the archive: tiles not drawn again come from the previous archive when the file is still the
    /// one the previous run wrote, by its stamp (one read instead of thousands, and no hashing of megabytes
    /// an edit does not change), else from their files.
    fn run(&self) -> Result<pmtiles::PmtilesSummary, TilesError> {
        if let Some(d) = self.drawn {
            return pmtiles::write_sorted(&self.path, self.meta, &pmtiles::sorted(d));
        }
        let old: Option<mapped::Mapped> = match self.previous {
            Some(want) if self.keep.iter().any(|t| !self.fresh.contains_key(t)) => {
                let still = crate::incremental::Stamp::of(&self.path) == Some(want);
                still.then(|| mapped::Mapped::open(&self.path).ok()).flatten()
            }
            _ => None,
        };
        let archive = old.as_ref().and_then(|m| pmtiles::Archive::parse(m.bytes()));
        let mut from_files: Vec<(TileId, Vec<u8>)> = Vec::new();
        let mut sorted: Vec<(u64, &[u8])> = Vec::with_capacity(self.keep.len());
        for t in self.keep {
            let id = pmtiles::tile_id(t);
            match (self.fresh.get(t), archive.as_ref().and_then(|a| a.get(id))) {
                (Some(b), _) => sorted.push((id, b.as_slice())),
                (None, Some(b)) => sorted.push((id, b)),
                (None, None) => {
                    let p = self.dir.path(t);
                    let b = std::fs::read(&p).map_err(|e| TilesError::Read { path: p, source: e })?;
                    from_files.push((*t, b));
                }
            }
        }
        sorted.extend(from_files.iter().map(|(t, b)| (pmtiles::tile_id(t), b.as_slice())));
        sorted.sort_by_key(|(id, _)| *id);
        pmtiles::write_sorted(&self.path, self.meta, &sorted)
    }
}

/// The MBTiles metadata of a run: the plan's bounds and zooms, a centre on the deepest regions.
pub fn metadata(prep: &Prepared, cfg: &TilesConfig) -> Result<mbtiles::Metadata, TilesError> {
    let span = prep.plan.zoom_span().ok_or_else(|| TilesError::Plan("empty plan".into()))?;
    let bounds = prep.plan.bounds_lonlat().ok_or_else(|| TilesError::Plan("empty plan".into()))?;
    let deepest = prep.plan.regions.iter().filter(|r| r.zooms.max == span.max);
    let mut focus = crate::render::mercator::Bbox::empty();
    for r in deepest {
        focus.extend([r.bbox.min_x, r.bbox.min_y]);
        focus.extend([r.bbox.max_x, r.bbox.max_y]);
    }
    let [cx, cy] = crate::render::mercator::unproject(focus.center()[0], focus.center()[1]);
    let center_zoom = span.max.saturating_sub(3).max(span.min);
    let name = if prep.scene.style.name.is_empty() { "frontmap".to_string() } else { prep.scene.style.name.clone() };
    Ok(mbtiles::Metadata {
        name,
        description: format!(
            "Raster tiles rendered by frontmap from {} ({}{}); {}",
            prep.scene.style.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            prep.plan
                .regions
                .iter()
                .map(|r| format!("{} z{}–z{}", r.name, r.zooms.min, r.zooms.max))
                .collect::<Vec<_>>()
                .join(", "),
            if cfg.scale > 1.0 { format!(", {}× pixels", cfg.scale) } else { String::new() },
            if cfg.all_layers {
                "every layer, dated ones at the theatre sheet's dates.".to_string()
            } else {
                format!(
                    "the dated layers ({}) are left to the GeoJSON files and the viewer.",
                    prep.overlay.iter().cloned().collect::<Vec<_>>().join(", ")
                )
            }
        ),
        attribution: prep.attribution.clone(),
        bounds,
        center: (cx, cy, center_zoom),
        minzoom: span.min,
        maxzoom: span.max,
    })
}
