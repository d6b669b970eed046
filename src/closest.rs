//! The point of a line nearest another point, as geo's [`ClosestPoint`] finds it, without its three
//! `hypot` calls and robust orientation test per segment: a river of ten thousand vertices is searched
//! for every place a corpus names near it, which made `hypot` the geoparser's hottest function.
//!
//! Same candidates, same order, same tie rule as geo 0.33 (`Closest::best_of_two`: a later candidate at
//! an equal distance wins; a point lying on a segment ends the search): distances are compared squared,
//! and with geo's own Euclidean distance when the squares are too close to tell apart, so the answer is
//! geo's to the bit. Geometries other than lines are handed to geo.

use geo::{Closest, ClosestPoint, Coord, Geometry, Intersects, Line, Point};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// The point of `g` nearest `p` (see the module documentation).
///
/// ```
/// use geo::{line_string, Closest, Geometry, Point};
/// let river: Geometry<f64> = line_string![(x: 0.0, y: 0.0), (x: 2.0, y: 0.0)].into();
/// assert_eq!(frontmap::closest::closest_point(&river, Point::new(1.0, 1.0)), Closest::SinglePoint(Point::new(1.0, 0.0)));
/// ```
pub fn closest_point(g: &Geometry<f64>, p: Point<f64>) -> Closest<f64> {
    match LineIndex::new(g) {
        Some(index) => index.closest_point(p),
        None => g.closest_point(&p),
    }
}

/// Segments per box of a [`LineIndex`].
const CHUNK: usize = 32;

/// A line geometry with its segments boxed by runs of 32, so a search skips the runs that cannot
/// hold the answer. Built once per line and asked for every place near it.
pub struct LineIndex {
    parts: Vec<Part>,
}

/// One line string of a [`LineIndex`]: its vertices and the bounding box of each run of segments.
struct Part {
    coords: Vec<Coord<f64>>,
    boxes: Vec<[f64; 4]>,
}

impl LineIndex {
    /// The index of a line string or multi-line string; `None` for other geometries.
    pub fn new(g: &Geometry<f64>) -> Option<LineIndex> {
        let lines: Vec<&geo::LineString<f64>> = match g {
            Geometry::LineString(ls) => vec![ls],
            Geometry::MultiLineString(mls) => mls.0.iter().collect(),
            _ => return None,
        };
        let parts = lines
            .into_iter()
            .map(|ls| {
                let coords = ls.0.clone();
                let segments = coords.len().saturating_sub(1);
                let boxes = (0..segments.div_ceil(CHUNK))
                    .map(|k| {
                        let run = &coords[k * CHUNK..=((k + 1) * CHUNK).min(segments)];
                        run.iter().fold([f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY], |b, c| {
                            [b[0].min(c.x), b[1].min(c.y), b[2].max(c.x), b[3].max(c.y)]
                        })
                    })
                    .collect();
                Part { coords, boxes }
            })
            .collect();
        Some(LineIndex { parts })
    }

    /// The point nearest `p`, exactly as geo's `ClosestPoint` on the geometry indexed.
    pub fn closest_point(&self, p: Point<f64>) -> Closest<f64> {
        // A multi-line string: each line string's own nearest point, then geo's `closest_of` over them.
        let mut best = Closest::Indeterminate;
        for part in &self.parts {
            best = better(part.closest_point(p, bound(best, p)), best, p);
            if matches!(best, Closest::Intersection(_)) {
                break;
            }
        }
        best
    }
}

impl Part {
    /// geo's `closest_of` over the segments, skipping runs whose box is farther than `limit` (squared)
    /// or than the best point found so far: none of their points could win, not even a tie.
    fn closest_point(&self, p: Point<f64>, limit: f64) -> Closest<f64> {
        // The run whose box is nearest gives a point no farther than the answer can be: with it as the
        // limit from the start, the scan in geo's order opens only the runs that can hold the answer.
        let nearest = (0..self.boxes.len())
            .min_by(|&a, &b| box_distance(&self.boxes[a], p).total_cmp(&box_distance(&self.boxes[b], p)));
        let limit = match nearest {
            Some(k) => limit.min(bound(self.scan(k, p, Closest::Indeterminate), p)),
            None => limit,
        };
        let mut best = Closest::Indeterminate;
        for (k, b) in self.boxes.iter().enumerate() {
            if box_distance(b, p) > limit.min(bound(best, p)) {
                continue;
            }
            best = self.scan(k, p, best);
            if matches!(best, Closest::Intersection(_)) {
                return best;
            }
        }
        best
    }

    /// geo's `closest_of` over the segments of run `k`, from `best`.
    fn scan(&self, k: usize, p: Point<f64>, mut best: Closest<f64>) -> Closest<f64> {
        let segments = self.coords.len().saturating_sub(1);
        for i in k * CHUNK..((k + 1) * CHUNK).min(segments) {
            best = better(of_segment(self.coords[i], self.coords[i + 1], p), best, p);
            if matches!(best, Closest::Intersection(_)) {
                return best;
            }
        }
        best
    }
}

/// Squared distances above this cannot tie with `best`: its own, widened past any rounding.
fn bound(best: Closest<f64>, p: Point<f64>) -> f64 {
    match best {
        Closest::SinglePoint(q) | Closest::Intersection(q) => {
            let d = squared(q, p);
            d + d * 1e-6 + 1e-24
        }
        Closest::Indeterminate => f64::INFINITY,
    }
}

/// Squared distance from `p` to a box (0 inside).
fn box_distance(b: &[f64; 4], p: Point<f64>) -> f64 {
    let dx = (b[0] - p.0.x).max(p.0.x - b[2]).max(0.0);
    let dy = (b[1] - p.0.y).max(p.0.y - b[3]).max(0.0);
    dx * dx + dy * dy
}

/// Line indexes built on first use and shared by threads, keyed by the caller's id for a geometry (a
/// place's index in the gazetteer).
#[derive(Default)]
pub struct LineIndexes(Mutex<HashMap<usize, Arc<Option<LineIndex>>>>);

impl LineIndexes {
    /// [`closest_point`] of `g`, whose id is `id`, through its index.
    pub fn closest_point(&self, id: usize, g: &Geometry<f64>, p: Point<f64>) -> Closest<f64> {
        let lock = || self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let kept = lock().get(&id).cloned();
        let index = match kept {
            Some(index) => index,
            None => {
                let index = Arc::new(LineIndex::new(g));
                lock().insert(id, index.clone());
                index
            }
        };
        match index.as_ref() {
            Some(index) => index.closest_point(p),
            None => g.closest_point(&p),
        }
    }
}

/// A segment's nearest point, computed with geo's own arithmetic (`Line::closest_point`).
fn of_segment(start: Coord<f64>, end: Coord<f64>, p: Point<f64>) -> Closest<f64> {
    let (dx, dy) = (end.x - start.x, end.y - start.y);
    if dx == 0.0 && dy == 0.0 {
        // geo: a segment of zero length has no closest point.
        return Closest::Indeterminate;
    }
    let (px, py) = (p.0.x - start.x, p.0.y - start.y);
    let t = (px * dx + py * dy) / (dx * dx + dy * dy);
    if t < 0.0 {
        return Closest::SinglePoint(start.into());
    } else if t > 1.0 {
        return Closest::SinglePoint(end.into());
    }
    let c = Point::from(start + Coord { x: t * dx, y: t * dy });
    // On the segment only if (almost) where its nearest point is: the exact test is then asked.
    if squared(c, p) <= 1e-18 && Line::new(start, end).intersects(&p) {
        Closest::Intersection(c)
    } else {
        Closest::SinglePoint(c)
    }
}

/// geo's `Closest::best_of_two(got, best, p)`.
fn better(got: Closest<f64>, best: Closest<f64>, p: Point<f64>) -> Closest<f64> {
    let left = match got {
        Closest::Indeterminate => return best,
        Closest::Intersection(_) => return got,
        Closest::SinglePoint(l) => l,
    };
    let right = match best {
        Closest::Indeterminate => return got,
        Closest::Intersection(_) => return best,
        Closest::SinglePoint(r) => r,
    };
    let (a, b) = (squared(left, p), squared(right, p));
    let got_wins = if (a - b).abs() > 1e-9 * a.max(b) {
        a < b
    } else {
        // Too close for squares to tell what geo's hypot would: ask it.
        use geo::{Distance, Euclidean};
        Euclidean.distance(left, p) <= Euclidean.distance(right, p)
    };
    if got_wins { got } else { best }
}

fn squared(a: Point<f64>, b: Point<f64>) -> f64 {
    let (dx, dy) = (a.0.x - b.0.x, a.0.y - b.0.y);
    dx * dx + dy * dy
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{LineString, MultiLineString};
    use proptest::prelude::*;

    fn coords() -> impl Strategy<Value = Vec<(f64, f64)>> {
        // Small integer grids make ties, repeated vertices and points on segments common.
        prop::collection::vec(
            prop_oneof![
                (-4i32..4, -4i32..4).prop_map(|(x, y)| (f64::from(x), f64::from(y))),
                (-4.0..4.0f64, -4.0..4.0f64)
            ],
            0..80,
        )
    }

    fn point() -> impl Strategy<Value = Point<f64>> {
        prop_oneof![
            (-5i32..5, -5i32..5).prop_map(|(x, y)| Point::new(f64::from(x), f64::from(y))),
            (-5.0..5.0f64, -5.0..5.0f64).prop_map(|(x, y)| Point::new(x, y)),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn equals_geo_on_line_strings(c in coords(), p in point()) {
            let g: Geometry<f64> = LineString::from(c).into();
            prop_assert_eq!(closest_point(&g, p), g.closest_point(&p));
        }

        #[test]
        fn equals_geo_on_multi_line_strings(a in coords(), b in coords(), p in point()) {
            let g: Geometry<f64> = MultiLineString::new(vec![LineString::from(a), LineString::from(b)]).into();
            prop_assert_eq!(closest_point(&g, p), g.closest_point(&p));
        }
    }

    #[test]
    fn a_point_on_the_line_is_an_intersection() {
        let g: Geometry<f64> = LineString::from(vec![(0.0, 0.0), (1.0, 3.0), (3.0, 3.0)]).into();
        for on in [Point::new(0.5, 1.5), Point::new(2.0, 3.0), Point::new(1.0, 3.0)] {
            assert_eq!(closest_point(&g, on), g.closest_point(&on));
            assert!(matches!(closest_point(&g, on), Closest::Intersection(_)), "{on:?}");
        }
    }
}
