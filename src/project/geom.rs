//! Geometry for the projector, in kilometres on the WGS 84 ellipsoid rather than in planar degrees: a
//! degree of longitude is 92 km at al-Qaïm and 111 km at the equator, so widths, gaps and distances are
//! set in km and measured geodesically (`crate::geodesy`, Karney). Shapes that need planar operations
//! (a corridor along a river, a difference of polygons) are built in a local frame in km around the
//! feature and mapped back; over the ~200 km of a pocket its scale error stays under 1%.

use crate::geodesy::{bearing_deg, destination, distance_km};
use crate::output::json::round6;
use geo::algorithm::buffer::{Buffer, BufferStyle, LineCap, LineJoin};
use geo::orient::{Direction as Winding, Orient};
use geo::{Contains, Coord, GeodesicArea, Geometry, LineString, MultiLineString, MultiPolygon, Point, Polygon};

/// WGS 84 semi-major axis (km) and first eccentricity squared.
const A_KM: f64 = 6378.137;
const E2: f64 = 0.006_694_379_990_14;

/// A local planar frame in km around a point: equirectangular, scaled by the ellipsoid's radii of
/// curvature at the frame's latitude, so that distances near the origin are true.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    origin: Coord<f64>,
    kx: f64,
    ky: f64,
}

impl Frame {
    /// The frame centred on `origin` (lon/lat).
    pub fn at(origin: Coord<f64>) -> Frame {
        let phi = origin.y.to_radians();
        let w = (1.0 - E2 * phi.sin().powi(2)).sqrt();
        let m = A_KM * (1.0 - E2) / w.powi(3);
        let n = A_KM / w;
        Frame { origin, kx: n * phi.cos() * std::f64::consts::PI / 180.0, ky: m * std::f64::consts::PI / 180.0 }
    }

    /// lon/lat → km east and north of the origin.
    pub fn fwd(&self, c: Coord<f64>) -> Coord<f64> {
        Coord { x: (c.x - self.origin.x) * self.kx, y: (c.y - self.origin.y) * self.ky }
    }

    /// km east and north of the origin → lon/lat.
    pub fn inv(&self, p: Coord<f64>) -> Coord<f64> {
        Coord { x: self.origin.x + p.x / self.kx, y: self.origin.y + p.y / self.ky }
    }
}

/// Points along the geodesic from `a` to `b`, both included, at most `step_km` apart.
pub fn densify_geodesic(a: Coord<f64>, b: Coord<f64>, step_km: f64) -> Vec<Coord<f64>> {
    let d = distance_km(a, b);
    let n = ((d / step_km.max(1e-3)).ceil() as usize).max(1);
    let az = bearing_deg(a, b);
    let mut out = vec![a];
    out.extend((1..n).map(|i| destination(a, az, d * i as f64 / n as f64)));
    out.push(b);
    out
}

/// Distance in km between two nearby points (a river's or a ring's consecutive vertices): in the local
/// frame at their midpoint, which agrees with the geodesic to better than 1e-5 below 50 km and costs a
/// fraction of it. Farther apart, the geodesic.
pub fn near_distance_km(a: Coord<f64>, b: Coord<f64>) -> f64 {
    if (a.x - b.x).abs() > 0.4 || (a.y - b.y).abs() > 0.4 {
        return distance_km(a, b);
    }
    let f = Frame::at(Coord { x: (a.x + b.x) / 2.0, y: (a.y + b.y) / 2.0 });
    let (p, q) = (f.fwd(a), f.fwd(b));
    (p.x - q.x).hypot(p.y - q.y)
}

/// Length of each prefix of a polyline, km: `cum[i]` is the length up to vertex `i` (positions along a
/// river; [`near_distance_km`] per segment).
pub fn cumulative_km(line: &[Coord<f64>]) -> Vec<f64> {
    let mut cum = Vec::with_capacity(line.len());
    let mut acc = 0.0;
    for (i, c) in line.iter().enumerate() {
        if i > 0 {
            acc += near_distance_km(line[i - 1], *c);
        }
        cum.push(acc);
    }
    cum
}

/// Geodesic length of a polyline, km (Karney, segment by segment): the lengths we report.
pub fn geodesic_length_km(line: &[Coord<f64>]) -> f64 {
    line.windows(2).map(|w| distance_km(w[0], w[1])).sum()
}

/// Geodesic length of lines, km.
pub fn length_km(lines: &MultiLineString<f64>) -> f64 {
    lines.0.iter().map(|l| geodesic_length_km(&l.0)).sum()
}

/// Where a point falls on a polyline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Located {
    /// The nearest point of the line.
    pub point: Coord<f64>,
    /// Geodesic distance along the line from its first vertex to `point`, km.
    pub along_km: f64,
    /// Geodesic distance from the point to the line, km.
    pub offset_km: f64,
}

/// Closest point to `p` on segment `a`–`b` in a planar frame: (fraction along the segment, point).
fn closest_on_segment(p: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> (f64, Coord<f64>) {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let len2 = dx * dx + dy * dy;
    let t = if len2 == 0.0 { 0.0 } else { (((p.x - a.x) * dx + (p.y - a.y) * dy) / len2).clamp(0.0, 1.0) };
    (t, Coord { x: a.x + t * dx, y: a.y + t * dy })
}

/// Locate `p` on `line` (with `cum` from [`cumulative_km`]): the nearest point is found in a frame
/// centred on `p` (true distances near it), then measured geodesically.
pub fn locate(line: &[Coord<f64>], cum: &[f64], p: Coord<f64>) -> Option<Located> {
    if line.is_empty() || cum.len() != line.len() {
        return None;
    }
    if line.len() == 1 {
        return Some(Located { point: line[0], along_km: 0.0, offset_km: distance_km(p, line[0]) });
    }
    let f = Frame::at(p);
    let q = Coord { x: 0.0, y: 0.0 };
    let mut best: Option<(f64, usize, f64, Coord<f64>)> = None;
    for i in 0..line.len() - 1 {
        let (a, b) = (f.fwd(line[i]), f.fwd(line[i + 1]));
        let (t, c) = closest_on_segment(q, a, b);
        let d2 = c.x * c.x + c.y * c.y;
        if best.is_none_or(|bb| d2 < bb.0) {
            best = Some((d2, i, t, c));
        }
    }
    let (_, i, t, c) = best?;
    let point = f.inv(c);
    let along = cum[i] + t * (cum[i + 1] - cum[i]);
    Some(Located { point, along_km: along, offset_km: distance_km(p, point) })
}

/// The part of `line` between `from_km` and `to_km` along it (clamped to the line).
pub fn sub_line(line: &[Coord<f64>], cum: &[f64], from_km: f64, to_km: f64) -> Vec<Coord<f64>> {
    let total = cum.last().copied().unwrap_or(0.0);
    let (a, b) = (from_km.clamp(0.0, total), to_km.clamp(0.0, total));
    let (a, b) = if a <= b { (a, b) } else { (b, a) };
    let at = |km: f64| -> Coord<f64> {
        let i = cum.partition_point(|&c| c < km).clamp(1, line.len().max(2) - 1);
        let (c0, c1) = (cum[i - 1], cum[i]);
        let t = if c1 > c0 { (km - c0) / (c1 - c0) } else { 0.0 };
        Coord { x: line[i - 1].x + t * (line[i].x - line[i - 1].x), y: line[i - 1].y + t * (line[i].y - line[i - 1].y) }
    };
    if line.len() < 2 {
        return line.to_vec();
    }
    let mut out = vec![at(a)];
    for (i, c) in line.iter().enumerate() {
        if cum[i] > a && cum[i] < b {
            out.push(*c);
        }
    }
    out.push(at(b));
    out.dedup();
    out
}

/// The corridor within `half_width_km` of a line, with round joins and round or flat (butt) ends. The line
/// is first simplified to a tenth of the half-width, so that a river's wiggles do not fray the edges.
pub fn corridor(line: &[Coord<f64>], half_width_km: f64, flat_ends: bool) -> MultiPolygon<f64> {
    use geo::Simplify;
    if line.len() < 2 || half_width_km <= 0.0 {
        return MultiPolygon(Vec::new());
    }
    let mid = line[line.len() / 2];
    let f = Frame::at(mid);
    let local = LineString(line.iter().map(|c| f.fwd(*c)).collect()).simplify(half_width_km / 10.0);
    let cap = if flat_ends { LineCap::Butt } else { LineCap::Round(0.2) };
    let style = BufferStyle::new(half_width_km).line_cap(cap).line_join(LineJoin::Round(0.2));
    let buffered: MultiPolygon<f64> = local.buffer_with_style(style);
    map_coords(&buffered, |c| f.inv(c))
}

/// A rectangle across a valley: centred on `center`, from `s0` to `s1` km along the unit direction `dir`
/// (east, north components in `frame`'s km), `half_km` either side of it. The cut a retaken town makes in
/// a pocket, or the straight end of a pocket.
pub fn cross_section(
    frame: &Frame,
    center: Coord<f64>,
    dir: (f64, f64),
    s0: f64,
    s1: f64,
    half_km: f64,
) -> Polygon<f64> {
    let c = frame.fwd(center);
    let (ux, uy) = dir;
    let (nx, ny) = (-uy, ux);
    let corner = |s: f64, t: f64| frame.inv(Coord { x: c.x + ux * s + nx * t, y: c.y + uy * s + ny * t });
    let ring = vec![
        corner(s0, -half_km),
        corner(s1, -half_km),
        corner(s1, half_km),
        corner(s0, half_km),
        corner(s0, -half_km),
    ];
    Polygon::new(LineString(ring), Vec::new()).orient(Winding::Default)
}

/// A geodesic circle of radius `r_km` as a polygon with `n` vertices.
pub fn disc(center: Coord<f64>, r_km: f64, n: usize) -> Polygon<f64> {
    let n = n.max(8);
    let mut ring: Vec<Coord<f64>> = (0..n).map(|i| destination(center, 360.0 * i as f64 / n as f64, r_km)).collect();
    ring.reverse(); // bearings run clockwise; RFC 7946 exteriors run counter-clockwise
    if let Some(first) = ring.first().copied() {
        ring.push(first);
    }
    Polygon::new(LineString(ring), Vec::new()).orient(Winding::Default)
}

fn map_coords(mp: &MultiPolygon<f64>, f: impl Fn(Coord<f64>) -> Coord<f64>) -> MultiPolygon<f64> {
    let ring = |l: &LineString<f64>| LineString(l.0.iter().map(|c| f(*c)).collect());
    MultiPolygon(
        mp.0.iter().map(|p| Polygon::new(ring(p.exterior()), p.interiors().iter().map(ring).collect())).collect(),
    )
}

/// Round to 6 decimals (what we write), drop repeated vertices, rings that collapsed and parts smaller
/// than `min_km2` (slivers of polygon operations), and orient exteriors counter-clockwise, holes clockwise.
pub fn normalise(mp: &MultiPolygon<f64>, min_km2: f64) -> MultiPolygon<f64> {
    let ring = |l: &LineString<f64>| -> Option<LineString<f64>> {
        let mut v: Vec<Coord<f64>> = l.0.iter().map(|c| Coord { x: round6(c.x), y: round6(c.y) }).collect();
        v.dedup();
        if v.first() != v.last() {
            if let Some(f) = v.first().copied() {
                v.push(f);
            }
        }
        (v.len() >= 4).then_some(LineString(v))
    };
    let mut parts = Vec::new();
    for p in &mp.0 {
        let Some(ext) = ring(p.exterior()) else { continue };
        let holes: Vec<LineString<f64>> =
            p.interiors().iter().filter_map(ring).filter(|h| ring_area_km2(h) >= min_km2).collect();
        let poly = Polygon::new(ext, holes).orient(Winding::Default);
        if ring_area_km2(poly.exterior()) >= min_km2 {
            parts.push(poly);
        }
    }
    MultiPolygon(parts)
}

/// Geodesic area enclosed by a ring, km², whatever its winding.
fn ring_area_km2(l: &LineString<f64>) -> f64 {
    Polygon::new(l.clone(), Vec::new()).geodesic_area_signed().abs() / 1e6
}

/// Geodesic area of polygons (holes subtracted), km², whatever their winding.
pub fn area_km2(mp: &MultiPolygon<f64>) -> f64 {
    mp.0.iter().map(|p| ring_area_km2(p.exterior()) - p.interiors().iter().map(ring_area_km2).sum::<f64>()).sum()
}

/// The polygons of a place's geometry, if it has any.
pub fn polygons(g: &Geometry<f64>) -> Option<MultiPolygon<f64>> {
    match g {
        Geometry::Polygon(p) => Some(MultiPolygon(vec![p.clone()])),
        Geometry::MultiPolygon(mp) => Some(mp.clone()),
        Geometry::GeometryCollection(gc) => {
            let v: Vec<Polygon<f64>> = gc.0.iter().filter_map(polygons).flat_map(|m| m.0).collect();
            (!v.is_empty()).then_some(MultiPolygon(v))
        }
        _ => None,
    }
}

/// The lines of a place's geometry, if it has any.
pub fn lines(g: &Geometry<f64>) -> Option<MultiLineString<f64>> {
    match g {
        Geometry::LineString(l) => Some(MultiLineString(vec![l.clone()])),
        Geometry::MultiLineString(m) => Some(m.clone()),
        Geometry::Line(l) => Some(MultiLineString(vec![LineString(vec![l.start, l.end])])),
        _ => None,
    }
}

/// Points along the exterior rings of polygons, at most `step_km` apart.
pub fn boundary_points(mp: &MultiPolygon<f64>, step_km: f64) -> Vec<Coord<f64>> {
    let mut out = Vec::new();
    for p in &mp.0 {
        for w in p.exterior().0.windows(2) {
            let d = near_distance_km(w[0], w[1]);
            let n = ((d / step_km.max(1e-3)).ceil() as usize).max(1);
            for i in 0..n {
                let t = i as f64 / n as f64;
                out.push(Coord { x: w[0].x + t * (w[1].x - w[0].x), y: w[0].y + t * (w[1].y - w[0].y) });
            }
        }
    }
    out
}

/// Whether a point lies in polygons.
pub fn contains(mp: &MultiPolygon<f64>, c: Coord<f64>) -> bool {
    mp.contains(&Point(c))
}

/// Nearest point of a set of polylines (polygon rings or lines) to `p`, and its geodesic distance in km.
fn nearest_on(lines: &[&LineString<f64>], p: Coord<f64>) -> Option<(f64, Coord<f64>)> {
    let f = Frame::at(p);
    let q = Coord { x: 0.0, y: 0.0 };
    let mut best: Option<(f64, Coord<f64>)> = None;
    for l in lines {
        if l.0.len() == 1 {
            let c = f.fwd(l.0[0]);
            let d2 = c.x * c.x + c.y * c.y;
            if best.is_none_or(|b| d2 < b.0) {
                best = Some((d2, c));
            }
        }
        for w in l.0.windows(2) {
            let (_, c) = closest_on_segment(q, f.fwd(w[0]), f.fwd(w[1]));
            let d2 = c.x * c.x + c.y * c.y;
            if best.is_none_or(|b| d2 < b.0) {
                best = Some((d2, c));
            }
        }
    }
    best.map(|(_, c)| {
        let pt = f.inv(c);
        (distance_km(p, pt), pt)
    })
}

/// Geodesic distance (km) from `p` to a geometry, 0 inside a polygon, with the nearest point.
pub fn distance_to(p: Coord<f64>, g: &Geometry<f64>) -> Option<(f64, Coord<f64>)> {
    if let Some(mp) = polygons(g) {
        if contains(&mp, p) {
            return Some((0.0, p));
        }
        let rings: Vec<&LineString<f64>> =
            mp.0.iter().flat_map(|poly| std::iter::once(poly.exterior()).chain(poly.interiors())).collect();
        return nearest_on(&rings, p);
    }
    if let Some(ml) = lines(g) {
        let ls: Vec<&LineString<f64>> = ml.0.iter().collect();
        return nearest_on(&ls, p);
    }
    match g {
        Geometry::Point(q) => Some((distance_km(p, q.0), q.0)),
        _ => None,
    }
}

/// The area-weighted centroid of polygons (planar in lon/lat: used only for a direction).
pub fn centroid(mp: &MultiPolygon<f64>) -> Option<Coord<f64>> {
    use geo::Centroid;
    mp.centroid().map(|p| p.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Validation;
    use proptest::prelude::*;

    const QAIM: Coord<f64> = Coord { x: 41.0945, y: 34.3688 };

    #[test]
    fn the_local_frame_measures_true_kilometres_near_its_origin() {
        let f = Frame::at(QAIM);
        for (az, d) in [(0.0, 20.0), (90.0, 20.0), (225.0, 50.0)] {
            let c = destination(QAIM, az, d);
            let p = f.fwd(c);
            assert!(((p.x * p.x + p.y * p.y).sqrt() - d).abs() / d < 0.005, "{az} {d}: {p:?}");
            let back = f.inv(p);
            assert!((back.x - c.x).abs() < 1e-12 && (back.y - c.y).abs() < 1e-12);
        }
    }

    #[test]
    fn a_disc_is_a_valid_counter_clockwise_ring_of_the_right_radius() {
        let d = disc(QAIM, 10.0, 48);
        assert!(d.is_valid());
        let area = d.geodesic_area_signed() / 1e6;
        assert!(area > 0.0, "counter-clockwise rings have a positive signed area");
        assert!((area - std::f64::consts::PI * 100.0).abs() / (std::f64::consts::PI * 100.0) < 0.01, "{area}");
    }

    #[test]
    fn a_corridor_has_flat_ends_and_the_requested_width() {
        let line = densify_geodesic(QAIM, destination(QAIM, 90.0, 100.0), 5.0);
        let c = normalise(&corridor(&line, 10.0, true), 0.01);
        assert!(c.is_valid());
        let area = area_km2(&c);
        assert!((area - 2000.0).abs() / 2000.0 < 0.02, "100 km × 20 km with butt caps: {area}");
        assert!(contains(&c, destination(QAIM, 90.0, 50.0)));
        assert!(!contains(&c, destination(QAIM, 270.0, 3.0)), "no round cap past the start");
    }

    #[test]
    fn locating_a_point_on_a_line_gives_along_and_offset_distances() {
        let end = destination(QAIM, 90.0, 100.0);
        let line = densify_geodesic(QAIM, end, 10.0);
        let cum = cumulative_km(&line);
        let p = destination(destination(QAIM, 90.0, 40.0), 0.0, 5.0);
        let loc = locate(&line, &cum, p).expect("located");
        assert!((loc.along_km - 40.0).abs() < 0.2, "{loc:?}");
        assert!((loc.offset_km - 5.0).abs() < 0.05, "{loc:?}");
        let sub = sub_line(&line, &cum, 20.0, 60.0);
        let len = cumulative_km(&sub).last().copied().unwrap_or(0.0);
        assert!((len - 40.0).abs() < 0.1, "{len}");
    }

    #[test]
    fn distance_to_a_polygon_is_zero_inside_and_to_its_edge_outside() {
        let sq = Polygon::new(
            LineString(vec![
                Coord { x: 41.0, y: 34.0 },
                Coord { x: 42.0, y: 34.0 },
                Coord { x: 42.0, y: 35.0 },
                Coord { x: 41.0, y: 35.0 },
                Coord { x: 41.0, y: 34.0 },
            ]),
            Vec::new(),
        );
        let g = Geometry::Polygon(sq);
        assert_eq!(distance_to(Coord { x: 41.5, y: 34.5 }, &g).map(|d| d.0), Some(0.0));
        let out = Coord { x: 40.9, y: 34.5 };
        let (d, _) = distance_to(out, &g).expect("distance");
        assert!((d - distance_km(out, Coord { x: 41.0, y: 34.5 })).abs() < 0.01, "{d}");
    }

    #[test]
    fn a_cross_section_is_a_rectangle_across_the_given_direction() {
        let f = Frame::at(QAIM);
        let r = cross_section(&f, QAIM, (1.0, 0.0), -5.0, 5.0, 20.0);
        assert!(r.is_valid());
        let area = area_km2(&MultiPolygon(vec![r.clone()]));
        assert!((area - 400.0).abs() / 400.0 < 0.01, "10 km along × 40 km across: {area}");
        assert!(contains(&MultiPolygon(vec![r.clone()]), destination(QAIM, 0.0, 15.0)), "across is north-south");
        assert!(!contains(&MultiPolygon(vec![r]), destination(QAIM, 90.0, 6.0)));
    }

    #[test]
    fn near_distances_agree_with_the_geodesic() {
        for (az, d) in [(0.0, 0.4), (45.0, 5.0), (100.0, 30.0), (200.0, 44.0)] {
            let b = destination(QAIM, az, d);
            assert!((near_distance_km(QAIM, b) - d).abs() / d < 1e-5, "{az} {d}: {}", near_distance_km(QAIM, b));
        }
        let far = destination(QAIM, 10.0, 300.0);
        assert!((near_distance_km(QAIM, far) - 300.0).abs() < 1e-6);
    }

    proptest! {
        #[test]
        fn densified_geodesics_keep_their_ends_and_step(lon in 35.0f64..45.0, lat in 30.0f64..37.0,
                                                        az in 0.0f64..360.0, d in 1.0f64..300.0, step in 1.0f64..20.0) {
            let a = Coord { x: lon, y: lat };
            let b = destination(a, az, d);
            let pts = densify_geodesic(a, b, step);
            prop_assert_eq!(pts[0], a);
            prop_assert_eq!(*pts.last().unwrap_or(&a), b);
            for w in pts.windows(2) {
                prop_assert!(distance_km(w[0], w[1]) <= step + 1e-6);
            }
            let total = geodesic_length_km(&pts);
            prop_assert!((total - d).abs() < 1e-6 * d.max(1.0) + 1e-6);
        }

        #[test]
        fn normalised_corridors_are_valid_and_counter_clockwise(lon in 38.0f64..44.0, lat in 32.0f64..36.0,
                                                               az in 0.0f64..360.0, bend in -60.0f64..60.0,
                                                               w in 1.0f64..20.0) {
            let a = Coord { x: lon, y: lat };
            let b = destination(a, az, 60.0);
            let c = destination(b, az + bend, 60.0);
            let mut line = densify_geodesic(a, b, 5.0);
            line.extend(densify_geodesic(b, c, 5.0).into_iter().skip(1));
            let mp = normalise(&corridor(&line, w, false), 0.01);
            prop_assert!(mp.is_valid());
            for p in &mp.0 {
                prop_assert!(p.geodesic_area_signed() > 0.0);
            }
        }
    }
}
