//! `out/events.geojson`, its QGIS style sidecar `out/events.qml`, and `frontmap events` JSON Lines.
//!
//! Dates are full ISO days in `date_start` and `date_end`, both always filled, so GDAL types them as
//! Date and QGIS's temporal controller can filter on them (DESIGN.md §4).

use super::json::{round6, string_of, to_line, write_feature_collection};
use crate::events::Event;
use crate::gazetteer::Gazetteer;
use serde_json::{Value, json};
use std::io::Write;

/// One event as a GeoJSON Feature.
pub fn feature(e: &Event, g: &Gazetteer) -> Value {
    let p = &g.places[e.place];
    let sources: Vec<Value> = e.sources.iter().map(|s| json!({"article": s.article, "quote": s.quote})).collect();
    let mut articles: Vec<&str> = e.sources.iter().map(|s| &*s.article).collect();
    articles.dedup();
    json!({
        "type": "Feature",
        "id": e.id,
        "geometry": {"type": "Point", "coordinates": [round6(e.point.x), round6(e.point.y)]},
        "properties": {
            "id": e.id,
            "event_type": e.event_type,
            "sub_event_type": e.sub_event_type,
            "category": e.category.as_str(),
            "actor1": e.actor1,
            "actor2": e.actor2,
            "place": p.id,
            "place_name": p.name,
            "country": p.country,
            "date_start": e.date.start.to_string(),
            "date_end": e.date.end.to_string(),
            "date_precision": e.date.precision.as_str(),
            "geo_precision": e.geo_precision,
            "fatalities": e.fatalities,
            "sources": sources,
            "source_count": articles.len(),
        }
    })
}

/// The events layer.
pub fn events_geojson(events: &[Event], g: &Gazetteer) -> String {
    string_of(|w| write_events_geojson(w, events, g))
}

/// [`events_geojson`] written to `w` a feature at a time (tens of megabytes at 10,000 articles).
pub fn write_events_geojson(w: &mut dyn Write, events: &[Event], g: &Gazetteer) -> std::io::Result<()> {
    write_feature_collection(w, events.iter().map(|e| feature(e, g)), bbox(events))
}

/// Newline-delimited GeoJSON: the same features, one per line.
pub fn events_jsonl(events: &[Event], g: &Gazetteer) -> String {
    events.iter().map(|e| to_line(&feature(e, g)) + "\n").collect()
}

fn bbox(events: &[Event]) -> Option<[f64; 4]> {
    if events.is_empty() {
        return None;
    }
    let mut b = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
    for e in events {
        let (x, y) = (round6(e.point.x), round6(e.point.y));
        b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
    }
    Some(b)
}

/// Colours of the ACLED event types, shared with the map style.
pub const EVENT_TYPE_COLOURS: [(&str, &str); 5] = [
    ("Battles", "215,48,39"),
    ("Explosions/Remote violence", "244,109,67"),
    ("Strategic developments", "69,117,180"),
    ("Violence against civilians", "118,42,131"),
    ("Protests", "102,166,30"),
];

/// A QGIS layer style (QML) that draws events by `event_type` and switches on the temporal controller
/// over `date_start`/`date_end`.
pub fn events_qml() -> String {
    let mut cats = String::new();
    let mut symbols = String::new();
    for (i, (name, rgb)) in EVENT_TYPE_COLOURS.iter().enumerate() {
        cats.push_str(&format!("      <category render=\"true\" symbol=\"{i}\" value=\"{name}\" label=\"{name}\"/>\n"));
        symbols.push_str(&format!(
            r#"      <symbol type="marker" name="{i}" alpha="1" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleMarker" enabled="1" locked="0" pass="0">
          <Option type="Map">
            <Option type="QString" name="color" value="{rgb},255"/>
            <Option type="QString" name="name" value="circle"/>
            <Option type="QString" name="outline_color" value="255,255,255,255"/>
            <Option type="QString" name="outline_width" value="0.4"/>
            <Option type="QString" name="size" value="3.2"/>
            <Option type="QString" name="size_unit" value="MM"/>
          </Option>
        </layer>
      </symbol>
"#
        ));
    }
    format!(
        r#"<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.22.0" styleCategories="Symbology|Labeling|Temporal">
  <temporal enabled="1" mode="1" accumulate="0" startField="date_start" endField="date_end" durationUnit="min" fixedDuration="0" startExpression="" endExpression="" durationField="" limitMode="1">
    <fixedRange>
      <start></start>
      <end></end>
    </fixedRange>
  </temporal>
  <renderer-v2 type="categorizedSymbol" attr="event_type" symbollevels="0" enableorderby="0" forceraster="0">
    <categories>
{cats}    </categories>
    <symbols>
{symbols}    </symbols>
  </renderer-v2>
  <labeling type="simple">
    <settings calloutType="simple">
      <text-style fieldName="place_name" fontSize="8" textColor="30,30,30,255" fontFamily="DejaVu Sans" isExpression="0">
        <text-buffer bufferDraw="1" bufferSize="0.8" bufferColor="255,255,255,255" bufferSizeUnits="MM"/>
      </text-style>
      <placement placement="0" dist="1.5" distUnits="MM"/>
    </settings>
  </labeling>
  <layerGeometryType>0</layerGeometryType>
</qgis>
"#
    )
}
