//! Kept bases: the pixels of a tile's bottom layers, kept between builds, so a tile redrawn because a
//! place moved draws only what lies above its basemap.
//!
//! A tile's *base* is the longest run of style layers, from the bottom, that reads nothing this build
//! writes and draws: the background, countries, provinces, lakes, rivers, borders… up to the first layer
//! whose source lies under `out/` and holds features in this scene (in the default pyramid, the places:
//! the dated layers are left to the viewer). Layers are drawn one after the other onto one canvas, so the
//! canvas after the base is the same whether the base was drawn now or read back: a tile assembled from a
//! kept base is byte-identical to one drawn from scratch.
//!
//! Low zooms are where bases are costly (a zoom-6 tile draws every river and province of three countries
//! in about ten milliseconds; a zoom-13 tile draws a few segments in a fraction of one) and few (130 tiles
//! up to zoom 8 in the default pyramid), so only they are kept. A kept base is valid for one key: the
//! pyramid's global key (binary, style, plan, selection, scale), the layers of the base and the digests of
//! every feature of the sources they read, and the tile. It stores the pixels (run-length encoded) and the
//! (source, box) reads the base made, replayed so the tile's record of what it read stays complete.
//!
//! The same tiles draw their labels as sprites ([`crate::render::sprites`]) kept beside their base, so an
//! edit rasterises again only the labels it moved; which tiles do is decided by zoom alone, so a tile is
//! drawn the same way whether anything is kept or not.

use super::tile::TileId;
use crate::render::composite;
use crate::render::groups::{encode_rle, live};
use crate::render::reads::{self, Reads};
use crate::render::scene::Scene;
use crate::render::source::{self, Digest};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// First bytes of a kept base (format version included: bump on any change of layout).
const MAGIC: &[u8; 8] = b"FMBASE1\n";

/// Deepest zoom whose tiles keep their base (see the module documentation).
pub const MAX_ZOOM: u8 = 8;

/// Where the bases of a pyramid's tiles are kept, and what they are valid for.
#[derive(Debug, Clone)]
pub struct KeptBases {
    dir: PathBuf,
    key: Digest,
    /// How many of the style's layers, from the bottom, form the base.
    layers: usize,
}

impl KeptBases {
    /// The bases of `scene`'s tiles in `dir`, under the pyramid's `global` key; `None` when the style's
    /// first layer already reads what the build writes (there is no base to keep).
    pub fn new(dir: &Path, global: Digest, scene: &Scene) -> Option<KeptBases> {
        let style = &scene.style.layers;
        let drawn = |id: &str| scene.sources.get(id).is_some_and(|s| !s.features.is_empty());
        let layers =
            style.iter().position(|l| live(scene, l) && l.source.as_deref().is_some_and(drawn)).unwrap_or(style.len());
        if layers == 0 {
            return None;
        }
        let mut h = blake3::Hasher::new();
        h.update(MAGIC);
        h.update(&global);
        let mut read = BTreeSet::new();
        for l in &style[..layers] {
            h.update(l.id.as_bytes());
            h.update(&[0]);
            read.extend(l.source.as_deref());
        }
        for id in read {
            h.update(id.as_bytes());
            h.update(&[0]);
            for f in scene.sources.get(id).map(|s| s.features.as_slice()).unwrap_or_default() {
                h.update(&f.digest);
            }
        }
        Some(KeptBases { dir: dir.to_path_buf(), key: source::short(h.finalize()), layers })
    }

    /// How many of the style's layers, from the bottom, the base of tile `t` covers (0: `t` keeps none).
    pub fn layers_for(&self, t: &TileId) -> usize {
        if t.z <= MAX_ZOOM { self.layers } else { 0 }
    }

    fn path(&self, t: &TileId) -> PathBuf {
        self.dir.join(format!("{}-{}-{}.base", t.z, t.x, t.y))
    }

    fn tile_key(&self, t: &TileId) -> Digest {
        let mut h = blake3::Hasher::new();
        h.update(&self.key);
        h.update(format!("{}/{}/{}", t.z, t.x, t.y).as_bytes());
        source::short(h.finalize())
    }

    /// Paint the kept base of `t` onto `canvas` (transparent, the tile's size) and replay its reads; false
    /// (canvas untouched) when none is kept for this key and size.
    pub fn paint(&self, t: &TileId, canvas: &mut [u8]) -> bool {
        let Ok(bytes) = std::fs::read(self.path(t)) else { return false };
        let Some(rest) = bytes.strip_prefix(MAGIC) else { return false };
        let Some((key, rest)) = rest.split_at_checked(16) else { return false };
        if key != self.tile_key(t) {
            return false;
        }
        let Some((len, rest)) = rest.split_at_checked(4) else { return false };
        let len = len.try_into().map(u32::from_le_bytes).unwrap_or(u32::MAX) as usize;
        let Some((meta, rle)) = rest.split_at_checked(len) else { return false };
        let Ok(read) = postcard::from_bytes::<Reads>(meta) else { return false };
        // `over_rle` checks the whole run before it paints: a damaged file is one drawn again.
        if composite::over_rle(canvas, rle).is_none() {
            canvas.fill(0);
            return false;
        }
        for (source, b) in &read.0 {
            reads::note(source, *b);
        }
        true
    }

    /// Keep the base of `t` (a cache that cannot be written only makes the next build slower).
    pub fn keep(&self, t: &TileId, canvas: &[u8], read: &Reads) {
        let Ok(meta) = postcard::to_stdvec(read) else { return };
        let mut bytes = Vec::with_capacity(64 + meta.len());
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&self.tile_key(t));
        bytes.extend_from_slice(&(meta.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&meta);
        bytes.extend_from_slice(&encode_rle(canvas));
        let _ = std::fs::create_dir_all(&self.dir);
        let _ = crate::atomic::write(&self.path(t), &bytes);
    }

    /// Where tile `t` keeps its label sprites ([`crate::render::sprites`]): at the zooms that keep a base,
    /// labels cost as much as the rest of the tile.
    pub fn sprites_file(&self, t: &TileId) -> PathBuf {
        self.dir.join(format!("{}-{}-{}.sprites", t.z, t.x, t.y))
    }

    /// Remove every kept base (when the pyramid's plan or style changed, none is valid any more).
    pub fn clear(&self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
