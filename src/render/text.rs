//! Text: shaping with harfrust (kerning, French accents, Arabic joined and laid right-to-left) and glyph
//! outlines from the bundled DejaVu Sans, turned into tiny-skia paths. Labels are drawn as paths with a
//! halo, so they look the same on every machine and need no system fonts.

use harfrust::{Buffer, Direction, ShapeOptions, ShaperFont};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};
use tiny_skia::{Path, PathBuilder};

/// One of the bundled faces; style `text-font` names map onto them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FaceId {
    Regular,
    Bold,
    Oblique,
    BoldOblique,
}

impl FaceId {
    /// The face for a MapLibre `text-font` stack (the first name that says Bold/Oblique/Italic wins).
    pub fn from_font_stack(names: &[String]) -> FaceId {
        let name = names.first().map(|s| s.to_ascii_lowercase()).unwrap_or_default();
        let bold = name.contains("bold");
        let oblique = name.contains("oblique") || name.contains("italic");
        match (bold, oblique) {
            (true, true) => FaceId::BoldOblique,
            (true, false) => FaceId::Bold,
            (false, true) => FaceId::Oblique,
            (false, false) => FaceId::Regular,
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

#[derive(Debug, Clone, Copy)]
enum Seg {
    Move(f32, f32),
    Line(f32, f32),
    Quad(f32, f32, f32, f32),
    Cubic(f32, f32, f32, f32, f32, f32),
    Close,
}

struct Collect(Vec<Seg>);

impl ttf_parser::OutlineBuilder for Collect {
    fn move_to(&mut self, x: f32, y: f32) {
        self.0.push(Seg::Move(x, y));
    }
    fn line_to(&mut self, x: f32, y: f32) {
        self.0.push(Seg::Line(x, y));
    }
    fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
        self.0.push(Seg::Quad(x1, y1, x, y));
    }
    fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
        self.0.push(Seg::Cubic(x1, y1, x2, y2, x, y));
    }
    fn close(&mut self) {
        self.0.push(Seg::Close);
    }
}

struct Face {
    shaping: harfrust::Font,
    outlines: ttf_parser::Face<'static>,
    units_per_em: f32,
    ascender: f32,
    descender: f32,
    cache: RwLock<HashMap<u16, Arc<[Seg]>>>,
    /// Shaping plans by segment properties: compiling one costs more than shaping a label with it.
    plans: RwLock<HashMap<PlanKey, Arc<harfrust::ShapePlan>>>,
}

/// What a shaping plan depends on besides the face.
type PlanKey = (Direction, Option<harfrust::Script>, Option<harfrust::Language>);

impl Face {
    fn load(bytes: &'static [u8]) -> Option<Face> {
        let outlines = ttf_parser::Face::parse(bytes, 0).ok()?;
        let shaping = harfrust::Font::new(bytes, 0)?;
        let units_per_em = f32::from(outlines.units_per_em());
        Some(Face {
            ascender: f32::from(outlines.ascender()),
            descender: f32::from(outlines.descender()),
            shaping,
            outlines,
            units_per_em,
            cache: RwLock::new(HashMap::new()),
            plans: RwLock::new(HashMap::new()),
        })
    }

    /// The plan for a buffer's direction, script and language, compiled once.
    fn plan(&self, buf: &Buffer) -> Arc<harfrust::ShapePlan> {
        let key: PlanKey = (buf.direction(), buf.script(), buf.language().cloned());
        if let Some(p) = self.plans.read().ok().and_then(|c| c.get(&key).cloned()) {
            return p;
        }
        let plan = Arc::new(harfrust::ShapePlan::new(&self.shaping, key.0, key.1, key.2.as_ref(), &[]));
        if let Ok(mut plans) = self.plans.write() {
            plans.insert(key, plan.clone());
        }
        plan
    }

    fn outline(&self, gid: u16) -> Arc<[Seg]> {
        if let Some(o) = self.cache.read().ok().and_then(|c| c.get(&gid).cloned()) {
            return o;
        }
        let mut c = Collect(Vec::new());
        self.outlines.outline_glyph(ttf_parser::GlyphId(gid), &mut c);
        let segs: Arc<[Seg]> = c.0.into();
        if let Ok(mut cache) = self.cache.write() {
            cache.insert(gid, segs.clone());
        }
        segs
    }
}

/// The bundled fonts (DejaVu Sans 2.37 from the `dejavu` crate: Latin, accents and Arabic).
pub struct Fonts {
    faces: Vec<Face>,
    /// Lines shaped so far: every tile level and sheet places the same labels, each shaped once per process.
    lines: RwLock<HashMap<LineKey, Arc<ShapedLine>>>,
}

/// What a shaped line depends on: its text, face, size and letter spacing (the two as bits).
type LineKey = (String, FaceId, u32, u32);

/// Most lines [`Fonts`] keeps shaped; beyond, it starts afresh (a watch session sees label texts come and go).
const LINES_KEPT: usize = 1 << 16;

/// The fonts, parsed once per process.
pub fn fonts() -> &'static Fonts {
    static FONTS: OnceLock<Fonts> = OnceLock::new();
    FONTS.get_or_init(|| {
        let sources: [&'static [u8]; 4] =
            [dejavu::sans::regular(), dejavu::sans::bold(), dejavu::sans::oblique(), dejavu::sans::bold_oblique()];
        // The bundled fonts are part of the binary; they parse, or the build itself is broken.
        let faces = sources.iter().filter_map(|b| Face::load(b)).collect::<Vec<_>>();
        Fonts { faces, lines: RwLock::new(HashMap::new()) }
    })
}

/// A positioned glyph of a shaped line: pen position in pixels from the line's left end, on the baseline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Glyph {
    pub face: FaceId,
    pub id: u16,
    pub x: f32,
    pub y: f32,
    pub advance: f32,
}

/// One shaped line of text at a pixel size, glyphs in visual (left-to-right) order.
#[derive(Debug, Clone, PartialEq)]
pub struct ShapedLine {
    pub glyphs: Vec<Glyph>,
    pub width: f32,
    pub size: f32,
}

/// A block of shaped lines: what a point or area label draws.
#[derive(Debug, Clone, PartialEq)]
pub struct TextBlock {
    pub lines: Vec<ShapedLine>,
    pub width: f32,
    pub line_height: f32,
    pub ascent: f32,
    pub descent: f32,
}

impl TextBlock {
    /// Height of the block: lines × line height.
    pub fn height(&self) -> f32 {
        self.line_height * self.lines.len() as f32
    }
}

fn is_rtl(c: char) -> bool {
    matches!(c as u32, 0x0590..=0x08FF | 0xFB1D..=0xFDFF | 0xFE70..=0xFEFF)
}

fn is_strong_ltr(c: char) -> bool {
    c.is_alphanumeric() && !is_rtl(c)
}

/// Split text into directional runs (a minimal bidi: strong characters decide, neutrals join the run they
/// are in) and give them in visual order.
fn visual_runs(text: &str) -> Vec<(String, bool)> {
    let mut runs: Vec<(String, bool)> = Vec::new();
    for c in text.chars() {
        let dir = if is_rtl(c) {
            Some(true)
        } else if is_strong_ltr(c) {
            Some(false)
        } else {
            None
        };
        match (runs.last_mut(), dir) {
            (Some((s, rtl)), Some(d)) if *rtl == d => s.push(c),
            (Some((s, _)), None) => s.push(c),
            (_, d) => runs.push((c.to_string(), d.unwrap_or(false))),
        }
    }
    // A run of neutrals only (e.g. leading punctuation) takes the direction of the next strong run.
    let base_rtl = runs.iter().find(|(s, _)| s.chars().any(|c| is_rtl(c) || is_strong_ltr(c))).is_some_and(|(_, r)| *r);
    if base_rtl {
        runs.reverse();
        // Spaces that separated runs now sit on the wrong side: move trailing spaces of a run to its front.
        for (s, rtl) in &mut runs {
            if !*rtl {
                let trimmed = s.trim_end().to_string();
                let spaces = s.len() - trimmed.len();
                *s = format!("{}{}", " ".repeat(spaces), trimmed);
            }
        }
    }
    runs
}

impl Fonts {
    fn face(&self, id: FaceId) -> Option<&Face> {
        self.faces.get(id.index()).or_else(|| self.faces.first())
    }

    /// Shape one line at `size` pixels, with `letter_spacing` in ems added after each glyph.
    pub fn shape_line(&self, text: &str, face_id: FaceId, size: f32, letter_spacing: f32) -> ShapedLine {
        let key: LineKey = (text.to_string(), face_id, size.to_bits(), letter_spacing.to_bits());
        if let Some(line) = self.lines.read().ok().and_then(|c| c.get(&key).cloned()) {
            return (*line).clone();
        }
        let line = self.shape_line_anew(text, face_id, size, letter_spacing);
        if let Ok(mut lines) = self.lines.write() {
            if lines.len() >= LINES_KEPT {
                lines.clear();
            }
            lines.insert(key, Arc::new(line.clone()));
        }
        line
    }

    /// [`Fonts::shape_line`] without the memo.
    fn shape_line_anew(&self, text: &str, face_id: FaceId, size: f32, letter_spacing: f32) -> ShapedLine {
        let mut glyphs = Vec::new();
        let mut pen = 0.0f32;
        let Some(face) = self.face(face_id) else { return ShapedLine { glyphs, width: 0.0, size } };
        let s = size / face.units_per_em;
        let shaper = ShaperFont::new(&face.shaping);
        for (run, rtl) in visual_runs(text) {
            let mut buf = Buffer::new();
            buf.push_str(&run);
            buf.guess_segment_properties();
            buf.set_direction(if rtl { Direction::RightToLeft } else { Direction::LeftToRight });
            let plan = face.plan(&buf);
            if harfrust::shape(&shaper, &mut buf, ShapeOptions::new().plan(Some(&plan))).is_err() {
                continue;
            }
            for (info, pos) in buf.glyph_infos().iter().zip(buf.glyph_positions()) {
                let advance = pos.x_advance as f32 * s;
                glyphs.push(Glyph {
                    face: face_id,
                    id: u16::try_from(info.glyph_id).unwrap_or(0),
                    x: pen + pos.x_offset as f32 * s,
                    y: -(pos.y_offset as f32) * s,
                    advance,
                });
                pen += advance;
                if letter_spacing != 0.0 && advance > 0.0 {
                    pen += letter_spacing * size;
                }
            }
        }
        if letter_spacing > 0.0 && pen > 0.0 {
            pen -= letter_spacing * size;
        }
        ShapedLine { glyphs, width: pen, size }
    }

    /// Shape a block: explicit newlines, and greedy wrapping at spaces beyond `max_width` pixels.
    pub fn shape_block(
        &self,
        text: &str,
        face: FaceId,
        size: f32,
        letter_spacing: f32,
        max_width: f32,
        line_height: f32,
    ) -> TextBlock {
        let mut lines = Vec::new();
        for para in text.split('\n') {
            let words: Vec<&str> = para.split(' ').filter(|w| !w.is_empty()).collect();
            let mut current = String::new();
            for w in words {
                let candidate = if current.is_empty() { w.to_string() } else { format!("{current} {w}") };
                if !current.is_empty() && self.shape_line(&candidate, face, size, letter_spacing).width > max_width {
                    lines.push(self.shape_line(&current, face, size, letter_spacing));
                    current = w.to_string();
                } else {
                    current = candidate;
                }
            }
            if !current.is_empty() {
                lines.push(self.shape_line(&current, face, size, letter_spacing));
            }
        }
        let (ascent, descent) = self.face(face).map_or((size * 0.76, size * 0.24), |f| {
            (f.ascender / f.units_per_em * size, -f.descender / f.units_per_em * size)
        });
        let width = lines.iter().map(|l| l.width).fold(0.0, f32::max);
        TextBlock { lines, width, line_height: size * line_height, ascent, descent }
    }

    /// Append one glyph's outline to `pb`, scaled to `size`, rotated by `angle` (radians, clockwise in
    /// screen space) about its pen position, which lands at (`ox`, `oy`) (y down).
    pub fn append_glyph(&self, pb: &mut PathBuilder, g: &Glyph, size: f32, ox: f32, oy: f32, angle: f32) {
        let Some(face) = self.face(g.face) else { return };
        let s = size / face.units_per_em;
        let (sin, cos) = angle.sin_cos();
        let t = |x: f32, y: f32| -> (f32, f32) {
            let (px, py) = (x * s, -y * s);
            (ox + px * cos - py * sin, oy + px * sin + py * cos)
        };
        for seg in face.outline(g.id).iter() {
            match *seg {
                Seg::Move(x, y) => {
                    let (a, b) = t(x, y);
                    pb.move_to(a, b);
                }
                Seg::Line(x, y) => {
                    let (a, b) = t(x, y);
                    pb.line_to(a, b);
                }
                Seg::Quad(x1, y1, x, y) => {
                    let ((a1, b1), (a, b)) = (t(x1, y1), t(x, y));
                    pb.quad_to(a1, b1, a, b);
                }
                Seg::Cubic(x1, y1, x2, y2, x, y) => {
                    let ((a1, b1), (a2, b2), (a, b)) = (t(x1, y1), t(x2, y2), t(x, y));
                    pb.cubic_to(a1, b1, a2, b2, a, b);
                }
                Seg::Close => pb.close(),
            }
        }
    }

    /// The path of a text block whose box's top-left corner is at (`left`, `top`); lines centred
    /// (`justify` 0.5), left (0) or right (1) within the block.
    pub fn block_path(&self, block: &TextBlock, left: f32, top: f32, justify: f32) -> Option<Path> {
        let mut pb = PathBuilder::new();
        for (i, line) in block.lines.iter().enumerate() {
            let x0 = left + (block.width - line.width) * justify;
            // Centre the glyph box (ascent+descent) within the line box.
            let pad = (block.line_height - (block.ascent + block.descent)) / 2.0;
            let baseline = top + i as f32 * block.line_height + pad + block.ascent;
            for g in &line.glyphs {
                self.append_glyph(&mut pb, g, line.size, x0 + g.x, baseline + g.y, 0.0);
            }
        }
        pb.finish()
    }
}
