//! The web viewer `out/index.html`: our raster tiles under the dated GeoJSON layers (events, fronts,
//! areas), a date slider that filters them, popups with each event's date, type, actors and quoted sources,
//! a legend and the attribution. Leaflet 1.9.4 is vendored into `out/vendor/leaflet/` so the page works
//! offline from any static server (`python3 -m http.server` in `out/`).
//!
//! Colours and sizes come from the same style as the tiles and sheets: the renderer's own expression
//! evaluator computes each feature's paint for each layer at every zoom (MapLibre zoom = Leaflet zoom − 1)
//! here, at build time, and the page only looks them up — so the overlay matches the style exactly, without
//! a second implementation of the expressions in JavaScript.
//!
//! The page's data script `index.data.js` holds the layers' features (their GeoJSON, unchanged) and that
//! paint, loaded with a `<script src>` so the page works from `file://` too and needs no fetch beyond the
//! tiles. It is written feature by feature, never held whole. Deterministic: the same inputs give the same
//! bytes.

use crate::render::expr::{Ctx, Rgba};
use crate::render::scene::Scene;
use crate::render::style::{Layer, LayerKind, LegendSpec};
use crate::tiles::TilesError;
use crate::tiles::plan::{Plan, ZoomRange};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The vendored Leaflet release (see `src/viewer/vendor/leaflet/README.md`).
pub const LEAFLET_VERSION: &str = "1.9.4";

/// The files copied under the output directory: (path relative to it, bytes).
pub const VENDOR_FILES: &[(&str, &[u8])] = &[
    ("vendor/leaflet/leaflet.js", include_bytes!("vendor/leaflet/leaflet.js")),
    ("vendor/leaflet/leaflet.css", include_bytes!("vendor/leaflet/leaflet.css")),
    ("vendor/leaflet/LICENSE", include_bytes!("vendor/leaflet/LICENSE")),
    ("vendor/leaflet/README.md", include_bytes!("vendor/leaflet/README.md")),
    ("vendor/leaflet/images/layers.png", include_bytes!("vendor/leaflet/images/layers.png")),
    ("vendor/leaflet/images/layers-2x.png", include_bytes!("vendor/leaflet/images/layers-2x.png")),
    ("vendor/leaflet/images/marker-icon.png", include_bytes!("vendor/leaflet/images/marker-icon.png")),
    ("vendor/leaflet/images/marker-icon-2x.png", include_bytes!("vendor/leaflet/images/marker-icon-2x.png")),
    ("vendor/leaflet/images/marker-shadow.png", include_bytes!("vendor/leaflet/images/marker-shadow.png")),
];

const TEMPLATE: &str = include_str!("page.html");

/// The page's data script beside `index.html`: the overlay layers, their paint, dates and legend. A
/// separate file written feature by feature, so no corpus-sized page is ever built in memory.
pub const DATA_FILE: &str = "index.data.js";
const SCRIPT: &str = include_str!("viewer.js");

/// Leaflet zooms beyond the deepest tiles that the viewer still allows (tiles are enlarged).
const OVERZOOM: u8 = 2;

/// What the page shows.
#[derive(Debug, Clone)]
pub struct ViewerInput<'a> {
    pub scene: &'a Scene,
    pub plan: &'a Plan,
    pub attribution: &'a str,
    /// Sources drawn by the page (with the slider) rather than in the tiles.
    pub overlay_sources: &'a BTreeSet<String>,
    /// The tile URL template, relative to the page.
    pub tile_url: &'a str,
}

/// What writing the viewer did.
#[derive(Debug, Clone, Default)]
pub struct ViewerSummary {
    pub files_written: Vec<PathBuf>,
    pub files_unchanged: usize,
    /// Overlay features embedded, per source.
    pub features: BTreeMap<String, usize>,
}

/// `#rrggbb` and the alpha, for Leaflet's separate colour and opacity options.
fn css(c: Rgba) -> (String, f64) {
    (c.to_hex(), (f64::from(c.a) * 1000.0).round() / 1000.0)
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// A property sampled at every Leaflet zoom `0..=max_lz`, collapsed to one value when constant.
fn sampled(max_lz: u8, f: impl Fn(f64) -> Value) -> Value {
    let v: Vec<Value> = (0..=max_lz).map(|lz| f(crate::tiles::labels::style_zoom(lz))).collect();
    if v.iter().all(|x| *x == v[0]) { v[0].clone() } else { Value::Array(v) }
}

/// Leaflet path options for one feature of one layer, each sampled over the zooms.
fn paint(layer: &Layer, props: &Map<String, Value>, id: Option<&str>, gtype: &str, max_lz: u8) -> Value {
    let c = |zoom: f64| Ctx { props, id, geometry_type: gtype, zoom };
    let mut o = Map::new();
    let mut put = |k: &str, v: Value| {
        o.insert(k.to_string(), v);
    };
    match layer.kind {
        LayerKind::Fill => {
            put("fillColor", sampled(max_lz, |z| json!(css(layer.color("fill-color", &c(z), Rgba::BLACK)).0)));
            put(
                "fillOpacity",
                sampled(max_lz, |z| {
                    let col = layer.color("fill-color", &c(z), Rgba::BLACK);
                    json!(round3(f64::from(col.a) * layer.num("fill-opacity", &c(z), 1.0)))
                }),
            );
            if layer.has("fill-outline-color") {
                put("color", sampled(max_lz, |z| json!(css(layer.color("fill-outline-color", &c(z), Rgba::BLACK)).0)));
                put(
                    "opacity",
                    sampled(max_lz, |z| json!(css(layer.color("fill-outline-color", &c(z), Rgba::BLACK)).1)),
                );
                put("weight", json!(1));
            } else {
                put("stroke", json!(false));
            }
        }
        LayerKind::Line => {
            put("color", sampled(max_lz, |z| json!(css(layer.color("line-color", &c(z), Rgba::BLACK)).0)));
            put(
                "opacity",
                sampled(max_lz, |z| {
                    let col = layer.color("line-color", &c(z), Rgba::BLACK);
                    json!(round3(f64::from(col.a) * layer.num("line-opacity", &c(z), 1.0)))
                }),
            );
            put("weight", sampled(max_lz, |z| json!(round3(layer.num("line-width", &c(z), 1.0)))));
            put(
                "dashArray",
                sampled(max_lz, |z| match layer.numbers("line-dasharray", &c(z)) {
                    Some(d) => {
                        let w = layer.num("line-width", &c(z), 1.0);
                        let parts: Vec<String> = d.iter().map(|x| format!("{}", round3((x * w).max(0.01)))).collect();
                        json!(parts.join(","))
                    }
                    None => Value::Null,
                }),
            );
            put("lineCap", json!(layer.string("line-cap", &c(8.0), "butt")));
            put("lineJoin", json!(layer.string("line-join", &c(8.0), "miter")));
            put("fill", json!(false));
        }
        LayerKind::Circle => {
            put("radius", sampled(max_lz, |z| json!(round3(layer.num("circle-radius", &c(z), 5.0)))));
            put("fillColor", sampled(max_lz, |z| json!(css(layer.color("circle-color", &c(z), Rgba::BLACK)).0)));
            put(
                "fillOpacity",
                sampled(max_lz, |z| {
                    let col = layer.color("circle-color", &c(z), Rgba::BLACK);
                    json!(round3(f64::from(col.a) * layer.num("circle-opacity", &c(z), 1.0)))
                }),
            );
            put("color", sampled(max_lz, |z| json!(css(layer.color("circle-stroke-color", &c(z), Rgba::BLACK)).0)));
            put(
                "opacity",
                sampled(max_lz, |z| {
                    let col = layer.color("circle-stroke-color", &c(z), Rgba::BLACK);
                    json!(round3(f64::from(col.a) * layer.num("circle-stroke-opacity", &c(z), 1.0)))
                }),
            );
            put("weight", sampled(max_lz, |z| json!(round3(layer.num("circle-stroke-width", &c(z), 0.0)))));
        }
        LayerKind::Background | LayerKind::Symbol => {}
    }
    Value::Object(o)
}

fn geometry_type(f: &Value) -> &str {
    match f.pointer("/geometry/type").and_then(Value::as_str).unwrap_or("") {
        "Point" | "MultiPoint" => "Point",
        "LineString" | "MultiLineString" => "LineString",
        "Polygon" | "MultiPolygon" => "Polygon",
        _ => "",
    }
}

fn feature_id(f: &Value) -> Option<String> {
    match f.get("id").or_else(|| f.pointer("/properties/id")) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// Hand `each` the features of an overlay source, as in its file (features without geometry dropped, as
/// the renderer does), one at a time: a FeatureCollection is streamed, never held whole. A missing optional
/// file gives none.
fn each_feature(scene: &Scene, id: &str, each: &mut dyn FnMut(Value)) -> Result<(), TilesError> {
    let Some(src) = scene.sources.get(id) else { return Ok(()) };
    if !src.present {
        return Ok(());
    }
    let path = &src.path;
    let read_err = |e| TilesError::Read { path: path.clone(), source: e };
    let mut with_geometry = |f: Value| {
        if f.get("geometry").is_some_and(|g| !g.is_null()) {
            each(f);
        }
    };
    let open = || std::fs::File::open(path).map(|f| std::io::BufReader::with_capacity(1 << 16, f));
    if crate::render::source::stream_features(&open, &mut with_geometry).map_err(read_err)? {
        return Ok(());
    }
    // Not a FeatureCollection (a lone Feature), or not GeoJSON: read whole.
    let text = std::fs::read_to_string(path).map_err(read_err)?;
    let root: Value = serde_json::from_str(&text)
        .map_err(|e| TilesError::Layer { path: path.clone(), msg: format!("not JSON: {e}") })?;
    match root.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => {
            root.get("features").and_then(Value::as_array).into_iter().flatten().cloned().for_each(with_geometry)
        }
        Some("Feature") => with_geometry(root),
        _ => {}
    }
    Ok(())
}

/// West, south, east, north → Leaflet's `[[south, west], [north, east]]`.
fn ll_bounds(b: [f64; 4]) -> Value {
    let r = |v: f64| (v * 1e6).round() / 1e6;
    json!([[r(b[1]), r(b[0])], [r(b[3]), r(b[2])]])
}

/// The tile layers of the page: one per distinct zoom range of the plan, over the union of its regions.
fn tile_layers(plan: &Plan, url: &str, max_lz: u8) -> Vec<Value> {
    let mut groups: Vec<(ZoomRange, [f64; 4])> = Vec::new();
    for r in &plan.regions {
        let b = r.bbox.to_lonlat();
        match groups.iter_mut().find(|(z, _)| *z == r.zooms) {
            Some((_, g)) => *g = [g[0].min(b[0]), g[1].min(b[1]), g[2].max(b[2]), g[3].max(b[3])],
            None => groups.push((r.zooms, b)),
        }
    }
    groups.sort_by_key(|(z, _)| (z.max, z.min));
    groups
        .iter()
        .enumerate()
        .map(|(i, (z, b))| {
            json!({
                "url": url,
                // The shallowest layer also shows (enlarged) where no deeper layer has tiles.
                "minZoom": if i == 0 { 0 } else { z.min },
                "minNativeZoom": z.min,
                "maxNativeZoom": z.max,
                "maxZoom": max_lz,
                "bounds": ll_bounds(*b),
            })
        })
        .collect()
}

/// The legend: every style layer with `frontmap:legend`, top layer first; sample entries of overlay layers
/// only when some feature has that colour (`used`: the distinct paints of each overlay layer's items).
fn legend(scene: &Scene, overlay: &BTreeSet<String>, used: &BTreeMap<&str, Vec<&Value>>, max_lz: u8) -> Vec<Value> {
    let mut out = Vec::new();
    let empty = Map::new();
    for layer in scene.style.layers.iter().rev() {
        let Some(spec) = &layer.legend else { continue };
        let is_overlay = layer.source.as_ref().is_some_and(|s| overlay.contains(s));
        let used = used.get(layer.id.as_str());
        if is_overlay && used.is_none_or(|v| v.is_empty()) {
            continue;
        }
        let kind = match (layer.kind, layer.arrow.is_some()) {
            (LayerKind::Line, true) => "arrow",
            (LayerKind::Line, false) => "line",
            (LayerKind::Fill, _) => "fill",
            (LayerKind::Circle, _) => "circle",
            _ => continue,
        };
        let entries: Vec<(&Map<String, Value>, &str)> = match spec {
            LegendSpec::Single(label) => vec![(&empty, label.as_str())],
            LegendSpec::Samples(s) => s.iter().map(|(p, l)| (p, l.as_str())).collect(),
        };
        for (props, label) in entries {
            let p = paint(layer, props, None, "", max_lz);
            if matches!(spec, LegendSpec::Samples(_)) && is_overlay {
                let key = if kind == "circle" || kind == "fill" { "fillColor" } else { "color" };
                if !used.is_some_and(|v| v.iter().any(|paint| paint.get(key) == p.get(key))) {
                    continue;
                }
            }
            // Two layers drawing the same thing (a style may split axes by role) share one entry.
            if out.iter().any(|e: &Value| e["label"] == label) {
                continue;
            }
            out.push(json!({ "label": label, "kind": kind, "layer": layer.id, "paint": p }));
        }
    }
    out
}

/// One overlay layer's items while the features stream by: (sort key, feature index, paint index).
struct LayerItems<'a> {
    layer: &'a Layer,
    source: &'a str,
    sort_key: &'static str,
    items: Vec<(f64, usize, usize)>,
}

/// The distinct paints of the items, each serialized once (ten thousand events share a few dozen).
#[derive(Default)]
struct Paints {
    index: std::collections::HashMap<String, usize>,
    list: Vec<(String, Value)>,
}

impl Paints {
    fn intern(&mut self, paint: Value) -> usize {
        let text = paint.to_string();
        if let Some(&i) = self.index.get(&text) {
            return i;
        }
        self.index.insert(text.clone(), self.list.len());
        self.list.push((text, paint));
        self.list.len() - 1
    }
}

/// The data script's prefix and suffix around the JSON of `window.FRONTMAP`.
const DATA_PREFIX: &str = "window.FRONTMAP = ";
const DATA_SUFFIX: &str = ";\n";

/// `<`, `>` and `&` written as JSON escapes (they only occur inside strings), so the data stays inert
/// wherever it is pasted, inside a `<script>` element included.
struct ScriptSafe<W>(W);

impl<W: Write> Write for ScriptSafe<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut rest = buf;
        while let Some(i) = rest.iter().position(|b| matches!(b, b'<' | b'>' | b'&')) {
            self.0.write_all(&rest[..i])?;
            self.0.write_all(format!("\\u{:04x}", rest[i]).as_bytes())?;
            rest = &rest[i + 1..];
        }
        self.0.write_all(rest)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// A JSON object's text without its closing brace, so more members can follow.
fn open_object(v: &Value) -> String {
    let mut s = v.to_string();
    s.pop();
    s
}

/// Write the page's data script (`window.FRONTMAP = {…};`): tiles, overlay sources feature by feature
/// as read from their files (streamed: at 10,000 articles they are tens of megabytes), each overlay
/// layer's items (feature index and paint), dates, legend, attribution. Returns the overlay features
/// written, per source.
pub fn write_data(input: &ViewerInput<'_>, out: &mut dyn Write) -> Result<BTreeMap<String, usize>, TilesError> {
    let mut w = ScriptSafe(out);
    let scene = input.scene;
    let span = input.plan.zoom_span().unwrap_or(ZoomRange { min: 0, max: 10 });
    let max_lz = span.max.saturating_add(OVERZOOM).min(22);
    let bounds = input.plan.bounds_lonlat().unwrap_or([-180.0, -85.0, 180.0, 85.0]);
    // Open on the deepest regions (the operation sheets), else on everything.
    let deepest = input.plan.regions.iter().map(|r| r.zooms.max).max().unwrap_or(0);
    let mut focus = crate::render::mercator::Bbox::empty();
    for r in input.plan.regions.iter().filter(|r| r.zooms.max == deepest) {
        focus.extend([r.bbox.min_x, r.bbox.min_y]);
        focus.extend([r.bbox.max_x, r.bbox.max_y]);
    }
    let head = json!({
        "title": title(scene),
        "attribution": input.attribution,
        "background": background(scene),
        "tiles": tile_layers(input.plan, input.tile_url, max_lz),
        "bounds": ll_bounds(bounds),
        "focus": ll_bounds(focus.to_lonlat()),
        "minZoom": 0,
        "maxZoom": max_lz,
    });
    let wr = |e: std::io::Error| TilesError::Write { path: PathBuf::from(DATA_FILE), source: e };
    w.write_all(DATA_PREFIX.as_bytes()).map_err(wr)?;
    w.write_all(open_object(&head).as_bytes()).map_err(wr)?;
    // Each overlay layer (fill, line, circle; visible): which features it draws, in drawing order.
    let mut layers: Vec<LayerItems<'_>> = scene
        .style
        .layers
        .iter()
        .filter(|l| matches!(l.kind, LayerKind::Fill | LayerKind::Line | LayerKind::Circle) && l.visible)
        .filter_map(|layer| {
            let source = layer.source.as_deref().filter(|s| input.overlay_sources.contains(*s))?;
            let sort_key = match layer.kind {
                LayerKind::Fill => "fill-sort-key",
                LayerKind::Line => "line-sort-key",
                _ => "circle-sort-key",
            };
            Some(LayerItems { layer, source, sort_key, items: Vec::new() })
        })
        .collect();
    let mut paints = Paints::default();
    let mut counts = BTreeMap::new();
    let (mut first_date, mut last_date): (Option<String>, Option<String>) = (None, None);
    w.write_all(b",\"sources\":{").map_err(wr)?;
    for (n, id) in input.overlay_sources.iter().enumerate() {
        let sep = if n == 0 { "" } else { "," };
        w.write_all(format!("{sep}{}:{{\"features\":[", Value::from(id.as_str())).as_bytes()).map_err(wr)?;
        let mut count = 0usize;
        let mut cumulative = false;
        let mut failed: Option<std::io::Error> = None;
        let no_props = Map::new();
        each_feature(scene, id, &mut |f| {
            let i = count;
            count += 1;
            for k in crate::render::scene::DATE_PROPERTIES {
                if let Some(d) = f.pointer(&format!("/properties/{k}")).and_then(Value::as_str) {
                    if d.len() == 10 {
                        if first_date.as_deref().is_none_or(|x| d < x) {
                            first_date = Some(d.to_string());
                        }
                        if last_date.as_deref().is_none_or(|x| d > x) {
                            last_date = Some(d.to_string());
                        }
                    }
                }
            }
            cumulative |= f.pointer("/properties/event_type").is_some();
            let props = f.get("properties").and_then(Value::as_object).unwrap_or(&no_props);
            let fid = feature_id(&f);
            let gtype = geometry_type(&f);
            for l in layers.iter_mut().filter(|l| l.source == id) {
                let ctx = Ctx { props, id: fid.as_deref(), geometry_type: gtype, zoom: 8.0 };
                if gtype.is_empty() || !l.layer.accepts(&ctx) {
                    continue;
                }
                let key = if l.layer.has(l.sort_key) { l.layer.num(l.sort_key, &ctx, 0.0) } else { 0.0 };
                let p = paints.intern(paint(l.layer, props, fid.as_deref(), gtype, max_lz));
                l.items.push((key, i, p));
            }
            if failed.is_none() {
                let sep: &[u8] = if i == 0 { b"" } else { b",\n" };
                if let Err(e) = w.write_all(sep).and_then(|()| serde_json::to_writer(&mut w, &f).map_err(Into::into)) {
                    failed = Some(e);
                }
            }
        })?;
        if let Some(e) = failed {
            return Err(wr(e));
        }
        counts.insert(id.clone(), count);
        // Events accumulate up to the chosen day; fronts and areas show the state of that day.
        w.write_all(format!("],\"cumulative\":{cumulative}}}").as_bytes()).map_err(wr)?;
    }
    w.write_all(b"},\"layers\":[").map_err(wr)?;
    for (n, l) in layers.iter_mut().enumerate() {
        l.items.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let layer = l.layer;
        let layer_json = json!({
            "id": layer.id,
            "type": match layer.kind { LayerKind::Fill => "fill", LayerKind::Line => "line", _ => "circle" },
            "source": l.source,
            // Style zooms are MapLibre's: the page compares them with its zoom − 1.
            "minzoom": layer.minzoom,
            "maxzoom": if layer.maxzoom.is_finite() { json!(layer.maxzoom) } else { Value::Null },
            "arrow": layer.arrow.map(|a| json!({ "headLength": a.head_length, "headWidth": a.head_width, "smooth": a.smooth })),
            "spread": layer.spread,
        });
        let mut text = String::from(if n == 0 { "" } else { "," });
        text.push_str(&open_object(&layer_json));
        text.push_str(",\"items\":[");
        for (k, (_, f, p)) in l.items.iter().enumerate() {
            text.push_str(if k == 0 { "{\"f\":" } else { ",{\"f\":" });
            text.push_str(&f.to_string());
            text.push_str(",\"p\":");
            text.push_str(&paints.list[*p].0);
            text.push('}');
        }
        text.push_str("]}");
        w.write_all(text.as_bytes()).map_err(wr)?;
    }
    let mut used: BTreeMap<&str, Vec<&Value>> = BTreeMap::new();
    for l in &layers {
        let ids: BTreeSet<usize> = l.items.iter().map(|(_, _, p)| *p).collect();
        used.insert(l.layer.id.as_str(), ids.into_iter().map(|p| &paints.list[p].1).collect());
    }
    let tail = json!({
        "legend": legend(scene, input.overlay_sources, &used, max_lz),
        "dates": { "min": first_date, "max": last_date },
    });
    w.write_all(b"],").map_err(wr)?;
    // The tail's members after the "{" of its own object.
    w.write_all(tail.to_string().as_bytes().get(1..).unwrap_or_default()).map_err(wr)?;
    w.write_all(DATA_SUFFIX.as_bytes()).map_err(wr)?;
    Ok(counts)
}

/// The page's data as one JSON value (tests look inside it): [`write_data`] into memory, parsed back.
pub fn page_data(input: &ViewerInput<'_>) -> Result<(Value, BTreeMap<String, usize>), TilesError> {
    let mut bytes = Vec::new();
    let counts = write_data(input, &mut bytes)?;
    let text = String::from_utf8_lossy(&bytes);
    let json = text.strip_prefix(DATA_PREFIX).and_then(|t| t.strip_suffix(DATA_SUFFIX)).unwrap_or(&text);
    let data = serde_json::from_str(json)
        .map_err(|e| TilesError::Layer { path: PathBuf::from(DATA_FILE), msg: format!("not JSON: {e}") })?;
    Ok((data, counts))
}

/// The page's title: the style's name.
fn title(scene: &Scene) -> &str {
    if scene.style.name.is_empty() { "frontmap" } else { scene.style.name.as_str() }
}

/// The page's background: the style's background layer colour.
fn background(scene: &Scene) -> String {
    scene
        .style
        .layers
        .iter()
        .find(|l| l.kind == LayerKind::Background)
        .map(|l| {
            let empty = Map::new();
            l.color("background-color", &Ctx { props: &empty, id: None, geometry_type: "", zoom: 8.0 }, Rgba::WHITE)
                .to_hex()
        })
        .unwrap_or_else(|| "#ffffff".into())
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The page itself: small, the same for any corpus; its data comes from [`DATA_FILE`] beside it (a
/// `<script src>`, which browsers load from `file://` as from a server).
pub fn page(input: &ViewerInput<'_>) -> String {
    fill_template(
        TEMPLATE,
        &[
            ("TITLE", &html_escape(title(input.scene))),
            ("BACKGROUND", &html_escape(&background(input.scene))),
            ("LEAFLET_VERSION", LEAFLET_VERSION),
            ("DATA_FILE", DATA_FILE),
            ("SCRIPT", SCRIPT),
        ],
    )
}

/// Replace each `{{KEY}}` of the template in one pass (substituted text is never scanned again).
fn fill_template(tpl: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(tpl.len() + values.iter().map(|(_, v)| v.len()).sum::<usize>());
    let mut rest = tpl;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}").and_then(|end| values.iter().find(|(k, _)| *k == &after[..end]).map(|(_, v)| (end, v))) {
            Some((end, v)) => {
                out.push_str(v);
                rest = &after[end + 2..];
            }
            None => {
                out.push_str("{{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Write `index.html`, its data script [`DATA_FILE`] (streamed) and the vendored Leaflet files into `out`,
/// leaving identical files untouched.
pub fn write_viewer(out: &Path, input: &ViewerInput<'_>) -> Result<ViewerSummary, TilesError> {
    let data_path = out.join(DATA_FILE);
    let (features, changed) = crate::atomic::write_streamed(
        &data_path,
        |e| TilesError::Write { path: data_path.clone(), source: e },
        |w| write_data(input, w),
    )?;
    let mut summary = ViewerSummary { features, ..Default::default() };
    if changed {
        summary.files_written.push(data_path);
    } else {
        summary.files_unchanged += 1;
    }
    let html = page(input);
    let files = std::iter::once(("index.html", html.as_bytes())).chain(VENDOR_FILES.iter().copied());
    for (rel, bytes) in files {
        let path = out.join(rel);
        match crate::atomic::write(&path, bytes) {
            Ok(true) => summary.files_written.push(path),
            Ok(false) => summary.files_unchanged += 1,
            Err(e) => return Err(TilesError::Write { path, source: e }),
        }
    }
    Ok(summary)
}
