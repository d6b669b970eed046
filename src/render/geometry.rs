//! Pixel-space geometry helpers: clipping to a view (so a country polygon at zoom 12 does not hand
//! tiny-skia million-pixel coordinates), thinning of sub-pixel vertices, smoothing of schematic arrows,
//! and the interior point where an area's label goes.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// A point in device pixels.
pub type Px = [f64; 2];

/// Drop vertices closer than `tol` pixels to the previous kept one (the last is always kept).
pub fn thin(points: &[Px], tol: f64) -> Vec<Px> {
    let mut out: Vec<Px> = Vec::with_capacity(points.len());
    let t2 = tol * tol;
    for (i, p) in points.iter().enumerate() {
        let last = i + 1 == points.len();
        match out.last() {
            Some(q) if !last && (p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2) < t2 => {}
            _ => out.push(*p),
        }
    }
    out
}

/// Douglas–Peucker simplification to `epsilon` pixels: a polygon's outline keeps its shape at a
/// fraction of the vertices its source data has at this scale.
pub fn simplify(points: &[Px], epsilon: f64) -> Vec<Px> {
    use geo::{Coord, LineString, Simplify};
    let line = LineString(points.iter().map(|p| Coord { x: p[0], y: p[1] }).collect());
    line.simplify(epsilon).0.into_iter().map(|c| [c.x, c.y]).collect()
}

/// Clip a closed ring to the rectangle (Sutherland–Hodgman). The result may run along the rectangle's
/// edges; callers clip to a rectangle larger than the canvas so those edges are never seen.
pub fn clip_ring(ring: &[Px], min: Px, max: Px) -> Vec<Px> {
    let mut pts: Vec<Px> = ring.to_vec();
    for edge in 0..4 {
        if pts.is_empty() {
            break;
        }
        let inside = |p: &Px| match edge {
            0 => p[0] >= min[0],
            1 => p[0] <= max[0],
            2 => p[1] >= min[1],
            _ => p[1] <= max[1],
        };
        let cross = |a: &Px, b: &Px| -> Px {
            let t = match edge {
                0 => (min[0] - a[0]) / (b[0] - a[0]),
                1 => (max[0] - a[0]) / (b[0] - a[0]),
                2 => (min[1] - a[1]) / (b[1] - a[1]),
                _ => (max[1] - a[1]) / (b[1] - a[1]),
            };
            [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t]
        };
        let mut out = Vec::with_capacity(pts.len() + 4);
        for i in 0..pts.len() {
            let cur = &pts[i];
            let prev = &pts[(i + pts.len() - 1) % pts.len()];
            match (inside(prev), inside(cur)) {
                (true, true) => out.push(*cur),
                (true, false) => out.push(cross(prev, cur)),
                (false, true) => {
                    out.push(cross(prev, cur));
                    out.push(*cur);
                }
                (false, false) => {}
            }
        }
        pts = out;
    }
    pts
}

/// Clip a polyline to the rectangle, splitting it where it leaves and re-enters (Liang–Barsky per segment).
pub fn clip_line(line: &[Px], min: Px, max: Px) -> Vec<Vec<Px>> {
    let mut parts: Vec<Vec<Px>> = Vec::new();
    let mut current: Vec<Px> = Vec::new();
    for w in line.windows(2) {
        let (a, b) = (w[0], w[1]);
        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
        let (mut t0, mut t1) = (0.0f64, 1.0f64);
        let mut visible = true;
        for (p, q) in [(-dx, a[0] - min[0]), (dx, max[0] - a[0]), (-dy, a[1] - min[1]), (dy, max[1] - a[1])] {
            if p == 0.0 {
                if q < 0.0 {
                    visible = false;
                    break;
                }
            } else {
                let r = q / p;
                if p < 0.0 {
                    t0 = t0.max(r);
                } else {
                    t1 = t1.min(r);
                }
            }
        }
        if !visible || t0 > t1 {
            if current.len() >= 2 {
                parts.push(std::mem::take(&mut current));
            }
            current.clear();
            continue;
        }
        let p0 = [a[0] + dx * t0, a[1] + dy * t0];
        let p1 = [a[0] + dx * t1, a[1] + dy * t1];
        if current.is_empty() {
            current.push(p0);
        }
        current.push(p1);
        if t1 < 1.0 {
            parts.push(std::mem::take(&mut current));
        }
    }
    if current.len() >= 2 {
        parts.push(current);
    }
    parts
}

/// [`clip_line`], each part with the distance along `line` (in its pixels) at which the part starts, so a
/// dash pattern can keep its phase where a line enters a tile.
pub fn clip_line_measured(line: &[Px], min: Px, max: Px) -> Vec<(Vec<Px>, f64)> {
    let mut parts: Vec<(Vec<Px>, f64)> = Vec::new();
    let mut current: Vec<Px> = Vec::new();
    let mut current_start = 0.0;
    let mut travelled = 0.0;
    for w in line.windows(2) {
        let (a, b) = (w[0], w[1]);
        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
        // `sqrt` rather than `hypot`: pixel deltas cannot overflow, and this runs for every vertex of every
        // line in every tile.
        let seg = (dx * dx + dy * dy).sqrt();
        let (mut t0, mut t1) = (0.0f64, 1.0f64);
        // Most segments of a long line lie wholly on one side of a tile: reject them before dividing.
        let mut visible = !((a[0] < min[0] && b[0] < min[0])
            || (a[0] > max[0] && b[0] > max[0])
            || (a[1] < min[1] && b[1] < min[1])
            || (a[1] > max[1] && b[1] > max[1]));
        for (p, q) in [(-dx, a[0] - min[0]), (dx, max[0] - a[0]), (-dy, a[1] - min[1]), (dy, max[1] - a[1])] {
            if !visible {
                break;
            }
            if p == 0.0 {
                if q < 0.0 {
                    visible = false;
                }
            } else {
                let r = q / p;
                if p < 0.0 {
                    t0 = t0.max(r);
                } else {
                    t1 = t1.min(r);
                }
            }
        }
        if !visible || t0 > t1 {
            if current.len() >= 2 {
                parts.push((std::mem::take(&mut current), current_start));
            }
            current.clear();
            travelled += seg;
            continue;
        }
        let p0 = [a[0] + dx * t0, a[1] + dy * t0];
        let p1 = [a[0] + dx * t1, a[1] + dy * t1];
        if current.is_empty() {
            current.push(p0);
            current_start = travelled + seg * t0;
        }
        current.push(p1);
        if t1 < 1.0 {
            parts.push((std::mem::take(&mut current), current_start));
        }
        travelled += seg;
    }
    if current.len() >= 2 {
        parts.push((current, current_start));
    }
    parts
}

/// Chaikin corner cutting: a schematic two- or three-point arrow becomes a gentle curve with the same
/// ends.
pub fn smooth(points: &[Px], iterations: usize) -> Vec<Px> {
    let mut pts = points.to_vec();
    for _ in 0..iterations {
        if pts.len() < 3 {
            break;
        }
        let mut out = Vec::with_capacity(pts.len() * 2);
        out.push(pts[0]);
        for w in pts.windows(2) {
            let (a, b) = (w[0], w[1]);
            out.push([0.75 * a[0] + 0.25 * b[0], 0.75 * a[1] + 0.25 * b[1]]);
            out.push([0.25 * a[0] + 0.75 * b[0], 0.25 * a[1] + 0.75 * b[1]]);
        }
        if let Some(last) = pts.last() {
            out.push(*last);
        }
        pts = out;
    }
    pts
}

/// Length of a polyline.
pub fn length(points: &[Px]) -> f64 {
    points.windows(2).map(|w| (w[1][0] - w[0][0]).hypot(w[1][1] - w[0][1])).sum()
}

/// The polyline with `d` pixels cut off its end (for an arrow shaft that stops under its head).
pub fn trim_end(points: &[Px], d: f64) -> Vec<Px> {
    let mut pts = points.to_vec();
    let mut left = d;
    while pts.len() >= 2 && left > 0.0 {
        let n = pts.len();
        let (a, b) = (pts[n - 2], pts[n - 1]);
        let seg = (b[0] - a[0]).hypot(b[1] - a[1]);
        if seg > left {
            let t = (seg - left) / seg;
            pts[n - 1] = [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
            break;
        }
        left -= seg;
        pts.pop();
    }
    pts
}

/// Signed distance from a point to a polygon's boundary (positive inside; even-odd over all rings).
fn signed_distance(p: Px, rings: &[Vec<Px>]) -> f64 {
    let mut inside = false;
    let mut best = f64::INFINITY;
    for ring in rings {
        let n = ring.len();
        for i in 0..n {
            let a = ring[i];
            let b = ring[(i + 1) % n];
            if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < (b[0] - a[0]) * (p[1] - a[1]) / (b[1] - a[1]) + a[0] {
                inside = !inside;
            }
            best = best.min(seg_dist2(p, a, b));
        }
    }
    let d = best.sqrt();
    if inside { d } else { -d }
}

fn seg_dist2(p: Px, a: Px, b: Px) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    let t = if len2 == 0.0 { 0.0 } else { (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0) };
    let (x, y) = (a[0] + dx * t - p[0], a[1] + dy * t - p[1]);
    x * x + y * y
}

/// A square of the pole-of-inaccessibility search: centre, half size, distance of the centre to the
/// boundary and the most any point of the square can have.
struct Cell {
    c: Px,
    h: f64,
    d: f64,
    maxd: f64,
}

impl Cell {
    fn new(c: Px, h: f64, rings: &[Vec<Px>]) -> Cell {
        let d = signed_distance(c, rings);
        Cell { c, h, d, maxd: d + h * std::f64::consts::SQRT_2 }
    }
}

/// Greatest `maxd` first, then the smallest centre.
impl Ord for Cell {
    fn cmp(&self, o: &Self) -> Ordering {
        self.maxd.total_cmp(&o.maxd).then(o.c[0].total_cmp(&self.c[0])).then(o.c[1].total_cmp(&self.c[1]))
    }
}

impl PartialOrd for Cell {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

impl PartialEq for Cell {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}

impl Eq for Cell {}

/// The pole of inaccessibility (the interior point farthest from the boundary), to `precision` pixels,
/// with its distance to the boundary. Deterministic: a fixed grid refined cell by cell.
pub fn interior_point(rings: &[Vec<Px>], precision: f64) -> Option<(Px, f64)> {
    let outer = rings.first()?;
    if outer.len() < 3 {
        return None;
    }
    let (mut min, mut max) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for p in outer {
        min = [min[0].min(p[0]), min[1].min(p[1])];
        max = [max[0].max(p[0]), max[1].max(p[1])];
    }
    let size = (max[0] - min[0]).min(max[1] - min[1]);
    if size <= 0.0 {
        return None;
    }
    // Cells: (centre, half size, distance, max possible distance within).
    let mut h = size / 2.0;
    let mut cells: BinaryHeap<Cell> = BinaryHeap::new();
    let mut x = min[0];
    while x < max[0] {
        let mut y = min[1];
        while y < max[1] {
            cells.push(Cell::new([x + h, y + h], h, rings));
            y += 2.0 * h;
        }
        x += 2.0 * h;
    }
    let mut best: (Px, f64) =
        cells.iter().map(|c| (c.c, c.d)).fold(([0.0, 0.0], f64::NEG_INFINITY), |b, c| if c.1 > b.1 { c } else { b });
    // Centroid of the outer ring as a second seed.
    let mut area = 0.0;
    let mut cx = 0.0;
    let mut cy = 0.0;
    for i in 0..outer.len() {
        let (a, b) = (outer[i], outer[(i + 1) % outer.len()]);
        let f = a[0] * b[1] - b[0] * a[1];
        area += f;
        cx += (a[0] + b[0]) * f;
        cy += (a[1] + b[1]) * f;
    }
    if area.abs() > 1e-9 {
        let c = [cx / (3.0 * area), cy / (3.0 * area)];
        let d = signed_distance(c, rings);
        if d > best.1 {
            best = (c, d);
        }
    }
    let mut guard = 0;
    // The most promising cell first (ties broken by position for determinism).
    while let Some(cell) = cells.pop() {
        guard += 1;
        if guard > 10_000 {
            break;
        }
        if cell.d > best.1 {
            best = (cell.c, cell.d);
        }
        if cell.maxd - best.1 <= precision {
            continue;
        }
        h = cell.h / 2.0;
        for (sx, sy) in [(-1.0, -1.0), (1.0, -1.0), (-1.0, 1.0), (1.0, 1.0)] {
            cells.push(Cell::new([cell.c[0] + sx * h, cell.c[1] + sy * h], h, rings));
        }
    }
    (best.1 > 0.0).then_some(best)
}
