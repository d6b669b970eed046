//! One tile: draw the scene into the tile's view, draw the level's labels over it, tell background-only
//! tiles apart, encode the rest as PNG (fast deflate, no varying chunks: identical pixels give identical
//! bytes).
//!
//! Most tiles of a desert theatre at large zooms are one flat colour; their PNG is encoded once per colour
//! and shared, which is most of the speed of a pyramid.

use super::base::{KeptBases, MAX_ZOOM};
use super::error::TilesError;
use super::labels::{TILE_SIZE, style_zoom};
use super::tile::TileId;
use crate::render::draw::{self, DrawOptions, DrawStats};
use crate::render::labels::{self, Placement};
use crate::render::mercator::View;
use crate::render::reads;
use crate::render::scene::{Scene, Selection};
use crate::render::sprites;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tiny_skia::Pixmap;

/// What a tile turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum TileImage {
    /// Nothing but the background layer: not written (the viewer shows the background colour there).
    Background,
    /// An encoded PNG.
    Png(Arc<Vec<u8>>),
    /// A tile of one flat colour (RGBA, premultiplied): its PNG is encoded once and shared by every tile
    /// of that colour.
    Flat([u8; 4], Arc<Vec<u8>>),
}

impl TileImage {
    /// The PNG bytes, unless the tile is background-only.
    pub fn bytes(&self) -> Option<&Arc<Vec<u8>>> {
        match self {
            TileImage::Background => None,
            TileImage::Png(b) | TileImage::Flat(_, b) => Some(b),
        }
    }
}

/// Renders tiles of one scene; shared by the rayon workers (read-only but for the flat-colour cache).
pub struct TileRenderer<'a> {
    pub scene: &'a Scene,
    pub sel: &'a Selection,
    /// Device pixel ratio: 1 for 256-px tiles, 2 for 512-px tiles.
    pub scale: f64,
    /// Label placement per zoom, over the level's extent.
    pub placements: &'a HashMap<u8, Placement>,
    flat: Mutex<HashMap<[u8; 4], Arc<Vec<u8>>>>,
    background: Mutex<HashMap<u8, Option<[u8; 4]>>>,
    /// Where the bases of low-zoom tiles are kept between builds ([`KeptBases`]), if anywhere.
    bases: Option<KeptBases>,
}

impl<'a> TileRenderer<'a> {
    /// A renderer for `scene` filtered by `sel`, with labels from `placements`.
    pub fn new(scene: &'a Scene, sel: &'a Selection, scale: f64, placements: &'a HashMap<u8, Placement>) -> Self {
        TileRenderer {
            scene,
            sel,
            scale,
            placements,
            flat: Mutex::new(HashMap::new()),
            background: Mutex::new(HashMap::new()),
            bases: None,
        }
    }

    /// The same renderer, taking the bases of low-zoom tiles from `bases` and keeping those it draws.
    pub fn keeping_bases(self, bases: Option<KeptBases>) -> Self {
        TileRenderer { bases, ..self }
    }

    /// Tile edge in device pixels.
    pub fn size(&self) -> u32 {
        (f64::from(TILE_SIZE) * self.scale).round() as u32
    }

    /// The view a tile draws.
    pub fn view(&self, t: &TileId) -> View {
        let px = self.size();
        View::with_zoom(t.bounds(), px, px, self.scale, style_zoom(t.z))
    }

    /// Draw a tile's pixels (layers, then the labels of its level).
    pub fn draw(&self, t: &TileId) -> Result<Pixmap, TilesError> {
        let px = self.size();
        let mut pixmap = Pixmap::new(px, px).ok_or(TilesError::Canvas { tile: *t, size: px })?;
        self.draw_into(t, &mut pixmap);
        Ok(pixmap)
    }

    /// Draw a tile into a canvas of [`Self::size`] pixels (cleared first).
    fn draw_into(&self, t: &TileId, pixmap: &mut Pixmap) {
        pixmap.fill(tiny_skia::Color::TRANSPARENT);
        let view = self.view(t);
        let mut stats = DrawStats::default();
        let opts = DrawOptions { seamless: true };
        let all = self.scene.style.layers.len();
        let base = self.bases.as_ref().map_or(0, |b| b.layers_for(t)).min(all);
        if let Some(bases) = self.bases.as_ref().filter(|_| base > 0) {
            if !bases.paint(t, pixmap.data_mut()) {
                let ((), read) = reads::recording(|| {
                    draw::draw_layer_range(pixmap, self.scene, 0..base, &view, self.sel, &mut stats, opts);
                });
                bases.keep(t, pixmap.data(), &read);
            }
        }
        draw::draw_layer_range(pixmap, self.scene, base..all, &view, self.sel, &mut stats, opts);
        if let Some(p) = self.placements.get(&t.z) {
            // Low-zoom tiles draw their labels as sprites, kept beside their base: an edit rasterises again only
            // the labels it moved. The choice is by zoom alone, so a tile is drawn the same way, kept or not.
            if t.z <= MAX_ZOOM {
                let file = self.bases.as_ref().map(|b| b.sprites_file(t));
                sprites::draw_labels(pixmap, p, &view, file.as_deref());
            } else {
                labels::draw_labels(pixmap, p, &view);
            }
        }
    }

    /// The pixel a tile of zoom `z` shows where only the background layer draws (`None`: no background
    /// layer, the tile is transparent).
    fn background_pixel(&self, t: &TileId) -> Result<Option<[u8; 4]>, TilesError> {
        if let Some(p) = self.background.lock().map_err(|_| poisoned(t))?.get(&t.z) {
            return Ok(*p);
        }
        let mut pm = Pixmap::new(1, 1).ok_or(TilesError::Canvas { tile: *t, size: 1 })?;
        let view = View::with_zoom(t.bounds(), 1, 1, self.scale, style_zoom(t.z));
        let only_bg = Selection { only: Some(self.background_layers()), ..self.sel.clone() };
        draw::draw_layers(&mut pm, self.scene, &view, &only_bg, &mut DrawStats::default());
        let p = pm.pixels()[0];
        let px = Some([p.red(), p.green(), p.blue(), p.alpha()]);
        self.background.lock().map_err(|_| poisoned(t))?.insert(t.z, px);
        Ok(px)
    }

    fn background_layers(&self) -> Vec<String> {
        self.scene
            .style
            .layers
            .iter()
            .filter(|l| l.kind == crate::render::style::LayerKind::Background)
            .map(|l| l.id.clone())
            .collect()
    }

    /// Render and classify a tile.
    pub fn render(&self, t: &TileId) -> Result<TileImage, TilesError> {
        // One canvas per worker thread, reused: a fresh 256 KiB allocation per tile costs page faults.
        thread_local! {
            static CANVAS: std::cell::RefCell<Option<Pixmap>> = const { std::cell::RefCell::new(None) };
        }
        let px = self.size();
        CANVAS.with(|cell| {
            let mut slot = cell.borrow_mut();
            if slot.as_ref().is_none_or(|p| p.width() != px) {
                *slot = Some(Pixmap::new(px, px).ok_or(TilesError::Canvas { tile: *t, size: px })?);
            }
            match slot.as_mut() {
                Some(pixmap) => {
                    self.draw_into(t, pixmap);
                    self.classify(t, pixmap)
                }
                None => Err(TilesError::Canvas { tile: *t, size: px }),
            }
        })
    }

    fn classify(&self, t: &TileId, pixmap: &Pixmap) -> Result<TileImage, TilesError> {
        // Flat when every pixel equals the one before it: one memcmp of the buffer against itself shifted
        // by a pixel.
        let data = pixmap.data();
        let flat = data.len() < 8 || data[4..] == data[..data.len() - 4];
        let first = pixmap.pixels()[0];
        if !flat {
            let bytes = crate::render::png::encode(pixmap);
            return Ok(TileImage::Png(Arc::new(bytes)));
        }
        let key = [first.red(), first.green(), first.blue(), first.alpha()];
        if self.background_pixel(t)?.is_none_or(|bg| bg == key) {
            return Ok(TileImage::Background);
        }
        if let Some(bytes) = self.flat.lock().map_err(|_| poisoned(t))?.get(&key) {
            return Ok(TileImage::Flat(key, bytes.clone()));
        }
        let bytes = Arc::new(crate::render::png::encode(pixmap));
        let shared = self.flat.lock().map_err(|_| poisoned(t))?.entry(key).or_insert(bytes).clone();
        Ok(TileImage::Flat(key, shared))
    }
}

fn poisoned(t: &TileId) -> TilesError {
    TilesError::Worker { tile: *t, msg: "a worker panicked while holding the tile cache".into() }
}
