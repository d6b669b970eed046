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
//! The page embeds the layers' features (their GeoJSON, unchanged) and that paint, so it needs no fetch
//! beyond the tiles. Deterministic: the same inputs give the same bytes.

use crate::render::expr::{Ctx, Rgba};
use crate::render::scene::Scene;
use crate::render::style::{Layer, LayerKind, LegendSpec};
use crate::tiles::TilesError;
use crate::tiles::plan::{Plan, ZoomRange};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
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

/// The features of an overlay source, as in its file (features without geometry dropped, as the renderer
/// does). A missing optional file gives none.
fn read_features(scene: &Scene, id: &str) -> Result<Vec<Value>, TilesError> {
    let Some(src) = scene.sources.get(id) else { return Ok(Vec::new()) };
    if !src.present {
        return Ok(Vec::new());
    }
    let text =
        std::fs::read_to_string(&src.path).map_err(|e| TilesError::Read { path: src.path.clone(), source: e })?;
    let root: Value = serde_json::from_str(&text)
        .map_err(|e| TilesError::Layer { path: src.path.clone(), msg: format!("not JSON: {e}") })?;
    let feats = match root.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => root.get("features").and_then(Value::as_array).cloned().unwrap_or_default(),
        Some("Feature") => vec![root],
        _ => Vec::new(),
    };
    Ok(feats.into_iter().filter(|f| f.get("geometry").is_some_and(|g| !g.is_null())).collect())
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
/// only when some feature has that colour.
fn legend(scene: &Scene, overlay: &BTreeSet<String>, items: &BTreeMap<&str, &Vec<Value>>, max_lz: u8) -> Vec<Value> {
    let mut out = Vec::new();
    let empty = Map::new();
    for layer in scene.style.layers.iter().rev() {
        let Some(spec) = &layer.legend else { continue };
        let is_overlay = layer.source.as_ref().is_some_and(|s| overlay.contains(s));
        let used = items.get(layer.id.as_str()).copied();
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
                let seen = used.is_some_and(|v| v.iter().any(|it| it.pointer(&format!("/p/{key}")) == p.get(key)));
                if !seen {
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

/// Each overlay layer's items (feature index and paint), by layer id, from the page's layer list.
fn items_by_layer(layers: &[Value]) -> BTreeMap<&str, &Vec<Value>> {
    layers.iter().filter_map(|l| Some((l.get("id")?.as_str()?, l.get("items")?.as_array()?))).collect()
}

/// The page's data: tiles, overlay layers with their paint, dates, legend, attribution.
pub fn page_data(input: &ViewerInput<'_>) -> Result<(Value, BTreeMap<String, usize>), TilesError> {
    let scene = input.scene;
    let span = input.plan.zoom_span().unwrap_or(ZoomRange { min: 0, max: 10 });
    let max_lz = span.max.saturating_add(OVERZOOM).min(22);
    let mut sources = Map::new();
    let mut counts = BTreeMap::new();
    let mut feats_by_source: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for id in input.overlay_sources {
        let feats = read_features(scene, id)?;
        counts.insert(id.clone(), feats.len());
        feats_by_source.insert(id.clone(), feats);
    }
    // Each overlay layer: which features it draws, in drawing order, with their paint.
    let mut layers = Vec::new();
    let mut dates: Vec<String> = Vec::new();
    for layer in &scene.style.layers {
        let Some(src) = layer.source.as_ref().filter(|s| input.overlay_sources.contains(*s)) else { continue };
        if !matches!(layer.kind, LayerKind::Fill | LayerKind::Line | LayerKind::Circle) || !layer.visible {
            continue;
        }
        let feats = feats_by_source.get(src).map(Vec::as_slice).unwrap_or(&[]);
        let sort_key = match layer.kind {
            LayerKind::Fill => "fill-sort-key",
            LayerKind::Line => "line-sort-key",
            _ => "circle-sort-key",
        };
        let mut items: Vec<(f64, usize, Value)> = Vec::new();
        let no_props = Map::new();
        for (i, f) in feats.iter().enumerate() {
            let props = f.get("properties").and_then(Value::as_object).unwrap_or(&no_props);
            let fid = feature_id(f);
            let gtype = geometry_type(f);
            let ctx = Ctx { props, id: fid.as_deref(), geometry_type: gtype, zoom: 8.0 };
            if gtype.is_empty() || !layer.accepts(&ctx) {
                continue;
            }
            let key = if layer.has(sort_key) { layer.num(sort_key, &ctx, 0.0) } else { 0.0 };
            items.push((key, i, json!({ "f": i, "p": paint(layer, props, fid.as_deref(), gtype, max_lz) })));
        }
        items.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let items: Vec<Value> = items.into_iter().map(|(_, _, v)| v).collect();
        let mut layer_json = json!({
            "id": layer.id,
            "type": match layer.kind { LayerKind::Fill => "fill", LayerKind::Line => "line", _ => "circle" },
            "source": src,
            // Style zooms are MapLibre's: the page compares them with its zoom − 1.
            "minzoom": layer.minzoom,
            "maxzoom": if layer.maxzoom.is_finite() { json!(layer.maxzoom) } else { Value::Null },
            "arrow": layer.arrow.map(|a| json!({ "headLength": a.head_length, "headWidth": a.head_width, "smooth": a.smooth })),
            "spread": layer.spread,
        });
        if let Some(m) = layer_json.as_object_mut() {
            m.insert("items".into(), Value::Array(items));
        }
        layers.push(layer_json);
    }
    // Moved, not copied (`json!` would clone): at 10,000 articles these are the page's tens of megabytes.
    for (id, feats) in feats_by_source {
        for f in &feats {
            for k in ["date_start", "date_end"] {
                if let Some(d) = f.pointer(&format!("/properties/{k}")).and_then(Value::as_str) {
                    if d.len() == 10 {
                        dates.push(d.to_string());
                    }
                }
            }
        }
        // Events accumulate up to the chosen day; fronts and areas show the state of that day.
        let cumulative = feats.iter().any(|f| f.pointer("/properties/event_type").is_some());
        let mut source = Map::new();
        source.insert("cumulative".into(), Value::Bool(cumulative));
        source.insert("features".into(), Value::Array(feats));
        sources.insert(id, Value::Object(source));
    }
    dates.sort();
    let bounds = input.plan.bounds_lonlat().unwrap_or([-180.0, -85.0, 180.0, 85.0]);
    // Open on the deepest regions (the operation sheets), else on everything.
    let deepest = input.plan.regions.iter().map(|r| r.zooms.max).max().unwrap_or(0);
    let mut focus = crate::render::mercator::Bbox::empty();
    for r in input.plan.regions.iter().filter(|r| r.zooms.max == deepest) {
        focus.extend([r.bbox.min_x, r.bbox.min_y]);
        focus.extend([r.bbox.max_x, r.bbox.max_y]);
    }
    let background = scene
        .style
        .layers
        .iter()
        .find(|l| l.kind == LayerKind::Background)
        .map(|l| {
            let empty = Map::new();
            l.color("background-color", &Ctx { props: &empty, id: None, geometry_type: "", zoom: 8.0 }, Rgba::WHITE)
                .to_hex()
        })
        .unwrap_or_else(|| "#ffffff".into());
    let legend = legend(scene, input.overlay_sources, &items_by_layer(&layers), max_lz);
    let data = json!({
        "title": if scene.style.name.is_empty() { "frontmap" } else { scene.style.name.as_str() },
        "attribution": input.attribution,
        "background": background,
        "tiles": tile_layers(input.plan, input.tile_url, max_lz),
        "bounds": ll_bounds(bounds),
        "focus": ll_bounds(focus.to_lonlat()),
        "minZoom": 0,
        "maxZoom": max_lz,
        "dates": { "min": dates.first(), "max": dates.last() },
    });
    let mut data = data;
    if let Some(m) = data.as_object_mut() {
        m.insert("layers".into(), Value::Array(layers));
        m.insert("sources".into(), Value::Object(sources));
        m.insert("legend".into(), Value::Array(legend));
    }
    Ok((data, counts))
}

/// JSON safe inside a `<script>` element: `<`, `>` and `&` escaped (they only occur inside strings).
fn script_json(v: &Value) -> String {
    v.to_string().replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The whole page.
pub fn page(input: &ViewerInput<'_>) -> Result<(String, BTreeMap<String, usize>), TilesError> {
    let (data, counts) = page_data(input)?;
    let title = data.get("title").and_then(Value::as_str).unwrap_or("frontmap").to_string();
    let background = html_escape(data.get("background").and_then(Value::as_str).unwrap_or("#fff"));
    let html = fill_template(
        TEMPLATE,
        &[
            ("TITLE", &html_escape(&title)),
            ("BACKGROUND", &background),
            ("LEAFLET_VERSION", LEAFLET_VERSION),
            ("DATA", &script_json(&data)),
            ("SCRIPT", SCRIPT),
        ],
    );
    Ok((html, counts))
}

/// Replace each `{{KEY}}` of the template in one pass (substituted text is never scanned again, so a quote
/// containing `{{SCRIPT}}` stays text).
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

/// Write `index.html` and the vendored Leaflet files into `out`, leaving identical files untouched.
pub fn write_viewer(out: &Path, input: &ViewerInput<'_>) -> Result<ViewerSummary, TilesError> {
    let (html, features) = page(input)?;
    let mut summary = ViewerSummary { features, ..Default::default() };
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
