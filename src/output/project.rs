//! The projector's layers: `out/fronts.geojson`, `out/areas.geojson`, `out/border.geojson`,
//! `out/crossings.geojson` and `out/claims.json` (DESIGN.md §4).
//!
//! Borders (lines) and crossings (points) get files of their own so that every layer has one geometry
//! type: GDAL and QGIS then type each layer, and a style can address it without filters.

use super::json::{feature_collection, round_to, round6, string_of, to_line, write_feature_collection};
use crate::project::areas::Area;
use crate::project::border::{BorderLine, Crossing};
use crate::project::claims::Claim;
use crate::project::fronts::Axis;
use geo::{Coord, LineString, MultiLineString, MultiPolygon};
use serde_json::{Value, json};
use std::io::Write;

/// A running bounding box over written (rounded) coordinates, taken in a pass of its own before the
/// features are made, so they can be written one at a time after the header that carries it.
#[derive(Debug, Clone, Copy)]
struct Bbox(Option<[f64; 4]>);

impl Bbox {
    fn of<'a>(coords: impl IntoIterator<Item = &'a Coord<f64>>) -> Bbox {
        let mut bbox = Bbox(None);
        for c in coords {
            bbox.add(c);
        }
        bbox
    }

    fn add(&mut self, c: &Coord<f64>) {
        let (x, y) = (round6(c.x), round6(c.y));
        self.0 = Some(match self.0 {
            None => [x, y, x, y],
            Some(b) => [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)],
        });
    }
}

fn coords(line: &[Coord<f64>]) -> Value {
    Value::Array(line.iter().map(|c| json!([round6(c.x), round6(c.y)])).collect())
}

fn line_geometry(line: &[Coord<f64>]) -> Value {
    json!({"type": "LineString", "coordinates": coords(line)})
}

fn multi_line_geometry(ml: &MultiLineString<f64>) -> Value {
    if let [one] = ml.0.as_slice() {
        return line_geometry(&one.0);
    }
    let parts: Vec<Value> = ml.0.iter().map(|l: &LineString<f64>| coords(&l.0)).collect();
    json!({"type": "MultiLineString", "coordinates": parts})
}

fn polygon_geometry(mp: &MultiPolygon<f64>) -> Value {
    let poly = |p: &geo::Polygon<f64>| -> Value {
        let mut rings = vec![coords(&p.exterior().0)];
        rings.extend(p.interiors().iter().map(|r| coords(&r.0)));
        Value::Array(rings)
    };
    if let [one] = mp.0.as_slice() {
        return json!({"type": "Polygon", "coordinates": poly(one)});
    }
    let parts: Vec<Value> = mp.0.iter().map(poly).collect();
    json!({"type": "MultiPolygon", "coordinates": parts})
}

/// `out/fronts.geojson`: for each axis an `arrow` (origin → objective, tip last) and a `front_line`.
pub fn fronts_geojson(axes: &[Axis]) -> String {
    string_of(|w| write_fronts_geojson(w, axes))
}

/// [`fronts_geojson`] written to `w` a feature at a time.
pub fn write_fronts_geojson(w: &mut dyn Write, axes: &[Axis]) -> std::io::Result<()> {
    let bbox = Bbox::of(axes.iter().flat_map(|a| a.arrow.iter().chain(&a.front_line)));
    let features = axes.iter().flat_map(|a| {
        [("arrow", "arrow", &a.arrow), ("line", "front_line", &a.front_line)].map(|(suffix, kind, line)| {
            let id = format!("{}-{suffix}", a.id);
            json!({
                "type": "Feature",
                "id": id,
                "geometry": line_geometry(line),
                "properties": {
                    "id": id,
                    "axis": a.id,
                    "kind": kind,
                    "direction": a.direction.as_str(),
                    "actor": a.actor,
                    "objective": a.objective,
                    "origin": a.origin,
                    "pincer": a.pincer,
                    "date_start": a.date_start.to_string(),
                    "date_end": a.date_end.to_string(),
                    "schematic": true,
                    "quote": a.quote,
                    "articles": a.articles,
                    "bearing_deg": round_to(a.bearing_deg, 1),
                    "length_km": round_to(a.length_km, 1),
                    "origin_rule": a.origin_rule,
                }
            })
        })
    });
    write_feature_collection(w, features, bbox.0)
}

/// `out/areas.geojson`: one polygon per pocket and date.
pub fn areas_geojson(areas: &[Area]) -> String {
    string_of(|w| write_areas_geojson(w, areas))
}

/// [`areas_geojson`] written to `w` a feature at a time.
pub fn write_areas_geojson(w: &mut dyn Write, areas: &[Area]) -> std::io::Result<()> {
    let drawn = || areas.iter().filter(|a| !a.geometry.0.is_empty());
    let bbox = Bbox::of(
        drawn()
            .flat_map(|a| &a.geometry.0)
            .flat_map(|p| p.exterior().0.iter().chain(p.interiors().iter().flat_map(|r| &r.0))),
    );
    let features = drawn().map(|a| {
        json!({
            "type": "Feature",
            "id": a.id,
            "geometry": polygon_geometry(&a.geometry),
            "properties": {
                "id": a.id,
                "kind": a.kind,
                "controller": a.controller,
                "date_start": a.date_start.to_string(),
                "date_end": a.date_end.to_string(),
                "derivation": a.derivation,
                "area_km2": round_to(a.area_km2, 0),
                "river": a.river,
                "valley": a.valley,
                "from": a.from,
                "to": a.to,
                // null rather than [] when nothing was retaken: GDAL then types the column as a string list.
                "retaken": (!a.retaken.is_empty()).then_some(&a.retaken),
                "quote": a.quote,
                "articles": a.articles,
                "schematic": true,
            }
        })
    });
    write_feature_collection(w, features, bbox.0)
}

/// `out/border.geojson`: the international borders the articles refer to.
pub fn border_geojson(lines: &[BorderLine]) -> String {
    let bbox = Bbox::of(lines.iter().flat_map(|l| &l.geometry.0).flat_map(|l| &l.0));
    let features: Vec<Value> = lines
        .iter()
        .map(|l| {
            json!({
                "type": "Feature",
                "id": l.id,
                "geometry": multi_line_geometry(&l.geometry),
                "properties": {
                    "id": l.id,
                    "kind": "border",
                    "name": l.name,
                    "name_en": l.name_en,
                    "countries": l.countries,
                    "length_km": round_to(l.length_km, 1),
                    "crossings": l.crossings,
                    "source": l.source,
                }
            })
        })
        .collect();
    feature_collection(&features, bbox.0)
}

/// `out/crossings.geojson`: the border crossings the articles refer to.
pub fn crossings_geojson(crossings: &[Crossing]) -> String {
    let bbox = Bbox::of(crossings.iter().map(|c| &c.point));
    let features: Vec<Value> = crossings
        .iter()
        .map(|c| {
            json!({
                "type": "Feature",
                "id": c.id,
                "geometry": {"type": "Point", "coordinates": [round6(c.point.x), round6(c.point.y)]},
                "properties": {
                    "id": c.id,
                    "kind": "crossing",
                    "name": c.name,
                    "name_en": c.name_en,
                    "country": c.country,
                    "border": c.border,
                    "distance_to_border_km": c.distance_to_border_km.map(|d| round_to(d, 2)),
                    "source": c.source,
                    "how": c.how,
                }
            })
        })
        .collect();
    feature_collection(&features, bbox.0)
}

/// `out/claims.json`: `{"claims": [...], "summary": {...}}`, one claim per line, keys sorted.
pub fn claims_json(claims: &[Claim]) -> String {
    string_of(|w| write_claims_json(w, claims))
}

/// [`claims_json`] written to `w` a claim at a time.
pub fn write_claims_json(w: &mut dyn Write, claims: &[Claim]) -> std::io::Result<()> {
    w.write_all(b"{\"claims\":[")?;
    for (i, c) in claims.iter().enumerate() {
        let sources: Vec<Value> =
            c.sources.iter().map(|s| json!({"article": s.article, "quote": s.quote, "start": s.start})).collect();
        let v = json!({
            "id": c.id,
            "kind": c.kind,
            "quote": c.quote,
            "sources": sources,
            "subject": c.subject,
            "object": c.object,
            "stated": c.stated,
            "computed": c.computed,
            "unit": c.unit,
            "ok": c.ok,
            "note": c.note,
        });
        w.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        w.write_all(to_line(&v).as_bytes())?;
    }
    let count = |f: fn(&Claim) -> bool| claims.iter().filter(|c| f(c)).count();
    let summary = json!({
        "total": claims.len(),
        "ok": count(|c| c.ok == Some(true)),
        "failed": count(|c| c.ok == Some(false)),
        "unchecked": count(|c| c.ok.is_none()),
    });
    write!(w, "\n],\"summary\":{}}}\n", to_line(&summary))
}
