//! Label sprites: every label of a sheet is drawn into a small transparent canvas of its own, then blended
//! over the map. The sprites are kept between builds by what they look like (path, colours, halo and the
//! fraction of a pixel the label sits at), so an edit draws again only the labels it moved or changed.
//! Kept or drawn now, a sprite is blended with the same arithmetic: the sheet is byte-identical either way.
//!
//! ```
//! use frontmap::render::{labels::{Placement, PlacedLabel}, mercator::{Bbox, View}, expr::Rgba, sprites};
//! let view = View::new(Bbox::new(0.0, 0.0, 100.0, 100.0), 100, 100, 1.0);
//! let path = tiny_skia::PathBuilder::from_rect(tiny_skia::Rect::from_xywh(10.5, 10.0, 20.0, 8.0).unwrap());
//! let label = PlacedLabel {
//!     layer: "places".into(), feature: None, text: "Rawa".into(), boxes: Vec::new(), path,
//!     color: Rgba { r: 0.0, g: 0.0, b: 0.0, a: 1.0 }, halo: Rgba::WHITE, halo_width: 1.5,
//! };
//! let placement = Placement { view, labels: vec![label], dropped: Vec::new() };
//! let file = std::env::temp_dir().join(format!("frontmap-sprites-doc-{}", std::process::id()));
//! let mut drawn = tiny_skia::Pixmap::new(100, 100).unwrap();
//! sprites::draw_labels(&mut drawn, &placement, &view, Some(&file)); // drawn, then kept
//! let mut kept = tiny_skia::Pixmap::new(100, 100).unwrap();
//! sprites::draw_labels(&mut kept, &placement, &view, Some(&file)); // blended from the file
//! assert_eq!(drawn.data(), kept.data());
//! # let _ = std::fs::remove_file(&file);
//! ```

use super::composite;
use super::draw;
use super::groups::encode_rle;
use super::labels::{PlacedLabel, Placement};
use super::mercator::View;
use super::source::{self, Digest};
use std::collections::BTreeMap;
use std::path::Path;
use tiny_skia::{FillRule, LineJoin, Pixmap, Stroke, Transform};

/// First bytes of a sprites file (format version included: bump on any change of layout).
const MAGIC: &[u8; 8] = b"FMSPR01\n";

/// A kept sprite: its size and its pixels, run-length encoded ([`encode_rle`]).
type Kept = BTreeMap<Digest, (u32, u32, Vec<u8>)>;

/// Draw a placement's labels into `pixmap` (a view at the placement's resolution) as sprites, taking those
/// `file` keeps and keeping there exactly the sprites this drawing used (no file: every sprite is drawn, the
/// same way).
pub fn draw_labels(pixmap: &mut Pixmap, placement: &Placement, view: &View, file: Option<&Path>) {
    let mut kept = file.map(load).unwrap_or_default();
    let kept_count = kept.len();
    let [dx, dy] = placement.view.offset_into(view);
    let (w, h) = (f64::from(pixmap.width()), f64::from(pixmap.height()));
    let mut used = Kept::new();
    let mut drew = false;
    for l in &placement.labels {
        let Some(at) = Sprite::at(l, dx, dy) else { continue };
        if at.x1 < 0.0 || at.y1 < 0.0 || at.x0 > w || at.y0 > h {
            continue;
        }
        let key = at.key(l);
        // A kept sprite moves to the sprites used, bytes and all; one of the same key used twice is there.
        let found = kept.remove(&key).or_else(|| used.get(&key).cloned());
        let sprite = match found.as_ref().and_then(|(sw, sh, rle)| decode(*sw, *sh, rle)) {
            Some(p) => {
                if let Some(entry) = found {
                    used.insert(key, entry);
                }
                p
            }
            None => {
                let Some(p) = at.draw(l) else { continue };
                drew = true;
                used.insert(key, (p.width(), p.height(), encode_rle(p.data())));
                p
            }
        };
        composite::over_pixmap(pixmap, &sprite, at.x0 as i32, at.y0 as i32);
    }
    if let Some(f) = file {
        if drew || used.len() != kept_count {
            save(f, &used);
        }
    }
}

/// Where a label's sprite lies in the canvas: whole pixels around the label and its halo.
struct Sprite {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
    /// The label's offset into the sprite (the fraction of a pixel it sits at, plus the margin).
    tx: f32,
    ty: f32,
}

impl Sprite {
    fn at(l: &PlacedLabel, dx: f64, dy: f64) -> Option<Sprite> {
        let b = l.path.bounds();
        // Anti-aliasing reaches one pixel out; the halo half its stroke width.
        let m = f64::from(l.halo_width.max(0.0)) + 2.0;
        let x0 = (f64::from(b.left()) + dx - m).floor();
        let y0 = (f64::from(b.top()) + dy - m).floor();
        let x1 = (f64::from(b.right()) + dx + m).ceil();
        let y1 = (f64::from(b.bottom()) + dy + m).ceil();
        let ok =
            [x0, y0, x1, y1].iter().all(|v| v.is_finite() && v.abs() < 1e9) && x1 - x0 <= 8192.0 && y1 - y0 <= 8192.0;
        ok.then_some(Sprite { x0, y0, x1, y1, tx: (dx - x0) as f32, ty: (dy - y0) as f32 })
    }

    fn size(&self) -> (u32, u32) {
        ((self.x1 - self.x0) as u32, (self.y1 - self.y0) as u32)
    }

    /// Everything the sprite's pixels depend on.
    fn key(&self, l: &PlacedLabel) -> Digest {
        let (w, h) = self.size();
        let mut bytes = Vec::with_capacity(64 + l.path.verbs().len() + l.path.points().len() * 8);
        bytes.extend_from_slice(&w.to_le_bytes());
        bytes.extend_from_slice(&h.to_le_bytes());
        for v in [self.tx, self.ty, l.color.r, l.color.g, l.color.b, l.color.a, l.halo.r, l.halo.g, l.halo.b, l.halo.a]
        {
            bytes.extend_from_slice(&v.to_bits().to_le_bytes());
        }
        bytes.extend_from_slice(&l.halo_width.to_bits().to_le_bytes());
        bytes.extend(l.path.verbs().iter().map(|v| *v as u8));
        for p in l.path.points() {
            bytes.extend_from_slice(&p.x.to_bits().to_le_bytes());
            bytes.extend_from_slice(&p.y.to_bits().to_le_bytes());
        }
        source::short(blake3::hash(&bytes))
    }

    /// The label, halo first, on a transparent canvas of its own.
    fn draw(&self, l: &PlacedLabel) -> Option<Pixmap> {
        let (w, h) = self.size();
        let mut pm = Pixmap::new(w, h)?;
        let t = Transform::from_translate(self.tx, self.ty);
        if l.halo_width > 0.0 && l.halo.a > 0.0 {
            let stroke = Stroke { width: l.halo_width * 2.0, line_join: LineJoin::Round, ..Stroke::default() };
            pm.stroke_path(&l.path, &draw::paint(l.halo), &stroke, t, None);
        }
        pm.fill_path(&l.path, &draw::paint(l.color), FillRule::Winding, t, None);
        Some(pm)
    }
}

/// A kept sprite's pixels (blended over a transparent canvas, a run-length encoded image is itself).
fn decode(w: u32, h: u32, rle: &[u8]) -> Option<Pixmap> {
    let mut pm = Pixmap::new(w, h)?;
    composite::over_rle(pm.data_mut(), rle)?;
    Some(pm)
}

/// The sprites a file keeps; a missing, damaged or foreign file keeps none.
fn load(path: &Path) -> Kept {
    std::fs::read(path)
        .ok()
        .and_then(|b| b.strip_prefix(MAGIC).and_then(|rest| postcard::from_bytes(rest).ok()))
        .unwrap_or_default()
}

/// Keep the sprites (a cache that cannot be written only makes the next build slower).
fn save(path: &Path, sprites: &Kept) {
    let Ok(body) = postcard::to_stdvec(sprites) else { return };
    let mut bytes = Vec::with_capacity(MAGIC.len() + body.len());
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&body);
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let _ = crate::atomic::write(path, &bytes);
}
