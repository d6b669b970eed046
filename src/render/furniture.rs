//! Map furniture: title block, legend generated from the style, scale bar true at the view's centre
//! latitude, north arrow, attribution line, and the boxes that frame insets. Everything is laid out
//! first (so labels can avoid it) and drawn last, over the map.

use super::draw::{self, DrawStats, PxBox};
use super::expr::{Ctx, Rgba};
use super::mercator::View;
use super::scene::{Scene, Selection};
use super::style::{ArrowSpec, Layer, LayerKind, LegendSpec};
use super::text::{FaceId, fonts};
use tiny_skia::{FillRule, LineCap, LineJoin, PathBuilder, Pixmap, Stroke, StrokeDash, Transform};

/// Ink and paper of the furniture.
pub const INK: Rgba = Rgba { r: 0.13, g: 0.13, b: 0.15, a: 1.0 };
/// Paper of the panels: white, slightly see-through so the map shows it is under them.
pub const PAPER: Rgba = Rgba { r: 1.0, g: 1.0, b: 1.0, a: 0.92 };
const RULE: Rgba = Rgba { r: 0.55, g: 0.55, b: 0.58, a: 1.0 };

/// Width and height in device pixels of a single line of text.
pub fn measure(text: &str, face: FaceId, size: f64) -> (f64, f64) {
    let b = fonts().shape_block(text, face, size as f32, 0.0, f32::MAX, 1.25);
    (f64::from(b.width), f64::from(b.height()))
}

/// Draw text whose box's top-left is at (`left`, `top`); returns the box.
#[allow(clippy::too_many_arguments)]
pub fn draw_text(
    pixmap: &mut Pixmap,
    text: &str,
    face: FaceId,
    size: f64,
    left: f64,
    top: f64,
    color: Rgba,
    halo: Option<(Rgba, f64)>,
) -> PxBox {
    let f = fonts();
    let block = f.shape_block(text, face, size as f32, 0.0, f32::MAX, 1.25);
    if let Some(path) = f.block_path(&block, left as f32, top as f32, 0.0) {
        if let Some((hc, hw)) = halo {
            let stroke = Stroke { width: (hw * 2.0) as f32, line_join: LineJoin::Round, ..Stroke::default() };
            pixmap.stroke_path(&path, &draw::paint(hc), &stroke, Transform::identity(), None);
        }
        pixmap.fill_path(&path, &draw::paint(color), FillRule::Winding, Transform::identity(), None);
    }
    PxBox::new(left, top, left + f64::from(block.width), top + f64::from(block.height()))
}

/// A framed panel (title block, legend, inset frame).
pub fn draw_panel(pixmap: &mut Pixmap, b: &PxBox, fill: Rgba, stroke: Rgba, width: f64) {
    let Some(rect) = tiny_skia::Rect::from_ltrb(b.x0 as f32, b.y0 as f32, b.x1 as f32, b.y1 as f32) else { return };
    if fill.a > 0.0 {
        pixmap.fill_rect(rect, &draw::paint(fill), Transform::identity(), None);
    }
    if width > 0.0 {
        let path = PathBuilder::from_rect(rect);
        let stroke_style = Stroke { width: width as f32, ..Stroke::default() };
        pixmap.stroke_path(&path, &draw::paint(stroke), &stroke_style, Transform::identity(), None);
    }
}

/// Title block: title, subtitle and a note, top-left. Returns its box.
#[derive(Debug, Clone)]
pub struct TitleBlock {
    pub title: String,
    pub subtitle: String,
    pub note: String,
}

impl TitleBlock {
    const TITLE: f64 = 26.0;
    const SUB: f64 = 15.0;
    const NOTE: f64 = 11.5;

    /// The block's box at (`x`, `y`).
    pub fn layout(&self, x: f64, y: f64, s: f64) -> PxBox {
        let pad = 12.0 * s;
        let mut w: f64 = 0.0;
        let mut h = 0.0;
        for (t, face, size) in self.rows(s) {
            let (tw, th) = measure(&t, face, size);
            w = w.max(tw);
            h += th;
        }
        PxBox::new(x, y, x + w + 2.0 * pad, y + h + 2.0 * pad)
    }

    fn rows(&self, s: f64) -> Vec<(String, FaceId, f64)> {
        let mut rows = vec![(self.title.clone(), FaceId::Bold, Self::TITLE * s)];
        if !self.subtitle.is_empty() {
            rows.push((self.subtitle.clone(), FaceId::Regular, Self::SUB * s));
        }
        if !self.note.is_empty() {
            rows.push((self.note.clone(), FaceId::Oblique, Self::NOTE * s));
        }
        rows
    }

    /// Draw the block into the box [`TitleBlock::layout`] gave.
    pub fn draw(&self, pixmap: &mut Pixmap, b: &PxBox, s: f64) {
        draw_panel(pixmap, b, PAPER, RULE, 1.0 * s);
        let pad = 12.0 * s;
        let mut y = b.y0 + pad;
        for (t, face, size) in self.rows(s) {
            let color = if face == FaceId::Oblique { Rgba::rgb8(90, 90, 95, 1.0) } else { INK };
            let bx = draw_text(pixmap, &t, face, size, b.x0 + pad, y, color, None);
            y = bx.y1;
        }
        // An accent rule left of the block, as newsroom maps do.
        draw_panel(pixmap, &PxBox::new(b.x0, b.y0, b.x0 + 4.0 * s, b.y1), Rgba::rgb8(178, 34, 34, 1.0), INK, 0.0);
    }
}

/// How a legend entry is drawn.
#[derive(Debug, Clone)]
pub enum Swatch {
    Fill { fill: Rgba, outline: Option<Rgba> },
    Line { color: Rgba, width: f64, dash: Option<Vec<f64>>, arrow: Option<ArrowSpec> },
    Circle { radius: f64, fill: Rgba, stroke: Rgba, stroke_width: f64 },
}

/// One legend row.
#[derive(Debug, Clone)]
pub struct LegendEntry {
    pub swatch: Swatch,
    pub label: String,
}

fn swatch(layer: &Layer, c: &Ctx<'_>) -> Option<Swatch> {
    Some(match layer.kind {
        LayerKind::Fill => {
            let o = layer.num("fill-opacity", c, 1.0) as f32;
            Swatch::Fill {
                fill: layer.color("fill-color", c, Rgba::BLACK).with_opacity(o),
                outline: layer.has("fill-outline-color").then(|| layer.color("fill-outline-color", c, Rgba::BLACK)),
            }
        }
        LayerKind::Line => Swatch::Line {
            color: layer.color("line-color", c, Rgba::BLACK).with_opacity(layer.num("line-opacity", c, 1.0) as f32),
            width: layer.num("line-width", c, 1.0),
            dash: layer.numbers("line-dasharray", c),
            arrow: layer.arrow,
        },
        LayerKind::Circle => Swatch::Circle {
            radius: layer.num("circle-radius", c, 5.0),
            fill: layer.color("circle-color", c, Rgba::BLACK).with_opacity(layer.num("circle-opacity", c, 1.0) as f32),
            stroke: layer.color("circle-stroke-color", c, Rgba::BLACK),
            stroke_width: layer.num("circle-stroke-width", c, 0.0),
        },
        LayerKind::Background | LayerKind::Symbol => return None,
    })
}

/// The legend of a view, from the style: each layer with `"frontmap:legend"` metadata that drew something,
/// and of its sample entries those whose colour was drawn. Order: the style's, top layer first.
pub fn legend_entries(scene: &Scene, view: &View, sel: &Selection, stats: &DrawStats) -> Vec<LegendEntry> {
    let mut out = Vec::new();
    for layer in scene.style.layers.iter().rev() {
        let Some(spec) = &layer.legend else { continue };
        if !sel.shows_layer(&layer.id)
            || !layer.visible_at(view.zoom)
            || stats.drawn.get(&layer.id).copied().unwrap_or(0) == 0
        {
            continue;
        }
        match spec {
            LegendSpec::Single(label) => {
                let empty = serde_json::Map::new();
                let c = Ctx { props: &empty, id: None, geometry_type: "", zoom: view.zoom };
                if let Some(sw) = swatch(layer, &c) {
                    out.push(LegendEntry { swatch: sw, label: label.clone() });
                }
            }
            LegendSpec::Samples(entries) => {
                let seen = stats.values.get(&layer.id);
                for (props, label) in entries {
                    let c = Ctx { props, id: None, geometry_type: "", zoom: view.zoom };
                    // Two layers drawing the same thing (axes and pincer jaws) share one entry.
                    if !seen.is_some_and(|s| s.contains(&draw::signature(layer, &c)))
                        || out.iter().any(|e: &LegendEntry| e.label == *label)
                    {
                        continue;
                    }
                    if let Some(sw) = swatch(layer, &c) {
                        out.push(LegendEntry { swatch: sw, label: label.clone() });
                    }
                }
            }
        }
    }
    out
}

/// Legend geometry: rows of swatch + label, in one or more columns.
#[derive(Debug, Clone)]
pub struct Legend {
    pub entries: Vec<LegendEntry>,
    pub title: String,
}

impl Legend {
    const SIZE: f64 = 13.0;
    const ROW: f64 = 21.0;
    const SWATCH: f64 = 30.0;

    /// The legend's box with its bottom-left at (`x`, `bottom`), in `columns` columns.
    pub fn layout(&self, x: f64, bottom: f64, s: f64, columns: usize) -> PxBox {
        let (w, h) = self.size(s, columns);
        PxBox::new(x, bottom - h, x + w, bottom)
    }

    fn col_width(&self, s: f64) -> f64 {
        self.entries.iter().map(|e| measure(&e.label, FaceId::Regular, Self::SIZE * s).0).fold(0.0, f64::max)
            + (Self::SWATCH + 10.0) * s
    }

    fn rows(&self, columns: usize) -> usize {
        self.entries.len().div_ceil(columns.max(1))
    }

    /// Width and height in device pixels.
    pub fn size(&self, s: f64, columns: usize) -> (f64, f64) {
        let pad = 10.0 * s;
        let title_h = measure(&self.title, FaceId::Bold, 14.0 * s).1 + 4.0 * s;
        let cols = columns.max(1) as f64;
        let w = (self.col_width(s) * cols + 16.0 * s * (cols - 1.0))
            .max(measure(&self.title, FaceId::Bold, 14.0 * s).0)
            + 2.0 * pad;
        let h = title_h + self.rows(columns) as f64 * Self::ROW * s + 2.0 * pad;
        (w, h)
    }

    /// Draw the legend into the box [`Legend::layout`] gave.
    pub fn draw(&self, pixmap: &mut Pixmap, b: &PxBox, s: f64, columns: usize) {
        draw_panel(pixmap, b, PAPER, RULE, 1.0 * s);
        let pad = 10.0 * s;
        let t = draw_text(pixmap, &self.title, FaceId::Bold, 14.0 * s, b.x0 + pad, b.y0 + pad, INK, None);
        let top = t.y1 + 4.0 * s;
        let rows = self.rows(columns);
        let colw = self.col_width(s) + 16.0 * s;
        for (i, e) in self.entries.iter().enumerate() {
            let (col, row) = (i / rows.max(1), i % rows.max(1));
            let x = b.x0 + pad + col as f64 * colw;
            let y = top + row as f64 * Self::ROW * s;
            let cy = y + Self::ROW * s / 2.0;
            draw_swatch(pixmap, &e.swatch, x, cy, Self::SWATCH * s, s);
            let (_, th) = measure(&e.label, FaceId::Regular, Self::SIZE * s);
            draw_text(
                pixmap,
                &e.label,
                FaceId::Regular,
                Self::SIZE * s,
                x + (Self::SWATCH + 8.0) * s,
                cy - th / 2.0,
                INK,
                None,
            );
        }
    }
}

fn draw_swatch(pixmap: &mut Pixmap, sw: &Swatch, x: f64, cy: f64, w: f64, s: f64) {
    match sw {
        Swatch::Fill { fill, outline } => {
            let b = PxBox::new(x, cy - 7.0 * s, x + w, cy + 7.0 * s);
            draw_panel(pixmap, &b, *fill, outline.unwrap_or(Rgba::rgb8(120, 120, 120, 1.0)), 1.0 * s);
        }
        Swatch::Line { color, width, dash, arrow } => {
            let lw = (width * s).min(6.0 * s).max(1.0 * s);
            let (x0, x1) = (x + 1.0 * s, x + w - 1.0 * s);
            let mut shaft_end = x1;
            if let Some(a) = arrow {
                let pts = [[x0, cy], [x1, cy]];
                let small = ArrowSpec { smooth: false, ..*a };
                if let Some(p) = draw::arrowhead_path(&pts, &small, lw) {
                    pixmap.fill_path(&p, &draw::paint(*color), FillRule::Winding, Transform::identity(), None);
                }
                shaft_end = x1 - a.head_length * lw * 0.8;
            }
            let mut pb = PathBuilder::new();
            pb.move_to(x0 as f32, cy as f32);
            pb.line_to(shaft_end as f32, cy as f32);
            if let Some(path) = pb.finish() {
                let dash = dash.as_ref().and_then(|d| {
                    let mut v: Vec<f32> = d.iter().map(|x| (x * lw).max(0.01) as f32).collect();
                    if v.len() % 2 == 1 {
                        v.extend(v.clone());
                    }
                    StrokeDash::new(v, 0.0)
                });
                let stroke = Stroke { width: lw as f32, line_cap: LineCap::Butt, dash, ..Stroke::default() };
                pixmap.stroke_path(&path, &draw::paint(*color), &stroke, Transform::identity(), None);
            }
        }
        Swatch::Circle { radius, fill, stroke, stroke_width } => {
            let r = (radius * s).min(8.0 * s);
            if let Some(p) = PathBuilder::from_circle((x + w / 2.0) as f32, cy as f32, r as f32) {
                pixmap.fill_path(&p, &draw::paint(*fill), FillRule::Winding, Transform::identity(), None);
                if *stroke_width > 0.0 {
                    let st = Stroke { width: (stroke_width * s) as f32, ..Stroke::default() };
                    pixmap.stroke_path(&p, &draw::paint(*stroke), &st, Transform::identity(), None);
                }
            }
        }
    }
}

/// A scale bar: a round ground length whose pixel length is true at the view's centre latitude.
#[derive(Debug, Clone)]
pub struct ScaleBar {
    pub metres: f64,
    pub px: f64,
    pub segments: u32,
}

impl ScaleBar {
    /// The longest round length (1, 2, 5 × 10ⁿ m) not longer than `max_px` device pixels.
    pub fn for_view(view: &View, max_px: f64) -> ScaleBar {
        let ground = view.ground_resolution_at_center();
        let max_m = max_px * ground;
        let mut best = 1.0;
        let mut p = 1.0;
        while p <= max_m * 10.0 {
            for m in [1.0, 2.0, 5.0] {
                if m * p <= max_m {
                    best = m * p;
                }
            }
            p *= 10.0;
        }
        let lead = best / 10f64.powf(best.log10().floor());
        let segments = if (lead - 2.0).abs() < 1e-9 {
            2
        } else if (lead - 5.0).abs() < 1e-9 {
            5
        } else {
            4
        };
        ScaleBar { metres: best, px: best / ground, segments }
    }

    fn label(&self) -> String {
        if self.metres >= 1000.0 { format!("{} km", self.metres / 1000.0) } else { format!("{} m", self.metres) }
    }

    /// The bar's box with its bottom-right at (`right`, `bottom`).
    pub fn layout(&self, right: f64, bottom: f64, s: f64) -> PxBox {
        let (lw, lh) = measure(&self.label(), FaceId::Regular, 12.0 * s);
        let w = self.px + lw / 2.0 + 16.0 * s;
        let h = lh + 8.0 * s + 14.0 * s;
        PxBox::new(right - w, bottom - h, right, bottom)
    }

    /// Draw the bar into the box [`ScaleBar::layout`] gave.
    pub fn draw(&self, pixmap: &mut Pixmap, b: &PxBox, s: f64) {
        draw_panel(pixmap, b, PAPER, RULE, 0.0);
        let x0 = b.x0 + 8.0 * s;
        let y = b.y1 - 10.0 * s;
        let seg = self.px / f64::from(self.segments);
        for i in 0..self.segments {
            let c = if i % 2 == 0 { INK } else { Rgba::WHITE };
            let r = PxBox::new(x0 + f64::from(i) * seg, y - 5.0 * s, x0 + f64::from(i + 1) * seg, y);
            draw_panel(pixmap, &r, c, INK, 1.0 * s);
        }
        let (zw, _) = measure("0", FaceId::Regular, 12.0 * s);
        let (_, lh) = measure(&self.label(), FaceId::Regular, 12.0 * s);
        draw_text(pixmap, "0", FaceId::Regular, 12.0 * s, x0 - zw / 2.0, y - 7.0 * s - lh, INK, None);
        let (lw, _) = measure(&self.label(), FaceId::Regular, 12.0 * s);
        draw_text(
            pixmap,
            &self.label(),
            FaceId::Regular,
            12.0 * s,
            x0 + self.px - lw / 2.0,
            y - 7.0 * s - lh,
            INK,
            None,
        );
    }
}

/// North arrow (Web Mercator keeps north up everywhere) centred at (`cx`, `cy`); returns its box.
pub fn north_arrow_box(cx: f64, cy: f64, s: f64) -> PxBox {
    PxBox::new(cx - 14.0 * s, cy - 30.0 * s, cx + 14.0 * s, cy + 22.0 * s)
}

/// Draw the north arrow into the box [`north_arrow_box`] gave.
pub fn draw_north_arrow(pixmap: &mut Pixmap, b: &PxBox, s: f64) {
    let cx = (b.x0 + b.x1) / 2.0;
    let top = b.y0 + 18.0 * s;
    let bottom = b.y1 - 2.0 * s;
    let half = 8.0 * s;
    let mid = bottom - 10.0 * s;
    let tri = |pts: &[(f64, f64)]| {
        let mut pb = PathBuilder::new();
        pb.move_to(pts[0].0 as f32, pts[0].1 as f32);
        for p in &pts[1..] {
            pb.line_to(p.0 as f32, p.1 as f32);
        }
        pb.close();
        pb.finish()
    };
    if let Some(p) = tri(&[(cx, top), (cx - half, bottom), (cx, mid)]) {
        pixmap.fill_path(&p, &draw::paint(INK), FillRule::Winding, Transform::identity(), None);
    }
    if let Some(p) = tri(&[(cx, top), (cx + half, bottom), (cx, mid)]) {
        pixmap.fill_path(&p, &draw::paint(Rgba::WHITE), FillRule::Winding, Transform::identity(), None);
        let st = Stroke { width: (1.0 * s) as f32, line_join: LineJoin::Round, ..Stroke::default() };
        pixmap.stroke_path(&p, &draw::paint(INK), &st, Transform::identity(), None);
    }
    let (w, _) = measure("N", FaceId::Bold, 14.0 * s);
    draw_text(pixmap, "N", FaceId::Bold, 14.0 * s, cx - w / 2.0, b.y0, INK, Some((Rgba::WHITE, 2.0 * s)));
}

/// The attribution strip along the bottom edge: its box.
pub fn attribution_box(text: &str, width: f64, height: f64, s: f64) -> PxBox {
    let (_, h) = measure(text, FaceId::Regular, 11.0 * s);
    PxBox::new(0.0, height - h - 6.0 * s, width, height)
}

/// Draw the attribution strip, text right-aligned.
pub fn draw_attribution(pixmap: &mut Pixmap, text: &str, b: &PxBox, s: f64) {
    draw_panel(pixmap, b, Rgba { a: 0.85, ..Rgba::WHITE }, RULE, 0.0);
    let (w, _) = measure(text, FaceId::Regular, 11.0 * s);
    draw_text(
        pixmap,
        text,
        FaceId::Regular,
        11.0 * s,
        (b.x1 - w - 8.0 * s).max(b.x0 + 4.0 * s),
        b.y0 + 3.0 * s,
        Rgba::rgb8(60, 60, 66, 1.0),
        None,
    );
}

/// A rectangle outline (sheet extents on the theatre, the main extent on the inset).
pub fn draw_frame(pixmap: &mut Pixmap, b: &PxBox, color: Rgba, width: f64, dashed: bool) {
    let Some(rect) = tiny_skia::Rect::from_ltrb(b.x0 as f32, b.y0 as f32, b.x1 as f32, b.y1 as f32) else { return };
    let path = PathBuilder::from_rect(rect);
    let dash = if dashed { StrokeDash::new(vec![(width * 4.0) as f32, (width * 2.0) as f32], 0.0) } else { None };
    let st = Stroke { width: width as f32, dash, ..Stroke::default() };
    pixmap.stroke_path(&path, &draw::paint(color), &st, Transform::identity(), None);
}
