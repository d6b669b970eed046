//! Distances and bearings on the WGS 84 ellipsoid.
//!
//! Claims such as "à une dizaine de kilomètres de la Syrie" are checked in kilometres, not in degrees,
//! and must hold at any latitude: every distance goes through the geodesic (Karney) of the `geo` crate.

use geo::{Bearing, Coord, Destination, Distance, Geodesic, Point};

/// Geodesic distance in kilometres between two lon/lat coordinates.
///
/// ```
/// use geo::Coord;
/// // Al-Qaïm to Rawa, about 86 km.
/// let d = frontmap::geodesy::distance_km(Coord { x: 40.98945, y: 34.39251 }, Coord { x: 41.91898, y: 34.48229 });
/// assert!((d - 85.8).abs() < 1.0);
/// ```
pub fn distance_km(a: Coord<f64>, b: Coord<f64>) -> f64 {
    Geodesic.distance(Point(a), Point(b)) / 1000.0
}

/// Initial bearing from `a` to `b`, degrees clockwise from north in [0, 360).
pub fn bearing_deg(a: Coord<f64>, b: Coord<f64>) -> f64 {
    Geodesic.bearing(Point(a), Point(b)).rem_euclid(360.0)
}

/// The point `km` kilometres from `a` along `bearing` degrees.
pub fn destination(a: Coord<f64>, bearing: f64, km: f64) -> Coord<f64> {
    Geodesic.destination(Point(a), bearing, km * 1000.0).0
}
