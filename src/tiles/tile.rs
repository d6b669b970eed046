//! Tile maths: which XYZ tile holds a point, a tile's box in EPSG:3857 metres, the TMS row flip.
//!
//! Tiles use the same f64 Web Mercator as the renderer ([`crate::render::mercator`]), so a tile's box is
//! exactly the part of the plane its pixels show and tiles line up with the sheets to the pixel.
//! Rows count top-down (XYZ, as in `out/tiles/{z}/{x}/{y}.png`); MBTiles stores bottom-up TMS rows.

use crate::render::mercator::{Bbox, HALF_WORLD, MAX_LATITUDE, project, unproject};

/// The deepest zoom frontmap plans (2^24 tiles across: far beyond any useful raster pyramid, and small
/// enough that tile numbers fit in `u32` and MBTiles integers).
pub const MAX_ZOOM: u8 = 24;

/// One tile of the XYZ scheme: zoom, column (west → east) and row (north → south).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TileId {
    pub z: u8,
    pub x: u32,
    pub y: u32,
}

/// Tiles across the world at zoom `z` (2^z).
pub fn tiles_across(z: u8) -> u32 {
    1u32 << z.min(MAX_ZOOM)
}

/// Width of one tile in projected metres at zoom `z`.
pub fn tile_size_m(z: u8) -> f64 {
    2.0 * HALF_WORLD / f64::from(tiles_across(z))
}

impl TileId {
    /// A tile, if `z`, `x` and `y` name one (zoom ≤ [`MAX_ZOOM`], column and row < 2^z).
    pub fn new(z: u8, x: u32, y: u32) -> Option<TileId> {
        (z <= MAX_ZOOM && x < tiles_across(z) && y < tiles_across(z)).then_some(TileId { z, x, y })
    }

    /// The tile at zoom `z` holding a longitude/latitude. Latitude is clamped to ±85.0511° (Web
    /// Mercator's square world), longitude to ±180°; a point on a tile edge belongs to the tile east or
    /// south of it, and the east/south edges of the world to the last column/row.
    pub fn from_lonlat(lon: f64, lat: f64, z: u8) -> TileId {
        let lon = if lon.is_nan() { 0.0 } else { lon.clamp(-180.0, 180.0) };
        let lat = if lat.is_nan() { 0.0 } else { lat.clamp(-MAX_LATITUDE, MAX_LATITUDE) };
        TileId::from_mercator(project(lon, lat), z)
    }

    /// The tile at zoom `z` holding a point in EPSG:3857 metres (clamped to the world square).
    pub fn from_mercator(p: [f64; 2], z: u8) -> TileId {
        let z = z.min(MAX_ZOOM);
        let n = tiles_across(z);
        let size = tile_size_m(z);
        let index = |v: f64| -> u32 {
            let i = (v / size).floor();
            if i.is_nan() || i < 0.0 {
                0
            } else if i >= f64::from(n) {
                n - 1
            } else {
                i as u32
            }
        };
        TileId { z, x: index(p[0] + HALF_WORLD), y: index(HALF_WORLD - p[1]) }
    }

    /// The tile's box in EPSG:3857 metres.
    pub fn bounds(&self) -> Bbox {
        let size = tile_size_m(self.z);
        let min_x = -HALF_WORLD + f64::from(self.x) * size;
        let max_y = HALF_WORLD - f64::from(self.y) * size;
        Bbox::new(min_x, max_y - size, min_x + size, max_y)
    }

    /// West, south, east, north of the tile in degrees.
    pub fn lonlat_bounds(&self) -> [f64; 4] {
        let b = self.bounds();
        let [w, s] = unproject(b.min_x, b.min_y);
        let [e, n] = unproject(b.max_x, b.max_y);
        [w, s, e, n]
    }

    /// The row as MBTiles (TMS) counts it: from the south, `2^z − 1 − y`.
    pub fn tms_y(&self) -> u32 {
        tiles_across(self.z) - 1 - self.y
    }

    /// The tile of a TMS address (MBTiles `zoom_level`, `tile_column`, `tile_row`), if valid.
    pub fn from_tms(z: u8, x: u32, tms_y: u32) -> Option<TileId> {
        if z > MAX_ZOOM || tms_y >= tiles_across(z) {
            return None;
        }
        TileId::new(z, x, tiles_across(z) - 1 - tms_y)
    }

    /// The tile one zoom up that contains this one (itself at zoom 0).
    pub fn parent(&self) -> TileId {
        if self.z == 0 { *self } else { TileId { z: self.z - 1, x: self.x / 2, y: self.y / 2 } }
    }

    /// The path of the tile in an XYZ directory: `z/x/y.png` (`z/x/y@2x.png` for a 2× scale suffix).
    pub fn rel_path(&self, suffix: &str) -> String {
        format!("{}/{}/{}{suffix}.png", self.z, self.x, self.y)
    }
}

impl std::fmt::Display for TileId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}/{}", self.z, self.x, self.y)
    }
}

/// A rectangle of tiles at one zoom: columns `x0..=x1`, rows `y0..=y1` (XYZ rows, top-down).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TileRange {
    pub z: u8,
    pub x0: u32,
    pub y0: u32,
    pub x1: u32,
    pub y1: u32,
}

impl TileRange {
    /// The tiles at zoom `z` that a projected box touches (a box edge exactly on a tile edge does not pull
    /// in the next tile).
    pub fn covering(bbox: &Bbox, z: u8) -> TileRange {
        let z = z.min(MAX_ZOOM);
        // Nudge the max corner inwards by a nanometre-scale epsilon, so a box ending on a tile edge stays
        // out of the tile beyond it.
        let eps = tile_size_m(z) * 1e-9;
        let nw = TileId::from_mercator([bbox.min_x, bbox.max_y], z);
        let se = TileId::from_mercator([bbox.max_x - eps, bbox.min_y + eps], z);
        TileRange { z, x0: nw.x, y0: nw.y, x1: se.x.max(nw.x), y1: se.y.max(nw.y) }
    }

    /// How many tiles.
    pub fn len(&self) -> u64 {
        u64::from(self.x1 - self.x0 + 1) * u64::from(self.y1 - self.y0 + 1)
    }

    /// Never empty: a range holds at least one tile.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Whether the range holds a tile.
    pub fn contains(&self, t: &TileId) -> bool {
        t.z == self.z && (self.x0..=self.x1).contains(&t.x) && (self.y0..=self.y1).contains(&t.y)
    }

    /// The projected box of the whole range (tile-aligned).
    pub fn bounds(&self) -> Bbox {
        let nw = TileId { z: self.z, x: self.x0, y: self.y0 }.bounds();
        let se = TileId { z: self.z, x: self.x1, y: self.y1 }.bounds();
        Bbox::new(nw.min_x, se.min_y, se.max_x, nw.max_y)
    }

    /// The smallest range holding both.
    pub fn union(&self, o: &TileRange) -> TileRange {
        TileRange {
            z: self.z,
            x0: self.x0.min(o.x0),
            y0: self.y0.min(o.y0),
            x1: self.x1.max(o.x1),
            y1: self.y1.max(o.y1),
        }
    }

    /// The tiles, row by row (north to south, west to east).
    pub fn tiles(&self) -> impl Iterator<Item = TileId> + '_ {
        (self.y0..=self.y1).flat_map(move |y| (self.x0..=self.x1).map(move |x| TileId { z: self.z, x, y }))
    }
}
