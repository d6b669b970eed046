//! Map sheets (`styles/maps.toml`): extent, size, title, layers, date windows, inset, detail boxes and
//! small-multiple panels — and the composition of one sheet from the renderer's pieces.

use super::draw::{DrawStats, PxBox};
use super::error::RenderError;
use super::expr::Rgba;
use super::furniture::{self, Legend, ScaleBar, TitleBlock};
use super::groups::{self, RunCache};
use super::labels::{self, PlaceOptions, Placement};
use super::mercator::{Bbox, MAX_LATITUDE, View, project};
use super::reads;
use super::scene::{DateWindow, Scene, Selection};
use super::sprites;
use super::style::Style;
use super::text::FaceId;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use tiny_skia::Pixmap;

/// A date or a `[from, to]` window in maps.toml.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum DateSpec {
    Day(String),
    Range([String; 2]),
}

impl DateSpec {
    fn window(&self) -> DateWindow {
        match self {
            DateSpec::Day(d) => DateWindow::day(d),
            DateSpec::Range([a, b]) => DateWindow { from: a.clone(), to: b.clone() },
        }
    }
}

/// Sheet-wide defaults.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    /// Style file, relative to the styles directory.
    pub style: String,
    pub width: u32,
    pub height: u32,
    /// Data credits; the outlets of `corpus` are appended.
    pub attribution: String,
    /// The corpus file whose `source` fields name the articles' outlets (relative to the base directory).
    #[serde(default)]
    pub corpus: Option<String>,
}

/// The locator map in a corner.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InsetDef {
    pub bbox: [f64; 4],
    pub layers: Vec<String>,
    #[serde(default = "default_inset_w")]
    pub width: u32,
    #[serde(default = "default_inset_h")]
    pub height: u32,
}

fn default_inset_w() -> u32 {
    240
}
fn default_inset_h() -> u32 {
    190
}

/// An enlargement of part of the sheet, drawn in a framed box.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetailDef {
    pub title: String,
    pub bbox: [f64; 4],
    pub width: u32,
    pub height: u32,
    /// `top-right`, `bottom-right`, `top-left` (below the title) or `bottom-left` (above the legend).
    #[serde(default = "default_position")]
    pub position: String,
    #[serde(default)]
    pub hide: Vec<String>,
}

fn default_position() -> String {
    "bottom-right".into()
}

/// One of the small multiples of a sheet.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PanelDef {
    pub title: String,
    #[serde(default)]
    pub dates: BTreeMap<String, DateSpec>,
}

/// One map sheet.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SheetDef {
    pub name: String,
    pub title: String,
    #[serde(default)]
    pub subtitle: String,
    #[serde(default)]
    pub note: String,
    /// West, south, east, north (degrees): the sheet shows at least this box.
    #[serde(default)]
    pub bbox: Option<[f64; 4]>,
    /// Centre (lon, lat) with `scale` (1:scale at the centre latitude, 0.28 mm pixels).
    #[serde(default)]
    pub center: Option<[f64; 2]>,
    #[serde(default)]
    pub scale: Option<f64>,
    #[serde(default)]
    pub width: Option<u32>,
    #[serde(default)]
    pub height: Option<u32>,
    #[serde(default)]
    pub hide: Vec<String>,
    #[serde(default)]
    pub only: Option<Vec<String>>,
    #[serde(default)]
    pub dates: BTreeMap<String, DateSpec>,
    /// Other sheets whose extents are outlined on this one.
    #[serde(default)]
    pub show_sheets: Vec<String>,
    #[serde(default)]
    pub inset: Option<InsetDef>,
    #[serde(default)]
    pub detail: Vec<DetailDef>,
    #[serde(default)]
    pub panel: Vec<PanelDef>,
    #[serde(default)]
    pub legend_columns: Option<usize>,
}

/// The parsed `maps.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SheetsFile {
    pub defaults: Defaults,
    #[serde(rename = "sheet")]
    pub sheets: Vec<SheetDef>,
    #[serde(skip)]
    pub path: PathBuf,
}

fn valid_date(d: &str) -> bool {
    let b = d.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && (1..=12).contains(&d[5..7].parse::<u32>().unwrap_or(0))
        && (1..=31).contains(&d[8..10].parse::<u32>().unwrap_or(0))
}

fn valid_bbox(b: &[f64; 4]) -> bool {
    b.iter().all(|v| v.is_finite())
        && b[0] < b[2]
        && b[1] < b[3]
        && b[0] >= -180.0
        && b[2] <= 180.0
        && b[1] >= -MAX_LATITUDE
        && b[3] <= MAX_LATITUDE
}

impl SheetsFile {
    /// Read and check `maps.toml`.
    pub fn load(path: &Path) -> Result<SheetsFile, RenderError> {
        let text =
            std::fs::read_to_string(path).map_err(|e| RenderError::Read { path: path.to_path_buf(), source: e })?;
        SheetsFile::parse(&text, path)
    }

    /// Parse and check (`path` names the file in messages; TOML errors carry the line).
    pub fn parse(text: &str, path: &Path) -> Result<SheetsFile, RenderError> {
        let err = |msg: String| RenderError::Sheets { path: path.to_path_buf(), msg };
        let mut f: SheetsFile = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        f.path = path.to_path_buf();
        let mut names = BTreeSet::new();
        for s in &f.sheets {
            let e = |m: String| err(format!("sheet {:?}: {m}", s.name));
            if s.name.is_empty() || !s.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                return Err(e("name must be letters, digits, '-' or '_' (it becomes a file name)".into()));
            }
            if !names.insert(s.name.clone()) {
                return Err(e("defined twice".into()));
            }
            match (&s.bbox, &s.center, s.scale) {
                (Some(b), None, None) if valid_bbox(b) => {}
                (Some(_), None, None) => {
                    return Err(e("bbox must be [west, south, east, north] with west < east, south < north".into()));
                }
                (None, Some(c), Some(sc)) if c[0].abs() <= 180.0 && c[1].abs() < MAX_LATITUDE && sc > 0.0 => {}
                (None, Some(_), Some(_)) => return Err(e("center must be [lon, lat] and scale > 0".into())),
                _ => return Err(e("give either bbox, or center and scale".into())),
            }
            let (w, h) = (s.width.unwrap_or(f.defaults.width), s.height.unwrap_or(f.defaults.height));
            if !(64..=8192).contains(&w) || !(64..=8192).contains(&h) {
                return Err(e(format!("size {w}×{h} is outside 64…8192 pixels")));
            }
            let all_dates = s.dates.values().chain(s.panel.iter().flat_map(|p| p.dates.values()));
            for d in all_dates {
                let ok = match d {
                    DateSpec::Day(x) => valid_date(x),
                    DateSpec::Range([a, b]) => valid_date(a) && valid_date(b) && a <= b,
                };
                if !ok {
                    return Err(e(format!("bad date {d:?}: use \"YYYY-MM-DD\" or [\"from\", \"to\"]")));
                }
            }
            for d in &s.detail {
                if !valid_bbox(&d.bbox) {
                    return Err(e(format!("detail {:?}: bad bbox", d.title)));
                }
            }
            if let Some(i) = &s.inset {
                if !valid_bbox(&i.bbox) {
                    return Err(e("inset: bad bbox".into()));
                }
            }
        }
        for s in &f.sheets {
            for o in &s.show_sheets {
                if !names.contains(o) {
                    return Err(err(format!("sheet {:?}: show_sheets names unknown sheet {o:?}", s.name)));
                }
            }
        }
        Ok(f)
    }

    /// Check that every layer a sheet names exists in the style.
    pub fn check_layers(&self, scene: &Scene) -> Result<(), RenderError> {
        self.check_style(&scene.style)
    }

    /// [`Self::check_layers`] against a style alone.
    pub fn check_style(&self, style: &Style) -> Result<(), RenderError> {
        for s in &self.sheets {
            let named = s
                .hide
                .iter()
                .chain(s.only.iter().flatten())
                .chain(s.inset.iter().flat_map(|i| i.layers.iter()))
                .chain(s.detail.iter().flat_map(|d| d.hide.iter()));
            for l in named {
                if style.layer(l).is_none() {
                    return Err(RenderError::Sheets {
                        path: self.path.clone(),
                        msg: format!("sheet {:?}: no layer {l:?} in {}", s.name, style.path.display()),
                    });
                }
            }
        }
        Ok(())
    }

    /// A sheet by name.
    pub fn sheet(&self, name: &str) -> Option<&SheetDef> {
        self.sheets.iter().find(|s| s.name == name)
    }
}

impl SheetDef {
    /// Size in CSS pixels.
    pub fn size(&self, d: &Defaults) -> (u32, u32) {
        (self.width.unwrap_or(d.width), self.height.unwrap_or(d.height))
    }

    /// The projected box the sheet must show.
    pub fn extent(&self, d: &Defaults) -> Bbox {
        match (&self.bbox, &self.center, self.scale) {
            (Some(b), _, _) => Bbox::from_lonlat(b[0], b[1], b[2], b[3]),
            (None, Some(c), Some(scale)) => {
                let (w, h) = self.size(d);
                let res = scale * 0.000_28 / c[1].to_radians().cos();
                let [x, y] = project(c[0], c[1]);
                let (hw, hh) = (res * f64::from(w) / 2.0, res * f64::from(h) / 2.0);
                Bbox::new(x - hw, y - hh, x + hw, y + hh)
            }
            _ => Bbox::new(0.0, 0.0, 1.0, 1.0),
        }
    }

    fn selection(&self, dates: &BTreeMap<String, DateSpec>) -> Selection {
        let mut all = self.dates.clone();
        all.extend(dates.iter().map(|(k, v)| (k.clone(), v.clone())));
        Selection {
            only: self.only.clone(),
            hide: self.hide.clone(),
            dates: all.iter().map(|(k, v)| (k.clone(), v.window())).collect(),
        }
    }

    /// Every layer id this sheet may draw (for loading only the sources it needs).
    pub fn layers<'a>(&'a self, scene_layers: &'a [super::style::Layer]) -> impl Iterator<Item = &'a str> + 'a {
        let sel = self.selection(&BTreeMap::new());
        scene_layers
            .iter()
            .filter(move |l| sel.shows_layer(&l.id))
            .map(|l| l.id.as_str())
            .chain(self.inset.iter().flat_map(|i| i.layers.iter().map(String::as_str)))
    }
}

/// A rendered sheet, before encoding.
pub struct RenderedSheet {
    pub name: String,
    pub pixmap: Pixmap,
    /// GDAL geotransform of the image (for panels: the first panel's grid).
    pub geotransform: [f64; 6],
    /// The main view (first panel for small multiples) and where its top-left lies in the image.
    pub view: View,
    pub origin_px: [f64; 2],
    /// Every label placement of the sheet, by part ("map", "panel 1", "detail Al-Qaïm", "inset").
    pub placements: Vec<(String, Placement)>,
    /// Where each placement's view lies in the image (device pixels), same order.
    pub offsets: Vec<[f64; 2]>,
    /// Furniture boxes in image pixels (labels of the main map never cover them).
    pub furniture: Vec<PxBox>,
    /// Human-readable notes for the aux.xml metadata.
    pub notes: Vec<(&'static str, String)>,
}

const MARGIN: f64 = 16.0;
const FRAME: Rgba = Rgba { r: 0.13, g: 0.13, b: 0.15, a: 1.0 };
const SHEET_BOX: Rgba = Rgba { r: 0.70, g: 0.09, b: 0.09, a: 1.0 };

fn new_pixmap(name: &str, w: u32, h: u32) -> Result<Pixmap, RenderError> {
    Pixmap::new(w, h).ok_or_else(|| RenderError::Canvas { sheet: name.to_string(), width: w, height: h })
}

/// Draw layers and labels of `view` into a fresh pixmap: the map part of a sheet, a panel, a detail or
/// the inset. `obstacles` are in the view's pixels.
fn map_part(
    name: &str,
    part: &str,
    scene: &Scene,
    view: &View,
    sel: &Selection,
    runs: &RunCache,
    obstacles: &dyn Fn(&DrawStats) -> Vec<PxBox>,
) -> Result<(Pixmap, DrawStats, Placement), RenderError> {
    let mut pm = new_pixmap(name, view.width, view.height)?;
    let mut stats = DrawStats::default();
    let part = format!("{name}.{part}");
    groups::draw_map(&mut pm, scene, view, sel, &mut stats, runs, &part);
    let obs = obstacles(&stats);
    let placement = labels::place_labels(scene, view, sel, &obs, &stats.obstacles, PlaceOptions::default());
    sprites::draw_labels(&mut pm, &placement, view, runs.sprites_file(&part).as_deref());
    Ok((pm, stats, placement))
}

/// Detail enlargement `i` of a sheet at scale `s`: its pixmap (caption and scale bar drawn), labels and view.
fn detail_part(
    scene: &Scene,
    sheet: &SheetDef,
    i: usize,
    d: &DetailDef,
    sel: &Selection,
    s: f64,
    runs: &RunCache,
) -> Result<(Pixmap, Placement, View), RenderError> {
    let dv = View::fit(Bbox::from_lonlat(d.bbox[0], d.bbox[1], d.bbox[2], d.bbox[3]), d.width, d.height, s);
    let mut dsel = sel.clone();
    dsel.hide.extend(d.hide.iter().cloned());
    let (cw, ch) = furniture::measure(&d.title, FaceId::Bold, 13.0 * s);
    let cap = PxBox::new(0.0, 0.0, cw + 16.0 * s, ch + 8.0 * s);
    let dbar = ScaleBar::for_view(&dv, 90.0 * s);
    let dbar_box = dbar.layout(f64::from(dv.width) - 4.0 * s, f64::from(dv.height) - 4.0 * s, s);
    let (mut pm, _, pl) = map_part(&sheet.name, &format!("detail-{i}"), scene, &dv, &dsel, runs, &|_| {
        vec![cap.grow(3.0 * s), dbar_box.grow(3.0 * s)]
    })?;
    let key = format!("{cap:?}\0{}\0{dbar:?}\0{dbar_box:?}\0{s}", d.title);
    runs.overlay(&mut pm, &format!("{}.detail-{i}.furniture", sheet.name), key.as_bytes(), |pm| {
        furniture::draw_panel(pm, &cap, furniture::PAPER, furniture::INK, 0.0);
        furniture::draw_text(pm, &d.title, FaceId::Bold, 13.0 * s, 8.0 * s, 4.0 * s, furniture::INK, None);
        dbar.draw(pm, &dbar_box, s);
    });
    Ok((pm, pl, dv))
}

/// Panel `i` of a sheet of small multiples, `size` device pixels: its pixmap (caption, scale bar and north
/// arrow drawn), what it drew, its labels and its view.
#[allow(clippy::too_many_arguments)]
fn panel_part(
    scene: &Scene,
    file: &SheetsFile,
    sheet: &SheetDef,
    i: usize,
    p: &PanelDef,
    (pw, ph): (f64, f64),
    s: f64,
    runs: &RunCache,
) -> Result<(Pixmap, DrawStats, Placement, View), RenderError> {
    let pv = View::fit(sheet.extent(&file.defaults), (pw / s).round() as u32, (ph / s).round() as u32, s);
    let psel = sheet.selection(&p.dates);
    let (cw, ch) = furniture::measure(&p.title, FaceId::Bold, 16.0 * s);
    let cap = PxBox::new(0.0, 0.0, cw + 20.0 * s, ch + 10.0 * s);
    let bar = ScaleBar::for_view(&pv, 120.0 * s);
    let bar_box = bar.layout(f64::from(pv.width) - 6.0 * s, f64::from(pv.height) - 6.0 * s, s);
    let north = furniture::north_arrow_box(bar_box.x1 - 20.0 * s, bar_box.y0 - 34.0 * s, s);
    let (mut pm, stats, pl) = map_part(&sheet.name, &format!("panel-{i}"), scene, &pv, &psel, runs, &|_| {
        vec![cap.grow(3.0 * s), bar_box.grow(3.0 * s), north.grow(3.0 * s)]
    })?;
    let key = format!("{cap:?}\0{}\0{bar:?}\0{bar_box:?}\0{north:?}\0{s}", p.title);
    runs.overlay(&mut pm, &format!("{}.panel-{i}.furniture", sheet.name), key.as_bytes(), |pm| {
        furniture::draw_panel(pm, &cap, furniture::PAPER, furniture::INK, 0.0);
        furniture::draw_text(pm, &p.title, FaceId::Bold, 16.0 * s, 10.0 * s, 5.0 * s, furniture::INK, None);
        bar.draw(pm, &bar_box, s);
        furniture::draw_north_arrow(pm, &north, s);
    });
    Ok((pm, stats, pl, pv))
}

/// The locator map of a sheet whose main map shows `view`: its pixmap (the main map's extent marked) and
/// labels.
fn inset_part(
    scene: &Scene,
    sheet: &SheetDef,
    i: &InsetDef,
    view: &View,
    sel: &Selection,
    s: f64,
    runs: &RunCache,
) -> Result<(Pixmap, Placement), RenderError> {
    let iv = View::fit(Bbox::from_lonlat(i.bbox[0], i.bbox[1], i.bbox[2], i.bbox[3]), i.width, i.height, s);
    let isel = Selection { only: Some(i.layers.clone()), hide: Vec::new(), dates: sel.dates.clone() };
    let p0 = iv.to_px([view.bbox.min_x, view.bbox.max_y]);
    let p1 = iv.to_px([view.bbox.max_x, view.bbox.min_y]);
    let mut mark = PxBox::new(p0[0], p0[1], p1[0], p1[1]);
    if mark.x1 - mark.x0 < 6.0 * s {
        let c = [(mark.x0 + mark.x1) / 2.0, (mark.y0 + mark.y1) / 2.0];
        mark = PxBox::new(c[0] - 3.0 * s, c[1] - 3.0 * s, c[0] + 3.0 * s, c[1] + 3.0 * s);
    }
    let (mut pm, _, pl) = map_part(&sheet.name, "inset", scene, &iv, &isel, runs, &|_| vec![mark.grow(2.0 * s)])?;
    furniture::draw_frame(&mut pm, &mark, SHEET_BOX, 2.0 * s, false);
    Ok((pm, pl))
}

fn paste(dst: &mut Pixmap, src: &Pixmap, x: f64, y: f64) {
    super::composite::over_pixmap(dst, src, x.round() as i32, y.round() as i32);
}

/// Render one sheet at `scale` (device pixel ratio).
pub fn render_sheet(
    scene: &Scene,
    file: &SheetsFile,
    sheet: &SheetDef,
    scale: f64,
    attribution: &str,
    runs: &RunCache,
) -> Result<RenderedSheet, RenderError> {
    if sheet.panel.is_empty() {
        render_single(scene, file, sheet, scale, attribution, runs)
    } else {
        render_panels(scene, file, sheet, scale, attribution, runs)
    }
}

fn render_single(
    scene: &Scene,
    file: &SheetsFile,
    sheet: &SheetDef,
    s: f64,
    attribution: &str,
    runs: &RunCache,
) -> Result<RenderedSheet, RenderError> {
    let (w, h) = sheet.size(&file.defaults);
    let view = View::fit(sheet.extent(&file.defaults), w, h, s);
    let (wd, hd) = (f64::from(view.width), f64::from(view.height));
    let sel = sheet.selection(&BTreeMap::new());
    let m = MARGIN * s;

    // Furniture that does not depend on what is drawn.
    let title = TitleBlock { title: sheet.title.clone(), subtitle: sheet.subtitle.clone(), note: sheet.note.clone() };
    let title_box = title.layout(m, m, s);
    let attr_box = furniture::attribution_box(attribution, wd, hd, s);
    let bar = ScaleBar::for_view(&view, 180.0 * s);
    let bar_box = bar.layout(wd - m, attr_box.y0 - m * 0.5, s);
    let north_box = furniture::north_arrow_box(bar_box.x1 - 20.0 * s, bar_box.y0 - 34.0 * s, s);
    let inset_box = sheet.inset.as_ref().map(|i| {
        let (iw, ih) = (f64::from(i.width) * s, f64::from(i.height) * s);
        PxBox::new(wd - m - iw, m, wd - m, m + ih)
    });
    let mut detail_boxes = Vec::new();
    for d in &sheet.detail {
        let (dw, dh) = (f64::from(d.width) * s, f64::from(d.height) * s);
        let b = match d.position.as_str() {
            "top-right" => {
                let top = inset_box.map_or(m, |b| b.y1 + m);
                PxBox::new(wd - m - dw, top, wd - m, top + dh)
            }
            "top-left" => PxBox::new(m, title_box.y1 + m, m + dw, title_box.y1 + m + dh),
            "bottom-left" => PxBox::new(m, attr_box.y0 - m - dh, m + dw, attr_box.y0 - m),
            _ => PxBox::new(wd - m - dw, north_box.y0 - m - dh, wd - m, north_box.y0 - m),
        };
        detail_boxes.push(b);
    }
    // Outlines of other sheets (theatre): frames plus a caption each.
    let mut sheet_frames = Vec::new();
    for other in &sheet.show_sheets {
        let Some(o) = file.sheet(other) else { continue };
        let (ow, oh) = o.size(&file.defaults);
        let ov = View::fit(o.extent(&file.defaults), ow, oh, 1.0);
        let p0 = view.to_px([ov.bbox.min_x, ov.bbox.max_y]);
        let p1 = view.to_px([ov.bbox.max_x, ov.bbox.min_y]);
        let frame = PxBox::new(p0[0], p0[1], p1[0], p1[1]);
        let caption = o.title.clone();
        let (cw, ch) = furniture::measure(&caption, FaceId::Bold, 11.0 * s);
        let cap_box = PxBox::new(frame.x0, frame.y0 - ch - 2.0 * s, frame.x0 + cw, frame.y0 - 2.0 * s);
        sheet_frames.push((frame, caption, cap_box));
    }

    let columns = sheet.legend_columns.unwrap_or(1);
    // The enlargements and the locator map are drawn beside the main map, on another core when one is free
    // (the last sheet of a build is often drawn alone), and pasted after it in the same order as ever. Reads
    // are recorded per thread: the parts record theirs, noted here.
    let (parts, main) = rayon::join(
        || {
            reads::recording(|| {
                let details = (sheet.detail.iter().enumerate())
                    .map(|(i, d)| detail_part(scene, sheet, i, d, &sel, s, runs))
                    .collect::<Result<Vec<_>, RenderError>>()?;
                let inset = match (&sheet.inset, inset_box) {
                    (Some(i), Some(_)) => Some(inset_part(scene, sheet, i, &view, &sel, s, runs)?),
                    _ => None,
                };
                Ok::<_, RenderError>((details, inset))
            })
        },
        || {
            // The map, then the legend (which needs to know what was drawn), then labels avoiding all
            // furniture.
            let mut pixmap = new_pixmap(&sheet.name, view.width, view.height)?;
            let mut stats = DrawStats::default();
            groups::draw_map(&mut pixmap, scene, &view, &sel, &mut stats, runs, &format!("{}.map", sheet.name));
            let legend =
                Legend { entries: furniture::legend_entries(scene, &view, &sel, &stats), title: "Légende".into() };
            let legend_box = (!legend.entries.is_empty()).then(|| {
                let bottom = detail_boxes
                    .iter()
                    .zip(&sheet.detail)
                    .filter(|(_, d)| d.position == "bottom-left")
                    .map(|(b, _)| b.y0 - m)
                    .fold(attr_box.y0 - m * 0.5, f64::min);
                legend.layout(m, bottom, s, columns)
            });
            let mut furniture_boxes: Vec<PxBox> = vec![title_box, attr_box, bar_box, north_box];
            furniture_boxes.extend(inset_box);
            furniture_boxes.extend(detail_boxes.iter().copied());
            furniture_boxes.extend(legend_box);
            furniture_boxes.extend(sheet_frames.iter().map(|f| f.2));
            let obstacles: Vec<PxBox> = furniture_boxes.iter().map(|b| b.grow(3.0 * s)).collect();
            let placement =
                labels::place_labels(scene, &view, &sel, &obstacles, &stats.obstacles, PlaceOptions::default());
            let sprites_file = runs.sprites_file(&format!("{}.map", sheet.name));
            sprites::draw_labels(&mut pixmap, &placement, &view, sprites_file.as_deref());
            Ok::<_, RenderError>((pixmap, legend, legend_box, furniture_boxes, placement))
        },
    );
    let ((parts, part_reads), (mut pixmap, legend, legend_box, furniture_boxes, placement)) = (parts, main?);
    for (source, b) in &part_reads.0 {
        reads::note(source, *b);
    }
    let (details, inset) = parts?;
    let mut placements = vec![("map".to_string(), placement)];
    let mut offsets = vec![[0.0, 0.0]];

    if !sheet_frames.is_empty() {
        let key = format!("{sheet_frames:?}\0{s}");
        runs.overlay(&mut pixmap, &format!("{}.frames", sheet.name), key.as_bytes(), |pm| {
            for (frame, caption, cap) in &sheet_frames {
                furniture::draw_frame(pm, frame, SHEET_BOX, 2.0 * s, false);
                furniture::draw_text(
                    pm,
                    caption,
                    FaceId::Bold,
                    11.0 * s,
                    cap.x0,
                    cap.y0,
                    SHEET_BOX,
                    Some((Rgba::WHITE, 2.5 * s)),
                );
            }
        });
    }

    // Detail enlargements.
    for ((d, b), (pm, pl, dv)) in sheet.detail.iter().zip(&detail_boxes).zip(details) {
        // Where the detail lies on the main map.
        let p0 = view.to_px([dv.bbox.min_x, dv.bbox.max_y]);
        let p1 = view.to_px([dv.bbox.max_x, dv.bbox.min_y]);
        furniture::draw_frame(&mut pixmap, &PxBox::new(p0[0], p0[1], p1[0], p1[1]), FRAME, 1.5 * s, true);
        paste(&mut pixmap, &pm, b.x0, b.y0);
        furniture::draw_frame(&mut pixmap, b, FRAME, 2.0 * s, false);
        placements.push((format!("detail {}", d.title), pl));
        offsets.push([b.x0.round(), b.y0.round()]);
    }

    // Inset locator.
    if let (Some((pm, pl)), Some(b)) = (inset, inset_box) {
        paste(&mut pixmap, &pm, b.x0, b.y0);
        furniture::draw_frame(&mut pixmap, &b, FRAME, 1.5 * s, false);
        placements.push(("inset".to_string(), pl));
        offsets.push([b.x0.round(), b.y0.round()]);
    }

    let key = format!(
        "{legend:?}\0{legend_box:?}\0{columns}\0{bar:?}\0{bar_box:?}\0{north_box:?}\0{title:?}\0{title_box:?}\0{attribution}\0{attr_box:?}\0{s}"
    );
    runs.overlay(&mut pixmap, &format!("{}.furniture", sheet.name), key.as_bytes(), |pm| {
        if let Some(lb) = legend_box {
            legend.draw(pm, &lb, s, columns);
        }
        bar.draw(pm, &bar_box, s);
        furniture::draw_north_arrow(pm, &north_box, s);
        title.draw(pm, &title_box, s);
        furniture::draw_attribution(pm, attribution, &attr_box, s);
    });

    let gt = super::georef::geotransform(&view, [0.0, 0.0]);
    Ok(RenderedSheet {
        name: sheet.name.clone(),
        pixmap,
        geotransform: gt,
        view,
        origin_px: [0.0, 0.0],
        placements,
        offsets,
        furniture: furniture_boxes,
        notes: vec![("frontmap:title", sheet.title.clone())],
    })
}

fn render_panels(
    scene: &Scene,
    file: &SheetsFile,
    sheet: &SheetDef,
    s: f64,
    attribution: &str,
    runs: &RunCache,
) -> Result<RenderedSheet, RenderError> {
    let (w, h) = sheet.size(&file.defaults);
    let (wd, hd) = ((f64::from(w) * s).round(), (f64::from(h) * s).round());
    let m = MARGIN * s;
    let title = TitleBlock { title: sheet.title.clone(), subtitle: sheet.subtitle.clone(), note: sheet.note.clone() };
    let title_box = title.layout(m, m, s);
    let attr_box = furniture::attribution_box(attribution, wd, hd, s);
    let n = sheet.panel.len();
    let columns = sheet.legend_columns.unwrap_or(4);
    // Footer: legend rows (at most 3 rows in `columns` columns); its height is fixed by the row count.
    let legend_rows_h = (Legend { entries: Vec::new(), title: "Légende".into() }).size(s, 1).1 + 3.0 * 21.0 * s;
    let top = title_box.y1 + m * 0.75;
    let bottom = attr_box.y0 - m * 0.75 - legend_rows_h - m * 0.5;
    let pw = ((wd - m * (n as f64 + 1.0)) / n as f64).floor();
    let ph = (bottom - top).floor();
    if pw < 32.0 || ph < 32.0 {
        return Err(RenderError::Sheet {
            sheet: sheet.name.clone(), msg: format!("{n} panels do not fit in {w}×{h}")
        });
    }
    let mut pixmap = new_pixmap(&sheet.name, wd as u32, hd as u32)?;
    pixmap.fill(tiny_skia::Color::WHITE);
    let mut all_stats = DrawStats::default();
    let mut placements = Vec::new();
    let mut offsets = Vec::new();
    let mut first_view = None;
    let mut views = Vec::new();
    // Panels are drawn on every core (each records its reads, noted here), then pasted in order.
    let drawn: Vec<_> = {
        use rayon::prelude::*;
        sheet
            .panel
            .par_iter()
            .enumerate()
            .map(|(i, p)| reads::recording(|| panel_part(scene, file, sheet, i, p, (pw, ph), s, runs)))
            .collect()
    };
    for (i, (panel, read)) in drawn.into_iter().enumerate() {
        for (source, b) in &read.0 {
            reads::note(source, *b);
        }
        let (pm, stats, pl, pv) = panel?;
        let x = m + i as f64 * (pw + m);
        paste(&mut pixmap, &pm, x, top);
        furniture::draw_frame(
            &mut pixmap,
            &PxBox::new(x, top, x + f64::from(pv.width), top + f64::from(pv.height)),
            FRAME,
            1.5 * s,
            false,
        );
        all_stats.absorb(DrawStats { obstacles: Vec::new(), ..stats });
        placements.push((format!("panel {}", i + 1), pl));
        offsets.push([x.round(), top.round()]);
        if first_view.is_none() {
            first_view = Some((pv, [x.round(), top.round()]));
        }
        views.push(pv);
    }
    let (view, origin) =
        first_view.ok_or_else(|| RenderError::Sheet { sheet: sheet.name.clone(), msg: "no panel".into() })?;
    let sel = sheet.selection(&BTreeMap::new());
    let legend =
        Legend { entries: furniture::legend_entries(scene, &view, &sel, &all_stats), title: "Légende".into() };
    let legend_box = legend.layout(m, attr_box.y0 - m * 0.5, s, columns);
    let key =
        format!("{legend:?}\0{legend_box:?}\0{columns}\0{title:?}\0{title_box:?}\0{attribution}\0{attr_box:?}\0{s}");
    runs.overlay(&mut pixmap, &format!("{}.furniture", sheet.name), key.as_bytes(), |pm| {
        if !legend.entries.is_empty() {
            legend.draw(pm, &legend_box, s, columns);
        }
        title.draw(pm, &title_box, s);
        furniture::draw_attribution(pm, attribution, &attr_box, s);
    });
    let gt = super::georef::geotransform(&view, origin);
    let note = format!("georeferenced on panel 1 ({}); the other panels show the same extent", sheet.panel[0].title);
    Ok(RenderedSheet {
        name: sheet.name.clone(),
        pixmap,
        geotransform: gt,
        view,
        origin_px: origin,
        placements,
        offsets,
        furniture: vec![title_box, attr_box, legend_box],
        notes: vec![
            ("frontmap:title", sheet.title.clone()),
            ("frontmap:georeference", note),
            ("frontmap:panel_px", format!("{},{},{},{}", origin[0], origin[1], view.width, view.height)),
        ],
    })
}
