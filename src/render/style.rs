//! The style file: a subset of the MapLibre GL style spec, parsed once into layers with compiled
//! expressions. Whatever the renderer cannot honour is reported as a warning naming the file, the layer
//! and the property — never silently dropped — so the same file can drive the web viewer without surprises.

use super::error::RenderError;
use super::expr::{self, Ctx, Expr, Rgba, Val};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The kinds of layer the renderer draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerKind {
    Background,
    Fill,
    Line,
    Circle,
    Symbol,
}

impl LayerKind {
    fn parse(s: &str) -> Option<LayerKind> {
        Some(match s {
            "background" => LayerKind::Background,
            "fill" => LayerKind::Fill,
            "line" => LayerKind::Line,
            "circle" => LayerKind::Circle,
            "symbol" => LayerKind::Symbol,
            _ => return None,
        })
    }

    /// Paint and layout properties frontmap honours for this kind.
    fn supported(self) -> (&'static [&'static str], &'static [&'static str]) {
        match self {
            LayerKind::Background => (&["background-color", "background-opacity"], &["visibility"]),
            LayerKind::Fill => (
                &["fill-color", "fill-opacity", "fill-outline-color", "fill-antialias"],
                &["visibility", "fill-sort-key"],
            ),
            LayerKind::Line => (
                &["line-color", "line-width", "line-opacity", "line-dasharray"],
                &["visibility", "line-cap", "line-join", "line-miter-limit", "line-sort-key"],
            ),
            LayerKind::Circle => (
                &[
                    "circle-radius",
                    "circle-color",
                    "circle-opacity",
                    "circle-stroke-width",
                    "circle-stroke-color",
                    "circle-stroke-opacity",
                ],
                &["visibility", "circle-sort-key"],
            ),
            LayerKind::Symbol => (
                &["text-color", "text-halo-color", "text-halo-width", "text-opacity"],
                &[
                    "visibility",
                    "text-field",
                    "text-font",
                    "text-size",
                    "text-anchor",
                    "text-offset",
                    "text-variable-anchor",
                    "text-radial-offset",
                    "text-max-width",
                    "text-letter-spacing",
                    "text-line-height",
                    "text-transform",
                    "text-justify",
                    "text-padding",
                    "text-max-angle",
                    "text-optional",
                    "symbol-placement",
                    "symbol-sort-key",
                    "symbol-spacing",
                ],
            ),
        }
    }
}

/// A legend entry request carried in a layer's `metadata` (`"frontmap:legend"`): either one label for the
/// whole layer, or one label per kind of feature, each given as the properties of a sample feature (the
/// swatch is the layer's paint for that sample; the entry shows when a drawn feature has the same colour).
#[derive(Debug, Clone, PartialEq)]
pub enum LegendSpec {
    Single(String),
    Samples(Vec<(serde_json::Map<String, Value>, String)>),
}

/// An arrowhead drawn at the last vertex of each line (`"frontmap:arrow"` metadata): sizes are multiples
/// of the line width.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ArrowSpec {
    pub head_length: f64,
    pub head_width: f64,
    pub smooth: bool,
}

/// One style layer, with its properties compiled.
#[derive(Debug, Clone)]
pub struct Layer {
    pub id: String,
    pub kind: LayerKind,
    pub source: Option<String>,
    pub filter: Option<Expr>,
    pub minzoom: f64,
    pub maxzoom: f64,
    pub visible: bool,
    pub paint: BTreeMap<String, Expr>,
    pub layout: BTreeMap<String, Expr>,
    pub legend: Option<LegendSpec>,
    pub arrow: Option<ArrowSpec>,
    /// Circles of this layer are obstacles that labels try to avoid.
    pub label_obstacle: bool,
    /// Circles that fall on the same spot are spread on a ring around it (`"frontmap:spread"`), so
    /// several events at one town stay visible.
    pub spread: bool,
}

impl Layer {
    fn prop(&self, name: &str) -> Option<&Expr> {
        self.paint.get(name).or_else(|| self.layout.get(name))
    }

    /// Whether the layer is drawn at this zoom (MapLibre: minzoom inclusive, maxzoom exclusive).
    pub fn visible_at(&self, zoom: f64) -> bool {
        self.visible && zoom >= self.minzoom && zoom < self.maxzoom
    }

    /// Whether the feature passes the layer filter.
    pub fn accepts(&self, ctx: &Ctx<'_>) -> bool {
        self.filter.as_ref().is_none_or(|f| f.eval(ctx) == Val::Bool(true))
    }

    /// A property's value for a feature (or `Null` when unset).
    pub fn value(&self, name: &str, ctx: &Ctx<'_>) -> Val {
        self.prop(name).map_or(Val::Null, |e| e.eval(ctx))
    }

    /// A number property, or `default`.
    pub fn num(&self, name: &str, ctx: &Ctx<'_>, default: f64) -> f64 {
        self.value(name, ctx).as_f64().unwrap_or(default)
    }

    /// A colour property, or `default`.
    pub fn color(&self, name: &str, ctx: &Ctx<'_>, default: Rgba) -> Rgba {
        self.value(name, ctx).as_color().unwrap_or(default)
    }

    /// A string property, or `default`.
    pub fn string(&self, name: &str, ctx: &Ctx<'_>, default: &str) -> String {
        match self.value(name, ctx) {
            Val::Str(s) => s,
            _ => default.to_string(),
        }
    }

    /// An array of numbers (dash arrays, offsets).
    pub fn numbers(&self, name: &str, ctx: &Ctx<'_>) -> Option<Vec<f64>> {
        match self.value(name, ctx) {
            Val::Arr(a) => a.iter().map(Val::as_f64).collect(),
            _ => None,
        }
    }

    /// An array of strings (fonts, anchors).
    pub fn strings(&self, name: &str, ctx: &Ctx<'_>) -> Option<Vec<String>> {
        match self.value(name, ctx) {
            Val::Arr(a) => a.iter().map(|v| v.as_str().map(str::to_string)).collect(),
            Val::Str(s) => Some(vec![s]),
            _ => None,
        }
    }

    /// The feature properties this layer reads: in its filter, paint and layout expressions.
    pub fn properties(&self, out: &mut std::collections::BTreeSet<String>) {
        self.filter.iter().chain(self.paint.values()).chain(self.layout.values()).for_each(|e| e.properties(out));
    }

    /// Whether a property is set at all.
    pub fn has(&self, name: &str) -> bool {
        self.prop(name).is_some()
    }
}

/// A GeoJSON source of the style: where its data is, and whether it may be missing (layers built by
/// other stages that have not run yet draw nothing, with a warning).
#[derive(Debug, Clone, PartialEq)]
pub struct SourceDef {
    pub id: String,
    pub data: String,
    pub optional: bool,
}

/// A parsed style.
#[derive(Debug, Clone)]
pub struct Style {
    pub path: PathBuf,
    pub name: String,
    pub sources: BTreeMap<String, SourceDef>,
    pub layers: Vec<Layer>,
    /// Everything the renderer will not honour, one line each, naming file, layer and property.
    pub warnings: Vec<String>,
}

impl Style {
    /// Read and parse a style file.
    pub fn load(path: &Path) -> Result<Style, RenderError> {
        let text =
            std::fs::read_to_string(path).map_err(|e| RenderError::Read { path: path.to_path_buf(), source: e })?;
        Style::parse(&text, path)
    }

    /// Parse a style from its JSON text (`path` names it in messages).
    pub fn parse(text: &str, path: &Path) -> Result<Style, RenderError> {
        let syntax = |msg: String| RenderError::StyleSyntax { path: path.to_path_buf(), msg };
        let root: Value = serde_json::from_str(text).map_err(|e| syntax(format!("not JSON: {e}")))?;
        let obj = root.as_object().ok_or_else(|| syntax("a style is a JSON object".into()))?;
        let mut warnings = Vec::new();
        let file = path.display().to_string();
        for key in obj.keys() {
            match key.as_str() {
                "version" | "name" | "metadata" | "sources" | "layers" | "glyphs" | "center" | "zoom" => {}
                "sprite" | "bearing" | "pitch" | "light" | "terrain" | "transition" | "sky" | "projection" => warnings
                    .push(format!("{file}: top-level {key:?} is not supported by the frontmap renderer (ignored)")),
                other => warnings.push(format!("{file}: unknown top-level key {other:?} (ignored)")),
            }
        }
        if obj.get("version").and_then(Value::as_i64) != Some(8) {
            return Err(syntax("\"version\" must be 8 (MapLibre style spec v8)".into()));
        }
        let name = obj.get("name").and_then(Value::as_str).unwrap_or("").to_string();
        let optional: Vec<String> = obj
            .get("metadata")
            .and_then(|m| m.get("frontmap:optional-sources"))
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default();
        let mut sources = BTreeMap::new();
        let srcs = obj
            .get("sources")
            .and_then(Value::as_object)
            .ok_or_else(|| syntax("\"sources\" must be an object".into()))?;
        for (id, s) in srcs {
            let kind = s.get("type").and_then(Value::as_str).unwrap_or("");
            if kind != "geojson" {
                return Err(syntax(format!("source {id:?}: type {kind:?} is not supported (only \"geojson\")")));
            }
            let data = s
                .get("data")
                .and_then(Value::as_str)
                .ok_or_else(|| syntax(format!("source {id:?}: \"data\" must be a path to a GeoJSON file")))?;
            for k in s.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()).unwrap_or_default() {
                if !matches!(k.as_str(), "type" | "data" | "attribution") {
                    warnings.push(format!("{file}: source {id:?}: property {k:?} is not supported (ignored)"));
                }
            }
            sources.insert(
                id.clone(),
                SourceDef { id: id.clone(), data: data.to_string(), optional: optional.contains(id) },
            );
        }
        let layers_json =
            obj.get("layers").and_then(Value::as_array).ok_or_else(|| syntax("\"layers\" must be an array".into()))?;
        let mut layers = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for (i, l) in layers_json.iter().enumerate() {
            let layer = parse_layer(l, i, path, &sources, &mut warnings)?;
            if !seen.insert(layer.id.clone()) {
                return Err(syntax(format!("layer {:?} is defined twice", layer.id)));
            }
            layers.push(layer);
        }
        Ok(Style { path: path.to_path_buf(), name, sources, layers, warnings })
    }

    /// The feature properties a source's features must keep for the renderer: those any layer of the
    /// source reads, and the dates of [`DateWindow`](super::scene::DateWindow)s.
    pub fn source_properties(&self, source: &str) -> std::collections::BTreeSet<String> {
        let mut out: std::collections::BTreeSet<String> =
            super::scene::DATE_PROPERTIES.iter().map(|s| s.to_string()).collect();
        for l in self.layers.iter().filter(|l| l.source.as_deref() == Some(source)) {
            l.properties(&mut out);
        }
        out
    }

    /// A layer by id.
    pub fn layer(&self, id: &str) -> Option<&Layer> {
        self.layers.iter().find(|l| l.id == id)
    }
}

fn parse_layer(
    l: &Value,
    index: usize,
    path: &Path,
    sources: &BTreeMap<String, SourceDef>,
    warnings: &mut Vec<String>,
) -> Result<Layer, RenderError> {
    let id = l.get("id").and_then(Value::as_str).map(str::to_string).unwrap_or_else(|| format!("#{index}"));
    let err = |what: &str, msg: String| RenderError::StyleLayer {
        path: path.to_path_buf(),
        layer: id.clone(),
        what: what.to_string(),
        msg,
    };
    let obj = l.as_object().ok_or_else(|| err("layer", "a layer is a JSON object".into()))?;
    if l.get("id").and_then(Value::as_str).is_none() {
        return Err(err("id", "every layer needs a string \"id\"".into()));
    }
    let type_str = obj.get("type").and_then(Value::as_str).ok_or_else(|| err("type", "missing \"type\"".into()))?;
    let kind = LayerKind::parse(type_str).ok_or_else(|| {
        err("type", format!("{type_str:?} is not supported (background, fill, line, circle, symbol)"))
    })?;
    let file = path.display();
    for key in obj.keys() {
        if !matches!(
            key.as_str(),
            "id" | "type" | "source" | "filter" | "minzoom" | "maxzoom" | "paint" | "layout" | "metadata"
        ) {
            warnings.push(format!("{file}: layer {id:?}: key {key:?} is not supported (ignored)"));
        }
    }
    let source = match obj.get("source") {
        None if kind == LayerKind::Background => None,
        None => return Err(err("source", "missing \"source\"".into())),
        Some(Value::String(s)) if sources.contains_key(s) => Some(s.clone()),
        Some(Value::String(s)) => return Err(err("source", format!("no source named {s:?} in \"sources\""))),
        Some(_) => return Err(err("source", "\"source\" must be a source id".into())),
    };
    let filter = match obj.get("filter") {
        None => None,
        Some(f) => Some(expr::parse(f).map_err(|m| err("filter", m))?),
    };
    let zoom = |k: &str, d: f64| -> Result<f64, RenderError> {
        match obj.get(k) {
            None => Ok(d),
            Some(v) => v.as_f64().ok_or_else(|| err(k, "must be a number".into())),
        }
    };
    let (minzoom, maxzoom) = (zoom("minzoom", 0.0)?, zoom("maxzoom", 24.0)?);
    let (paint_ok, layout_ok) = kind.supported();
    let mut props = |section: &str, allowed: &[&str]| -> Result<BTreeMap<String, Expr>, RenderError> {
        let mut out = BTreeMap::new();
        let Some(v) = obj.get(section) else { return Ok(out) };
        let o = v.as_object().ok_or_else(|| err(section, "must be an object".into()))?;
        for (k, v) in o {
            if !allowed.contains(&k.as_str()) {
                warnings.push(format!(
                    "{file}: layer {id:?}: {section} property {k:?} is not supported by the frontmap renderer (ignored)"
                ));
                continue;
            }
            let e = expr::parse_value(v).map_err(|m| err(&format!("{section} property {k:?}"), m))?;
            out.insert(k.clone(), e);
        }
        Ok(out)
    };
    let paint = props("paint", paint_ok)?;
    let layout = props("layout", layout_ok)?;
    let visible = layout.get("visibility").and_then(Expr::constant) != Some(&Val::Str("none".into()));
    let meta = obj.get("metadata");
    let legend = match meta.and_then(|m| m.get("frontmap:legend")) {
        None => None,
        Some(Value::String(s)) => Some(LegendSpec::Single(s.clone())),
        Some(Value::Object(o)) => {
            let property = o.get("property").and_then(Value::as_str);
            let entries = o
                .get("entries")
                .and_then(Value::as_array)
                .ok_or_else(|| {
                    err("metadata frontmap:legend", "needs \"entries\": [[value or {properties}, label], …]".into())
                })?
                .iter()
                .map(|e| match (e.as_array().map(Vec::as_slice), property) {
                    (Some([Value::Object(props), Value::String(label)]), _) => Ok((props.clone(), label.clone())),
                    (Some([v, Value::String(label)]), Some(p)) => {
                        let mut props = serde_json::Map::new();
                        props.insert(p.to_string(), v.clone());
                        Ok((props, label.clone()))
                    }
                    _ => Err(err(
                        "metadata frontmap:legend",
                        format!("entry {e} is not [value, label] (with \"property\") or [{{properties}}, label]"),
                    )),
                })
                .collect::<Result<Vec<_>, _>>()?;
            Some(LegendSpec::Samples(entries))
        }
        Some(_) => return Err(err("metadata frontmap:legend", "must be a label or {property, entries}".into())),
    };
    let arrow = match meta.and_then(|m| m.get("frontmap:arrow")) {
        None => None,
        Some(a) if kind == LayerKind::Line => Some(ArrowSpec {
            head_length: a.get("head-length").and_then(Value::as_f64).unwrap_or(3.0),
            head_width: a.get("head-width").and_then(Value::as_f64).unwrap_or(3.0),
            smooth: a.get("smooth").and_then(Value::as_bool).unwrap_or(false),
        }),
        Some(_) => return Err(err("metadata frontmap:arrow", "only line layers draw arrows".into())),
    };
    let label_obstacle = meta.and_then(|m| m.get("frontmap:label-obstacle")).and_then(Value::as_bool).unwrap_or(false);
    let spread = meta.and_then(|m| m.get("frontmap:spread")).and_then(Value::as_bool).unwrap_or(false);
    Ok(Layer {
        id,
        kind,
        source,
        filter,
        minzoom,
        maxzoom,
        visible,
        paint,
        layout,
        legend,
        arrow,
        label_obstacle,
        spread,
    })
}
