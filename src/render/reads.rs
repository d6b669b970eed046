//! What a rendering read, so an incremental build can tell whether it would still come out the same.
//!
//! Every feature a view draws, labels or avoids is fetched through [`Scene::features`] with a source and a
//! box. Recording those (source, box) reads while rendering a sheet or a tile gives its dependencies. The
//! next build compares the digests of every feature with the previous build's ([`FeatureIndex::changes`]):
//! a rendering is stale exactly when a feature that appeared, disappeared, moved or changed — whatever file
//! it came from — meets one of its read boxes ([`Changes::touches`]).
//!
//! ```
//! use frontmap::render::reads::{self, Reads};
//! let ((), r) = reads::recording(|| reads::note("places", [0.0, 0.0, 10.0, 10.0]));
//! assert_eq!(r, Reads(vec![("places".to_string(), [0.0, 0.0, 10.0, 10.0])]));
//! ```

use super::mercator::Bbox;
use super::scene::Scene;
use super::source::Digest;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The (source, projected box `[min_x, min_y, max_x, max_y]`) reads of a rendering, sorted and unique.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Reads(pub Vec<Read>);

/// One read: a source and a projected box.
type Read = (String, [f64; 4]);

thread_local! {
    static ACTIVE: RefCell<Option<Vec<Read>>> = const { RefCell::new(None) };
}

/// Run `f` and return what it read through [`Scene::features`] on this thread. Recordings nest: an outer
/// recording also sees the reads of an inner one.
pub fn recording<T>(f: impl FnOnce() -> T) -> (T, Reads) {
    let outer = ACTIVE.with(|a| a.borrow_mut().replace(Vec::new()));
    let value = f();
    let mut inner = ACTIVE.with(|a| a.borrow_mut().take()).unwrap_or_default();
    if let Some(mut outer) = outer {
        outer.extend(inner.iter().cloned());
        ACTIVE.with(|a| *a.borrow_mut() = Some(outer));
    }
    inner.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal)));
    inner.dedup();
    (value, Reads(inner))
}

/// Note a read (called by [`Scene::features`]; a no-op unless a recording is active).
pub fn note(source: &str, bbox: [f64; 4]) {
    ACTIVE.with(|a| {
        if let Some(v) = a.borrow_mut().as_mut() {
            v.push((source.to_string(), bbox));
        }
    });
}

/// The digest and projected box of every feature of every loaded source: what the next build compares
/// its own scene against to find where something changed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FeatureIndex(pub BTreeMap<String, Vec<(Digest, [f64; 4])>>);

/// Where features changed between two scenes, per source: the boxes of every feature present in one and
/// not the other (a moved feature counts at both places). A rendering whose reads miss all of them is
/// unchanged.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes {
    pub boxes: BTreeMap<String, Vec<Bbox>>,
    /// Features added, removed or changed, over all sources.
    pub features: usize,
}

fn arr(b: &Bbox) -> [f64; 4] {
    [b.min_x, b.min_y, b.max_x, b.max_y]
}

impl FeatureIndex {
    /// The index of a scene's sources.
    pub fn of(scene: &Scene) -> FeatureIndex {
        FeatureIndex(
            scene
                .sources
                .iter()
                .map(|(id, s)| (id.clone(), s.features.iter().map(|f| (f.digest, arr(&f.bbox))).collect()))
                .collect(),
        )
    }

    /// What differs from `self` (the previous scene) in `new`.
    pub fn changes(&self, new: &FeatureIndex) -> Changes {
        let mut out = Changes::default();
        let ids: BTreeSet<&String> = self.0.keys().chain(new.0.keys()).collect();
        let empty = Vec::new();
        for id in ids {
            let (a, b) = (self.0.get(id).unwrap_or(&empty), new.0.get(id).unwrap_or(&empty));
            if a == b {
                continue;
            }
            // Multiset difference by digest: a feature repeated twice and now once has changed.
            let mut count: HashMap<&Digest, i64> = HashMap::new();
            for (d, _) in a {
                *count.entry(d).or_default() += 1;
            }
            for (d, _) in b {
                *count.entry(d).or_default() -= 1;
            }
            let mut boxes = Vec::new();
            for (d, bx) in a.iter().chain(b) {
                if count.get(d).is_some_and(|c| *c != 0) {
                    boxes.push(Bbox::new(bx[0], bx[1], bx[2], bx[3]));
                }
            }
            out.features += count.values().map(|c| c.unsigned_abs() as usize).sum::<usize>();
            if boxes.is_empty() {
                // Same features in another order: the drawing order changed, anywhere they are.
                boxes.extend(b.iter().map(|(_, bx)| Bbox::new(bx[0], bx[1], bx[2], bx[3])));
                out.features += 1;
            }
            out.boxes.insert(id.clone(), boxes);
        }
        out
    }
}

impl Changes {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.boxes.is_empty()
    }

    /// Whether a rendering with these reads could come out differently.
    pub fn touches(&self, reads: &Reads) -> bool {
        reads.0.iter().any(|(source, b)| {
            let reach = Bbox::new(b[0], b[1], b[2], b[3]);
            self.boxes.get(source).is_some_and(|boxes| boxes.iter().any(|x| x.intersects(&reach)))
        })
    }
}

impl Reads {
    /// One box per source, the union of its reads: a compact (slightly wider) record for storage.
    pub fn merged(&self) -> Reads {
        let mut by: BTreeMap<&str, [f64; 4]> = BTreeMap::new();
        for (s, b) in &self.0 {
            let e = by.entry(s).or_insert(*b);
            *e = [e[0].min(b[0]), e[1].min(b[1]), e[2].max(b[2]), e[3].max(b[3])];
        }
        Reads(by.into_iter().map(|(s, b)| (s.to_string(), b)).collect())
    }
}
