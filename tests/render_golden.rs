//! Golden images: each sheet of styles/maps.toml, rendered with the synthetic fixture layers of
//! tests/fixtures/render/ in place of out/, must match tests/golden/NAME.png.
//!
//! Tolerance: a pixel counts as different when any channel differs by more than 8 (of 255); a sheet
//! fails when more than 0.1 % of its pixels differ. Re-bless after an intended change with
//! `FRONTMAP_BLESS=1 cargo test --release --test render_golden` and look at the new images.
//! On failure the rendering and a difference mask are written to target/golden-diff/.

use frontmap::render::{self, RenderConfig};
use std::path::{Path, PathBuf};

const CHANNEL_TOLERANCE: u8 = 8;
const MAX_DIFFERING_FRACTION: f64 = 0.001;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture_config() -> RenderConfig {
    let mut cfg = RenderConfig::new(&root());
    for s in ["events", "fronts", "areas", "places"] {
        cfg.source_overrides.insert(s.into(), root().join(format!("tests/fixtures/render/{s}.geojson")));
    }
    cfg
}

fn decode(bytes: &[u8]) -> (u32, u32, Vec<[u8; 3]>) {
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("png data");
    let ch = info.color_type.samples();
    let px = buf[..info.buffer_size()].chunks(ch).map(|c| [c[0], c[1], c[2]]).collect();
    (info.width, info.height, px)
}

fn check(name: &str) {
    let r = render::render_one(&fixture_config(), name).expect("render");
    let actual = render::png::encode(&r.pixmap);
    let golden_path = root().join("tests/golden").join(format!("{name}.png"));
    if std::env::var_os("FRONTMAP_BLESS").is_some() {
        frontmap::atomic::write(&golden_path, &actual).expect("bless");
        return;
    }
    let golden = std::fs::read(&golden_path)
        .unwrap_or_else(|e| panic!("{}: {e} (bless with FRONTMAP_BLESS=1)", golden_path.display()));
    if golden == actual {
        return;
    }
    let (gw, gh, g) = decode(&golden);
    let (aw, ah, a) = decode(&actual);
    let diff_dir = root().join("target/golden-diff");
    let save = |suffix: &str, bytes: &[u8]| {
        let _ = frontmap::atomic::write(&diff_dir.join(format!("{name}.{suffix}.png")), bytes);
    };
    save("actual", &actual);
    assert_eq!((gw, gh), (aw, ah), "{name}: size changed");
    let mut mask = tiny_skia::Pixmap::new(aw, ah).expect("mask");
    let mut differing = 0usize;
    for (i, (p, q)) in g.iter().zip(&a).enumerate() {
        if p.iter().zip(q).any(|(x, y)| x.abs_diff(*y) > CHANNEL_TOLERANCE) {
            differing += 1;
            let (x, y) = ((i as u32) % aw, (i as u32) / aw);
            mask.fill_rect(
                tiny_skia::Rect::from_xywh(x as f32, y as f32, 1.0, 1.0).expect("rect"),
                &tiny_skia::Paint::default(),
                tiny_skia::Transform::identity(),
                None,
            );
        }
    }
    save("diff", &render::png::encode(&mask));
    let fraction = differing as f64 / a.len() as f64;
    assert!(
        fraction <= MAX_DIFFERING_FRACTION,
        "{name}: {differing} pixels ({:.3} %) differ by more than {CHANNEL_TOLERANCE}; see {}",
        fraction * 100.0,
        Path::new("target/golden-diff").display()
    );
}

#[test]
fn al_qaim_offensive_matches_its_golden_image() {
    check("al-qaim-offensive");
}

#[test]
fn middle_euphrates_matches_its_golden_image() {
    check("middle-euphrates");
}

#[test]
fn theatre_matches_its_golden_image() {
    check("theatre");
}

#[test]
fn timeline_matches_its_golden_image() {
    check("timeline");
}

#[test]
fn every_sheet_of_maps_toml_has_a_golden_test() {
    let (_, sheets, _) = render::prepare(&fixture_config()).expect("prepare");
    let names: Vec<&str> = sheets.sheets.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["al-qaim-offensive", "middle-euphrates", "theatre", "timeline"]);
}
