//! Label placement on every sheet: no two placed labels overlap, none runs off its map, none covers the
//! map furniture; placement is deterministic and can be drawn into sub-views (tiles) without change.

use frontmap::render::draw::PxBox;
use frontmap::render::{self, RenderConfig, labels};
use std::path::Path;

/// The sheets of styles/maps.toml with the synthetic fixture layers in place of out/.
fn fixture_config() -> RenderConfig {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut cfg = RenderConfig::new(root);
    for s in ["events", "fronts", "areas", "places"] {
        cfg.source_overrides.insert(s.into(), root.join(format!("tests/fixtures/render/{s}.geojson")));
    }
    cfg
}

fn sheet_names() -> Vec<String> {
    let cfg = fixture_config();
    let (_, sheets, _) = render::prepare(&cfg).expect("prepare");
    sheets.sheets.iter().map(|s| s.name.clone()).collect()
}

#[test]
fn no_two_placed_label_boxes_intersect_on_any_sheet() {
    let cfg = fixture_config();
    for name in sheet_names() {
        let r = render::render_one(&cfg, &name).expect("render");
        // All labels of the image, in image pixels (detail and inset maps are pasted at their offsets).
        let mut all: Vec<(String, PxBox)> = Vec::new();
        for ((part, p), off) in r.placements.iter().zip(&r.offsets) {
            for l in &p.labels {
                for b in &l.boxes {
                    all.push((format!("{part}: {}", l.text), b.translate(off[0], off[1])));
                }
            }
        }
        assert!(all.len() > 5, "{name}: only {} label boxes", all.len());
        for (i, (a, ba)) in all.iter().enumerate() {
            for (b, bb) in &all[i + 1..] {
                // Boxes of one along-line label (one per glyph) may touch each other.
                if a == b {
                    continue;
                }
                assert!(!ba.intersects(bb), "{name}: {a:?} {ba:?} overlaps {b:?} {bb:?}");
            }
        }
    }
}

#[test]
fn every_label_lies_inside_its_map_and_off_the_furniture() {
    let cfg = fixture_config();
    for name in sheet_names() {
        let r = render::render_one(&cfg, &name).expect("render");
        for (part, p) in &r.placements {
            let (w, h) = (f64::from(p.view.width), f64::from(p.view.height));
            for l in &p.labels {
                for b in &l.boxes {
                    assert!(b.inside(w, h), "{name} {part}: {:?} {b:?} runs off the {w}×{h} map", l.text);
                    if part == "map" {
                        for f in &r.furniture {
                            assert!(!b.intersects(f), "{name}: {:?} covers furniture {f:?}", l.text);
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn the_al_qaim_sheet_labels_the_town_its_quarters_and_the_river() {
    let r = render::render_one(&fixture_config(), "al-qaim-offensive").expect("render");
    let texts: Vec<&str> = r.placements.iter().flat_map(|(_, p)| p.labels.iter().map(|l| l.text.as_str())).collect();
    for want in ["Al-Qaïm", "Saada", "Gaza", "Husseiba", "Al-Karabla", "Rawa", "Boukamal", "Euphrate"] {
        assert!(texts.iter().any(|t| t.starts_with(want)), "{want} not labelled; labels: {texts:?}");
    }
    // The detail enlargement is where Arabic names appear (zoom ≥ 10.5): joined, right-to-left.
    assert!(texts.iter().any(|t| t.contains("القائم")), "no Arabic label: {texts:?}");
}

#[test]
fn placement_is_deterministic() {
    let cfg = fixture_config();
    let a = render::render_one(&cfg, "middle-euphrates").expect("render");
    let b = render::render_one(&cfg, "middle-euphrates").expect("render");
    let key = |r: &render::RenderedSheet| -> Vec<(String, Vec<PxBox>)> {
        r.placements.iter().flat_map(|(_, p)| p.labels.iter().map(|l| (l.text.clone(), l.boxes.clone()))).collect()
    };
    assert_eq!(key(&a), key(&b));
    assert_eq!(a.pixmap.data(), b.pixmap.data());
}

#[test]
fn labels_placed_once_over_an_extent_draw_identically_into_its_tiles() {
    // What tiles do: place over the whole extent, then draw into each 256-px sub-view.
    let cfg = fixture_config();
    let (scene, sheets, _) = render::prepare(&cfg).expect("prepare");
    let sheet = sheets.sheet("middle-euphrates").expect("sheet");
    let big = render::View::fit(sheet.extent(&sheets.defaults), 1024, 768, 1.0);
    let sel = render::Selection::default();
    let placement = labels::place_labels(&scene, &big, &sel, &[], &[], labels::PlaceOptions::default());
    assert!(!placement.labels.is_empty());
    let mut whole = tiny_skia::Pixmap::new(1024, 768).expect("pixmap");
    labels::draw_labels(&mut whole, &placement, &big);
    let r = big.resolution();
    for (tx, ty) in [(0u32, 0u32), (1, 1), (2, 1), (3, 2)] {
        let (x0, y0) = (f64::from(tx * 256), f64::from(ty * 256));
        let bbox = render::Bbox::new(
            big.bbox.min_x + x0 * r,
            big.bbox.max_y - (y0 + 256.0) * r,
            big.bbox.min_x + (x0 + 256.0) * r,
            big.bbox.max_y - y0 * r,
        );
        let tile_view = render::View::with_zoom(bbox, 256, 256, 1.0, big.zoom);
        let mut tile = tiny_skia::Pixmap::new(256, 256).expect("pixmap");
        labels::draw_labels(&mut tile, &placement, &tile_view);
        // Anti-aliasing at a canvas edge may round a few edge pixels differently: allow a handful of
        // pixels (≤ 0.1 %) to differ by at most a quarter of full coverage, nothing more.
        let (mut differing, mut worst) = (0, 0u8);
        for y in 0..256 {
            for x in 0..256 {
                let a = tile.pixel(x, y).map(|p| p.alpha());
                let b = whole.pixel(x + tx * 256, y + ty * 256).map(|p| p.alpha());
                if let Some(d) = a.zip(b).map(|(a, b)| a.abs_diff(b)).filter(|d| *d > 2) {
                    differing += 1;
                    worst = worst.max(d);
                }
            }
        }
        assert!(differing <= 65 && worst <= 64, "tile {tx}/{ty}: {differing} pixels differ, worst by {worst}");
    }
}
