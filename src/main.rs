//! The `frontmap` command line. Parses arguments into a validated config and calls the library.

use clap::{Parser, Subcommand};
use frontmap::build::{self, BuildConfig};
use frontmap::error::Error;
use frontmap::gazetteer::{self, Gazetteer};
use frontmap::geoparse::GeoParser;
use frontmap::text::DateRange;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// mimalloc returns freed pages to the system as it goes: a build frees its corpus-sized data before
/// rendering, and with glibc's allocator that memory would stay resident through the tiles (issue 8).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Return freed pages to the system soon (see [`build::KEEP_SHORT_MS`]) unless a build finds it is a local edit.
fn purge_freed_memory_soon() {
    build::keep_freed_memory(build::KEEP_SHORT_MS);
}

/// Turn news reports of a military offensive into maps.
///
/// frontmap reads articles, resolves the places they name against a gazetteer built from Natural Earth,
/// GeoNames and a curated layer, codes the events they report, and writes GeoJSON layers, static maps,
/// tiles and a web viewer into out/.
#[derive(Parser, Debug)]
#[command(
    name = "frontmap",
    version,
    about,
    long_about,
    after_help = "Examples:\n  frontmap build\n  frontmap watch\n  frontmap mentions articles/002_edf5805e63fa9134.txt\n  frontmap gazetteer lookup Gaza"
)]
struct Cli {
    /// List every warning (build prints only how many there are).
    #[arg(long, short, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Build every output from the bundled corpus (or the given directories) into out/.
    ///
    /// Incremental: the build hashes its inputs (articles, gazetteer, styles; a file whose size and mtime
    /// did not move is not read again) and compares them with out/manifest.json and the private state
    /// in out/.cache/. With no change it returns at once and writes nothing. Otherwise it re-geoparses only
    /// the articles whose text, or whose candidate places in the gazetteer, changed; rewrites only the
    /// files whose bytes change; redraws only the map sheets and tiles that read a changed feature (with
    /// its label margin) or whose labels moved; and updates MBTiles in place. Every file is written to a
    /// temporary file and renamed, and the manifest and state last, so a build that fails or is killed
    /// leaves every output whole and the next build redoes what is left.
    ///
    /// Prints what changed in the inputs ("gazetteer file geonames/cities500-mideast.txt changed",
    /// "Rawa moved 5.6 km north"), the counts, and what was redone.
    #[command(
        after_help = "Examples:\n  frontmap build\n  frontmap build --articles articles --out out\n  frontmap build --force   # redo everything (files with unchanged bytes stay untouched)"
    )]
    Build {
        #[command(flatten)]
        build: BuildArgs,
        /// Redo everything, ignoring what the previous build recorded in OUT/.cache (files whose bytes do
        /// not change are still left untouched).
        #[arg(long)]
        force: bool,
    },
    /// Build once, then rebuild out/ every time an input changes, until stopped with Ctrl-C.
    ///
    /// Watches, recursively, the articles directory, the gazetteer directory and the styles directory
    /// (the same ones `build` reads; out/ itself is never watched). Editor temporaries are ignored
    /// (backups ending in ~, Vim .swp/.swo files and its 4913 write test, Emacs .#locks and #autosaves#).
    /// Once the changes have been quiet for --debounce-ms, one build runs; the gazetteer, styles and
    /// what else the build can reuse stay loaded between builds.
    ///
    /// Prints, for the initial build, the same summary as `build`; then for each rebuild the time
    /// (UTC) and the files that changed, relative to their watched directory, what changed in them
    /// ("Rawa moved 5.6 km north", "alias \"Rawah\" added to Rawa") and what was redone ("3 events,
    /// 1 front, 2 sheets, 14 tiles rebuilt in 180 ms"); see the example output below.
    ///
    /// A build that fails (invalid JSON, an unknown place id in aliases.tsv, a bad style) prints the
    /// error, naming the file and line, and "build failed, keeping the last good output": out/ keeps
    /// what the last good build wrote (the gazetteer, the articles, the style and maps.toml are all read
    /// and checked before anything is written), watching goes on, and the next good save rebuilds.
    ///
    /// Stop with Ctrl-C. Exits with 2 if a watched directory does not exist, 1 if the system cannot
    /// watch it (e.g. out of inotify watches: raise fs.inotify.max_user_watches).
    #[command(
        after_help = "Output of a rebuild:\n  [12:03:04] gazetteer/places.geojson changed\n    Rawa moved 5.6 km north\n    3 events, 1 front, 2 sheets, 14 tiles rebuilt in 180 ms\n\nExamples:\n  frontmap watch\n  frontmap watch --articles ~/dispatches --out /tmp/out --debounce-ms 500\n  cargo run --release -- watch"
    )]
    Watch {
        #[command(flatten)]
        build: BuildArgs,
        /// Quiet time, in milliseconds, after the last change before a rebuild starts.
        #[arg(long, default_value_t = 200)]
        debounce_ms: u64,
    },
    /// Print every place mention of the given articles as JSON Lines.
    ///
    /// One object per mention: {"article","start","end","surface","place","name","kind","lat","lon",
    /// "geo_precision","confidence"}. start/end are byte offsets into the file. Names used for a
    /// government ("selon Bagdad") or as a comparison ("vaste comme l'Italie") are not listed.
    #[command(after_help = "Example:\n  frontmap mentions articles/*.txt | jq -r .name | sort | uniq -c")]
    Mentions {
        /// Article files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Gazetteer directory.
        #[arg(long)]
        gazetteer: Option<PathBuf>,
    },
    /// Print the events of the given articles as newline-delimited GeoJSON, merged across the files.
    ///
    /// One Feature per line, exactly as in out/events.geojson: ACLED event_type/sub_event_type, actors,
    /// place, date_start/date_end (ISO days) with date_precision, geo_precision, fatalities when
    /// stated, and every source with its quote.
    #[command(
        after_help = "Examples:\n  frontmap events articles/*.txt | jq -c '.properties | {date_start, event_type, place}'\n  frontmap events --articles /tmp/corpus > events.jsonl   # every article of a directory"
    )]
    Events {
        /// Article files.
        #[arg(required_unless_present = "articles")]
        files: Vec<PathBuf>,
        /// Also every article of this directory (*.txt, *.html, *.htm, sorted by name), after the files.
        #[arg(long)]
        articles: Option<PathBuf>,
        /// Gazetteer directory.
        #[arg(long)]
        gazetteer: Option<PathBuf>,
        /// Publication date for every file (YYYY-MM-DD, YYYY-MM or YYYY), overriding corpus.toml.
        #[arg(long, value_parser = parse_date)]
        date: Option<DateRange>,
    },
    /// Render the static map sheets of styles/maps.toml as georeferenced PNGs (+ .pgw, .png.aux.xml).
    ///
    /// Layers come from the sources of styles/default.json (the basemap extracts and out/*.geojson);
    /// a layer whose file does not exist yet draws nothing, with a warning.
    #[command(
        after_help = "Examples:\n  frontmap render\n  frontmap render --map al-qaim-offensive --scale 2\n  frontmap render --source events=tests/fixtures/render/events.geojson --out /tmp/maps"
    )]
    Render {
        /// Only this sheet (a name from maps.toml).
        #[arg(long)]
        map: Option<String>,
        /// Device pixel ratio (2 writes NAME@2x.png at twice the size).
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
        /// Styles directory (default.json, maps.toml); style paths resolve against its parent.
        #[arg(long)]
        styles: Option<PathBuf>,
        /// Output directory for the sheets.
        #[arg(long, default_value = "out/maps")]
        out: PathBuf,
        /// Replace a style source's file: ID=PATH (repeatable).
        #[arg(long = "source", value_parser = parse_source)]
        sources: Vec<(String, PathBuf)>,
    },
    /// Render XYZ raster tiles (out/tiles/{z}/{x}/{y}.png), out/tiles.mbtiles, out/tiles.pmtiles and the web
    /// viewer out/index.html.
    ///
    /// Default pyramid: z0–z10 over the theatre (the largest sheet of maps.toml), z11–z13 over the other
    /// sheets (where the events are). Same renderer and style as the sheets; labels are placed per zoom over
    /// the whole level, so they are never cut at tile edges. Background-only tiles are not written. The
    /// dated layers (events, fronts, areas) are drawn by the viewer, with its date slider, not baked into
    /// the tiles (unless --all-layers).
    #[command(
        after_help = "Examples:\n  frontmap tiles\n  frontmap tiles --zoom 0-8\n  frontmap tiles --zoom 0-12 --bbox 35.3,29.2,48.9,37.6 --out /tmp/theatre\n  frontmap tiles --scale 2 --zoom 0-10   # 512-px tiles in out/tiles@2x/\n  cd out && python3 -m http.server      # then open http://127.0.0.1:8000/"
    )]
    Tiles {
        /// Zoom levels, e.g. 0-12 or 7 (default: the default pyramid, z0–z13).
        #[arg(long, value_parser = parse_zoom)]
        zoom: Option<frontmap::tiles::ZoomRange>,
        /// One box at every zoom instead of the default regions: west,south,east,north in degrees.
        #[arg(long, value_parser = frontmap::tiles::plan::parse_bbox, allow_hyphen_values = true)]
        bbox: Option<[f64; 4]>,
        /// Style file (default: the one styles/maps.toml names).
        #[arg(long)]
        style: Option<PathBuf>,
        /// Styles directory (maps.toml, default.json); style paths resolve against its parent.
        #[arg(long)]
        styles: Option<PathBuf>,
        /// Device pixel ratio: 2 renders 512-px tiles into OUT/tiles@2x/ and OUT/tiles@2x.mbtiles.
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
        /// Output directory (tiles/, tiles.mbtiles, index.html and its data index.data.js).
        #[arg(long, default_value = "out")]
        out: PathBuf,
        /// Replace a style source's file: ID=PATH (repeatable).
        #[arg(long = "source", value_parser = parse_source)]
        sources: Vec<(String, PathBuf)>,
        /// Also draw the dated layers into the tiles (at the theatre sheet's dates).
        #[arg(long)]
        all_layers: bool,
        /// Do not write the MBTiles file.
        #[arg(long)]
        no_mbtiles: bool,
        /// Do not write the PMTiles file.
        #[arg(long)]
        no_pmtiles: bool,
        /// Do not write index.html, its data script and the vendored Leaflet.
        #[arg(long)]
        no_viewer: bool,
    },
    /// Inspect and extend the gazetteer.
    #[command(subcommand)]
    Gazetteer(GazetteerCommand),
}

/// The inputs and output of a build (the options of `watch`, same as `build`'s).
#[derive(clap::Args, Debug)]
struct BuildArgs {
    /// Directory of articles (*.txt, with an optional corpus.toml).
    #[arg(long)]
    articles: Option<PathBuf>,
    /// Gazetteer directory.
    #[arg(long)]
    gazetteer: Option<PathBuf>,
    /// Styles directory (styles/default.json, styles/maps.toml).
    #[arg(long)]
    styles: Option<PathBuf>,
    /// Output directory.
    #[arg(long, default_value = "out")]
    out: PathBuf,
    /// Publication date for every article (YYYY-MM-DD, YYYY-MM or YYYY), overriding corpus.toml.
    #[arg(long, value_parser = parse_date)]
    date: Option<DateRange>,
}

impl BuildArgs {
    fn config(self) -> BuildConfig {
        BuildConfig {
            articles: default_dir(self.articles, "articles"),
            gazetteer: default_dir(self.gazetteer, "gazetteer"),
            styles: default_dir(self.styles, "styles"),
            out: self.out,
            date: self.date,
            force: false,
        }
    }
}

#[derive(Subcommand, Debug)]
enum GazetteerCommand {
    /// Import a GeoNames dump (19-column TSV: cities500.txt, IQ.txt, allCountries.txt).
    #[command(after_help = "Example:\n  frontmap gazetteer import-geonames ~/Downloads/IQ.txt --countries IQ")]
    ImportGeonames {
        /// The GeoNames file.
        file: PathBuf,
        /// Keep only these countries (ISO codes, comma-separated).
        #[arg(long, value_delimiter = ',')]
        countries: Vec<String>,
        /// Gazetteer directory to import into (the file lands in DIR/geonames/).
        #[arg(long)]
        gazetteer: Option<PathBuf>,
    },
    /// Validate a gazetteer: duplicate ids, bad coordinates, dangling parents.
    Check {
        #[arg(long)]
        gazetteer: Option<PathBuf>,
    },
    /// Show the candidate places for a name, best first, with their context-free scores.
    #[command(after_help = "Example:\n  frontmap gazetteer lookup \"Deir Ezzor\"")]
    Lookup {
        name: String,
        #[arg(long)]
        gazetteer: Option<PathBuf>,
        /// Show at most this many candidates.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
}

fn parse_source(s: &str) -> Result<(String, PathBuf), String> {
    s.split_once('=').map(|(k, v)| (k.to_string(), PathBuf::from(v))).ok_or_else(|| format!("{s:?} is not ID=PATH"))
}

fn parse_zoom(s: &str) -> Result<frontmap::tiles::ZoomRange, String> {
    s.parse()
}

fn parse_date(s: &str) -> Result<DateRange, String> {
    DateRange::parse_iso(s).ok_or_else(|| format!("{s:?} is not a date (YYYY-MM-DD, YYYY-MM or YYYY)"))
}

/// A default directory: `./NAME` if it exists, else the one bundled with the source tree.
fn default_dir(given: Option<PathBuf>, name: &str) -> PathBuf {
    given.unwrap_or_else(|| {
        let local = PathBuf::from(name);
        if local.is_dir() { local } else { Path::new(env!("CARGO_MANIFEST_DIR")).join(name) }
    })
}

fn main() -> ExitCode {
    purge_freed_memory_soon();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let code = e.downcast_ref::<Error>().map_or(1, Error::exit_code);
            eprintln!("frontmap: {}", message(&e));
            ExitCode::from(code as u8)
        }
    }
}

/// The error and its causes, each cause once: our errors already print their source in their message
/// ("cannot read: No such file"), which `{:#}` would repeat.
fn message(e: &anyhow::Error) -> String {
    let mut out = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !out.contains(&c) {
            out.push_str(": ");
            out.push_str(&c);
        }
    }
    out
}

/// The end of a build: how many warnings, or each of them with `--verbose`.
fn report_warnings(warnings: &[String], verbose: bool) {
    if warnings.is_empty() {
        return;
    }
    if verbose {
        for w in warnings {
            eprintln!("warning: {w}");
        }
    }
    let n = warnings.len();
    let s = if n == 1 { "" } else { "s" };
    if verbose {
        eprintln!("{n} warning{s}");
    } else {
        eprintln!("{n} warning{s} (run with --verbose to list them)");
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Build { build, force } => {
            let cfg = BuildConfig { force, ..build.config() };
            let summary = build::build(&cfg)?;
            for c in &summary.changes {
                println!("{c}");
            }
            println!("{}", summary.line());
            println!("{}", summary.rebuilt_line());
            report_warnings(&summary.warnings, cli.verbose);
        }
        Command::Watch { build, debounce_ms } => {
            let cfg = build.config();
            let opts = frontmap::watch::WatchOptions {
                debounce: std::time::Duration::from_millis(debounce_ms),
                ..Default::default()
            };
            let stdout = std::io::stdout();
            frontmap::watch::watch(&cfg, &opts, &mut stdout.lock())?;
        }
        Command::Mentions { files, gazetteer } => {
            let g = Gazetteer::open(&default_dir(gazetteer, "gazetteer")).map_err(Error::from)?;
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            build::write_mentions(&g, &files, &mut out)?;
            out.flush()?;
        }
        Command::Events { files, articles, gazetteer, date } => {
            let g = Gazetteer::open(&default_dir(gazetteer, "gazetteer")).map_err(Error::from)?;
            let mut files = files;
            if let Some(dir) = articles {
                files.extend(frontmap::text::list_articles(&dir).map_err(Error::from)?);
            }
            let coded = build::code_files(&g, &files, date)?;
            for w in &coded.warnings {
                eprintln!("warning: {w}");
            }
            print!("{}", frontmap::output::events::events_jsonl(&coded.events, &g));
        }
        Command::Render { map, scale, styles, out, sources } => {
            let styles = default_dir(styles, "styles");
            let base = styles.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf();
            let cfg = frontmap::render::RenderConfig {
                styles,
                out,
                base,
                scale,
                map,
                source_overrides: sources.into_iter().collect(),
                path_prefixes: Vec::new(),
                cache: None,
                shelf: Default::default(),
            };
            let summary = frontmap::render::render_sheets(&cfg).map_err(Error::from)?;
            for w in &summary.warnings {
                eprintln!("warning: {w}");
            }
            println!("{}", summary.line());
        }
        Command::Tiles {
            zoom,
            bbox,
            style,
            styles,
            scale,
            out,
            sources,
            all_layers,
            no_mbtiles,
            no_pmtiles,
            no_viewer,
        } => {
            let styles = default_dir(styles, "styles");
            let base = styles.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf();
            let mut cfg = frontmap::tiles::TilesConfig::new(&base);
            cfg.styles = styles;
            cfg.style = style;
            cfg.out = out;
            cfg.zoom = zoom;
            cfg.bbox = bbox;
            cfg.scale = scale;
            cfg.source_overrides = sources.into_iter().collect();
            cfg.all_layers = all_layers;
            cfg.mbtiles = !no_mbtiles;
            cfg.pmtiles = !no_pmtiles;
            cfg.viewer = !no_viewer;
            cfg.progress = true;
            let summary = frontmap::tiles::build_tiles(&cfg).map_err(Error::from)?;
            for w in &summary.warnings {
                eprintln!("warning: {w}");
            }
            println!("{}", summary.line());
        }
        Command::Gazetteer(cmd) => gazetteer_command(cmd)?,
    }
    Ok(())
}

fn gazetteer_command(cmd: GazetteerCommand) -> anyhow::Result<()> {
    match cmd {
        GazetteerCommand::ImportGeonames { file, countries, gazetteer } => {
            let dir = default_dir(gazetteer, "gazetteer");
            let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "geonames".into());
            let name = if countries.is_empty() {
                stem
            } else {
                format!("{stem}-{}", countries.join("-").to_ascii_lowercase())
            };
            let dest = dir.join("geonames").join(format!("{name}.txt"));
            let s = gazetteer::geonames::import(&file, &dest, &countries).map_err(Error::from)?;
            println!(
                "{}: {} of {} rows kept ({} names) → {}",
                file.display(),
                s.rows_kept,
                s.rows_read,
                s.names,
                dest.display()
            );
        }
        GazetteerCommand::Check { gazetteer } => {
            let dir = default_dir(gazetteer, "gazetteer");
            let (g, findings) = gazetteer::check::check_dir(&dir).map_err(Error::from)?;
            let errors = findings.iter().filter(|f| f.severity == gazetteer::check::Severity::Error).count();
            for f in &findings {
                let level = if f.severity == gazetteer::check::Severity::Error { "error" } else { "warning" };
                println!("{level}: {}: {}", f.place, f.msg);
            }
            println!(
                "{}: {} places, {} names, {} errors, {} warnings",
                dir.display(),
                g.places.len(),
                g.index.len(),
                errors,
                findings.len() - errors
            );
            if errors > 0 {
                return Err(Error::Usage(format!("{errors} errors in the gazetteer")).into());
            }
        }
        GazetteerCommand::Lookup { name, gazetteer, limit } => {
            let g = Gazetteer::open(&default_dir(gazetteer, "gazetteer")).map_err(Error::from)?;
            let parser = GeoParser::new(&g);
            let cands = parser.lookup(&name);
            if cands.is_empty() {
                println!("no place named {name:?}");
            }
            for (i, score) in cands.into_iter().take(limit) {
                let p = &g.places[i];
                println!(
                    "{score:6.2}  {:<28} {:<13} {:<3} {:>9.5} {:>9.5}  pop {:<9} {}",
                    p.id,
                    p.kind.as_str(),
                    p.country.as_deref().unwrap_or("-"),
                    p.point.y,
                    p.point.x,
                    p.population,
                    p.name
                );
            }
        }
    }
    Ok(())
}
