//! Drawing the style's background, fill, line and circle layers of a scene into a view. Symbol layers
//! are placed by [`super::labels`] and drawn after, over everything.

use super::expr::{Ctx, Rgba};
use super::geometry::{self, Px};
use super::mercator::View;
use super::scene::{Scene, Selection, ctx};
use super::source::{Feature, Geom};
use super::style::{ArrowSpec, Layer, LayerKind, LegendSpec};
use std::collections::{BTreeMap, BTreeSet};
use tiny_skia::{FillRule, LineCap, LineJoin, Paint, PathBuilder, Pixmap, Stroke, StrokeDash, Transform};

/// An axis-aligned box in device pixels: label collision boxes, obstacles, furniture.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PxBox {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

impl PxBox {
    /// A box from two corners in any order.
    pub fn new(x0: f64, y0: f64, x1: f64, y1: f64) -> PxBox {
        PxBox { x0: x0.min(x1), y0: y0.min(y1), x1: x0.max(x1), y1: y0.max(y1) }
    }

    /// Whether the interiors overlap (boxes that only touch do not).
    pub fn intersects(&self, o: &PxBox) -> bool {
        self.x0 < o.x1 && o.x0 < self.x1 && self.y0 < o.y1 && o.y0 < self.y1
    }

    /// The box grown by `d` pixels on every side (padding, margins).
    pub fn grow(&self, d: f64) -> PxBox {
        PxBox::new(self.x0 - d, self.y0 - d, self.x1 + d, self.y1 + d)
    }

    /// The box moved by (`dx`, `dy`): from a part's pixels into the image's.
    pub fn translate(&self, dx: f64, dy: f64) -> PxBox {
        PxBox::new(self.x0 + dx, self.y0 + dy, self.x1 + dx, self.y1 + dy)
    }

    /// Whether the box lies inside `[0, w] × [0, h]`.
    pub fn inside(&self, w: f64, h: f64) -> bool {
        self.x0 >= 0.0 && self.y0 >= 0.0 && self.x1 <= w && self.y1 <= h
    }
}

/// What was drawn, for the legend (which layers and which values appear) and for label placement
/// (circles that labels should avoid).
#[derive(Debug, Clone, Default)]
pub struct DrawStats {
    pub drawn: BTreeMap<String, usize>,
    pub values: BTreeMap<String, BTreeSet<String>>,
    pub obstacles: Vec<PxBox>,
}

impl DrawStats {
    /// Add what a later run of layers drew (its obstacles after ours: drawing order).
    pub fn absorb(&mut self, other: DrawStats) {
        for (k, v) in other.drawn {
            *self.drawn.entry(k).or_default() += v;
        }
        for (k, v) in other.values {
            self.values.entry(k).or_default().extend(v);
        }
        self.obstacles.extend(other.obstacles);
    }
}

pub(crate) fn paint(c: Rgba) -> Paint<'static> {
    let mut p = Paint::default();
    p.set_color(c.to_skia());
    p.anti_alias = true;
    p
}

/// Margin (device px) around the canvas inside which geometry is kept; beyond it, clipped away.
const CLIP_MARGIN: f64 = 64.0;

fn to_px(view: &View, ring: &[[f64; 2]]) -> Vec<Px> {
    let pts: Vec<Px> = ring.iter().map(|p| view.to_px(*p)).collect();
    geometry::thin(&pts, 0.4)
}

fn clip_bounds(view: &View) -> (Px, Px) {
    ([-CLIP_MARGIN, -CLIP_MARGIN], [f64::from(view.width) + CLIP_MARGIN, f64::from(view.height) + CLIP_MARGIN])
}

fn needs_clip(view: &View, f: &Feature) -> bool {
    let b = f.bbox;
    let m = CLIP_MARGIN * view.resolution();
    b.min_x < view.bbox.min_x - m
        || b.max_x > view.bbox.max_x + m
        || b.min_y < view.bbox.min_y - m
        || b.max_y > view.bbox.max_y + m
}

/// The polygons of a feature in device pixels, clipped near the canvas.
pub fn polygon_rings(view: &View, f: &Feature) -> Vec<Vec<Vec<Px>>> {
    let Geom::Polygons(polys) = &f.geom else { return Vec::new() };
    let clip = needs_clip(view, f);
    let (min, max) = clip_bounds(view);
    polys
        .iter()
        .map(|poly| {
            poly.iter()
                .map(|r| {
                    let pts = to_px(view, r);
                    if clip { geometry::clip_ring(&pts, min, max) } else { pts }
                })
                .filter(|r| r.len() >= 3)
                .collect::<Vec<_>>()
        })
        .filter(|p: &Vec<Vec<Px>>| !p.is_empty())
        .collect()
}

/// The lines of a feature in device pixels, clipped near the canvas (polygon outlines count as lines).
pub fn line_parts(view: &View, f: &Feature) -> Vec<Vec<Px>> {
    let clip = needs_clip(view, f);
    let (min, max) = clip_bounds(view);
    let rings: Vec<&Vec<[f64; 2]>> = match &f.geom {
        Geom::Lines(l) => l.iter().collect(),
        Geom::Polygons(p) => p.iter().flatten().collect(),
        Geom::Points(_) => Vec::new(),
    };
    let mut out = Vec::new();
    for r in rings {
        let mut pts = to_px(view, r);
        if matches!(f.geom, Geom::Polygons(_)) && pts.first() != pts.last() {
            if let Some(first) = pts.first().copied() {
                pts.push(first);
            }
        }
        if clip {
            out.extend(geometry::clip_line(&pts, min, max));
        } else if pts.len() >= 2 {
            out.push(pts);
        }
    }
    out
}

fn sort_key_order<'a>(
    layer: &Layer,
    key: &str,
    feats: Vec<(usize, &'a Feature)>,
    zoom: f64,
) -> Vec<(usize, &'a Feature)> {
    if !layer.has(key) {
        return feats;
    }
    let mut keyed: Vec<(f64, usize, &Feature)> =
        feats.into_iter().map(|(i, f)| (layer.num(key, &ctx(f, zoom), 0.0), i, f)).collect();
    keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    keyed.into_iter().map(|(_, i, f)| (i, f)).collect()
}

/// The colour that identifies a feature's kind in the legend: the layer's main paint colour.
pub fn signature(layer: &Layer, c: &Ctx<'_>) -> String {
    let prop = match layer.kind {
        LayerKind::Fill => "fill-color",
        LayerKind::Line => "line-color",
        LayerKind::Circle => "circle-color",
        LayerKind::Symbol => "text-color",
        LayerKind::Background => "background-color",
    };
    let col = layer.color(prop, c, Rgba::BLACK);
    format!("{}/{:.2}", col.to_hex(), col.a)
}

fn record(stats: &mut DrawStats, layer: &Layer, c: &Ctx<'_>) {
    *stats.drawn.entry(layer.id.clone()).or_default() += 1;
    if let Some(LegendSpec::Samples(_)) = &layer.legend {
        stats.values.entry(layer.id.clone()).or_default().insert(signature(layer, c));
    }
}

/// Draw every non-symbol layer the selection shows, bottom to top, into `pixmap` (whose top-left is the
/// view's top-left).
pub fn draw_layers(pixmap: &mut Pixmap, scene: &Scene, view: &View, sel: &Selection, stats: &mut DrawStats) {
    draw_layers_with(pixmap, scene, view, sel, stats, DrawOptions::default());
}

/// How a view is drawn when it is one piece of a larger mosaic (a tile).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DrawOptions {
    /// Compute what depends on a whole line — dash phase, arrow smoothing, arrowhead, shaft trimming — on
    /// the unclipped line and only then clip it to the canvas, so lines continue seamlessly into the
    /// neighbouring tile. Off for sheets (their dashes start where a line enters the canvas).
    pub seamless: bool,
}

/// [`draw_layers`] with options (tiles draw with `seamless`).
pub fn draw_layers_with(
    pixmap: &mut Pixmap,
    scene: &Scene,
    view: &View,
    sel: &Selection,
    stats: &mut DrawStats,
    opts: DrawOptions,
) {
    draw_layer_range(pixmap, scene, 0..scene.style.layers.len(), view, sel, stats, opts);
}

/// [`draw_layers_with`] for the style layers in `range` only: a tile whose bottom layers were kept draws
/// the rest over them.
pub fn draw_layer_range(
    pixmap: &mut Pixmap,
    scene: &Scene,
    range: std::ops::Range<usize>,
    view: &View,
    sel: &Selection,
    stats: &mut DrawStats,
    opts: DrawOptions,
) {
    for layer in scene.style.layers.get(range).unwrap_or_default() {
        if !layer.visible_at(view.zoom) || !sel.shows_layer(&layer.id) {
            continue;
        }
        if opts.seamless && layer.kind == LayerKind::Line {
            draw_line_layer_seamless(pixmap, scene, layer, view, sel, stats);
        } else {
            draw_layer(pixmap, scene, layer, view, sel, stats);
        }
    }
}

/// The lines of a feature in device pixels, unclipped (polygon outlines closed), thinned as [`line_parts`];
/// parts that lie wholly outside the view and its clip margin are skipped.
fn whole_lines(view: &View, f: &Feature) -> Vec<Vec<Px>> {
    let rings: Vec<&Vec<[f64; 2]>> = match &f.geom {
        Geom::Lines(l) => l.iter().collect(),
        Geom::Polygons(p) => p.iter().flatten().collect(),
        Geom::Points(_) => Vec::new(),
    };
    let reach = view.bbox.grow(CLIP_MARGIN * view.resolution());
    rings
        .into_iter()
        .filter(|r| {
            let mut b = super::mercator::Bbox::empty();
            r.iter().for_each(|p| b.extend(*p));
            b.intersects(&reach)
        })
        .map(|r| {
            let mut pts = to_px(view, r);
            if matches!(f.geom, Geom::Polygons(_)) && pts.first() != pts.last() {
                if let Some(first) = pts.first().copied() {
                    pts.push(first);
                }
            }
            pts
        })
        .filter(|p| p.len() >= 2)
        .collect()
}

/// A line layer drawn for a mosaic piece: see [`DrawOptions::seamless`].
fn draw_line_layer_seamless(
    pixmap: &mut Pixmap,
    scene: &Scene,
    layer: &Layer,
    view: &View,
    sel: &Selection,
    stats: &mut DrawStats,
) {
    let (s, z) = (view.scale, view.zoom);
    let (min, max) = clip_bounds(view);
    let canvas = PxBox::new(min[0], min[1], max[0], max[1]);
    let feats = sort_key_order(layer, "line-sort-key", scene.features(layer, view, sel, CLIP_MARGIN), z);
    for (_, f) in feats {
        let c = ctx(f, z);
        let width = layer.num("line-width", &c, 1.0) * s;
        if width <= 0.0 {
            continue;
        }
        let color = layer.color("line-color", &c, Rgba::BLACK).with_opacity(layer.num("line-opacity", &c, 1.0) as f32);
        let cap = match layer.string("line-cap", &c, "butt").as_str() {
            "round" => LineCap::Round,
            "square" => LineCap::Square,
            _ => LineCap::Butt,
        };
        let join = match layer.string("line-join", &c, "miter").as_str() {
            "round" => LineJoin::Round,
            "bevel" => LineJoin::Bevel,
            _ => LineJoin::Miter,
        };
        let pattern: Option<Vec<f64>> = layer.numbers("line-dasharray", &c).map(|d| {
            let mut v: Vec<f64> = d.iter().map(|x| (x * width).max(0.01)).collect();
            if v.len() % 2 == 1 {
                v.extend(v.clone());
            }
            v
        });
        let period: f64 = pattern.as_ref().map_or(0.0, |v| v.iter().sum());
        let p = paint(color);
        let mut any = false;
        for line in whole_lines(view, f) {
            let line = match layer.arrow {
                Some(a) => {
                    if let Some(head) = arrowhead_path(&line, &a, width) {
                        let b = head.bounds();
                        let hb = PxBox::new(
                            f64::from(b.left()),
                            f64::from(b.top()),
                            f64::from(b.right()),
                            f64::from(b.bottom()),
                        );
                        if hb.intersects(&canvas) {
                            pixmap.fill_path(&head, &p, FillRule::Winding, Transform::identity(), None);
                        }
                    }
                    let pts = if a.smooth { geometry::smooth(&line, 4) } else { line };
                    geometry::trim_end(&pts, a.head_length * width * 0.8)
                }
                None => line,
            };
            for (part, start) in geometry::clip_line_measured(&line, min, max) {
                let dash = pattern.as_ref().and_then(|v| {
                    let phase = if period > 0.0 { start.rem_euclid(period) } else { 0.0 };
                    StrokeDash::new(v.iter().map(|x| *x as f32).collect(), phase as f32)
                });
                let stroke = Stroke {
                    width: width as f32,
                    line_cap: cap,
                    line_join: join,
                    miter_limit: layer.num("line-miter-limit", &c, 2.0) as f32,
                    dash,
                };
                let mut pb = PathBuilder::new();
                pb.move_to(part[0][0] as f32, part[0][1] as f32);
                for q in &part[1..] {
                    pb.line_to(q[0] as f32, q[1] as f32);
                }
                if let Some(path) = pb.finish() {
                    pixmap.stroke_path(&path, &p, &stroke, Transform::identity(), None);
                    any = true;
                }
            }
        }
        if any {
            record(stats, layer, &c);
        }
    }
}

/// Draw one layer.
pub fn draw_layer(
    pixmap: &mut Pixmap,
    scene: &Scene,
    layer: &Layer,
    view: &View,
    sel: &Selection,
    stats: &mut DrawStats,
) {
    let s = view.scale;
    let z = view.zoom;
    match layer.kind {
        LayerKind::Background => {
            let empty = serde_json::Map::new();
            let c = Ctx { props: &empty, id: None, geometry_type: "", zoom: z };
            let color =
                layer
                    .color("background-color", &c, Rgba::BLACK)
                    .with_opacity(layer.num("background-opacity", &c, 1.0) as f32);
            if let Some(rect) = tiny_skia::Rect::from_xywh(0.0, 0.0, pixmap.width() as f32, pixmap.height() as f32) {
                pixmap.fill_rect(rect, &paint(color), Transform::identity(), None);
            }
        }
        LayerKind::Fill => {
            let feats = sort_key_order(layer, "fill-sort-key", scene.features(layer, view, sel, CLIP_MARGIN), z);
            for (_, f) in feats {
                let c = ctx(f, z);
                let polys = polygon_rings(view, f);
                if polys.is_empty() {
                    continue;
                }
                let mut pb = PathBuilder::new();
                for ring in polys.iter().flatten() {
                    pb.move_to(ring[0][0] as f32, ring[0][1] as f32);
                    for p in &ring[1..] {
                        pb.line_to(p[0] as f32, p[1] as f32);
                    }
                    pb.close();
                }
                let Some(path) = pb.finish() else { continue };
                let opacity = layer.num("fill-opacity", &c, 1.0) as f32;
                let color = layer.color("fill-color", &c, Rgba::BLACK).with_opacity(opacity);
                let mut p = paint(color);
                p.anti_alias = layer.value("fill-antialias", &c).as_bool().unwrap_or(true);
                pixmap.fill_path(&path, &p, FillRule::EvenOdd, Transform::identity(), None);
                if layer.has("fill-outline-color") {
                    let oc = layer.color("fill-outline-color", &c, color).with_opacity(opacity);
                    let stroke = Stroke { width: s as f32, ..Stroke::default() };
                    pixmap.stroke_path(&path, &paint(oc), &stroke, Transform::identity(), None);
                }
                record(stats, layer, &c);
            }
        }
        LayerKind::Line => {
            let feats = sort_key_order(layer, "line-sort-key", scene.features(layer, view, sel, CLIP_MARGIN), z);
            for (_, f) in feats {
                let c = ctx(f, z);
                let width = layer.num("line-width", &c, 1.0) * s;
                if width <= 0.0 {
                    continue;
                }
                let color =
                    layer.color("line-color", &c, Rgba::BLACK).with_opacity(layer.num("line-opacity", &c, 1.0) as f32);
                let cap = match layer.string("line-cap", &c, "butt").as_str() {
                    "round" => LineCap::Round,
                    "square" => LineCap::Square,
                    _ => LineCap::Butt,
                };
                let join = match layer.string("line-join", &c, "miter").as_str() {
                    "round" => LineJoin::Round,
                    "bevel" => LineJoin::Bevel,
                    _ => LineJoin::Miter,
                };
                let dash = layer.numbers("line-dasharray", &c).and_then(|d| {
                    let mut v: Vec<f32> = d.iter().map(|x| (x * width).max(0.01) as f32).collect();
                    if v.len() % 2 == 1 {
                        v.extend(v.clone());
                    }
                    StrokeDash::new(v, 0.0)
                });
                let stroke = Stroke {
                    width: width as f32,
                    line_cap: cap,
                    line_join: join,
                    miter_limit: layer.num("line-miter-limit", &c, 2.0) as f32,
                    dash,
                };
                let p = paint(color);
                let mut any = false;
                for part in line_parts(view, f) {
                    let part = match layer.arrow {
                        Some(a) => {
                            draw_arrowhead(pixmap, &part, &a, width, &p);
                            let pts = if a.smooth { geometry::smooth(&part, 4) } else { part };
                            geometry::trim_end(&pts, a.head_length * width * 0.8)
                        }
                        None => part,
                    };
                    if part.len() < 2 {
                        continue;
                    }
                    let mut pb = PathBuilder::new();
                    pb.move_to(part[0][0] as f32, part[0][1] as f32);
                    for q in &part[1..] {
                        pb.line_to(q[0] as f32, q[1] as f32);
                    }
                    if let Some(path) = pb.finish() {
                        pixmap.stroke_path(&path, &p, &stroke, Transform::identity(), None);
                        any = true;
                    }
                }
                if any {
                    record(stats, layer, &c);
                }
            }
        }
        LayerKind::Circle => {
            let feats = sort_key_order(layer, "circle-sort-key", scene.features(layer, view, sel, 16.0), z);
            // Every circle to draw: feature, centre (px), radius.
            let mut dots: Vec<(&Feature, Px, f64)> = Vec::new();
            for (_, f) in feats {
                let Geom::Points(points) = &f.geom else { continue };
                let r = layer.num("circle-radius", &ctx(f, z), 5.0) * s;
                dots.extend(points.iter().map(|p| (f, view.to_px(*p), r)));
            }
            if layer.spread {
                spread_dots(&mut dots, 1.5 * s);
            }
            let mut drawn_feats: Vec<*const Feature> = Vec::new();
            for (f, [x, y], r) in dots {
                let c = ctx(f, z);
                let color =
                    layer
                        .color("circle-color", &c, Rgba::BLACK)
                        .with_opacity(layer.num("circle-opacity", &c, 1.0) as f32);
                let sw = layer.num("circle-stroke-width", &c, 0.0) * s;
                let sc = layer.color("circle-stroke-color", &c, Rgba::BLACK).with_opacity(layer.num(
                    "circle-stroke-opacity",
                    &c,
                    1.0,
                ) as f32);
                if x < -r - sw
                    || y < -r - sw
                    || x > f64::from(view.width) + r + sw
                    || y > f64::from(view.height) + r + sw
                {
                    continue;
                }
                let Some(path) = PathBuilder::from_circle(x as f32, y as f32, r.max(0.1) as f32) else { continue };
                pixmap.fill_path(&path, &paint(color), FillRule::Winding, Transform::identity(), None);
                if sw > 0.0 {
                    let stroke = Stroke { width: sw as f32, ..Stroke::default() };
                    pixmap.stroke_path(&path, &paint(sc), &stroke, Transform::identity(), None);
                }
                if layer.label_obstacle {
                    let e = r + sw / 2.0;
                    stats.obstacles.push(PxBox::new(x - e, y - e, x + e, y + e));
                }
                if !drawn_feats.contains(&(f as *const Feature)) {
                    drawn_feats.push(f as *const Feature);
                    record(stats, layer, &c);
                }
            }
        }
        LayerKind::Symbol => {}
    }
}

/// Arrange circles that share a spot on a ring around it, in drawing order from the top, clockwise, so
/// neighbours just touch with a `gap`. Deterministic: groups form in input order.
pub fn spread_dots(dots: &mut [(&Feature, Px, f64)], gap: f64) {
    let mut groups: Vec<(Px, Vec<usize>)> = Vec::new();
    for (i, (_, p, _)) in dots.iter().enumerate() {
        match groups.iter_mut().find(|(c, _)| (c[0] - p[0]).abs() < 1.0 && (c[1] - p[1]).abs() < 1.0) {
            Some((_, members)) => members.push(i),
            None => groups.push((*p, vec![i])),
        }
    }
    for (c, members) in groups {
        let n = members.len();
        if n < 2 {
            continue;
        }
        let r = members.iter().map(|&i| dots[i].2).fold(0.0, f64::max);
        let ring = ((r + gap / 2.0) / (std::f64::consts::PI / n as f64).sin()).max(r * 1.6);
        for (k, &i) in members.iter().enumerate() {
            let a = -std::f64::consts::FRAC_PI_2 + 2.0 * std::f64::consts::PI * k as f64 / n as f64;
            dots[i].1 = [c[0] + ring * a.cos(), c[1] + ring * a.sin()];
        }
    }
}

/// The filled triangle at the tip (last vertex) of an arrow, pointing along the line's final stretch.
fn draw_arrowhead(pixmap: &mut Pixmap, pts: &[Px], a: &ArrowSpec, width: f64, p: &Paint<'_>) {
    if let Some(path) = arrowhead_path(pts, a, width) {
        pixmap.fill_path(&path, p, FillRule::Winding, Transform::identity(), None);
    }
}

/// The arrowhead triangle as a path (also used by the legend swatch).
pub fn arrowhead_path(pts: &[Px], a: &ArrowSpec, width: f64) -> Option<tiny_skia::Path> {
    let tip = *pts.last()?;
    let (len, half) = (a.head_length * width, a.head_width * width / 2.0);
    let smooth = if a.smooth { geometry::smooth(pts, 4) } else { pts.to_vec() };
    let base = *geometry::trim_end(&smooth, len).last()?;
    let (dx, dy) = (tip[0] - base[0], tip[1] - base[1]);
    let d = dx.hypot(dy);
    if d < 1e-6 {
        return None;
    }
    let (ux, uy) = (dx / d, dy / d);
    let b = [tip[0] - ux * len, tip[1] - uy * len];
    let mut pb = PathBuilder::new();
    pb.move_to(tip[0] as f32, tip[1] as f32);
    pb.line_to((b[0] - uy * half) as f32, (b[1] + ux * half) as f32);
    pb.line_to((b[0] - ux * len * 0.15) as f32, (b[1] - uy * len * 0.15) as f32);
    pb.line_to((b[0] + uy * half) as f32, (b[1] - ux * half) as f32);
    pb.close();
    pb.finish()
}
