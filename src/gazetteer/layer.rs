//! Reading gazetteer GeoJSON layers: the basemap extracts and the curated `places.geojson`.
//!
//! Feature properties (all optional but `id`): `name`, `name_fr`, `name_en`, `name_ar`, `aliases`
//! (array of strings), `name_alt` (a `|`- or `,`-separated string), `kind`, `parent`, `country`
//! (ISO alpha-2), `population`, `geonames_id`, `label_lon`/`label_lat` (where to label an area or a line),
//! `area_km2`, `how` (how the coordinate was established), `source`.

use super::GazetteerError;
use super::place::{Kind, Place, Source};
use geo::{Coord, Geometry, InteriorPoint};
use serde_json::{Map, Value};
use std::path::Path;

/// A place read from a layer, before merging: `geometry` may be missing when `geonames_id` supplies it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct LayerPlace {
    pub place: Place,
    pub has_geometry: bool,
    /// Which fields the feature actually set (so a merge only overrides those).
    pub set_kind: bool,
    pub set_population: bool,
}

/// Read a GeoJSON FeatureCollection of places. `default_source` applies when a feature has no `source`.
pub fn read(path: &Path, default_source: Source) -> Result<Vec<LayerPlace>, GazetteerError> {
    let text = std::fs::read_to_string(path).map_err(|e| GazetteerError::Io { path: path.to_path_buf(), source: e })?;
    parse(path, &text, default_source)
}

pub fn parse(path: &Path, text: &str, default_source: Source) -> Result<Vec<LayerPlace>, GazetteerError> {
    let value: Value = serde_json::from_str(text).map_err(|e| GazetteerError::Json {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        msg: e.to_string(),
    })?;
    let feat_err = |index: usize, id: Option<&str>, msg: String| GazetteerError::Feature {
        path: path.to_path_buf(),
        index,
        id: id.map(str::to_string),
        msg,
    };
    if value.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err(feat_err(0, None, "top level is not a GeoJSON FeatureCollection".into()));
    }
    let features = value
        .get("features")
        .and_then(Value::as_array)
        .ok_or_else(|| feat_err(0, None, "FeatureCollection has no `features` array".into()))?;
    let mut out = Vec::with_capacity(features.len());
    for (index, f) in features.iter().enumerate() {
        let empty = Map::new();
        let props = f.get("properties").and_then(Value::as_object).unwrap_or(&empty);
        let id = props.get("id").and_then(Value::as_str).or_else(|| f.get("id").and_then(Value::as_str));
        let Some(id) = id.filter(|s| !s.trim().is_empty()) else {
            return Err(feat_err(index, None, "feature has no `id` property".into()));
        };
        let err = |msg: String| feat_err(index, Some(id), msg);
        let geometry = match f.get("geometry") {
            None | Some(Value::Null) => None,
            Some(g) => {
                check_coordinates(g.get("coordinates").unwrap_or(&Value::Null)).map_err(&err)?;
                if let Some(gs) = g.get("geometries").and_then(Value::as_array) {
                    for sub in gs {
                        check_coordinates(sub.get("coordinates").unwrap_or(&Value::Null)).map_err(&err)?;
                    }
                }
                let gj: geojson::Geometry =
                    serde_json::from_value(g.clone()).map_err(|e| err(format!("invalid geometry: {e}")))?;
                let geo: Geometry<f64> =
                    gj.try_into().map_err(|e: geojson::Error| err(format!("invalid geometry: {e}")))?;
                Some(geo)
            }
        };
        let s =
            |k: &str| props.get(k).and_then(Value::as_str).map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
        let num = |k: &str| -> Result<Option<f64>, GazetteerError> {
            match props.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v.as_f64().map(Some).ok_or_else(|| err(format!("`{k}` must be a number"))),
            }
        };
        let label = match (num("label_lon")?, num("label_lat")?) {
            (Some(x), Some(y)) => {
                if !(-180.0..=180.0).contains(&x) || !(-90.0..=90.0).contains(&y) {
                    return Err(err(format!("label point ({x}, {y}) is outside lon [-180, 180], lat [-90, 90]")));
                }
                Some(Coord { x, y })
            }
            (None, None) => None,
            _ => return Err(err("label_lon and label_lat must be given together".into())),
        };
        let kind = match s("kind") {
            Some(k) => Some(Kind::parse(&k).ok_or_else(|| err(format!("unknown kind {k:?}")))?),
            None => None,
        };
        let mut aliases: Vec<String> = Vec::new();
        match props.get("aliases") {
            None | Some(Value::Null) => {}
            Some(Value::Array(a)) => {
                for v in a {
                    let v = v.as_str().ok_or_else(|| err("`aliases` must be an array of strings".into()))?;
                    if !v.trim().is_empty() {
                        aliases.push(v.trim().to_string());
                    }
                }
            }
            Some(_) => return Err(err("`aliases` must be an array of strings".into())),
        }
        let mut weak_aliases: Vec<String> = Vec::new();
        match props.get("name_alt") {
            Some(Value::String(alt)) => {
                weak_aliases.extend(alt.split(['|', ',']).map(str::trim).filter(|a| !a.is_empty()).map(str::to_string))
            }
            Some(Value::Array(a)) => weak_aliases.extend(
                a.iter().filter_map(Value::as_str).map(str::trim).filter(|a| !a.is_empty()).map(str::to_string),
            ),
            _ => {}
        }
        let source = match s("source") {
            Some(src) if src.starts_with("naturalearth") => Source::NaturalEarth,
            Some(src) if src.starts_with("wdb") => Source::Wdb2,
            Some(src) if src.starts_with("geonames") => Source::GeoNames,
            Some(src) if src.starts_with("curated") => Source::Curated,
            _ => default_source,
        };
        let population = match num("population")?.or(num("pop_est")?) {
            Some(p) if p >= 0.0 => Some(p as u64),
            Some(p) => return Err(err(format!("population {p} is negative"))),
            None => None,
        };
        let geonames_id = match props.get("geonames_id").or_else(|| props.get("gn_id")) {
            None | Some(Value::Null) => None,
            Some(v) => v.as_i64().filter(|&n| n > 0).map(|n| n as u64),
        };
        let point = label
            .or_else(|| match &geometry {
                Some(Geometry::Point(p)) => Some(p.0),
                Some(g) => g.interior_point().map(|p| p.0),
                None => None,
            })
            .unwrap_or(Coord { x: f64::NAN, y: f64::NAN });
        let name = s("name").or_else(|| s("name_fr")).or_else(|| s("name_en")).unwrap_or_else(|| id.to_string());
        let is_point = matches!(geometry, Some(Geometry::Point(_)));
        let has_geometry = geometry.is_some() || label.is_some();
        let curated_names: Vec<String> = if source == Source::Curated {
            [Some(name.clone()), s("name_fr"), s("name_en"), s("name_ar")]
                .into_iter()
                .flatten()
                .chain(aliases.iter().cloned())
                .collect()
        } else {
            Vec::new()
        };
        let place = Place {
            id: id.to_string(),
            name,
            name_fr: s("name_fr"),
            name_en: s("name_en"),
            name_ar: s("name_ar"),
            aliases,
            weak_aliases,
            curated_names,
            kind: kind.unwrap_or(Kind::Other),
            parent: s("parent"),
            country: s("country").or_else(|| s("iso_a2")).map(|c| c.to_ascii_uppercase()),
            population: population.unwrap_or(0),
            source,
            geonames_id,
            admin1: s("gn_a1_code"),
            feature_code: s("feature_code"),
            point,
            geometry: if is_point { None } else { geometry },
            area_km2: num("area_km2")?,
            how: s("how"),
        };
        out.push(LayerPlace { place, has_geometry, set_kind: kind.is_some(), set_population: population.is_some() });
    }
    Ok(out)
}

/// Reject coordinates outside WGS 84 ranges anywhere in a (nested) coordinates array.
fn check_coordinates(v: &Value) -> Result<(), String> {
    match v {
        Value::Array(items) if items.first().is_some_and(Value::is_number) => {
            if items.len() < 2 {
                return Err(format!("position {v} has fewer than 2 numbers"));
            }
            let x = items[0].as_f64().unwrap_or(f64::NAN);
            let y = items[1].as_f64().unwrap_or(f64::NAN);
            if !(-180.0..=180.0).contains(&x) {
                return Err(format!("longitude {x} out of range [-180, 180]"));
            }
            if !(-90.0..=90.0).contains(&y) {
                return Err(format!("latitude {y} out of range [-90, 90]"));
            }
            Ok(())
        }
        Value::Array(items) => items.iter().try_for_each(check_coordinates),
        Value::Null => Ok(()),
        other => Err(format!("coordinates must be arrays of numbers, found {other}")),
    }
}
