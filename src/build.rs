//! The `build` job: articles + gazetteer + styles → every layer in `out/`.

use crate::error::Error;
use crate::events::EventCoder;
use crate::gazetteer::Gazetteer;
use crate::geoparse::{GeoParser, Parsed};
use crate::incremental::manifest::{Manifest, OutputEntry};
use crate::incremental::parse_cache::{CacheWriter, ParseCache};
use crate::incremental::{self, State};
use crate::text::{self, Article, Corpus, DateRange, ZoneRules};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// Where the build reads and writes.
#[derive(Debug, Clone)]
pub struct BuildConfig {
    pub articles: PathBuf,
    pub gazetteer: PathBuf,
    pub styles: PathBuf,
    pub out: PathBuf,
    pub date: Option<DateRange>,
    /// Ignore what the previous build recorded and redo everything.
    pub force: bool,
}

/// What a build did, for the one-line summary.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct BuildSummary {
    pub articles: usize,
    pub mentions: usize,
    pub places: usize,
    pub events: usize,
    /// Axes of advance (arrow + front line each), pocket states and checked claims (issue 4).
    pub axes: usize,
    pub areas: usize,
    pub claims: usize,
    pub maps: usize,
    /// Tiles drawn (issue 6), and how many of them were already up to date.
    pub tiles: usize,
    pub tiles_unchanged: usize,
    pub files_written: Vec<PathBuf>,
    pub files_unchanged: usize,
    pub warnings: Vec<String>,
    /// What changed in the inputs since the last build, in words ("Rawa moved 5.6 km north",
    /// "article 005_x.txt added", "style default.json changed"); empty on a first build.
    pub changes: Vec<String>,
    /// What this build had to redo.
    pub rebuilt: Rebuilt,
    /// Wall time of the build.
    pub elapsed: std::time::Duration,
}

/// What an incremental build redid: features that differ in the layers, sheets and tiles re-rendered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Rebuilt {
    pub articles_parsed: usize,
    pub events: usize,
    pub fronts: usize,
    pub areas: usize,
    pub places: usize,
    pub sheets: usize,
    pub tiles: usize,
}

/// State kept between the builds of one process (`frontmap watch`), so a rebuild can reuse what the
/// previous one loaded. The default session is a one-off build's, which keeps nothing.
#[derive(Default)]
pub struct Session {
    gazetteer: Option<(String, std::sync::Arc<Gazetteer>)>,
    keep_gazetteer: bool,
}

impl Session {
    /// A session for a process that builds again and again: the gazetteer stays loaded between builds.
    pub fn long_lived() -> Session {
        Session { gazetteer: None, keep_gazetteer: true }
    }
}

impl BuildSummary {
    pub fn line(&self) -> String {
        format!(
            "{} articles, {} mentions, {} places, {} events, {} axes, {} areas, {} claims, {} maps, {} tiles ({} unchanged); {} files written, {} unchanged",
            self.articles,
            self.mentions,
            self.places,
            self.events,
            self.axes,
            self.areas,
            self.claims,
            self.maps,
            self.tiles,
            self.tiles_unchanged,
            self.files_written.len(),
            self.files_unchanged
        )
    }
}

impl BuildSummary {
    /// What was redone, for `watch`: "3 events, 1 front, 2 sheets, 14 tiles rebuilt in 180 ms".
    pub fn rebuilt_line(&self) -> String {
        let r = &self.rebuilt;
        let mut parts = Vec::new();
        for (n, one, many) in [
            (r.articles_parsed, "article re-parsed", "articles re-parsed"),
            (r.places, "place", "places"),
            (r.events, "event", "events"),
            (r.fronts, "front", "fronts"),
            (r.areas, "area", "areas"),
            (r.sheets, "sheet", "sheets"),
            (r.tiles, "tile", "tiles"),
        ] {
            if n > 0 {
                parts.push(format!("{n} {}", if n == 1 { one } else { many }));
            }
        }
        let ms = self.elapsed.as_secs_f64() * 1000.0;
        if parts.is_empty() {
            format!("nothing to rebuild ({ms:.0} ms)")
        } else {
            format!("{} rebuilt in {ms:.0} ms", parts.join(", "))
        }
    }
}

/// Read one article file given on the command line, with the `corpus.toml` of its directory.
pub fn read_file(path: &Path, rules: &ZoneRules, date: Option<DateRange>) -> Result<Article, Error> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let corpus = Corpus::load(dir)?;
    Ok(text::read_article(path, rules, &corpus, date)?)
}

/// Stream the place mentions of `files` as JSON Lines to `out`, in file order. Files are parsed in
/// parallel a batch at a time, so memory stays bounded however many files there are.
pub fn write_mentions(g: &Gazetteer, files: &[PathBuf], out: &mut impl std::io::Write) -> Result<usize, Error> {
    let parser = GeoParser::new(g);
    let rules = ZoneRules::builtin();
    let batch = 4 * rayon::current_num_threads().max(1);
    let mut count = 0;
    for chunk in files.chunks(batch) {
        let texts: Vec<Result<(String, usize), Error>> = chunk
            .par_iter()
            .map(|f| {
                let article = read_file(f, &rules, None)?;
                let parsed = parser.parse(&article);
                let mut s = String::new();
                for m in &parsed.mentions {
                    s.push_str(&crate::output::places::mention_line(&article, m, g));
                    s.push('\n');
                }
                Ok((s, parsed.mentions.len()))
            })
            .collect();
        for t in texts {
            let (s, n) = t?;
            out.write_all(s.as_bytes()).map_err(|e| Error::Write { path: PathBuf::from("<stdout>"), source: e })?;
            count += n;
        }
    }
    Ok(count)
}

/// Code and merge the events of article files, streamed in parallel batches of 256: only each article's
/// raw events are kept, so memory follows the events, not the text. Each directory's `corpus.toml` is read
/// once; duplicate articles (same text under two names) count once, with a warning, as do read warnings.
pub fn code_files(g: &Gazetteer, files: &[PathBuf], date: Option<DateRange>) -> Result<crate::events::Coded, Error> {
    let rules = ZoneRules::builtin();
    let mut corpora: std::collections::HashMap<PathBuf, Corpus> = std::collections::HashMap::new();
    for f in files {
        let dir = f.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf();
        if let std::collections::hash_map::Entry::Vacant(e) = corpora.entry(dir) {
            let corpus = Corpus::load(e.key())?;
            e.insert(corpus);
        }
    }
    let parser = GeoParser::new(g);
    let events = EventCoder::default();
    let coder = events.coder(g);
    let empty = Corpus::default();
    let mut seen = text::Deduper::default();
    let mut raw = crate::events::RawEvents::default();
    let mut warnings = Vec::new();
    for chunk in files.chunks(BATCH) {
        let read: Vec<Article> = chunk
            .par_iter()
            .map(|f| {
                let dir = f.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
                text::read_article(f, &rules, corpora.get(dir).unwrap_or(&empty), date)
            })
            .collect::<Result<_, _>>()?;
        let (kept, dups) = seen.admit_all(read);
        warnings.extend(dups);
        warnings.extend(text::read_warnings(&kept));
        let coded: Vec<_> = kept.par_iter().map(|a| EventCoder::article_events(&coder, a, &parser.parse(a))).collect();
        for (r, w) in coded {
            raw.extend(r);
            warnings.extend(w);
        }
    }
    Ok(crate::events::Coded { events: events.merge(raw, g), warnings })
}

/// Read every article of a directory (with its `corpus.toml`).
pub fn read_articles(dir: &Path, date: Option<DateRange>) -> Result<Vec<Article>, Error> {
    let corpus = Corpus::load(dir)?;
    let rules = ZoneRules::builtin();
    let paths = text::list_articles(dir)?;
    paths.par_iter().map(|p| text::read_article(p, &rules, &corpus, date).map_err(Error::from)).collect()
}

/// Geoparse articles in parallel.
pub fn geoparse_all(parser: &GeoParser<'_>, articles: &[Article]) -> Vec<Parsed> {
    articles.par_iter().map(|a| parser.parse(a)).collect()
}

fn write(out: &Path, name: &str, bytes: &[u8], summary: &mut BuildSummary) -> Result<(), Error> {
    let path = out.join(name);
    match crate::atomic::write(&path, bytes) {
        Ok(true) => summary.files_written.push(path),
        Ok(false) => summary.files_unchanged += 1,
        Err(e) => return Err(Error::Write { path, source: e }),
    }
    Ok(())
}

/// [`write`] of a file streamed by `fill`, never held whole.
fn write_streamed(
    out: &Path,
    name: &str,
    fill: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
    summary: &mut BuildSummary,
) -> Result<(), Error> {
    let path = out.join(name);
    let io_err = |e| Error::Write { path: path.clone(), source: e };
    match crate::atomic::write_streamed(&path, io_err, |w| fill(w).map_err(io_err))? {
        ((), true) => summary.files_written.push(path),
        ((), false) => summary.files_unchanged += 1,
    }
    Ok(())
}

/// Write a layer streamed by `fill` (the features as they are made: no layer is held whole) and count its
/// features that differ from the previous version (by id). Like [`write`], an identical file is left
/// untouched.
fn write_layer<T>(
    out: &Path,
    name: &str,
    fill: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<T>,
    summary: &mut BuildSummary,
) -> Result<(T, usize), Error> {
    let path = out.join(name);
    let io_err = |e| Error::Write { path: path.clone(), source: e };
    let (value, staged) = crate::atomic::stage(&path, io_err, |w| fill(w).map_err(io_err))?;
    if staged.unchanged() {
        summary.files_unchanged += 1;
        return Ok((value, 0));
    }
    let changed = incremental::diff::diff_layer_files(&path, staged.temp()).count();
    staged.commit().map_err(io_err)?;
    summary.files_written.push(path);
    Ok((value, changed))
}

/// Stage timings on stderr when `FRONTMAP_TIMING` is set (for `bench/incremental.sh`), with each stage's
/// own peak resident memory (Linux), to see which stage sets the process's peak.
struct Timer {
    on: bool,
    last: Instant,
    /// The highest stage peak so far, in kB.
    peak_kb: u64,
}

impl Timer {
    fn new() -> Timer {
        let on = std::env::var_os("FRONTMAP_TIMING").is_some();
        if on {
            reset_peak_rss();
        }
        Timer { on, last: Instant::now(), peak_kb: 0 }
    }

    fn lap(&mut self, stage: &str) {
        if self.on {
            let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
            let kb = |name: &str| -> u64 {
                let field = status.lines().find_map(|l| l.strip_prefix(name)).unwrap_or_default();
                field.trim().trim_end_matches("kB").trim().parse().unwrap_or(0)
            };
            let (stage_peak, now) = (kb("VmHWM:"), kb("VmRSS:"));
            self.peak_kb = self.peak_kb.max(stage_peak);
            let ms = self.last.elapsed().as_secs_f64() * 1000.0;
            let mb = |kb: u64| kb as f64 / 1024.0;
            eprintln!(
                "timing: {stage:<12} {ms:>7.1} ms  stage peak {:>6.1} MB  (process peak {:>6.1} MB, now {:>6.1} MB)",
                mb(stage_peak),
                mb(self.peak_kb),
                mb(now)
            );
            // The next stage's peak starts from what is resident now.
            reset_peak_rss();
        }
        self.last = Instant::now();
    }
}

/// Reset the process's peak resident memory to its current size (Linux `clear_refs`; elsewhere the peak
/// simply keeps growing).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Run the whole build.
pub fn build(cfg: &BuildConfig) -> Result<BuildSummary, Error> {
    build_in(cfg, &mut Session::default())
}

/// The key of an article's parse: its decoded text and what is known about it from outside.
fn text_key(a: &Article) -> String {
    let mut h = blake3::Hasher::new();
    h.update(a.text.as_bytes());
    h.update(format!("{:?}", a.meta).as_bytes());
    h.finalize().to_hex().to_string()
}

/// "article 005.txt added", "style default.json changed": the input files that differ, in words.
fn describe_inputs(old: &BTreeMap<String, String>, new: &BTreeMap<String, String>) -> Vec<String> {
    if old.is_empty() {
        return Vec::new();
    }
    let mut lines = Vec::new();
    let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    for k in keys {
        let what = match (old.get(k), new.get(k)) {
            (None, Some(_)) => "added",
            (Some(_), None) => "removed",
            (Some(a), Some(b)) if a != b => "changed",
            _ => continue,
        };
        let (group, rest) = k.split_once('/').unwrap_or(("", k));
        let noun = match group {
            "articles" if rest.ends_with(".txt") => "article",
            "styles" => "style",
            "gazetteer" => "gazetteer file",
            _ => "input",
        };
        lines.push(format!("{noun} {rest} {what}"));
    }
    lines
}

/// Run the build within a session (what the previous builds of this process loaded).
///
/// Incremental (issue 7): inputs are hashed through a stat cache; when neither they nor the binary
/// changed and every output is in place, nothing is read or written. Otherwise articles whose parse
/// still holds under the current gazetteer are not parsed again, and files are rewritten only when
/// their bytes change. `out/manifest.json` records inputs and outputs; `out/.cache/` the rest.
pub fn build_in(cfg: &BuildConfig, session: &mut Session) -> Result<BuildSummary, Error> {
    let started = Instant::now();
    let mut timer = Timer::new();
    std::fs::create_dir_all(&cfg.out).map_err(|e| Error::Write { path: cfg.out.clone(), source: e })?;
    // Held until the build returns: nothing below runs beside another build of the same directory.
    let _lock =
        incremental::BuildLock::acquire(&cfg.out).map_err(|e| Error::Write { path: cfg.out.clone(), source: e })?;
    incremental::remove_stale_temps(&cfg.out);
    crate::tiles::clean_interrupted_tiles(&cfg.out);
    let mut state = if cfg.force { State::default() } else { State::load(&cfg.out) };
    if cfg.force {
        // Kept basemap runs and parses are keyed by content, but `--force` promises everything is done anew.
        for kept in ["sheets", "sources", "bases"] {
            let _ = std::fs::remove_dir_all(State::dir(&cfg.out).join(kept));
        }
    }
    let binary = crate::identity::binary();
    let config = format!("{:?}|{:?}|{:?}|{:?}", cfg.articles, cfg.gazetteer, cfg.styles, cfg.date);
    let mut inputs = BTreeMap::new();
    state.hash_tree("articles", &cfg.articles, &mut inputs)?;
    state.hash_tree("gazetteer", &cfg.gazetteer, &mut inputs)?;
    state.hash_tree("styles", &cfg.styles, &mut inputs)?;
    if state.binary == binary && state.config == config && state.inputs == inputs && state.outputs_intact(&cfg.out) {
        if let Ok(mut s) = postcard::from_bytes::<BuildSummary>(&state.summary) {
            s.files_unchanged += s.files_written.len();
            s.files_written.clear();
            s.changes.clear();
            s.rebuilt = Rebuilt::default();
            s.tiles_unchanged = s.tiles;
            s.elapsed = started.elapsed();
            return Ok(s);
        }
    }
    // Everything that can be checked before writing is: a bad style must not leave new layers beside old maps.
    crate::render::check_styles(&cfg.styles)?;
    keep_freed_memory(if local_edit(cfg, &state, &binary, &config, &inputs) { KEEP_LONG_MS } else { KEEP_SHORT_MS });
    timer.lap("inputs");
    let mut summary = BuildSummary { changes: describe_inputs(&state.inputs, &inputs), ..Default::default() };
    let previous_gazetteer = session.gazetteer.clone();
    // The rule and lexicon tables the layers read (a few milliseconds of regular expressions and term
    // lists) are compiled on a thread of their own while the gazetteer loads, mostly on one core.
    let tables = std::thread::spawn(Tables::builtin);
    let (gazetteer, gazetteer_key, cache_writes) = open_gazetteer(&cfg.gazetteer, session)?;
    // Beside the layers, one thread writes the gazetteer's cache entries (the build returns once they are)
    // and first tells what the edit did, place by place ("Rawa moved 5.6 km"), from the session's gazetteer
    // or the entries still kept: only the report needs it, and it reads the digests of the new places from
    // the entry the writer makes of them (it used to digest every place a second time).
    let old_key =
        (!state.gazetteer_key.is_empty() && state.gazetteer_key != gazetteer_key).then(|| state.gazetteer_key.clone());
    let (described, description) = std::sync::mpsc::channel();
    let background = (old_key.is_some() || cache_writes.is_some()).then(|| {
        let g = gazetteer.clone();
        std::thread::spawn(move || {
            use crate::gazetteer::diff::{place_changes_of, summarize};
            let places = cache_writes.as_ref().and_then(|w| w.places_entry(&g));
            if let Some(old_key) = old_key {
                let changes = match (previous_gazetteer, &places) {
                    (Some((k, old)), _) if k == old_key => Some(place_changes_of(&old.places, &g)),
                    (_, Some(entry)) => g.changes_since_key_given(&old_key, entry),
                    _ => g.changes_since_key(&old_key),
                };
                let _ = described.send(changes.map(|c| summarize(&c, 10)).unwrap_or_default());
            }
            // The build waits for a description until this is gone, not for the writes.
            drop(described);
            if let Some(w) = cache_writes {
                w.write_with(&g, places);
            }
        })
    });
    timer.lap("gazetteer");
    // Everything corpus-sized lives inside `layers` and is freed before rendering (which reads the layers
    // back from disk).
    let new_binary = binary != state.binary;
    let tables = tables.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
    layers(cfg, &gazetteer, &tables, &binary, new_binary, &mut summary, &mut timer)?;
    // Nothing is sent when there is nothing to tell (or the thread failed, which its join reports).
    if let Ok(d) = description.recv() {
        summary.changes.extend(d);
    }
    // Rendering reads the layers back from disk, not the gazetteer (tens of megabytes): a one-off build
    // lets it go (once its cache entries are written); a watch session keeps the new one for its next build.
    drop(gazetteer);
    if !session.keep_gazetteer {
        session.gazetteer = None;
    }
    release_freed_memory();
    timer.lap("layers");
    // Map sheets, from the layers just written.
    let base = cfg.styles.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf();
    let mut render = crate::render::RenderConfig::new(&base);
    render.styles = cfg.styles.clone();
    render.out = cfg.out.join("maps");
    render.path_prefixes = vec![
        ("out/".to_string(), cfg.out.clone()),
        ("gazetteer/".to_string(), cfg.gazetteer.clone()),
        ("articles/".to_string(), cfg.articles.clone()),
    ];
    render.cache = Some(State::dir(&cfg.out).join("sheets"));
    render.shelf = crate::render::scene::SourceShelf::keeping(&State::dir(&cfg.out).join("sources"), &cfg.out);
    let anchors_file = State::dir(&cfg.out).join("anchors.bin");
    if !cfg.force {
        render.shelf.anchors = crate::render::labels::AnchorMemo::load(&anchors_file);
    }
    // XYZ tiles, MBTiles and the web viewer (issue 6), from the same style and layers.
    let mut tiles = crate::tiles::TilesConfig::new(&base);
    (tiles.styles, tiles.out, tiles.path_prefixes) =
        (cfg.styles.clone(), cfg.out.clone(), render.path_prefixes.clone());
    tiles.progress = true;
    tiles.shelf = render.shelf.clone();
    tiles.bases = Some(State::dir(&cfg.out).join("bases"));
    // Sheets and tiles read the same layers and write apart: drawn side by side, each fills the cores
    // the other leaves idle (a sheet waiting on its slowest part, tiles on their archives).
    let same_binary = state.binary == binary;
    let previous_sheets = same_binary.then_some(state.sheets.as_slice());
    let previous_tiles = state.tiles.get("tiles").filter(|_| same_binary).map(|b| b.as_slice());
    let (sheets, pyramid) = rayon::join(
        || crate::render::render_sheets_since(&render, previous_sheets),
        || crate::tiles::build_tiles_since(&tiles, previous_tiles),
    );
    let ((maps, sheets_state), (t, tiles_state)) = (sheets?, pyramid?);
    tiles.shelf.anchors.save(&anchors_file);
    state.sheets = sheets_state;
    summary.maps = maps.sheets.len() + maps.unchanged.len();
    summary.rebuilt.sheets = maps.sheets.len();
    summary.files_written.extend(maps.files_written);
    summary.files_unchanged += maps.files_unchanged;
    summary.warnings.extend(maps.warnings);
    if timer.on {
        eprintln!("timing: tiles: {}", t.line());
    }
    state.tiles.insert("tiles".into(), incremental::Bytes::from(tiles_state));
    (summary.tiles, summary.tiles_unchanged) = (t.tiles, t.tiles_unchanged);
    summary.rebuilt.tiles = t.rendered;
    summary.files_written.extend(t.files_written);
    summary.files_unchanged += t.files_unchanged;
    timer.lap("sheets+tiles");
    // The manifest, then the state: last, so an interrupted build is redone.
    let manifest = output_manifest(&cfg.out, &inputs)?;
    write(&cfg.out, "manifest.json", manifest.to_json().as_bytes(), &mut summary)?;
    summary.elapsed = started.elapsed();
    state.binary = binary;
    timer.lap("manifest");
    state.config = config;
    state.gazetteer_key = gazetteer_key;
    state.inputs = inputs;
    state.record_outputs(&cfg.out);
    timer.lap("stamps");
    state.summary = postcard::to_stdvec(&summary).unwrap_or_default();
    state.save(&cfg.out).map_err(|e| Error::Write { path: State::dir(&cfg.out), source: e })?;
    // The gazetteer's cache entries were written meanwhile; a build returns once they are.
    if let Some(w) = background {
        w.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
    }
    timer.lap("state");
    Ok(summary)
}

/// mimalloc's `purge_delay` option (`mi_option_purge_delay` in `mimalloc.h`, not among the constants the
/// bindings name).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// How long freed memory waits before going back to the system, in a build whose stages handle corpus-sized
/// data or draw every tile: each stage frees tens of megabytes the next does not reuse, and kept a second
/// they stacked up under the next stage's peak (at 10,000 articles, 85–105 MB with 10 ms, 115 MB with 1 s;
/// at 100 articles, 65 against 97 MB). Sheets and tiles drawn side by side free and allocate pixmaps and
/// encoder buffers by the thousand: 3 ms rather than 10 keeps fewer of them waiting at once (cold build of
/// 100 articles, medians of five: 69.0 → 58.7 MB, 10,000 articles 80.1 → 78.3 MB, with a narrower spread),
/// where 1 ms or none starts to cost time in the kernel (+0.3–0.6 s at 100 articles).
pub const KEEP_SHORT_MS: i64 = 3;

/// How long freed memory is kept for reuse in a local edit ([`local_edit`]): it frees and allocates the same
/// few tens of megabytes stage after stage, and returning them at once only to fault them back in cost a
/// tenth of its CPU (a one-place edit of the bundled corpus: 210 → 190 ms of CPU, 130 → 119 ms; peak
/// unchanged, 58–63 MB).
pub const KEEP_LONG_MS: i64 = 1000;

/// Set how long the allocator keeps freed memory for reuse (see [`KEEP_SHORT_MS`] and [`KEEP_LONG_MS`]).
pub fn keep_freed_memory(ms: i64) {
    let ms = std::os::raw::c_long::try_from(ms).unwrap_or(std::os::raw::c_long::MAX);
    // SAFETY: sets one integer option; mimalloc reads options atomically. Harmless under another allocator.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, ms) };
}

/// Articles up to which a corpus is small enough for a local edit to keep freed memory.
const LOCAL_CORPUS: usize = BATCH;

/// Whether this build is a local edit: the same binary, configuration and styles as the build before, whose
/// sheets and tiles it redraws only where the edit reached, over a corpus of at most one batch of articles.
/// Anything else (a first or forced build, a new style, a large corpus) may handle everything at once.
fn local_edit(cfg: &BuildConfig, state: &State, binary: &str, config: &str, inputs: &BTreeMap<String, String>) -> bool {
    let group = |m: &BTreeMap<String, String>, g: &str| -> Vec<(String, String)> {
        m.range(format!("{g}/")..format!("{g}0")).map(|(k, v)| (k.clone(), v.clone())).collect()
    };
    !cfg.force
        && state.binary == binary
        && state.config == config
        && !state.sheets.is_empty()
        && state.tiles.contains_key("tiles")
        && group(&state.inputs, "styles") == group(inputs, "styles")
        && inputs.range("articles/".to_string().."articles0".to_string()).count() <= LOCAL_CORPUS
}

/// Give back to the system what the layers freed, before rendering (issue 8). mimalloc returns a freed page
/// only when the thread whose heap holds it next allocates or frees, and the pool threads that geoparsed
/// sit idle until rendering starts: tens of megabytes freed on the main thread stayed resident under the
/// renderer's peak (at 10,000 articles, 81 MB resident after the layers, 19 MB with this). Asking every
/// thread to collect its heap costs a millisecond. Harmless under another allocator (mimalloc's own heaps
/// are then empty).
fn release_freed_memory() {
    // SAFETY: `mi_collect` frees and purges the calling thread's unused pages; it touches no live allocation.
    rayon::broadcast(|_| unsafe { libmimalloc_sys::mi_collect(true) });
    // SAFETY: as above, for this thread.
    unsafe { libmimalloc_sys::mi_collect(true) };
}

/// How many articles a build reads, geoparses and codes at a time: enough to keep every core busy, few enough
/// that their texts and mentions weigh little beside the gazetteer.
const BATCH: usize = 256;

/// Geoparse (through the parse cache), code events, project, and write every layer. Owns everything
/// corpus-sized, so it is all freed before rendering.
///
/// The articles stream through in batches: each batch is read, deduplicated against every article before it,
/// geoparsed and coded in parallel, and reduced to what the layers need of it (the places its mentions
/// count, its raw events, the projector's reading); its text and mentions are then dropped. Memory follows
/// the batch and what the corpus says, not the size of its text.
/// The built-in rules and lexicons of the corpus stages, which do not depend on the inputs.
struct Tables {
    zones: ZoneRules,
    events: EventCoder,
    projector: crate::project::Projector,
}

impl Tables {
    fn builtin() -> Tables {
        Tables {
            zones: ZoneRules::builtin(),
            events: EventCoder::default(),
            projector: crate::project::Projector::builtin(),
        }
    }
}

fn layers(
    cfg: &BuildConfig,
    gazetteer: &Gazetteer,
    tables: &Tables,
    binary: &str,
    new_binary: bool,
    summary: &mut BuildSummary,
    timer: &mut Timer,
) -> Result<(), Error> {
    let corpus = Corpus::load(&cfg.articles)?;
    let rules = &tables.zones;
    let paths = text::list_articles(&cfg.articles)?;
    let parser = GeoParser::new(gazetteer);
    let digests = incremental::parse_cache::PlaceDigests::new(gazetteer);
    // The previous parses, each taken out as its article hits; the next build's, written as they come.
    let parses_path = State::parses_path(&cfg.out);
    let mut parses = if new_binary { ParseCache::default() } else { ParseCache::load(&parses_path, binary) };
    let mut next_parses = CacheWriter::new(&State::dir(&cfg.out).join("parses.next"), binary);
    let events = &tables.events;
    let coder = events.coder(gazetteer);
    let projector = &tables.projector;
    let mut seen = text::Deduper::default();
    let (mut read_warnings, mut duplicates, mut event_warnings) = (Vec::new(), Vec::new(), Vec::new());
    let mut kept = 0;
    let mut places = crate::output::places::PlaceUses::default();
    let mut raw = crate::events::RawEvents::default();
    let mut readings = crate::project::Readings::default();
    for chunk in paths.chunks(BATCH) {
        let read: Vec<Article> =
            chunk.par_iter().map(|p| text::read_article(p, rules, &corpus, cfg.date)).collect::<Result<_, _>>()?;
        let (articles, dups) = seen.admit_all(read);
        duplicates.extend(dups);
        read_warnings.extend(text::read_warnings(&articles));
        let parsed = geoparse_cached(&parser, &digests, &mut parses, &mut next_parses, &articles, summary);
        let coded: Vec<_> =
            articles.par_iter().zip(&parsed).map(|(a, p)| EventCoder::article_events(&coder, a, p)).collect();
        for (r, w) in coded {
            raw.extend(r);
            event_warnings.extend(w);
        }
        for r in projector.read(gazetteer, &articles, &parsed) {
            readings.add(r);
        }
        for (a, p) in articles.iter().zip(&parsed) {
            places.add(&a.id, &p.mentions);
        }
        kept += articles.len();
    }
    // What is left of the previous parses are articles gone or re-parsed.
    drop(parses);
    // Tens of megabytes at 10,000 articles: written as the batches went, saved now. Its entries are checked
    // against the text and gazetteer when used, so it need not wait for the state: a build killed later leaves
    // a cache that is merely newer. Unwritable, it is only a cache.
    let _ = next_parses.save(&parses_path);
    summary.warnings.extend(read_warnings);
    summary.warnings.extend(duplicates);
    timer.lap("geoparse");
    summary.articles = kept;
    summary.mentions = places.mentions();
    let write_places = |w: &mut dyn std::io::Write| places.write(w, gazetteer);
    (summary.places, summary.rebuilt.places) = write_layer(&cfg.out, "places.geojson", write_places, summary)?;
    timer.lap("places");
    let coded = crate::events::Coded { events: events.merge(raw, gazetteer), warnings: event_warnings };
    summary.events = coded.events.len();
    summary.warnings.extend(coded.warnings);
    let write_events =
        |w: &mut dyn std::io::Write| crate::output::events::write_events_geojson(w, &coded.events, gazetteer);
    ((), summary.rebuilt.events) = write_layer(&cfg.out, "events.geojson", write_events, summary)?;
    write(&cfg.out, "events.qml", crate::output::events::events_qml().as_bytes(), summary)?;
    timer.lap("events");
    // The projector's layers (issue 4): fronts, pockets by date, border and crossings, checked claims.
    let projection = projector.finish(gazetteer, readings, &coded.events);
    summary.warnings.extend(projection.warnings.iter().cloned());
    timer.lap("project");
    (summary.axes, summary.areas, summary.claims) =
        (projection.axes.len(), projection.areas.len(), projection.claims.len());
    use crate::output::project as op;
    let fronts = |w: &mut dyn std::io::Write| op::write_fronts_geojson(w, &projection.axes);
    ((), summary.rebuilt.fronts) = write_layer(&cfg.out, "fronts.geojson", fronts, summary)?;
    let areas = |w: &mut dyn std::io::Write| op::write_areas_geojson(w, &projection.areas);
    ((), summary.rebuilt.areas) = write_layer(&cfg.out, "areas.geojson", areas, summary)?;
    write(&cfg.out, "border.geojson", op::border_geojson(&projection.borders).as_bytes(), summary)?;
    write(&cfg.out, "crossings.geojson", op::crossings_geojson(&projection.crossings).as_bytes(), summary)?;
    let claims = |w: &mut dyn std::io::Write| op::write_claims_json(w, &projection.claims);
    write_streamed(&cfg.out, "claims.json", claims, summary)?;
    Ok(())
}

/// Geoparse a batch of articles in parallel, each through the parse cache: a parse that still holds under
/// the current gazetteer is taken from `parses`, any other is made (and counted as re-parsed); either way its
/// entry goes to `next`.
fn geoparse_cached(
    parser: &GeoParser<'_>,
    digests: &incremental::parse_cache::PlaceDigests<'_>,
    parses: &mut ParseCache,
    next: &mut CacheWriter,
    articles: &[Article],
    summary: &mut BuildSummary,
) -> Vec<Parsed> {
    let g = parser.gazetteer;
    let cache = &*parses;
    let results: Vec<(Parsed, Option<incremental::parse_cache::Entry>)> = articles
        .par_iter()
        .map(|a| {
            let key = text_key(a);
            let hit =
                if cache.has(&a.id, &key) { cache.get(g, digests, &a.id, &key, &parser.spot_keys(a)) } else { None };
            match hit {
                Some(p) => (p, None),
                None => {
                    let mut p = parser.parse(a);
                    let entry = ParseCache::entry(g, digests, &key, &p);
                    p.lookups = Default::default();
                    (p, Some(entry))
                }
            }
        })
        .collect();
    let mut parsed = Vec::with_capacity(results.len());
    for (a, (p, entry)) in articles.iter().zip(results) {
        let entry = match entry {
            Some(e) => {
                summary.rebuilt.articles_parsed += 1;
                Some(e)
            }
            None => parses.take(&a.id),
        };
        if let Some(e) = entry {
            next.push(&a.id, &e);
        }
        parsed.push(p);
    }
    parsed
}

/// The gazetteer, from the session when its content is unchanged, with its content key and the cache
/// entries to write (which the rest of the build does not wait for).
fn open_gazetteer(dir: &Path, session: &mut Session) -> Result<GazetteerOpened, Error> {
    let inputs = crate::gazetteer::cache::Inputs::read(dir)?;
    let key = inputs.key.clone();
    if let Some((k, g)) = &session.gazetteer {
        if *k == key {
            return Ok((g.clone(), key, None));
        }
    }
    let (g, writes) = Gazetteer::open_inputs(inputs)?;
    let g = Arc::new(g);
    session.gazetteer = Some((key.clone(), g.clone()));
    Ok((g, key, writes))
}

/// What [`open_gazetteer`] returns.
type GazetteerOpened = (Arc<Gazetteer>, String, Option<crate::gazetteer::cache::CacheWrites>);

/// The committed manifest: every input, and every committed output with its hash and input groups
/// (tiles, MBTiles and PMTiles are rebuilt, not committed, so not listed).
fn output_manifest(out: &Path, inputs: &BTreeMap<String, String>) -> Result<Manifest, Error> {
    let mut m = Manifest { tool: crate::identity::tool(), inputs: inputs.clone(), outputs: BTreeMap::new() };
    let mut stack = vec![out.to_path_buf()];
    while let Some(d) = stack.pop() {
        let rd = std::fs::read_dir(&d).map_err(|e| Error::Write { path: d.clone(), source: e })?;
        for entry in rd.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let p = entry.path();
            let rel = p.strip_prefix(out).unwrap_or(&p).to_string_lossy().replace('\\', "/");
            if name.starts_with('.') || rel == "manifest.json" || rel.starts_with("tiles") {
                continue;
            }
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(p);
                continue;
            }
            let hash = incremental::manifest::hash_file(&p).map_err(|e| Error::Write { path: p.clone(), source: e })?;
            m.outputs.insert(rel.clone(), OutputEntry { hash, inputs: incremental::output_inputs(&rel) });
        }
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The state a build of `articles` articles with one style leaves.
    fn built(articles: usize) -> (BuildConfig, State, BTreeMap<String, String>) {
        let cfg = BuildConfig {
            articles: "articles".into(),
            gazetteer: "gazetteer".into(),
            styles: "styles".into(),
            out: "out".into(),
            date: None,
            force: false,
        };
        let mut inputs: BTreeMap<String, String> =
            (0..articles).map(|i| (format!("articles/{i:05}.txt"), format!("a{i}"))).collect();
        inputs.insert("gazetteer/places.geojson".into(), "g".into());
        inputs.insert("styles/default.json".into(), "s".into());
        let mut state = State::default();
        (state.binary, state.config, state.inputs, state.sheets) =
            ("bin".into(), "cfg".into(), inputs.clone(), vec![1]);
        state.tiles.insert("tiles".into(), incremental::Bytes::from(vec![1]));
        (cfg, state, inputs)
    }

    #[test]
    fn only_an_edit_of_a_small_corpus_under_the_same_binary_and_styles_keeps_freed_memory() {
        let (cfg, state, mut inputs) = built(5);
        inputs.insert("gazetteer/places.geojson".into(), "moved".into());
        assert!(local_edit(&cfg, &state, "bin", "cfg", &inputs), "a gazetteer edit");
        inputs.insert("articles/new.txt".into(), "added".into());
        assert!(local_edit(&cfg, &state, "bin", "cfg", &inputs), "an article added");
        assert!(!local_edit(&BuildConfig { force: true, ..cfg.clone() }, &state, "bin", "cfg", &inputs), "--force");
        assert!(!local_edit(&cfg, &state, "new-bin", "cfg", &inputs), "another binary");
        assert!(!local_edit(&cfg, &state, "bin", "other", &inputs), "other options");
        assert!(!local_edit(&cfg, &State::default(), "bin", "cfg", &inputs), "a first build");
        let mut restyled = inputs.clone();
        restyled.insert("styles/default.json".into(), "s2".into());
        assert!(!local_edit(&cfg, &state, "bin", "cfg", &restyled), "a style edit redraws everything");
        let (cfg, state, inputs) = built(LOCAL_CORPUS + 1);
        assert!(!local_edit(&cfg, &state, "bin", "cfg", &inputs), "a large corpus");
    }
}
