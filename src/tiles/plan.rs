//! Pyramid planning: which tiles to render at which zoom.
//!
//! The default pyramid reconciles DESIGN.md §4 with issue 6. DESIGN.md asks for z0–z10 over the theatre and
//! z11–z13 only over the operation sheets; issue 6 asks for "z0–z12 over the theatre; deeper only where
//! there is data". They agree on the principle (full coverage of the theatre at the small scales, the large
//! scales only where the reports locate things) and differ on where the cut falls. frontmap follows DESIGN.md:
//! z0–z10 over the theatre, z11–z13 over the extents of the operation sheets (which is where the data is:
//! every event, front and pocket of the corpus lies inside them), because the street-level zooms are only
//! useful there and z11–z12 over the whole theatre would be ~20,000 tiles of empty desert per build.
//! The z0–z12-over-the-theatre pyramid is what the performance goal is measured on
//! (`frontmap tiles --zoom 0-12 --bbox 35.3,29.2,48.9,37.6`, see `bench/tiles.sh`).
//!
//! The theatre is the largest sheet of `maps.toml` (by projected area); the operation sheets are all the
//! others. `--bbox` replaces the whole plan by one box at every zoom of `--zoom`; `--zoom` alone keeps the
//! default regions and renders only the zooms in its range.

use super::error::TilesError;
use super::tile::{MAX_ZOOM, TileId, TileRange};
use crate::render::mercator::{Bbox, MAX_LATITUDE};
use crate::render::sheets::SheetsFile;
use std::str::FromStr;

/// The deepest zoom rendered over the whole theatre by default.
pub const THEATRE_MAX_ZOOM: u8 = 10;
/// The deepest zoom rendered over the operation sheets by default.
pub const DETAIL_MAX_ZOOM: u8 = 13;
/// Refuse plans above this many tiles: a typo such as `--zoom 0-20` should fail fast, not fill the disk.
pub const MAX_TILES: u64 = 2_000_000;

/// An inclusive range of zoom levels, as written on the command line: `0-12`, or `7` for one level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZoomRange {
    pub min: u8,
    pub max: u8,
}

impl ZoomRange {
    /// The range `min..=max`, if ordered and within [`MAX_ZOOM`].
    pub fn new(min: u8, max: u8) -> Option<ZoomRange> {
        (min <= max && max <= MAX_ZOOM).then_some(ZoomRange { min, max })
    }

    /// Whether `z` is in the range.
    pub fn contains(&self, z: u8) -> bool {
        (self.min..=self.max).contains(&z)
    }

    /// The zooms both ranges hold, if any.
    pub fn intersect(&self, o: &ZoomRange) -> Option<ZoomRange> {
        ZoomRange::new(self.min.max(o.min), self.max.min(o.max))
    }
}

impl FromStr for ZoomRange {
    type Err = String;

    fn from_str(s: &str) -> Result<ZoomRange, String> {
        let bad = || format!("{s:?} is not a zoom range (e.g. 0-12, or 7; zooms 0…{MAX_ZOOM})");
        let (a, b) = match s.split_once('-') {
            Some((a, b)) => (a.trim(), b.trim()),
            None => (s.trim(), s.trim()),
        };
        let a: u8 = a.parse().map_err(|_| bad())?;
        let b: u8 = b.parse().map_err(|_| bad())?;
        ZoomRange::new(a, b).ok_or_else(bad)
    }
}

impl std::fmt::Display for ZoomRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.min, self.max)
    }
}

/// Parse `W,S,E,N` in degrees (the `--bbox` option).
pub fn parse_bbox(s: &str) -> Result<[f64; 4], String> {
    let v: Vec<f64> =
        s.split(',').map(|p| p.trim().parse::<f64>()).collect::<Result<_, _>>().map_err(|_| {
            format!("{s:?} is not a box: give west,south,east,north in degrees, e.g. 35.3,29.2,48.9,37.6")
        })?;
    match v.as_slice() {
        [w, so, e, n] if valid_lonlat_box(&[*w, *so, *e, *n]) => Ok([*w, *so, *e, *n]),
        _ => Err(format!(
            "{s:?} is not a box: need 4 numbers west < east within ±180, south < north within ±{MAX_LATITUDE:.4}"
        )),
    }
}

fn valid_lonlat_box(b: &[f64; 4]) -> bool {
    b.iter().all(|v| v.is_finite())
        && b[0] < b[2]
        && b[1] < b[3]
        && b[0] >= -180.0
        && b[2] <= 180.0
        && b[1] >= -MAX_LATITUDE
        && b[3] <= MAX_LATITUDE
}

/// One area rendered over a range of zooms.
#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    /// Where the area comes from (a sheet name, or `bbox`).
    pub name: String,
    /// The area in EPSG:3857 metres.
    pub bbox: Bbox,
    pub zooms: ZoomRange,
}

/// The tiles of one zoom level and the tile-aligned extent they span (labels are placed over it).
#[derive(Debug, Clone, PartialEq)]
pub struct Level {
    pub z: u8,
    /// The smallest rectangle of tiles holding every tile of the level.
    pub extent: TileRange,
    /// The tiles to render, sorted by row then column, without duplicates.
    pub tiles: Vec<TileId>,
}

/// A pyramid: regions, each over its own zooms.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub regions: Vec<Region>,
}

impl Plan {
    /// One box at every zoom of a range (`frontmap tiles --bbox … --zoom …`).
    pub fn uniform(bbox_lonlat: [f64; 4], zooms: ZoomRange) -> Plan {
        let [w, s, e, n] = bbox_lonlat;
        Plan { regions: vec![Region { name: "bbox".into(), bbox: Bbox::from_lonlat(w, s, e, n), zooms }] }
    }

    /// The default pyramid of a `maps.toml`: the theatre (largest sheet) at z0–z10, every other sheet
    /// (the operation sheets) at z11–z13.
    pub fn default_for(sheets: &SheetsFile) -> Result<Plan, TilesError> {
        let area = |b: &Bbox| b.width() * b.height();
        let theatre = sheets
            .sheets
            .iter()
            .max_by(|a, b| area(&a.extent(&sheets.defaults)).total_cmp(&area(&b.extent(&sheets.defaults))))
            .ok_or_else(|| TilesError::Plan(format!("{}: no sheet to take the theatre from", sheets.path.display())))?;
        let mut regions = vec![Region {
            name: theatre.name.clone(),
            bbox: theatre.extent(&sheets.defaults),
            zooms: ZoomRange { min: 0, max: THEATRE_MAX_ZOOM },
        }];
        for s in sheets.sheets.iter().filter(|s| s.name != theatre.name) {
            regions.push(Region {
                name: s.name.clone(),
                bbox: s.extent(&sheets.defaults),
                zooms: ZoomRange { min: THEATRE_MAX_ZOOM + 1, max: DETAIL_MAX_ZOOM },
            });
        }
        Ok(Plan { regions })
    }

    /// The same regions, each limited to the zooms of `zooms` (regions left with none are dropped).
    pub fn restrict(&self, zooms: ZoomRange) -> Plan {
        Plan {
            regions: self
                .regions
                .iter()
                .filter_map(|r| r.zooms.intersect(&zooms).map(|z| Region { zooms: z, ..r.clone() }))
                .collect(),
        }
    }

    /// The lowest and highest zoom of the plan.
    pub fn zoom_span(&self) -> Option<ZoomRange> {
        let min = self.regions.iter().map(|r| r.zooms.min).min()?;
        let max = self.regions.iter().map(|r| r.zooms.max).max()?;
        ZoomRange::new(min, max)
    }

    /// West, south, east, north (degrees) of everything the plan covers.
    pub fn bounds_lonlat(&self) -> Option<[f64; 4]> {
        let mut b = Bbox::empty();
        for r in &self.regions {
            b.extend([r.bbox.min_x, r.bbox.min_y]);
            b.extend([r.bbox.max_x, r.bbox.max_y]);
        }
        (!self.regions.is_empty()).then(|| b.to_lonlat())
    }

    /// How many tiles the plan renders, without listing them (overlaps between regions counted once per
    /// level only approximately: this is an upper bound).
    pub fn tile_count_upper_bound(&self) -> u64 {
        self.regions
            .iter()
            .flat_map(|r| (r.zooms.min..=r.zooms.max).map(move |z| TileRange::covering(&r.bbox, z).len()))
            .sum()
    }

    /// The levels, from zoom 0 down, each with its sorted tiles. Fails above [`MAX_TILES`] tiles.
    pub fn levels(&self) -> Result<Vec<Level>, TilesError> {
        let bound = self.tile_count_upper_bound();
        if bound > MAX_TILES {
            return Err(TilesError::Plan(format!(
                "the plan holds up to {bound} tiles (limit {MAX_TILES}): use a smaller --zoom range or --bbox"
            )));
        }
        let Some(span) = self.zoom_span() else { return Ok(Vec::new()) };
        let mut levels = Vec::new();
        for z in span.min..=span.max {
            let ranges: Vec<TileRange> =
                self.regions.iter().filter(|r| r.zooms.contains(z)).map(|r| TileRange::covering(&r.bbox, z)).collect();
            let Some(extent) = ranges.iter().copied().reduce(|a, b| a.union(&b)) else { continue };
            let mut tiles: Vec<TileId> = ranges.iter().flat_map(|r| r.tiles().collect::<Vec<_>>()).collect();
            tiles.sort_by_key(|t| (t.y, t.x));
            tiles.dedup();
            levels.push(Level { z, extent, tiles });
        }
        Ok(levels)
    }
}
