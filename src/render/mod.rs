//! The renderer: GeoJSON layers + a MapLibre-subset style → georeferenced PNG map sheets.
//!
//! One renderer serves static sheets and (later) tiles: a [`Scene`] (style + loaded sources) is drawn
//! into any Web Mercator [`View`] by [`draw::draw_layers`]; labels are placed over a view with
//! [`labels::place_labels`] and drawn into that view or any part of it with [`labels::draw_labels`].
//! Sheets add furniture (title, legend, scale bar, north arrow, attribution, inset) on top.
//!
//! Pure and deterministic: identical inputs give byte-identical PNGs and sidecars.

pub mod composite;
pub mod deflate;
pub mod draw;
pub mod error;
pub mod expr;
pub mod furniture;
pub mod geometry;
pub mod georef;
pub mod groups;
pub mod labels;
pub mod mercator;
pub mod png;
pub mod reads;
pub mod scene;
pub mod sheets;
pub mod source;
pub mod sprites;
pub mod style;
pub mod text;

pub use error::RenderError;
pub use mercator::{Bbox, View};
pub use scene::{DateWindow, Scene, Selection};
pub use sheets::{RenderedSheet, SheetsFile};
pub use style::Style;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What `frontmap render` (and `build`) renders, from where, to where.
#[derive(Debug, Clone)]
pub struct RenderConfig {
    /// The styles directory (`default.json`, `maps.toml`).
    pub styles: PathBuf,
    /// Where the sheets are written (`NAME.png`, `NAME.pgw`, `NAME.png.aux.xml`).
    pub out: PathBuf,
    /// Relative source paths in the style (and the corpus path) resolve against this directory.
    pub base: PathBuf,
    /// Device pixel ratio: 1, or 2 for @2x sheets (written as `NAME@2x.png`).
    pub scale: f64,
    /// Only this sheet (all sheets when `None`).
    pub map: Option<String>,
    /// Replace a style source's file (tests and benchmarks render fixtures this way).
    pub source_overrides: BTreeMap<String, PathBuf>,
    /// Rewrite relative style paths that start with a prefix ("out/" → the build's output directory,
    /// "gazetteer/" → the gazetteer in use), so `build --out DIR` renders the layers it just wrote.
    pub path_prefixes: Vec<(String, PathBuf)>,
    /// Where the basemap runs of every sheet are kept between runs ([`groups`]); none when `None`.
    pub cache: Option<PathBuf>,
    /// Sources already loaded by this build (shared with its tiles).
    pub shelf: scene::SourceShelf,
}

impl RenderConfig {
    /// The defaults for a source tree rooted at `base`: `base/styles` → `base/out/maps`, @1x, all sheets.
    pub fn new(base: &Path) -> RenderConfig {
        RenderConfig {
            styles: base.join("styles"),
            out: base.join("out").join("maps"),
            base: base.to_path_buf(),
            scale: 1.0,
            map: None,
            source_overrides: BTreeMap::new(),
            path_prefixes: Vec::new(),
            cache: None,
            shelf: scene::SourceShelf::default(),
        }
    }
}

/// One rendered sheet in the summary.
#[derive(Debug, Clone)]
pub struct SheetSummary {
    pub name: String,
    pub png: PathBuf,
    pub width: u32,
    pub height: u32,
    pub labels: usize,
    pub dropped: Vec<String>,
}

/// What a render run did.
#[derive(Debug, Clone, Default)]
pub struct RenderSummary {
    /// Sheets rendered.
    pub sheets: Vec<SheetSummary>,
    /// Sheets left as they were (an incremental run found nothing they depend on changed).
    pub unchanged: Vec<String>,
    pub files_written: Vec<PathBuf>,
    pub files_unchanged: usize,
    /// Style properties not honoured, missing optional sources.
    pub warnings: Vec<String>,
}

impl RenderSummary {
    /// The one-line summary of the CLI.
    pub fn line(&self) -> String {
        let labels: usize = self.sheets.iter().map(|s| s.labels).sum();
        format!(
            "{} maps, {} labels; {} files written, {} unchanged",
            self.sheets.len(),
            labels,
            self.files_written.len(),
            self.files_unchanged
        )
    }
}

/// The attribution line: the sheets' data credits, then each outlet named in the corpus file once
/// ("AFP (via a French-language news site)" counts as AFP; "AFP / VNA (…)" names two outlets).
pub fn attribution(base: &str, corpus: Option<&Path>) -> String {
    let named = corpus.and_then(|p| std::fs::read_to_string(p).ok()).map(|text| outlets(&text)).unwrap_or_default();
    let outlets: Vec<&str> = named.iter().map(String::as_str).filter(|name| !base.contains(name)).collect();
    if outlets.is_empty() { base.to_string() } else { format!("{base} · {}", outlets.join(" · ")) }
}

/// The outlets a corpus file names, each once, in order. Parsed once per content: a build's sheets and
/// tiles both ask at the same time, and the parse of a 10,000-article corpus file takes tens of megabytes
/// for a moment (issue 8); the second asker waits for the first's answer.
fn outlets(text: &str) -> std::sync::Arc<[String]> {
    type Memo = Option<([u8; 32], std::sync::Arc<[String]>)>;
    static MEMO: std::sync::Mutex<Memo> = std::sync::Mutex::new(None);
    let key = *blake3::hash(text.as_bytes()).as_bytes();
    let mut memo = MEMO.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((k, named)) = &*memo {
        if *k == key {
            return named.clone();
        }
    }
    // Each article's outlet, by file name as a whole-document table would list them; a large file is read a
    // few tables at a time (`text::sections`).
    let sources = |t: &toml::Table, into: &mut BTreeMap<String, String>| -> bool {
        let arts = t.get("articles").and_then(|a| a.as_table());
        for (file, a) in arts.into_iter().flatten() {
            let src = a.get("source").and_then(|s| s.as_str()).unwrap_or_default();
            if into.insert(file.clone(), src.to_string()).is_some() {
                return false;
            }
        }
        true
    };
    let mut by_file = BTreeMap::new();
    let pieces = (text.len() > crate::text::sections::PIECE)
        .then(|| crate::text::sections::sections(text, crate::text::sections::PIECE))
        .flatten()
        .filter(|s| sources(&s.root, &mut by_file) && s.pieces.iter().all(|p| sources(p, &mut by_file)));
    if pieces.is_none() {
        by_file.clear();
        if let Ok(v) = text.parse::<toml::Table>() {
            sources(&v, &mut by_file);
        }
    }
    let mut named: Vec<String> = Vec::new();
    for src in by_file.values() {
        for part in src.split(" / ") {
            let name = match part.find("(via") {
                Some(i) => part[..i].trim(),
                None => part.trim(),
            };
            if !name.is_empty() && !named.iter().any(|o| o == name) {
                named.push(name.to_string());
            }
        }
    }
    let named: std::sync::Arc<[String]> = named.into();
    *memo = Some((key, named.clone()));
    named
}

/// A style-relative path with `cfg.path_prefixes` applied.
fn rewrite(cfg: &RenderConfig, rel: &str) -> Option<PathBuf> {
    cfg.path_prefixes.iter().find_map(|(prefix, dir)| rel.strip_prefix(prefix.as_str()).map(|rest| dir.join(rest)))
}

/// Load the style and the sources the chosen sheets need.
pub fn prepare(cfg: &RenderConfig) -> Result<(Scene, SheetsFile, String), RenderError> {
    let sheets = SheetsFile::load(&cfg.styles.join("maps.toml"))?;
    if let Some(name) = &cfg.map {
        if sheets.sheet(name).is_none() {
            let names: Vec<&str> = sheets.sheets.iter().map(|s| s.name.as_str()).collect();
            return Err(RenderError::Sheet {
                sheet: name.clone(),
                msg: format!("no such sheet in maps.toml (have: {})", names.join(", ")),
            });
        }
    }
    let style = Style::load(&cfg.styles.join(&sheets.defaults.style))?;
    let chosen: Vec<&sheets::SheetDef> =
        sheets.sheets.iter().filter(|s| cfg.map.as_ref().is_none_or(|m| *m == s.name)).collect();
    let layer_ids: BTreeSet<&str> = chosen.iter().flat_map(|s| s.layers(&style.layers)).collect();
    let needed: BTreeSet<String> =
        style.layers.iter().filter(|l| layer_ids.contains(l.id.as_str())).filter_map(|l| l.source.clone()).collect();
    let mut overrides = cfg.source_overrides.clone();
    for (id, def) in &style.sources {
        if let Some(p) = rewrite(cfg, &def.data) {
            overrides.entry(id.clone()).or_insert(p);
        }
    }
    let scene = Scene::load_from(style, &cfg.base, &overrides, Some(&needed), &cfg.shelf)?;
    sheets.check_layers(&scene)?;
    let corpus = sheets.defaults.corpus.as_deref().map(|c| rewrite(cfg, c).unwrap_or_else(|| cfg.base.join(c)));
    let attr = attribution(&sheets.defaults.attribution, corpus.as_deref());
    Ok((scene, sheets, attr))
}

/// Parse the sheets file and its style and check every layer a sheet names: a build runs this before
/// writing anything, so a bad style edit leaves the previous outputs in place.
pub fn check_styles(styles: &Path) -> Result<(), RenderError> {
    let sheets = SheetsFile::load(&styles.join("maps.toml"))?;
    let style = Style::load(&styles.join(&sheets.defaults.style))?;
    sheets.check_style(&style)
}

/// Render one sheet by name (tests and benchmarks use this to look inside a rendering).
pub fn render_one(cfg: &RenderConfig, name: &str) -> Result<RenderedSheet, RenderError> {
    let cfg = RenderConfig { map: Some(name.to_string()), ..cfg.clone() };
    let (scene, sheets, attr) = prepare(&cfg)?;
    let sheet = sheets
        .sheet(name)
        .ok_or_else(|| RenderError::Sheet { sheet: name.to_string(), msg: "no such sheet".into() })?;
    sheets::render_sheet(&scene, &sheets, sheet, cfg.scale, &attr, &groups::RunCache::off())
}

/// File stem of a sheet at a scale: `NAME` at 1x, `NAME@2x` at 2x.
pub fn file_stem(name: &str, scale: f64) -> String {
    if (scale - 1.0).abs() < 1e-9 { name.to_string() } else { format!("{name}@{}x", format_scale(scale)) }
}

fn format_scale(s: f64) -> String {
    if s.fract() == 0.0 { format!("{}", s as i64) } else { format!("{s}") }
}

fn write(path: PathBuf, bytes: &[u8], summary: &mut RenderSummary) -> Result<(), RenderError> {
    match crate::atomic::write(&path, bytes) {
        Ok(true) => summary.files_written.push(path),
        Ok(false) => summary.files_unchanged += 1,
        Err(e) => return Err(RenderError::Write { path, source: e }),
    }
    Ok(())
}

/// Render every sheet of `maps.toml` (or the one named) into `cfg.out`, each as PNG + world file + aux.xml.
pub fn render_sheets(cfg: &RenderConfig) -> Result<RenderSummary, RenderError> {
    render_sheets_since(cfg, None).map(|(s, _)| s)
}

/// What the sheets of the previous build depended on ([`render_sheets_since`] keeps it between builds).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
struct SheetsState {
    features: reads::FeatureIndex,
    /// Sheet file stem → (digest of everything but the features it reads, what it read).
    sheets: BTreeMap<String, (source::Digest, reads::Reads)>,
}

/// Everything a sheet depends on besides the features it reads: the binary, the style and sheet files,
/// the sheet, the scale and the attribution.
fn sheet_key(cfg: &RenderConfig, sheets: &SheetsFile, name: &str, attr: &str) -> source::Digest {
    let mut h = blake3::Hasher::new();
    h.update(crate::identity::binary().as_bytes());
    for p in [cfg.styles.join("maps.toml"), cfg.styles.join(&sheets.defaults.style)] {
        h.update(&std::fs::read(&p).unwrap_or_default());
        h.update(&[0xff]);
    }
    h.update(format!("{name}\0{}\0{attr}", cfg.scale).as_bytes());
    source::short(h.finalize())
}

/// [`render_sheets`], re-rendering only the sheets whose inputs changed since the run that returned
/// `previous` (the opaque state this function returns): a sheet is redrawn when the style, the sheets
/// file, the scale or the attribution changed, when one of its files is missing, or when a feature it
/// read (drew, labelled or avoided) was added, removed or changed.
pub fn render_sheets_since(
    cfg: &RenderConfig,
    previous: Option<&[u8]>,
) -> Result<(RenderSummary, Vec<u8>), RenderError> {
    if !(cfg.scale.is_finite() && (0.25..=4.0).contains(&cfg.scale)) {
        return Err(RenderError::Sheet {
            sheet: cfg.map.clone().unwrap_or_default(),
            msg: format!("scale {} is outside 0.25…4", cfg.scale),
        });
    }
    let (scene, sheets, attr) = prepare(cfg)?;
    let prev: SheetsState = previous.and_then(|b| postcard::from_bytes(b).ok()).unwrap_or_default();
    let features = reads::FeatureIndex::of(&scene);
    let changes = prev.features.changes(&features);
    let mut state = SheetsState { features, sheets: BTreeMap::new() };
    let runs = match &cfg.cache {
        Some(dir) => groups::RunCache::new(dir, [0; 16], &scene),
        None => groups::RunCache::off(),
    };
    let mut summary = RenderSummary { warnings: scene.warnings.clone(), ..Default::default() };
    let mut dirty = Vec::new();
    for sheet in sheets.sheets.iter().filter(|s| cfg.map.as_ref().is_none_or(|m| *m == s.name)) {
        let stem = file_stem(&sheet.name, cfg.scale);
        let files = [
            cfg.out.join(format!("{stem}.png")),
            cfg.out.join(format!("{stem}.pgw")),
            cfg.out.join(format!("{stem}.png.aux.xml")),
        ];
        let key = sheet_key(cfg, &sheets, &sheet.name, &attr);
        match prev.sheets.get(&stem) {
            Some((k, r)) if *k == key && !changes.touches(r) && files.iter().all(|f| f.is_file()) => {
                summary.files_unchanged += files.len();
                summary.unchanged.push(sheet.name.clone());
                state.sheets.insert(stem, (key, r.clone()));
            }
            _ => dirty.push((sheet, stem, files, key)),
        }
    }
    if cfg.map.is_none() {
        runs.retain_sheets(&sheets.sheets.iter().map(|s| s.name.as_str()).collect::<Vec<_>>());
    }
    // Sheets render and encode in parallel; each records what it read on its own thread.
    use rayon::prelude::*;
    let rendered: Vec<_> = dirty
        .par_iter()
        .map(|(sheet, stem, files, key)| {
            let runs = runs.keyed(*key);
            let (r, read) = reads::recording(|| sheets::render_sheet(&scene, &sheets, sheet, cfg.scale, &attr, &runs));
            let r = r?;
            let bytes = match runs.kept_file(&format!("{stem}.png")) {
                Some(kept) => png::encode_keeping(&r.pixmap, &kept),
                None => png::encode(&r.pixmap),
            };
            // Only the PNG is kept: the pixmap (7 MB a 1600×1200 sheet) is freed for the sheets still drawing.
            let done = SheetSummary {
                name: sheet.name.clone(),
                png: files[0].clone(),
                width: r.pixmap.width(),
                height: r.pixmap.height(),
                labels: r.placements.iter().map(|(_, p)| p.labels.len()).sum(),
                dropped: r.placements.iter().flat_map(|(_, p)| p.dropped.iter().cloned()).collect(),
            };
            Ok((done, r.geotransform, r.notes, read.merged(), bytes))
        })
        .collect::<Result<_, RenderError>>()?;
    for ((sheet, stem, files, key), (done, geotransform, notes, read, bytes)) in dirty.into_iter().zip(rendered) {
        state.sheets.insert(stem, (key, read));
        write(files[0].clone(), &bytes, &mut summary)?;
        write(files[1].clone(), georef::world_file(&geotransform).as_bytes(), &mut summary)?;
        let mut meta: Vec<(&str, String)> = notes;
        meta.push(("frontmap:sheet", sheet.name.clone()));
        meta.push(("frontmap:scale", format_scale(cfg.scale)));
        write(files[2].clone(), georef::aux_xml(&meta).as_bytes(), &mut summary)?;
        summary.sheets.push(done);
    }
    Ok((summary, crate::incremental::encode(&state).unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outlets_of_a_large_corpus_file_come_in_file_name_order() {
        // Read in pieces, listed by file name as a whole-document table lists them, each outlet once.
        let mut text = String::from("[articles.\"z.txt\"]\nsource = \"ANF / Le Monde (via a wire)\"\n");
        for i in 0..3000 {
            text.push_str(&format!("[articles.\"m{i:04}.txt\"]\ndate = \"2017-11-03\"\nsource = \"AFP\"\n"));
        }
        text.push_str("[articles.\"a.txt\"]\nsource = \"Reuters\"\n");
        assert!(text.len() > 2 * crate::text::sections::PIECE);
        assert_eq!(&*outlets(&text), ["Reuters", "AFP", "ANF", "Le Monde"]);
    }
}
