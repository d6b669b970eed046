//! The tile pyramid end to end, on the synthetic fixture layers of tests/fixtures/render/ (so results do not
//! depend on the state of out/), over small zoom ranges so the suite stays fast: deterministic bytes,
//! MBTiles that mirrors the directory (TMS rows, images stored once), incremental rewrites, background-only
//! tiles skipped, labels and dashed lines continuous across tile edges, @2x tiles.

use frontmap::render::draw::{self, DrawOptions, DrawStats};
use frontmap::render::labels as rlabels;
use frontmap::tiles::labels::{place_level, range_view};
use frontmap::tiles::raster::TileRenderer;
use frontmap::tiles::{self, TileId, TilesConfig, ZoomRange, mbtiles};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh output directory under Cargo's scratch space for integration tests.
fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("tiles-tests").join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

fn config(out: &Path) -> TilesConfig {
    let mut cfg = TilesConfig::new(&root());
    for s in ["events", "fronts", "areas", "places"] {
        cfg.source_overrides.insert(s.into(), root().join(format!("tests/fixtures/render/{s}.geojson")));
    }
    cfg.out = out.to_path_buf();
    cfg.zoom = Some(ZoomRange { min: 0, max: 6 });
    cfg
}

/// Every tile file of a directory: `z/x/y.png` → bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    if !dir.exists() {
        return out;
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "png") {
                let rel = p.strip_prefix(dir).expect("prefix").to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).expect("read tile"));
            }
        }
    }
    out
}

fn decode(bytes: &[u8]) -> (u32, u32, Vec<[u8; 4]>) {
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("png data");
    let ch = info.color_type.samples();
    let px = buf[..info.buffer_size()]
        .chunks(ch)
        .map(|c| if ch == 4 { [c[0], c[1], c[2], c[3]] } else { [c[0], c[1], c[2], 255] })
        .collect();
    (info.width, info.height, px)
}

#[test]
fn the_pyramid_is_byte_identical_across_runs_and_the_mbtiles_contents_too() {
    let (a, b) = (scratch("det-a"), scratch("det-b"));
    let sa = tiles::build_tiles(&config(&a)).expect("run a");
    tiles::build_tiles(&config(&b)).expect("run b");
    assert!(sa.tiles > 15, "only {} tiles drawn", sa.tiles);
    let (fa, fb) = (files(&a.join("tiles")), files(&b.join("tiles")));
    assert_eq!(fa.len(), sa.tiles);
    assert!(fa == fb, "tile bytes differ between runs");
    // SQLite files may differ in bytes across SQLite versions; their contents must not.
    let (ca, cb) = (
        mbtiles::contents(&a.join("tiles.mbtiles")).expect("a"),
        mbtiles::contents(&b.join("tiles.mbtiles")).expect("b"),
    );
    assert!(ca == cb, "MBTiles contents differ between runs");
    assert_eq!(std::fs::read(a.join("index.html")).expect("a"), std::fs::read(b.join("index.html")).expect("b"));
    assert!(
        std::fs::read(a.join("tiles.pmtiles")).expect("a") == std::fs::read(b.join("tiles.pmtiles")).expect("b"),
        "PMTiles bytes differ between runs"
    );
}

#[test]
fn mbtiles_holds_every_tile_of_the_directory_with_tms_rows_and_identical_images_once() {
    let out = scratch("mbtiles");
    let mut cfg = config(&out);
    // The desert west of the Euphrates at z10–z11: many tiles are one flat colour.
    cfg.bbox = Some([38.5, 31.5, 40.5, 33.0]);
    cfg.zoom = Some(ZoomRange { min: 10, max: 11 });
    let s = tiles::build_tiles(&cfg).expect("tiles");
    let dir = files(&out.join("tiles"));
    let c = mbtiles::contents(&out.join("tiles.mbtiles")).expect("contents");
    assert_eq!(c.tiles.len(), dir.len(), "MBTiles rows vs files");
    assert_eq!(c.tiles.len(), s.tiles);
    for (z, x, row, bytes) in &c.tiles {
        let t = TileId::from_tms(*z, *x, *row).expect("valid TMS address");
        let file = dir.get(&t.rel_path("")).unwrap_or_else(|| panic!("{t} in MBTiles but not on disk"));
        assert!(file == bytes, "{t}: MBTiles bytes differ from the file");
    }
    assert!(c.images < c.tiles.len() / 2, "{} images for {} tiles: flat tiles not shared", c.images, c.tiles.len());
    let md: HashMap<&str, &str> = c.metadata.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    for key in ["name", "format", "bounds", "center", "minzoom", "maxzoom", "attribution", "type", "description"] {
        assert!(md.contains_key(key), "metadata {key} missing: {md:?}");
    }
    assert_eq!(md["format"], "png");
    assert_eq!((md["minzoom"], md["maxzoom"]), ("10", "11"));
    let b: Vec<f64> = md["bounds"].split(',').map(|v| v.parse().expect("number")).collect();
    for (got, want) in b.iter().zip([38.5, 31.5, 40.5, 33.0]) {
        assert!((got - want).abs() < 1e-6, "bounds {b:?}");
    }
    assert!(md["attribution"].contains("GeoNames") && md["attribution"].contains("Natural Earth"));
}

#[test]
fn a_second_run_rewrites_nothing_and_tiles_left_out_of_the_plan_are_removed() {
    let out = scratch("incremental");
    let first = tiles::build_tiles(&config(&out)).expect("first");
    assert_eq!(first.tiles_written, first.tiles);
    let second = tiles::build_tiles(&config(&out)).expect("second");
    assert_eq!((second.tiles_written, second.tiles_unchanged), (0, first.tiles));
    assert!(second.mbtiles.as_ref().is_some_and(|m| !m.written), "identical MBTiles rewritten");
    assert!(second.files_written.is_empty(), "viewer rewritten: {:?}", second.files_written);
    let mut smaller = config(&out);
    smaller.zoom = Some(ZoomRange { min: 0, max: 4 });
    let third = tiles::build_tiles(&smaller).expect("third");
    let left = files(&out.join("tiles"));
    assert_eq!(left.len(), third.tiles);
    assert_eq!(third.tiles_removed, first.tiles - third.tiles);
    assert!(left.keys().all(|k| k.split('/').next().and_then(|z| z.parse::<u8>().ok()).is_some_and(|z| z <= 4)));
    assert!(!out.join("tiles/6").exists(), "empty zoom directory left behind");
}

#[test]
fn background_only_tiles_are_not_written() {
    let out = scratch("background");
    let mut cfg = config(&out);
    // Mid-Atlantic: nothing of the regional extract reaches it.
    cfg.bbox = Some([-40.0, 10.0, -30.0, 20.0]);
    cfg.zoom = Some(ZoomRange { min: 5, max: 6 });
    let s = tiles::build_tiles(&cfg).expect("tiles");
    assert!(s.planned_total() > 4);
    assert_eq!((s.tiles, s.background), (0, s.planned_total()));
    assert!(files(&out.join("tiles")).is_empty());
    assert!(!out.join("tiles.pmtiles").exists(), "an empty PMTiles archive was written");
    assert_eq!(mbtiles::contents(&out.join("tiles.mbtiles")).expect("contents").tiles.len(), 0);
}

#[test]
fn the_z10_tile_over_al_qaim_is_drawn_with_the_river_and_labels() {
    let out = scratch("al-qaim");
    let mut cfg = config(&out);
    cfg.bbox = Some([40.9, 34.3, 41.1, 34.5]);
    cfg.zoom = Some(ZoomRange { min: 10, max: 10 });
    tiles::build_tiles(&cfg).expect("tiles");
    let bytes = std::fs::read(out.join("tiles/10/628/407.png")).expect("tile 10/628/407 written");
    let (w, h, px) = decode(&bytes);
    assert_eq!((w, h), (256, 256));
    let colours: std::collections::BTreeSet<[u8; 4]> = px.iter().copied().collect();
    assert!(colours.len() > 50, "only {} colours: not a drawn map tile", colours.len());
    // The Euphrates (#5d9fd6) and dark label ink are on it.
    let near = |p: &[u8; 4], c: [u8; 3]| p.iter().zip(c).all(|(a, b)| a.abs_diff(b) < 12);
    assert!(px.iter().filter(|p| near(p, [0x5d, 0x9f, 0xd6])).count() > 100, "no river on the tile");
    assert!(px.iter().filter(|p| p[0] < 60 && p[1] < 60 && p[2] < 60).count() > 100, "no label ink on the tile");
}

#[test]
fn labels_and_dashed_lines_continue_across_tile_edges_neither_cut_nor_duplicated() {
    // Render a 4×3 block of z11 tiles around al-Qaïm one by one, paste them together, and compare with the
    // same block drawn as one canvas: they must agree but for anti-aliasing rounding at the seams.
    let out = scratch("seams");
    let mut cfg = config(&out);
    cfg.all_layers = true; // fronts (dashed lines, arrows) and events too
    cfg.bbox = Some([40.85, 34.2, 41.3, 34.55]);
    cfg.zoom = Some(ZoomRange { min: 11, max: 11 });
    let prep = tiles::prepare(&cfg).expect("prepare");
    let levels = prep.plan.levels().expect("levels");
    let level = &levels[0];
    let placement = place_level(&prep.scene, level, &prep.sel, &prep.sel, 1.0);
    let mut seen = std::collections::BTreeSet::new();
    for l in &placement.labels {
        assert!(seen.insert((l.layer.clone(), l.feature.clone(), l.text.clone())), "label placed twice: {}", l.text);
    }
    let view = range_view(&level.extent, 1.0);
    let crossing = placement.labels.iter().filter(|l| {
        l.boxes.iter().any(|b| {
            let (x0, x1) = ((b.x0 / 256.0).floor(), ((b.x1 - 1e-9) / 256.0).floor());
            let (y0, y1) = ((b.y0 / 256.0).floor(), ((b.y1 - 1e-9) / 256.0).floor());
            x0 != x1 || y0 != y1
        })
    });
    assert!(crossing.count() >= 1, "no label straddles a tile edge here: the test proves nothing");
    let (w, h) = (view.width, view.height);
    let mut whole = tiny_skia::Pixmap::new(w, h).expect("canvas");
    draw::draw_layers_with(
        &mut whole,
        &prep.scene,
        &view,
        &prep.sel,
        &mut DrawStats::default(),
        DrawOptions { seamless: true },
    );
    rlabels::draw_labels(&mut whole, &placement, &view);
    let placements = HashMap::from([(level.z, placement.clone())]);
    let renderer = TileRenderer::new(&prep.scene, &prep.sel, 1.0, &placements);
    let mut mosaic = tiny_skia::Pixmap::new(w, h).expect("canvas");
    for t in &level.tiles {
        let tile = renderer.draw(t).expect("tile");
        let (ox, oy) = ((t.x - level.extent.x0) * 256, (t.y - level.extent.y0) * 256);
        mosaic.draw_pixmap(
            ox as i32,
            oy as i32,
            tile.as_ref(),
            &tiny_skia::PixmapPaint::default(),
            tiny_skia::Transform::identity(),
            None,
        );
    }
    let differing = whole
        .pixels()
        .iter()
        .zip(mosaic.pixels())
        .filter(|(a, b)| {
            let (a, b) = (a.demultiply(), b.demultiply());
            a.red().abs_diff(b.red()) > 24 || a.green().abs_diff(b.green()) > 24 || a.blue().abs_diff(b.blue()) > 24
        })
        .count();
    let total = (w * h) as usize;
    assert!(
        differing * 1000 <= total,
        "{differing} of {total} pixels differ between the tiles and the whole block (> 0.1 %)"
    );
}

#[test]
fn scale_2_writes_512_pixel_tiles_beside_the_1x_ones() {
    let out = scratch("retina");
    let mut cfg = config(&out);
    cfg.scale = 2.0;
    cfg.zoom = Some(ZoomRange { min: 0, max: 3 });
    let s = tiles::build_tiles(&cfg).expect("tiles");
    assert!(s.tiles > 0);
    let f = files(&out.join("tiles@2x"));
    assert_eq!(f.len(), s.tiles);
    let (w, h, _) = decode(f.values().next().expect("a tile"));
    assert_eq!((w, h), (512, 512));
    assert!(out.join("tiles@2x.mbtiles").exists());
    assert!(!out.join("index.html").exists(), "the viewer is written with the 1× tiles only");
    cfg.scale = 1.5;
    assert!(tiles::build_tiles(&cfg).is_err(), "fractional scales are refused");
}

#[test]
fn the_default_pyramid_is_the_theatre_to_z10_and_the_operation_sheets_to_z13() {
    let mut cfg = config(&scratch("plan"));
    cfg.zoom = None;
    let prep = tiles::prepare(&cfg).expect("prepare");
    let theatre: Vec<_> = prep.plan.regions.iter().filter(|r| r.zooms == ZoomRange { min: 0, max: 10 }).collect();
    assert_eq!(theatre.len(), 1);
    assert_eq!(theatre[0].name, "theatre");
    let deep: Vec<&str> = prep
        .plan
        .regions
        .iter()
        .filter(|r| r.zooms == ZoomRange { min: 11, max: 13 })
        .map(|r| r.name.as_str())
        .collect();
    assert!(deep.contains(&"al-qaim-offensive") && deep.contains(&"middle-euphrates"), "{deep:?}");
    let levels = prep.plan.levels().expect("levels");
    assert_eq!(levels.first().map(|l| l.z), Some(0));
    assert_eq!(levels.last().map(|l| l.z), Some(13));
    // The z10 tile over al-Qaïm is planned, and the deep levels stay over the operations.
    assert!(levels[10].tiles.contains(&TileId { z: 10, x: 628, y: 407 }));
    let z13 = &levels[13];
    let al_qaim = TileId::from_lonlat(40.99, 34.39, 13);
    assert!(z13.tiles.contains(&al_qaim));
    assert!(!z13.tiles.contains(&TileId::from_lonlat(44.4, 33.3, 13)), "Baghdad at z13 is outside the operations");
    // Dated layers are left to the viewer.
    for s in ["events", "fronts", "areas"] {
        assert!(prep.overlay.contains(s), "{s} should be a viewer overlay: {:?}", prep.overlay);
    }
}
