//! Labels for tiles: placed once per zoom level over the level's whole tile-aligned extent, then drawn into
//! every tile they touch.
//!
//! Placing per tile would cut a label at the tile edge (or place it twice, once on each side). Placing over
//! the level's extent — one "metatile" as large as the level — gives every label one position in the level's
//! pixel grid; [`labels::draw_labels`] then draws the part of each label that falls in a tile, so a label
//! straddling an edge continues exactly in the neighbour. The collision grid is sparse, so a 15,000-pixel
//! wide extent costs no more than its labels.

use super::plan::Level;
use super::tile::TileRange;
use crate::render::draw::{PxBox, spread_dots};
use crate::render::labels::{self, PlaceOptions, Placement};
use crate::render::mercator::View;
use crate::render::scene::{Scene, Selection, ctx};
use crate::render::source::{Feature, Geom};
use crate::render::style::LayerKind;

/// Tile edge in CSS pixels (the XYZ convention; the style zoom of a tile is its tile zoom − 1, because the
/// style's zooms are MapLibre's, whose world is 512 px wide at zoom 0).
pub const TILE_SIZE: u32 = 256;

/// The style (MapLibre) zoom of a tile zoom: one less, but never below 0 — MapLibre's smallest world is
/// 512 px at zoom 0, and a layer's default `minzoom` of 0 would otherwise hide everything on the 256-px
/// world tile 0/0/0.
pub fn style_zoom(z: u8) -> f64 {
    (f64::from(z) - 1.0).max(0.0)
}

/// The view of a rectangle of tiles at `scale` (device pixel ratio): `256 × scale` device pixels per tile.
pub fn range_view(range: &TileRange, scale: f64) -> View {
    let px = (f64::from(TILE_SIZE) * scale).round() as u32;
    View::with_zoom(
        range.bounds(),
        (range.x1 - range.x0 + 1) * px,
        (range.y1 - range.y0 + 1) * px,
        scale,
        style_zoom(range.z),
    )
}

/// The circles that labels should keep off (layers marked `frontmap:label-obstacle`), over a view, as the
/// renderer draws them: same features, radii, stroke and spreading of co-located dots.
pub fn circle_obstacles(scene: &Scene, view: &View, sel: &Selection) -> Vec<PxBox> {
    let mut out = Vec::new();
    for layer in &scene.style.layers {
        if layer.kind != LayerKind::Circle
            || !layer.label_obstacle
            || !layer.visible_at(view.zoom)
            || !sel.shows_layer(&layer.id)
        {
            continue;
        }
        let mut feats = scene.features(layer, view, sel, 16.0);
        if layer.has("circle-sort-key") {
            let mut keyed: Vec<(f64, usize, &Feature)> =
                feats.into_iter().map(|(i, f)| (layer.num("circle-sort-key", &ctx(f, view.zoom), 0.0), i, f)).collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            feats = keyed.into_iter().map(|(_, i, f)| (i, f)).collect();
        }
        let s = view.scale;
        let mut dots = Vec::new();
        for (_, f) in feats {
            let Geom::Points(points) = &f.geom else { continue };
            let r = layer.num("circle-radius", &ctx(f, view.zoom), 5.0) * s;
            dots.extend(points.iter().map(|p| (f, view.to_px(*p), r)));
        }
        if layer.spread {
            spread_dots(&mut dots, 1.5 * s);
        }
        for (f, [x, y], r) in dots {
            let sw = layer.num("circle-stroke-width", &ctx(f, view.zoom), 0.0) * s;
            let e = r + sw / 2.0;
            out.push(PxBox::new(x - e, y - e, x + e, y + e));
        }
    }
    out
}

/// Place the labels of one level over its whole extent. Labels keep off the circles of `avoid` (a selection
/// that may show more than `sel`: the viewer's event dots, drawn over the tiles, are avoided like the sheets
/// avoid them, although the tiles do not draw them).
pub fn place_level(scene: &Scene, level: &Level, sel: &Selection, avoid: &Selection, scale: f64) -> Placement {
    let view = range_view(&level.extent, scale);
    let soft = circle_obstacles(scene, &view, avoid);
    labels::place_labels(scene, &view, sel, &[], &soft, PlaceOptions::default())
}
