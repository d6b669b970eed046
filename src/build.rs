//! The `build` job: articles + gazetteer + styles → every layer in `out/`.

use crate::error::Error;
use crate::events::EventCoder;
use crate::gazetteer::Gazetteer;
use crate::geoparse::{GeoParser, Parsed};
use crate::text::{self, Article, Corpus, DateRange, ZoneRules};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// Where the build reads and writes.
#[derive(Debug, Clone)]
pub struct BuildConfig {
    pub articles: PathBuf,
    pub gazetteer: PathBuf,
    pub styles: PathBuf,
    pub out: PathBuf,
    pub date: Option<DateRange>,
}

/// What a build did, for the one-line summary.
#[derive(Debug, Clone, Default)]
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
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
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
/// previous one loaded.
#[derive(Default)]
pub struct Session {
    gazetteer: Option<(String, std::sync::Arc<Gazetteer>)>,
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

/// Run the whole build.
pub fn build(cfg: &BuildConfig) -> Result<BuildSummary, Error> {
    build_in(cfg, &mut Session::default())
}

/// Run the build within a session (what the previous builds of this process loaded).
pub fn build_in(cfg: &BuildConfig, session: &mut Session) -> Result<BuildSummary, Error> {
    let _ = &session.gazetteer;
    let gazetteer = Gazetteer::open(&cfg.gazetteer)?;
    let articles = read_articles(&cfg.articles, cfg.date)?;
    let parser = GeoParser::new(&gazetteer);
    let parsed = geoparse_all(&parser, &articles);
    let mut summary = BuildSummary { articles: articles.len(), ..Default::default() };
    let pairs: Vec<(&Article, &[crate::geoparse::Mention])> =
        articles.iter().zip(&parsed).map(|(a, p)| (a, p.mentions.as_slice())).collect();
    summary.mentions = pairs.iter().map(|(_, m)| m.len()).sum();
    let places = crate::output::places::places_geojson(&pairs, &gazetteer);
    summary.places = places.lines().filter(|l| l.starts_with("{\"geometry\"")).count();
    write(&cfg.out, "places.geojson", places.as_bytes(), &mut summary)?;
    let coded = EventCoder::default().code(&gazetteer, &articles, &parsed);
    summary.events = coded.events.len();
    summary.warnings.extend(coded.warnings);
    write(
        &cfg.out,
        "events.geojson",
        crate::output::events::events_geojson(&coded.events, &gazetteer).as_bytes(),
        &mut summary,
    )?;
    write(&cfg.out, "events.qml", crate::output::events::events_qml().as_bytes(), &mut summary)?;
    // The projector's layers (issue 4): fronts, pockets by date, border and crossings, checked claims.
    let projection = crate::project::project(&gazetteer, &articles, &parsed, &coded.events);
    summary.warnings.extend(projection.warnings.iter().cloned());
    (summary.axes, summary.areas, summary.claims) =
        (projection.axes.len(), projection.areas.len(), projection.claims.len());
    use crate::output::project as op;
    write(&cfg.out, "fronts.geojson", op::fronts_geojson(&projection.axes).as_bytes(), &mut summary)?;
    write(&cfg.out, "areas.geojson", op::areas_geojson(&projection.areas).as_bytes(), &mut summary)?;
    write(&cfg.out, "border.geojson", op::border_geojson(&projection.borders).as_bytes(), &mut summary)?;
    write(&cfg.out, "crossings.geojson", op::crossings_geojson(&projection.crossings).as_bytes(), &mut summary)?;
    write(&cfg.out, "claims.json", op::claims_json(&projection.claims).as_bytes(), &mut summary)?;
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
    let maps = crate::render::render_sheets(&render)?;
    summary.maps = maps.sheets.len();
    summary.files_written.extend(maps.files_written);
    summary.files_unchanged += maps.files_unchanged;
    summary.warnings.extend(maps.warnings);
    // XYZ tiles, MBTiles and the web viewer (issue 6), from the same style and layers.
    let mut tiles = crate::tiles::TilesConfig::new(&base);
    (tiles.styles, tiles.out, tiles.path_prefixes) = (cfg.styles.clone(), cfg.out.clone(), render.path_prefixes);
    tiles.progress = true;
    let t = crate::tiles::build_tiles(&tiles)?;
    (summary.tiles, summary.tiles_unchanged) = (t.tiles, t.tiles_unchanged);
    summary.files_written.extend(t.files_written);
    summary.files_unchanged += t.files_unchanged;
    Ok(summary)
}
