//! Web Mercator (EPSG:3857) in f64, and the view: which part of the plane lands on which pixel.
//!
//! One projection path for sheets and tiles, so both line up to the pixel. Coordinates stay in f64
//! metres until a view subtracts its origin; only pixel offsets are handed to tiny-skia as f32.

/// The WGS 84 semi-major axis, the sphere radius of Web Mercator.
pub const EARTH_RADIUS: f64 = 6_378_137.0;
/// The latitude at which Web Mercator is square; beyond it latitudes are clamped.
pub const MAX_LATITUDE: f64 = 85.051_128_779_806_59;
/// Half the width of the projected world in metres (π·R).
pub const HALF_WORLD: f64 = std::f64::consts::PI * EARTH_RADIUS;

/// Longitude/latitude (degrees, WGS 84) → Web Mercator metres. Latitude is clamped to ±85.0511°.
pub fn project(lon: f64, lat: f64) -> [f64; 2] {
    let lat = lat.clamp(-MAX_LATITUDE, MAX_LATITUDE);
    let x = EARTH_RADIUS * lon.to_radians();
    let y = EARTH_RADIUS * (std::f64::consts::FRAC_PI_4 + lat.to_radians() / 2.0).tan().ln();
    [x, y]
}

/// Web Mercator metres → longitude/latitude (degrees).
pub fn unproject(x: f64, y: f64) -> [f64; 2] {
    let lon = (x / EARTH_RADIUS).to_degrees();
    let lat = (2.0 * (y / EARTH_RADIUS).exp().atan() - std::f64::consts::FRAC_PI_2).to_degrees();
    [lon, lat]
}

/// The MapLibre zoom (512-px world at zoom 0) for a resolution in metres per CSS pixel, so the
/// style's zoom stops mean the same thing here and in a web viewer.
pub fn zoom_for_resolution(metres_per_css_px: f64) -> f64 {
    (2.0 * HALF_WORLD / (512.0 * metres_per_css_px)).log2()
}

/// Metres per CSS pixel at a MapLibre zoom.
pub fn resolution_for_zoom(zoom: f64) -> f64 {
    2.0 * HALF_WORLD / (512.0 * zoom.exp2())
}

/// An axis-aligned rectangle in projected metres (or pixels, where documented).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bbox {
    pub min_x: f64,
    pub min_y: f64,
    pub max_x: f64,
    pub max_y: f64,
}

impl Bbox {
    /// A box from its corners.
    pub fn new(min_x: f64, min_y: f64, max_x: f64, max_y: f64) -> Bbox {
        Bbox { min_x, min_y, max_x, max_y }
    }

    /// The projected box of a west/south/east/north box in degrees.
    pub fn from_lonlat(west: f64, south: f64, east: f64, north: f64) -> Bbox {
        let [x0, y0] = project(west, south);
        let [x1, y1] = project(east, north);
        Bbox::new(x0, y0, x1, y1)
    }

    /// The empty box that any point extends.
    pub fn empty() -> Bbox {
        Bbox::new(f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY)
    }

    /// Grow to include a point.
    pub fn extend(&mut self, p: [f64; 2]) {
        self.min_x = self.min_x.min(p[0]);
        self.min_y = self.min_y.min(p[1]);
        self.max_x = self.max_x.max(p[0]);
        self.max_y = self.max_y.max(p[1]);
    }

    /// Width in metres.
    pub fn width(&self) -> f64 {
        self.max_x - self.min_x
    }

    /// Height in metres.
    pub fn height(&self) -> f64 {
        self.max_y - self.min_y
    }

    /// The centre point.
    pub fn center(&self) -> [f64; 2] {
        [(self.min_x + self.max_x) / 2.0, (self.min_y + self.max_y) / 2.0]
    }

    /// Whether the two boxes share any point.
    pub fn intersects(&self, o: &Bbox) -> bool {
        self.min_x <= o.max_x && o.min_x <= self.max_x && self.min_y <= o.max_y && o.min_y <= self.max_y
    }

    /// The box grown by `d` on every side.
    pub fn grow(&self, d: f64) -> Bbox {
        Bbox::new(self.min_x - d, self.min_y - d, self.max_x + d, self.max_y + d)
    }

    /// West/south/east/north in degrees.
    pub fn to_lonlat(&self) -> [f64; 4] {
        let [w, s] = unproject(self.min_x, self.min_y);
        let [e, n] = unproject(self.max_x, self.max_y);
        [w, s, e, n]
    }
}

/// What a renderer draws: a box of the Mercator plane onto a canvas of `width`×`height` device pixels.
///
/// `scale` is the device pixel ratio (2 for @2x): style widths and sizes are multiplied by it, the zoom is
/// not. `zoom` is the MapLibre zoom that the style's zoom stops see. Tiles give their own zoom; sheets
/// derive it from the resolution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct View {
    pub bbox: Bbox,
    pub width: u32,
    pub height: u32,
    pub scale: f64,
    pub zoom: f64,
}

impl View {
    /// A view whose zoom follows from its resolution (metres per CSS pixel).
    pub fn new(bbox: Bbox, width: u32, height: u32, scale: f64) -> View {
        let res_css = bbox.width() / f64::from(width.max(1)) * scale;
        View { bbox, width, height, scale, zoom: zoom_for_resolution(res_css) }
    }

    /// A view with an explicit style zoom (tiles: the zoom of the tile pyramid level).
    pub fn with_zoom(bbox: Bbox, width: u32, height: u32, scale: f64, zoom: f64) -> View {
        View { bbox, width, height, scale, zoom }
    }

    /// The view of `width`×`height` CSS pixels (times `scale`) centred on `center` at the resolution
    /// that fits `fit` inside it: the box is widened in one direction to keep pixels square.
    pub fn fit(fit: Bbox, width: u32, height: u32, scale: f64) -> View {
        let (w, h) = ((f64::from(width) * scale).round(), (f64::from(height) * scale).round());
        let res = (fit.width() / w).max(fit.height() / h);
        let [cx, cy] = fit.center();
        let bbox = Bbox::new(cx - res * w / 2.0, cy - res * h / 2.0, cx + res * w / 2.0, cy + res * h / 2.0);
        View::new(bbox, w as u32, h as u32, scale)
    }

    /// Metres per device pixel (the same along x and y for every view built here).
    pub fn resolution(&self) -> f64 {
        self.bbox.width() / f64::from(self.width.max(1))
    }

    /// Metres per device pixel along y.
    pub fn resolution_y(&self) -> f64 {
        self.bbox.height() / f64::from(self.height.max(1))
    }

    /// Projected metres → device pixel coordinates (origin top-left, y down; pixel centres at +0.5).
    pub fn to_px(&self, p: [f64; 2]) -> [f64; 2] {
        [(p[0] - self.bbox.min_x) / self.resolution(), (self.bbox.max_y - p[1]) / self.resolution_y()]
    }

    /// Device pixel coordinates → projected metres.
    pub fn from_px(&self, px: [f64; 2]) -> [f64; 2] {
        [self.bbox.min_x + px[0] * self.resolution(), self.bbox.max_y - px[1] * self.resolution_y()]
    }

    /// Longitude/latitude → device pixel coordinates.
    pub fn lonlat_to_px(&self, lon: f64, lat: f64) -> [f64; 2] {
        self.to_px(project(lon, lat))
    }

    /// Ground metres per device pixel at the view's centre latitude (for a true scale bar).
    pub fn ground_resolution_at_center(&self) -> f64 {
        let [_, lat] = unproject(self.bbox.center()[0], self.bbox.center()[1]);
        self.resolution() * lat.to_radians().cos()
    }

    /// The pixel offset that carries coordinates of view `self` into view `other` (same resolution).
    pub fn offset_into(&self, other: &View) -> [f64; 2] {
        [
            (self.bbox.min_x - other.bbox.min_x) / other.resolution(),
            (other.bbox.max_y - self.bbox.max_y) / other.resolution_y(),
        ]
    }
}
