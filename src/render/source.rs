//! GeoJSON sources, read once and projected to Web Mercator metres, so every view (a sheet, an inset,
//! a tile) only subtracts an origin and divides by a resolution.

use super::error::RenderError;
use super::mercator::{Bbox, project};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// A projected ring or line.
pub type Ring = Vec<[f64; 2]>;

/// A feature's geometry in projected metres; multi-geometries keep their parts.
#[derive(Debug, Clone, PartialEq)]
pub enum Geom {
    Points(Vec<[f64; 2]>),
    Lines(Vec<Ring>),
    /// Each polygon: exterior ring first, then holes.
    Polygons(Vec<Vec<Ring>>),
}

impl Geom {
    /// The MapLibre `geometry-type` of the feature.
    pub fn type_name(&self) -> &'static str {
        match self {
            Geom::Points(_) => "Point",
            Geom::Lines(_) => "LineString",
            Geom::Polygons(_) => "Polygon",
        }
    }
}

/// One feature: properties as in the file, geometry projected, and its projected bounding box.
#[derive(Debug, Clone)]
pub struct Feature {
    pub id: Option<String>,
    pub props: Map<String, Value>,
    pub geom: Geom,
    pub bbox: Bbox,
    /// Digest of the feature as written in the file: what an incremental build compares to know whether
    /// a rendering that read this feature is still valid.
    pub digest: Digest,
}

/// A 128-bit content digest (BLAKE3, truncated).
pub type Digest = [u8; 16];

/// The digest of a feature's JSON (serde_json maps are sorted, so equal features digest equally).
fn digest(v: &Value) -> Digest {
    let bytes = serde_json::to_vec(v).unwrap_or_default();
    let mut d = [0u8; 16];
    d.copy_from_slice(&blake3::hash(&bytes).as_bytes()[..16]);
    d
}

impl Feature {
    /// A property as a string, if it is one.
    pub fn str_prop(&self, key: &str) -> Option<&str> {
        self.props.get(key).and_then(Value::as_str)
    }
}

/// A loaded source.
#[derive(Debug, Clone)]
pub struct Source {
    pub id: String,
    pub path: PathBuf,
    pub features: Vec<Feature>,
    /// False when an optional source's file did not exist (it then has no features).
    pub present: bool,
}

impl Source {
    /// An empty source standing in for a missing optional file.
    pub fn missing(id: &str, path: &Path) -> Source {
        Source { id: id.to_string(), path: path.to_path_buf(), features: Vec::new(), present: false }
    }

    /// Read and project a GeoJSON file (FeatureCollection, Feature or bare geometry).
    pub fn load(id: &str, path: &Path) -> Result<Source, RenderError> {
        let text =
            std::fs::read_to_string(path).map_err(|e| RenderError::Read { path: path.to_path_buf(), source: e })?;
        Source::parse(id, path, &text)
    }

    /// Parse GeoJSON text (`path` names it in messages).
    pub fn parse(id: &str, path: &Path, text: &str) -> Result<Source, RenderError> {
        let err = |feature: Option<usize>, msg: String| RenderError::Source {
            path: path.to_path_buf(),
            source_id: id.to_string(),
            feature,
            msg,
        };
        let root: Value = serde_json::from_str(text).map_err(|e| err(None, format!("not JSON: {e}")))?;
        let mut features = Vec::new();
        match root.get("type").and_then(Value::as_str) {
            Some("FeatureCollection") => {
                let list = root
                    .get("features")
                    .and_then(Value::as_array)
                    .ok_or_else(|| err(None, "\"features\" must be an array".into()))?;
                for (i, f) in list.iter().enumerate() {
                    if let Some(feat) = parse_feature(f).map_err(|m| err(Some(i), m))? {
                        features.push(feat);
                    }
                }
            }
            Some("Feature") => features.extend(parse_feature(&root).map_err(|m| err(Some(0), m))?),
            Some(_) => {
                if let Some(geom) = parse_geometry(&root).map_err(|m| err(None, m))? {
                    let bbox = geom_bbox(&geom);
                    features.push(Feature { id: None, props: Map::new(), geom, bbox, digest: digest(&root) });
                }
            }
            None => return Err(err(None, "not GeoJSON (no \"type\")".into())),
        }
        Ok(Source { id: id.to_string(), path: path.to_path_buf(), features, present: true })
    }
}

fn parse_feature(f: &Value) -> Result<Option<Feature>, String> {
    if f.get("type").and_then(Value::as_str) != Some("Feature") {
        return Err("not a Feature".into());
    }
    let props = match f.get("properties") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(o)) => o.clone(),
        Some(_) => return Err("\"properties\" must be an object or null".into()),
    };
    let id = match f.get("id").or_else(|| props.get("id")) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let Some(geom) = (match f.get("geometry") {
        None | Some(Value::Null) => None,
        Some(g) => parse_geometry(g)?,
    }) else {
        return Ok(None);
    };
    let bbox = geom_bbox(&geom);
    Ok(Some(Feature { id, props, geom, bbox, digest: digest(f) }))
}

fn position(v: &Value) -> Result<[f64; 2], String> {
    let a = v.as_array().ok_or("a position must be an array [lon, lat]")?;
    match (a.first().and_then(Value::as_f64), a.get(1).and_then(Value::as_f64)) {
        (Some(lon), Some(lat)) if lon.is_finite() && lat.is_finite() && (-90.0..=90.0).contains(&lat) => {
            Ok(project(lon, lat))
        }
        _ => Err(format!("bad position {v}")),
    }
}

fn positions(v: &Value) -> Result<Ring, String> {
    v.as_array().ok_or("expected an array of positions")?.iter().map(position).collect()
}

fn rings(v: &Value) -> Result<Vec<Ring>, String> {
    v.as_array().ok_or("expected an array of rings")?.iter().map(positions).collect()
}

/// A geometry, or `None` for an empty one.
fn parse_geometry(g: &Value) -> Result<Option<Geom>, String> {
    let kind = g.get("type").and_then(Value::as_str).ok_or("geometry without \"type\"")?;
    let coords = || g.get("coordinates").ok_or_else(|| format!("{kind} without \"coordinates\""));
    let geom = match kind {
        "Point" => Geom::Points(vec![position(coords()?)?]),
        "MultiPoint" => Geom::Points(positions(coords()?)?),
        "LineString" => Geom::Lines(vec![positions(coords()?)?]),
        "MultiLineString" => Geom::Lines(rings(coords()?)?),
        "Polygon" => Geom::Polygons(vec![rings(coords()?)?]),
        "MultiPolygon" => Geom::Polygons(
            coords()?
                .as_array()
                .ok_or("MultiPolygon coordinates must be an array")?
                .iter()
                .map(rings)
                .collect::<Result<_, _>>()?,
        ),
        "GeometryCollection" => return Err("GeometryCollection is not supported: split it into features".into()),
        other => return Err(format!("unknown geometry type {other:?}")),
    };
    let empty = match &geom {
        Geom::Points(p) => p.is_empty(),
        Geom::Lines(l) => l.iter().all(|r| r.len() < 2),
        Geom::Polygons(p) => p.iter().all(|poly| poly.first().is_none_or(|r| r.len() < 3)),
    };
    Ok(if empty { None } else { Some(geom) })
}

/// The projected bounding box of a geometry.
pub fn geom_bbox(g: &Geom) -> Bbox {
    let mut b = Bbox::empty();
    match g {
        Geom::Points(p) => p.iter().for_each(|q| b.extend(*q)),
        Geom::Lines(l) => l.iter().flatten().for_each(|q| b.extend(*q)),
        Geom::Polygons(p) => p.iter().filter_map(|poly| poly.first()).flatten().for_each(|q| b.extend(*q)),
    }
    b
}
