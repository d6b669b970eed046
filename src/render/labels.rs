//! Label placement: greedy, deterministic, by priority, with a collision grid.
//!
//! Placement runs over a *placement view* — a whole sheet, or for tiles a metatile or the whole extent of
//! a zoom level — and yields labels as paths in that view's pixels. [`draw_labels`] then draws them into
//! any view at the same resolution (the sheet itself, or each tile cut from the extent), so a label that
//! straddles a tile edge is drawn half in each tile, never cut off or placed twice.
//!
//! Priority: symbol layers from the top of the style down (as MapLibre), within a layer by
//! `symbol-sort-key` then file order. A label is placed at the first candidate position whose boxes are
//! inside the view and touch no placed label nor obstacle (map furniture); "soft" obstacles (event dots)
//! are avoided when any candidate allows it.

use super::draw::{self, PxBox};
use super::expr::{Rgba, Val};
use super::geometry::{self, Px};
use super::mercator::View;
use super::scene::{Scene, Selection, ctx};
use super::source::{self, Feature, Geom};
use super::style::{Layer, LayerKind};
use super::text::{FaceId, Fonts, TextBlock, fonts};
use std::collections::{BTreeMap, HashMap};
use tiny_skia::{FillRule, LineJoin, Path, PathBuilder, Pixmap, Stroke, Transform};

/// A placed label: what to draw and the boxes it occupies, in placement-view pixels.
#[derive(Debug, Clone)]
pub struct PlacedLabel {
    pub layer: String,
    pub feature: Option<String>,
    pub text: String,
    pub boxes: Vec<PxBox>,
    pub path: Path,
    pub color: Rgba,
    pub halo: Rgba,
    pub halo_width: f32,
}

/// The result of placing every label of a view.
#[derive(Debug, Clone)]
pub struct Placement {
    pub view: View,
    pub labels: Vec<PlacedLabel>,
    /// Labels that found no free position (counted, not drawn).
    pub dropped: Vec<String>,
}

/// A sparse uniform grid of boxes: O(1) average collision queries, deterministic (ordered map).
struct Grid {
    cell: f64,
    cells: BTreeMap<(i64, i64), Vec<usize>>,
    boxes: Vec<PxBox>,
}

impl Grid {
    fn new(cell: f64) -> Grid {
        Grid { cell, cells: BTreeMap::new(), boxes: Vec::new() }
    }

    fn range(&self, b: &PxBox) -> (i64, i64, i64, i64) {
        let f = |v: f64| (v / self.cell).floor() as i64;
        (f(b.x0), f(b.y0), f(b.x1), f(b.y1))
    }

    fn collides(&self, b: &PxBox) -> bool {
        let (x0, y0, x1, y1) = self.range(b);
        for gx in x0..=x1 {
            for gy in y0..=y1 {
                if let Some(ids) = self.cells.get(&(gx, gy)) {
                    if ids.iter().any(|&i| self.boxes[i].intersects(b)) {
                        return true;
                    }
                }
            }
        }
        false
    }

    fn insert(&mut self, b: PxBox) {
        let id = self.boxes.len();
        self.boxes.push(b);
        let (x0, y0, x1, y1) = self.range(&b);
        for gx in x0..=x1 {
            for gy in y0..=y1 {
                self.cells.entry((gx, gy)).or_default().push(id);
            }
        }
    }
}

/// Symbol properties of one feature, evaluated.
struct TextStyle {
    text: String,
    face: FaceId,
    size: f64,
    letter_spacing: f64,
    max_width: f64,
    line_height: f64,
    padding: f64,
    color: Rgba,
    halo: Rgba,
    halo_width: f64,
    placement: String,
    anchors: Vec<String>,
    radial: Option<f64>,
    offset: [f64; 2],
    max_angle: f64,
}

fn text_style(layer: &Layer, f: &Feature, view: &View) -> Option<TextStyle> {
    let c = ctx(f, view.zoom);
    let s = view.scale;
    let raw = layer.value("text-field", &c);
    let mut text = match raw {
        Val::Null => return None,
        v => v.to_text(),
    };
    match layer.string("text-transform", &c, "none").as_str() {
        "uppercase" => text = text.to_uppercase(),
        "lowercase" => text = text.to_lowercase(),
        _ => {}
    }
    let text = text.trim().to_string();
    if text.is_empty() {
        return None;
    }
    let size = layer.num("text-size", &c, 16.0) * s;
    let opacity = layer.num("text-opacity", &c, 1.0) as f32;
    let anchors =
        layer.strings("text-variable-anchor", &c).unwrap_or_else(|| vec![layer.string("text-anchor", &c, "center")]);
    let radial = layer.has("text-radial-offset").then(|| layer.num("text-radial-offset", &c, 0.0));
    let off = layer.numbers("text-offset", &c).unwrap_or_default();
    Some(TextStyle {
        text,
        face: FaceId::from_font_stack(&layer.strings("text-font", &c).unwrap_or_default()),
        size,
        letter_spacing: layer.num("text-letter-spacing", &c, 0.0),
        max_width: layer.num("text-max-width", &c, 10.0) * size,
        line_height: layer.num("text-line-height", &c, 1.2),
        padding: layer.num("text-padding", &c, 2.0) * s,
        color: layer.color("text-color", &c, Rgba::BLACK).with_opacity(opacity),
        halo: layer.color("text-halo-color", &c, Rgba::TRANSPARENT).with_opacity(opacity),
        halo_width: layer.num("text-halo-width", &c, 0.0) * s,
        placement: layer.string("symbol-placement", &c, "point"),
        anchors,
        radial,
        offset: [off.first().copied().unwrap_or(0.0) * size, off.get(1).copied().unwrap_or(0.0) * size],
        max_angle: layer.num("text-max-angle", &c, 45.0),
    })
}

/// Where an anchor puts the box's top-left corner relative to the anchor point, and how lines justify.
fn anchor_box(anchor: &str, w: f64, h: f64, radial: Option<f64>, offset: [f64; 2], size: f64) -> ([f64; 2], f32) {
    let (fx, fy) = match anchor {
        "left" => (0.0, 0.5),
        "right" => (1.0, 0.5),
        "top" => (0.5, 0.0),
        "bottom" => (0.5, 1.0),
        "top-left" => (0.0, 0.0),
        "top-right" => (1.0, 0.0),
        "bottom-left" => (0.0, 1.0),
        "bottom-right" => (1.0, 1.0),
        _ => (0.5, 0.5),
    };
    let [mut dx, mut dy] = offset;
    if let Some(r) = radial {
        let r = r * size;
        let d = if fx != 0.5 && fy != 0.5 { r / std::f64::consts::SQRT_2 } else { r };
        dx = (0.5 - fx) * 2.0 * d;
        dy = (0.5 - fy) * 2.0 * d;
    }
    let justify = if fx == 0.0 {
        0.0
    } else if fx == 1.0 {
        1.0
    } else {
        0.5
    };
    ([dx - fx * w, dy - fy * h], justify)
}

struct Placer<'a> {
    fonts: &'a Fonts,
    view: View,
    grid: Grid,
    soft: Grid,
    edge: f64,
}

impl Placer<'_> {
    fn free(&self, boxes: &[PxBox], avoid_soft: bool) -> bool {
        let (w, h) = (f64::from(self.view.width), f64::from(self.view.height));
        boxes.iter().all(|b| {
            let inner = PxBox::new(self.edge, self.edge, w - self.edge, h - self.edge);
            b.x0 >= inner.x0 && b.y0 >= inner.y0 && b.x1 <= inner.x1 && b.y1 <= inner.y1
        }) && !boxes.iter().any(|b| self.grid.collides(b) || (avoid_soft && self.soft.collides(b)))
    }

    /// Candidate boxes for a block at a point: one per anchor.
    fn point_candidates(&self, ts: &TextStyle, block: &TextBlock, at: Px, push: f64) -> Vec<(PxBox, [f64; 2], f32)> {
        let (w, h) = (f64::from(block.width), f64::from(block.height()));
        let radial = ts.radial.map(|r| r * push);
        ts.anchors
            .iter()
            .map(|a| {
                let ([ox, oy], justify) = anchor_box(a, w, h, radial, ts.offset, ts.size);
                let (left, top) = (at[0] + ox, at[1] + oy);
                (PxBox::new(left, top, left + w, top + h).grow(ts.padding), [left, top], justify)
            })
            .collect()
    }

    fn place_block(&mut self, ts: &TextStyle, block: &TextBlock, points: &[Px]) -> Option<(Vec<PxBox>, Path)> {
        // First without covering dots, pushing the label further out if need be; then anywhere free.
        let passes: &[(bool, f64)] = if ts.radial.is_some() {
            &[(true, 1.0), (true, 2.0), (true, 3.0), (true, 4.5), (false, 1.0)]
        } else {
            &[(true, 1.0), (false, 1.0)]
        };
        for &(avoid_soft, push) in passes {
            for at in points {
                for (b, [left, top], justify) in self.point_candidates(ts, block, *at, push) {
                    if self.free(&[b], avoid_soft) {
                        let path = self.fonts.block_path(block, left as f32, top as f32, justify)?;
                        return Some((vec![b], path));
                    }
                }
            }
        }
        None
    }

    fn place_along(&mut self, ts: &TextStyle, parts: &[Vec<Px>]) -> Option<(Vec<PxBox>, Path)> {
        let line =
            self.fonts.shape_line(&ts.text.replace('\n', " "), ts.face, ts.size as f32, ts.letter_spacing as f32);
        let block = self.fonts.shape_block("Hg", ts.face, ts.size as f32, 0.0, f32::MAX, ts.line_height as f32);
        let (ascent, descent) = (f64::from(block.ascent), f64::from(block.descent));
        let width = f64::from(line.width);
        // Longest part first; each part smoothed once, on demand (a river over a whole tile level is
        // thousands of pixels, and most labels fit on the first part tried).
        let lengths: Vec<f64> = parts.iter().map(|p| geometry::length(p)).collect();
        let mut order: Vec<usize> = (0..parts.len()).collect();
        order.sort_by(|&a, &b| lengths[b].total_cmp(&lengths[a]));
        let mut smoothed: Vec<Option<Vec<Px>>> = vec![None; parts.len()];
        let fractions = [0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8, 0.45, 0.55, 0.35, 0.65, 0.25, 0.75, 0.15, 0.85];
        for avoid_soft in [true, false] {
            for &i in &order {
                if smoothed[i].is_none() {
                    smoothed[i] = Some(smooth_for_label(&parts[i], ts.size));
                }
                let Some(smooth) = smoothed[i].as_deref() else { continue };
                for reversed in [false, true] {
                    // The baseline path: the smoothed line in reading order, moved off the line by the
                    // text offset (a parallel curve, so letters keep their spacing on bends).
                    let centre: Vec<Px> =
                        if reversed { smooth.iter().rev().copied().collect() } else { smooth.to_vec() };
                    let path_pts = if ts.offset[1] == 0.0 {
                        centre
                    } else {
                        smooth_for_label(&offset_line(&centre, ts.offset[1]), ts.size)
                    };
                    let measured = Measured::new(&path_pts);
                    let total = measured.total();
                    if total < width + ts.size {
                        continue;
                    }
                    for frac in fractions {
                        let centre_d = total * frac;
                        let (start, end) = (centre_d - width / 2.0, centre_d + width / 2.0);
                        if start < 0.0 || end > total {
                            continue;
                        }
                        // Read left to right: the other orientation handles the other case.
                        let (p0, _) = measured.at(start);
                        let (p1, _) = measured.at(end);
                        if p1[0] < p0[0] {
                            continue;
                        }
                        if let Some(found) = self.glyphs_along(ts, &line, &measured, start, ascent, descent, avoid_soft)
                        {
                            return Some(found);
                        }
                    }
                }
            }
        }
        None
    }

    #[allow(clippy::too_many_arguments)]
    fn glyphs_along(
        &self,
        ts: &TextStyle,
        line: &super::text::ShapedLine,
        path_pts: &Measured<'_>,
        start: f64,
        ascent: f64,
        descent: f64,
        avoid_soft: bool,
    ) -> Option<(Vec<PxBox>, Path)> {
        let mut boxes = Vec::new();
        let mut glyph_pos = Vec::new();
        let mut prev_angle: Option<f64> = None;
        let mut turned = 0.0;
        for g in &line.glyphs {
            let mid = start + f64::from(g.x) + f64::from(g.advance) / 2.0;
            let (c, angle) = path_pts.at(mid);
            if let Some(pa) = prev_angle {
                let mut d = (angle - pa).abs();
                if d > std::f64::consts::PI {
                    d = 2.0 * std::f64::consts::PI - d;
                }
                turned += d.to_degrees();
                if d.to_degrees() > ts.max_angle || turned > ts.max_angle * 2.0 {
                    return None;
                }
            }
            prev_angle = Some(angle);
            let (sin, cos) = angle.sin_cos();
            // "Down" for the text is the normal (-sin, cos); centre the glyph box on the path.
            let shift = (ascent - descent) / 2.0;
            let half = f64::from(g.advance) / 2.0;
            let pen = [c[0] - cos * half - sin * shift, c[1] - sin * half + cos * shift];
            let r = (ascent + descent) / 2.0 + ts.padding;
            let hw = half + ts.padding;
            let ex = (cos * hw).abs() + (sin * r).abs();
            let ey = (sin * hw).abs() + (cos * r).abs();
            boxes.push(PxBox::new(c[0] - ex, c[1] - ey, c[0] + ex, c[1] + ey));
            glyph_pos.push((*g, pen, angle));
        }
        if !self.free(&boxes, avoid_soft) {
            return None;
        }
        let mut pb = PathBuilder::new();
        for (g, pen, angle) in &glyph_pos {
            self.fonts.append_glyph(&mut pb, g, line.size, pen[0] as f32, pen[1] as f32, *angle as f32);
        }
        Some((boxes, pb.finish()?))
    }
}

/// The line moved sideways by `d` pixels along its "down" normal (negative: above, for a left-to-right
/// reading direction).
fn offset_line(pts: &[Px], d: f64) -> Vec<Px> {
    (0..pts.len())
        .map(|i| {
            let (a, b) = (pts[i.saturating_sub(1)], pts[(i + 1).min(pts.len() - 1)]);
            let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
            let n = dx.hypot(dy);
            if n == 0.0 {
                return pts[i];
            }
            [pts[i][0] - dy / n * d, pts[i][1] + dx / n * d]
        })
        .collect()
}

/// Resample a line every few pixels and smooth it with a moving average, so labels follow the river's
/// course rather than every meander.
fn smooth_for_label(pts: &[Px], size: f64) -> Vec<Px> {
    let step = (size / 4.0).max(1.0);
    let measured = Measured::new(pts);
    let total = measured.total();
    if total <= step * 2.0 {
        return pts.to_vec();
    }
    let n = (total / step).floor() as usize;
    let samples = measured.points_every(step, n);
    let k = ((size * 1.5) / step).round().max(1.0) as usize;
    (0..samples.len())
        .map(|i| {
            let (a, b) = (i.saturating_sub(k), (i + k).min(samples.len() - 1));
            let m = (b - a + 1) as f64;
            let (sx, sy) = samples[a..=b].iter().fold((0.0, 0.0), |acc, p| (acc.0 + p[0], acc.1 + p[1]));
            [sx / m, sy / m]
        })
        .collect()
}

/// A polyline with the distance from its start to each vertex: the point at a distance in O(log n), where
/// [`point_at`] walks from the start (labels along a river over a whole tile level sample it thousands of
/// times).
struct Measured<'a> {
    pts: &'a [Px],
    /// `cum[i]`: length of the line up to vertex `i`.
    cum: Vec<f64>,
}

impl<'a> Measured<'a> {
    fn new(pts: &'a [Px]) -> Measured<'a> {
        let mut cum = Vec::with_capacity(pts.len());
        let mut acc = 0.0;
        cum.push(0.0);
        for w in pts.windows(2) {
            acc += (w[1][0] - w[0][0]).hypot(w[1][1] - w[0][1]);
            cum.push(acc);
        }
        Measured { pts, cum }
    }

    fn total(&self) -> f64 {
        self.cum.last().copied().unwrap_or(0.0)
    }

    /// `self.at(i * step).0` for `i` in `0..=n`, walking the line once instead of searching it for each
    /// point (the same segments, so the same points).
    fn points_every(&self, step: f64, n: usize) -> Vec<Px> {
        let mut out = Vec::with_capacity(n + 1);
        let mut j = 0;
        for i in 0..=n {
            let d = (i as f64 * step).max(0.0);
            while j < self.cum.len() && self.cum[j] < d {
                j += 1;
            }
            out.push(self.point_on_segment(j, d));
        }
        out
    }

    /// [`Measured::on_segment`]'s point alone (its direction costs an arctangent per point).
    fn point_on_segment(&self, j: usize, d: f64) -> Px {
        match j {
            0 => self.on_segment(j, d).0,
            _ if j < self.cum.len() => {
                let (a, b) = (self.pts[j - 1], self.pts[j]);
                let len = self.cum[j] - self.cum[j - 1];
                let t = ((d - self.cum[j - 1]) / len).clamp(0.0, 1.0);
                [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t]
            }
            _ => self.on_segment(j, d).0,
        }
    }

    /// The point at distance `d` and its segment's direction, `j` being the first vertex at or beyond `d`
    /// (its segment, from the vertex before, has a positive length).
    fn on_segment(&self, j: usize, d: f64) -> (Px, f64) {
        let pts = self.pts;
        let seg = if j == 0 {
            // d = 0: the first segment with a length, from its start.
            (0..pts.len().saturating_sub(1)).find(|&i| self.cum[i + 1] > self.cum[i])
        } else if j < self.cum.len() {
            Some(j - 1)
        } else {
            None
        };
        match seg {
            Some(i) => {
                let (a, b) = (pts[i], pts[i + 1]);
                let len = self.cum[i + 1] - self.cum[i];
                let t = ((d - self.cum[i]) / len).clamp(0.0, 1.0);
                ([a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t], (b[1] - a[1]).atan2(b[0] - a[0]))
            }
            None => point_at(pts, f64::INFINITY),
        }
    }

    /// As [`point_at`]: the point at distance `d` and the direction of its (non-degenerate) segment.
    fn at(&self, d: f64) -> (Px, f64) {
        let d = d.max(0.0);
        self.on_segment(self.cum.partition_point(|c| *c < d), d)
    }
}

/// The point at distance `d` along a polyline, and the direction there (radians, screen space).
fn point_at(pts: &[Px], d: f64) -> (Px, f64) {
    let mut left = d.max(0.0);
    for w in pts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let seg = (b[0] - a[0]).hypot(b[1] - a[1]);
        if seg == 0.0 {
            continue;
        }
        if left <= seg {
            let t = left / seg;
            return ([a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t], (b[1] - a[1]).atan2(b[0] - a[0]));
        }
        left -= seg;
    }
    match pts {
        [.., a, b] => (*b, (b[1] - a[1]).atan2(b[0] - a[0])),
        [a] => (*a, 0.0),
        [] => ([0.0, 0.0], 0.0),
    }
}

/// Options of a placement run.
#[derive(Debug, Clone, Copy)]
pub struct PlaceOptions {
    /// Labels keep this many device pixels from the view's edges.
    pub edge: f64,
}

impl Default for PlaceOptions {
    fn default() -> Self {
        PlaceOptions { edge: 4.0 }
    }
}

/// Place the labels of every symbol layer the selection shows. `obstacles` (map furniture) are never
/// covered; `soft` obstacles (event dots) are avoided when possible.
pub fn place_labels(
    scene: &Scene,
    view: &View,
    sel: &Selection,
    obstacles: &[PxBox],
    soft: &[PxBox],
    opts: PlaceOptions,
) -> Placement {
    let fonts = fonts();
    let cell = 48.0 * view.scale;
    let mut placer =
        Placer { fonts, view: *view, grid: Grid::new(cell), soft: Grid::new(cell), edge: opts.edge * view.scale };
    for o in obstacles {
        placer.grid.insert(*o);
    }
    for o in soft {
        placer.soft.insert(*o);
    }
    let mut labels = Vec::new();
    let mut dropped = Vec::new();
    let (w, h) = (f64::from(view.width), f64::from(view.height));
    for layer in scene.style.layers.iter().rev() {
        if layer.kind != LayerKind::Symbol || !layer.visible_at(view.zoom) || !sel.shows_layer(&layer.id) {
            continue;
        }
        let mut feats = scene.features(layer, view, sel, 0.0);
        if layer.has("symbol-sort-key") {
            let mut keyed: Vec<(f64, usize, &Feature)> =
                feats.into_iter().map(|(i, f)| (layer.num("symbol-sort-key", &ctx(f, view.zoom), 0.0), i, f)).collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            feats = keyed.into_iter().map(|(_, i, f)| (i, f)).collect();
        }
        for (_, f) in feats {
            let Some(ts) = text_style(layer, f, view) else { continue };
            let along = ts.placement.starts_with("line") && !matches!(f.geom, Geom::Points(_));
            let placed = if along {
                let parts: Vec<Vec<Px>> =
                    draw::line_parts(view, f).iter().flat_map(|p| geometry::clip_line(p, [0.0, 0.0], [w, h])).collect();
                placer.place_along(&ts, &parts)
            } else {
                let block = fonts.shape_block(
                    &ts.text,
                    ts.face,
                    ts.size as f32,
                    ts.letter_spacing as f32,
                    ts.max_width as f32,
                    ts.line_height as f32,
                );
                let anchors: Vec<Px> = match &f.geom {
                    Geom::Points(p) => p.iter().map(|q| view.to_px(*q)).collect(),
                    Geom::Polygons(_) => scene
                        .anchors
                        .get_or(view, f, block.height(), || area_anchor(view, f, f64::from(block.height())))
                        .into_iter()
                        .collect(),
                    Geom::Lines(_) => draw::line_parts(view, f)
                        .iter()
                        .filter(|p| geometry::length(p) > 0.0)
                        .map(|p| point_at(p, geometry::length(p) / 2.0).0)
                        .take(1)
                        .collect(),
                };
                placer.place_block(&ts, &block, &anchors)
            };
            match placed {
                Some((boxes, path)) => {
                    for b in &boxes {
                        placer.grid.insert(*b);
                    }
                    labels.push(PlacedLabel {
                        layer: layer.id.clone(),
                        feature: f.id.clone(),
                        text: ts.text.clone(),
                        boxes,
                        path,
                        color: ts.color,
                        halo: ts.halo,
                        halo_width: ts.halo_width as f32,
                    });
                }
                None => dropped.push(format!("{}: {}", layer.id, ts.text)),
            }
        }
    }
    Placement { view: *view, labels, dropped }
}

/// The label anchors of areas, by view, feature digest and label height: the search for an area's
/// interior point is the dearest step of label placement, and its inputs rarely change from one build to
/// the next (the basemap's provinces and countries), so a build keeps them ([`AnchorMemo::load`],
/// [`AnchorMemo::save`]). Cheap to clone (clones share the memo).
#[derive(Debug, Clone, Default)]
pub struct AnchorMemo(std::sync::Arc<std::sync::Mutex<AnchorTable>>);

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct AnchorTable {
    /// The binary that computed them (another may place anchors otherwise).
    binary: String,
    /// Anchors known before this run.
    known: std::collections::BTreeMap<[u8; 16], Option<Px>>,
    /// Anchors asked for in this run (what [`AnchorMemo::save`] keeps).
    #[serde(skip)]
    used: std::collections::BTreeMap<[u8; 16], Option<Px>>,
}

impl AnchorMemo {
    /// The memo kept in `file` by an earlier run (empty if there is none or it is unreadable).
    pub fn load(file: &std::path::Path) -> AnchorMemo {
        let table = std::fs::read(file)
            .ok()
            .and_then(|b| b.strip_prefix(ANCHORS_MAGIC).and_then(|b| postcard::from_bytes::<AnchorTable>(b).ok()))
            .filter(|t| t.binary == crate::identity::binary())
            .unwrap_or_default();
        AnchorMemo(std::sync::Arc::new(std::sync::Mutex::new(table)))
    }

    /// Keep the anchors this run found and computed, when it computed any (a failed write only makes the
    /// next run slower). Anchors of features since changed stay until the table outgrows
    /// 100,000 anchors; it then keeps only those this run asked for.
    pub fn save(&self, file: &std::path::Path) {
        let Ok(t) = self.0.lock() else { return };
        if t.used.iter().all(|(k, a)| t.known.get(k) == Some(a)) {
            return;
        }
        let mut known = t.known.clone();
        known.extend(t.used.iter().map(|(k, a)| (*k, *a)));
        if known.len() > ANCHORS_KEPT {
            known = t.used.clone();
        }
        let table = AnchorTable { binary: crate::identity::binary(), known, used: Default::default() };
        if let Ok(body) = postcard::to_stdvec(&table) {
            let _ = crate::atomic::write(file, &[ANCHORS_MAGIC, &body[..]].concat());
        }
    }

    /// The anchor of `f` at `view` for a label `height` pixels high, remembered or computed by `compute`.
    fn get_or(&self, view: &View, f: &Feature, height: f32, compute: impl FnOnce() -> Option<Px>) -> Option<Px> {
        let mut h = blake3::Hasher::new();
        h.update(format!("{view:?}\0{height}\0").as_bytes());
        h.update(&f.digest);
        let key = source::short(h.finalize());
        let known = self.0.lock().ok().and_then(|t| t.known.get(&key).copied());
        let anchor = known.unwrap_or_else(compute);
        if let Ok(mut t) = self.0.lock() {
            t.used.insert(key, anchor);
        }
        anchor
    }
}

/// How many anchors a kept [`AnchorMemo`] holds at most.
const ANCHORS_KEPT: usize = 100_000;

/// The first bytes of a kept [`AnchorMemo`] (and of its layout: a new one gets a new magic).
const ANCHORS_MAGIC: &[u8] = b"FMANC01\n";

/// The interior point of the largest visible part of a polygon, if the part is roomy enough for a label
/// of height `h`.
fn area_anchor(view: &View, f: &Feature, h: f64) -> Option<Px> {
    let (w, ht) = (f64::from(view.width), f64::from(view.height));
    let mut best: Option<(Px, f64)> = None;
    for poly in draw::polygon_rings(view, f) {
        // Half a pixel of simplification changes the anchor by less than that, and the search by tenfold.
        let clipped: Vec<Vec<Px>> = poly
            .iter()
            .map(|r| geometry::simplify(&geometry::clip_ring(r, [0.0, 0.0], [w, ht]), 0.5))
            .filter(|r| r.len() >= 3)
            .collect();
        // No point of a part narrower than the label can be far enough from its edges.
        let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
        for p in clipped.first().into_iter().flatten() {
            lo = [lo[0].min(p[0]), lo[1].min(p[1])];
            hi = [hi[0].max(p[0]), hi[1].max(p[1])];
        }
        if clipped.is_empty() || (hi[0] - lo[0]).min(hi[1] - lo[1]) / 2.0 < h * 0.6 {
            continue;
        }
        if let Some((p, d)) = geometry::interior_point(&clipped, 1.0) {
            if best.is_none_or(|(_, bd)| d > bd) {
                best = Some((p, d));
            }
        }
    }
    best.filter(|(_, d)| *d >= h * 0.6).map(|(p, _)| p)
}

/// Whether a label placed in one view draws any pixel of a `w` × `h` canvas whose origin lies at
/// (`-dx`, `-dy`) in it.
fn touches(l: &PlacedLabel, dx: f64, dy: f64, w: f64, h: f64) -> bool {
    let b = l.path.bounds();
    let bb = PxBox::new(f64::from(b.left()), f64::from(b.top()), f64::from(b.right()), f64::from(b.bottom()))
        .translate(dx, dy)
        .grow(f64::from(l.halo_width) + 1.0);
    !(bb.x1 < 0.0 || bb.y1 < 0.0 || bb.x0 > w || bb.y0 > h)
}

/// The digest of the labels [`draw_labels`] would draw into a `w` × `h` canvas of `view`: what a tile's
/// pixels owe to its level's label placement (an incremental build re-draws the tile when it changes).
pub fn labels_digest(placement: &Placement, view: &View, w: f64, h: f64) -> super::source::Digest {
    let [dx, dy] = placement.view.offset_into(view);
    digest_labels(dx, dy, placement.labels.iter().filter(|l| touches(l, dx, dy, w, h)).map(label_digest))
}

/// [`labels_digest`] through the placement's [`LabelCells`]: the same digest, looking only at the labels
/// near the canvas and hashing each label once per level (a level has thousands of tiles).
pub fn labels_digest_in(
    placement: &Placement,
    cells: &LabelCells,
    view: &View,
    w: f64,
    h: f64,
) -> super::source::Digest {
    let [dx, dy] = placement.view.offset_into(view);
    let near = cells.near(-dx - 1.0, -dy - 1.0, w - dx + 1.0, h - dy + 1.0);
    let touching = near.into_iter().filter(|i| placement.labels.get(*i).is_some_and(|l| touches(l, dx, dy, w, h)));
    digest_labels(dx, dy, touching.filter_map(|i| cells.digests.get(i).copied()))
}

/// The digest of labels by their own digests, at an offset; no label: all zeros, without hashing (most tiles
/// of a level have none).
fn digest_labels(dx: f64, dy: f64, labels: impl Iterator<Item = super::source::Digest>) -> super::source::Digest {
    let mut labels = labels.peekable();
    if labels.peek().is_none() {
        return [0; 16];
    }
    let mut hasher = blake3::Hasher::new();
    hasher.update(&dx.to_bits().to_le_bytes());
    hasher.update(&dy.to_bits().to_le_bytes());
    for d in labels {
        hasher.update(&d);
    }
    source::short(hasher.finalize())
}

/// What a label looks like: text, path, colours, halo.
fn label_digest(l: &PlacedLabel) -> super::source::Digest {
    let mut bytes = Vec::with_capacity(l.text.len() + 1 + l.path.points().len() * 8 + 36);
    bytes.extend_from_slice(l.text.as_bytes());
    bytes.push(0);
    for p in l.path.points() {
        bytes.extend_from_slice(&p.x.to_bits().to_le_bytes());
        bytes.extend_from_slice(&p.y.to_bits().to_le_bytes());
    }
    for v in [l.color.r, l.color.g, l.color.b, l.color.a, l.halo.r, l.halo.g, l.halo.b, l.halo.a, l.halo_width] {
        bytes.extend_from_slice(&v.to_bits().to_le_bytes());
    }
    source::short(blake3::hash(&bytes))
}

/// The labels of a placement by square cells of its pixels, each with the labels whose drawing (halo and
/// anti-aliasing included) may reach into it.
pub struct LabelCells {
    cell: f64,
    cells: HashMap<(i64, i64), Vec<usize>>,
    /// Each label's [`label_digest`], in placement order.
    digests: Vec<super::source::Digest>,
}

impl LabelCells {
    /// Cells of `cell` pixels (a tile's size suits tiles).
    pub fn new(placement: &Placement, cell: f64) -> LabelCells {
        let cell = if cell.is_finite() && cell >= 1.0 { cell } else { 256.0 };
        let mut cells: HashMap<(i64, i64), Vec<usize>> = HashMap::new();
        for (i, l) in placement.labels.iter().enumerate() {
            let b = l.path.bounds();
            let m = f64::from(l.halo_width) + 2.0;
            let f = |v: f64| (v / cell).floor() as i64;
            let (x0, y0) = (f(f64::from(b.left()) - m), f(f64::from(b.top()) - m));
            let (x1, y1) = (f(f64::from(b.right()) + m), f(f64::from(b.bottom()) + m));
            // A degenerate label spanning a million cells goes to every query instead of into each cell.
            if (x1 - x0) * (y1 - y0) > 1_000_000 {
                cells.entry((i64::MIN, i64::MIN)).or_default().push(i);
                continue;
            }
            for x in x0..=x1 {
                for y in y0..=y1 {
                    cells.entry((x, y)).or_default().push(i);
                }
            }
        }
        LabelCells { cell, cells, digests: placement.labels.iter().map(label_digest).collect() }
    }

    /// The labels that may reach into the box, in placement order.
    fn near(&self, x0: f64, y0: f64, x1: f64, y1: f64) -> Vec<usize> {
        let f = |v: f64| (v / self.cell).floor() as i64;
        let mut out: Vec<usize> = self.cells.get(&(i64::MIN, i64::MIN)).cloned().unwrap_or_default();
        let (cx0, cy0, cx1, cy1) = (f(x0), f(y0), f(x1), f(y1));
        if (cx1 - cx0).saturating_mul(cy1 - cy0) > self.cells.len() as i64 {
            out.extend(self.cells.values().flatten());
        } else {
            for x in cx0..=cx1 {
                for y in cy0..=cy1 {
                    out.extend(self.cells.get(&(x, y)).into_iter().flatten());
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// Draw placed labels into a view at the same resolution as the placement (the same view, or a part of it).
pub fn draw_labels(pixmap: &mut Pixmap, placement: &Placement, view: &View) {
    let [dx, dy] = placement.view.offset_into(view);
    let t = Transform::from_translate(dx as f32, dy as f32);
    let (w, h) = (f64::from(pixmap.width()), f64::from(pixmap.height()));
    for l in placement.labels.iter().filter(|l| touches(l, dx, dy, w, h)) {
        if l.halo_width > 0.0 && l.halo.a > 0.0 {
            let stroke = Stroke { width: l.halo_width * 2.0, line_join: LineJoin::Round, ..Stroke::default() };
            pixmap.stroke_path(&l.path, &draw::paint(l.halo), &stroke, t, None);
        }
        pixmap.fill_path(&l.path, &draw::paint(l.color), FillRule::Winding, t, None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::mercator::Bbox;
    use crate::render::source::{Feature, Geom};

    fn square(digest: u8) -> Feature {
        let ring = vec![[0.0, 0.0], [1000.0, 0.0], [1000.0, 1000.0], [0.0, 1000.0], [0.0, 0.0]];
        Feature {
            id: None,
            props: Default::default(),
            geom: Geom::Polygons(vec![vec![ring]]),
            bbox: Bbox::new(0.0, 0.0, 1000.0, 1000.0),
            digest: [digest; 16],
        }
    }

    #[test]
    fn points_every_step_are_the_points_at_each_distance() {
        // Repeated vertices (zero-length segments) at the start, in the middle and at the end.
        let pts: Vec<Px> =
            vec![[0.0, 0.0], [0.0, 0.0], [3.0, 4.0], [3.0, 4.0], [10.0, 4.0], [10.5, 9.25], [10.5, 9.25]];
        let m = Measured::new(&pts);
        for step in [0.1, 0.7, 1.0, 2.5] {
            let n = (m.total() / step).floor() as usize + 2; // beyond the end too
            let walked = m.points_every(step, n);
            let searched: Vec<Px> = (0..=n).map(|i| m.at(i as f64 * step).0).collect();
            assert_eq!(walked, searched, "step {step}");
        }
    }

    #[test]
    fn the_digest_through_label_cells_is_the_digest_over_every_label() {
        // A 1,024-pixel level; labels scattered over it, some across tile edges, one with a wide halo.
        let level = View::new(Bbox::new(0.0, 0.0, 1024.0, 1024.0), 1024, 1024, 1.0);
        let labels: Vec<PlacedLabel> = (0..40)
            .map(|i| {
                let (x, y) = ((i * 97 % 1000) as f32 + 0.3, (i * 61 % 1000) as f32 + 0.7);
                let rect = tiny_skia::Rect::from_xywh(x, y, 30.0 + (i % 5) as f32 * 20.0, 10.0)
                    .unwrap_or_else(|| panic!("rect {i}"));
                PlacedLabel {
                    layer: "places".into(),
                    feature: None,
                    text: format!("label {i}"),
                    boxes: Vec::new(),
                    path: PathBuilder::from_rect(rect),
                    color: Rgba { r: 0.0, g: 0.0, b: 0.0, a: 1.0 },
                    halo: Rgba::WHITE,
                    halo_width: if i == 7 { 40.0 } else { 1.5 },
                }
            })
            .collect();
        let placement = Placement { view: level, labels, dropped: Vec::new() };
        let cells = LabelCells::new(&placement, 256.0);
        for tx in -1..5 {
            for ty in -1..5 {
                let (x0, y1) = (f64::from(tx) * 256.0, 1024.0 - f64::from(ty) * 256.0);
                let tile = View::new(Bbox::new(x0, y1 - 256.0, x0 + 256.0, y1), 256, 256, 1.0);
                assert_eq!(
                    labels_digest_in(&placement, &cells, &tile, 256.0, 256.0),
                    labels_digest(&placement, &tile, 256.0, 256.0),
                    "tile {tx},{ty}"
                );
            }
        }
    }

    #[test]
    fn a_kept_anchor_is_used_for_the_same_view_feature_and_height_only() {
        let file = std::env::temp_dir().join(format!("frontmap-anchors-{}.bin", std::process::id()));
        let view = View::new(Bbox::new(0.0, 0.0, 1000.0, 1000.0), 100, 100, 1.0);
        let memo = AnchorMemo::load(&file);
        assert_eq!(memo.get_or(&view, &square(1), 12.0, || Some([50.0, 50.0])), Some([50.0, 50.0]));
        memo.save(&file);
        let kept = AnchorMemo::load(&file);
        let computed = std::cell::Cell::new(0);
        let compute = || {
            computed.set(computed.get() + 1);
            Some([1.0, 1.0])
        };
        assert_eq!(kept.get_or(&view, &square(1), 12.0, compute), Some([50.0, 50.0]));
        assert_eq!(computed.get(), 0, "the kept anchor was computed again");
        // Another feature digest, label height or view: computed.
        kept.get_or(&view, &square(2), 12.0, compute);
        kept.get_or(&view, &square(1), 14.0, compute);
        kept.get_or(&View::new(Bbox::new(0.0, 0.0, 1000.0, 1000.0), 200, 200, 1.0), &square(1), 12.0, compute);
        assert_eq!(computed.get(), 3);
        // A damaged file is an empty memo.
        let bytes = std::fs::read(&file).unwrap_or_default();
        std::fs::write(&file, &bytes[..bytes.len() - 3]).unwrap_or_else(|e| panic!("{e}"));
        AnchorMemo::load(&file).get_or(&view, &square(1), 12.0, compute);
        assert_eq!(computed.get(), 4);
        let _ = std::fs::remove_file(&file);
    }
}
