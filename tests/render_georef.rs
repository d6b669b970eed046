//! Georeferencing: the world file and the aux.xml put every pixel where it belongs — a known point
//! (al-Qaïm) lands on the pixel the world file predicts, within 1 px — and outputs are byte-identical
//! from one run to the next.

use frontmap::render::{self, RenderConfig, SheetsFile};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("frontmap-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn fixture_config(out: &Path) -> RenderConfig {
    let mut cfg = RenderConfig::new(&root());
    cfg.out = out.to_path_buf();
    for s in ["events", "fronts", "areas", "places"] {
        cfg.source_overrides.insert(s.into(), root().join(format!("tests/fixtures/render/{s}.geojson")));
    }
    cfg
}

/// Web Mercator written out independently of the crate (EPSG:3857 spherical formulas).
fn mercator(lon: f64, lat: f64) -> (f64, f64) {
    let r = 6_378_137.0_f64;
    (r * lon.to_radians(), r * (std::f64::consts::FRAC_PI_4 + lat.to_radians() / 2.0).tan().ln())
}

fn world_file(path: &Path) -> [f64; 6] {
    let text = std::fs::read_to_string(path).expect("world file");
    let v: Vec<f64> = text.lines().map(|l| l.trim().parse().expect("number")).collect();
    assert_eq!(v.len(), 6, "{}", path.display());
    [v[0], v[1], v[2], v[3], v[4], v[5]]
}

/// (col, row) of a point, pixel centres at integers, from a world file [A, D, B, E, C, F].
fn predict(wf: &[f64; 6], lon: f64, lat: f64) -> (f64, f64) {
    let (x, y) = mercator(lon, lat);
    ((x - wf[4]) / wf[0], (y - wf[5]) / wf[3])
}

fn decode(path: &Path) -> (u32, u32, Vec<u8>, usize) {
    let dec = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).expect("png")));
    let mut reader = dec.read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("png data");
    let channels = info.color_type.samples();
    (info.width, info.height, buf, channels)
}

const AL_QAIM: (f64, f64) = (41.0945, 34.3688);

#[test]
fn al_qaim_lands_on_the_pixel_the_world_file_predicts() {
    // The al-qaim-offensive sheet's extent and size, a style that draws al-Qaïm alone as a magenta dot.
    let sheets = SheetsFile::load(&root().join("styles/maps.toml")).expect("maps.toml");
    let real = sheets.sheet("al-qaim-offensive").expect("sheet");
    let bbox = real.bbox.expect("bbox");
    let (w, h) = real.size(&sheets.defaults);
    let dir = temp_dir("georef");
    let styles = dir.join("styles");
    std::fs::create_dir_all(&styles).expect("mkdir");
    std::fs::write(
        dir.join("q.geojson"),
        format!(r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{}},"geometry":{{"type":"Point","coordinates":[{},{}]}}}}]}}"#, AL_QAIM.0, AL_QAIM.1),
    )
    .expect("write");
    std::fs::write(
        styles.join("s.json"),
        r#"{"version":8,"sources":{"q":{"type":"geojson","data":"q.geojson"}},"layers":[
            {"id":"bg","type":"background","paint":{"background-color":"white"}},
            {"id":"dot","type":"circle","source":"q","paint":{"circle-radius":3,"circle-color":"rgb(255,0,255)"}}]}"#,
    )
    .expect("write");
    std::fs::write(
        styles.join("maps.toml"),
        format!(
            "[defaults]\nstyle = \"s.json\"\nwidth = {w}\nheight = {h}\nattribution = \"test\"\n\n[[sheet]]\nname = \"q\"\ntitle = \"q\"\nbbox = [{}, {}, {}, {}]\n",
            bbox[0], bbox[1], bbox[2], bbox[3]
        ),
    )
    .expect("write");
    for scale in [1.0, 2.0] {
        let cfg = RenderConfig { scale, ..RenderConfig::new(&dir) };
        let cfg = RenderConfig { out: dir.join("out"), ..cfg };
        render::render_sheets(&cfg).expect("render");
        let stem = render::file_stem("q", scale);
        let wf = world_file(&dir.join(format!("out/{stem}.pgw")));
        let (col, row) = predict(&wf, AL_QAIM.0, AL_QAIM.1);
        let (iw, ih, data, ch) = decode(&dir.join(format!("out/{stem}.png")));
        assert_eq!((iw, ih), ((f64::from(w) * scale) as u32, (f64::from(h) * scale) as u32));
        // Centroid of the magenta dot, weighted by how magenta each pixel is.
        let (mut sx, mut sy, mut sw) = (0.0, 0.0, 0.0);
        for y in 0..ih as usize {
            for x in 0..iw as usize {
                let p = &data[(y * iw as usize + x) * ch..][..3];
                let m = f64::from(p[0].min(p[2])) - f64::from(p[1]);
                if m > 64.0 {
                    sx += x as f64 * m;
                    sy += y as f64 * m;
                    sw += m;
                }
            }
        }
        assert!(sw > 0.0, "no magenta dot drawn");
        let (cx, cy) = (sx / sw, sy / sw);
        assert!(
            (cx - col).abs() <= 1.0 && (cy - row).abs() <= 1.0,
            "@{scale}x: world file predicts ({col:.2}, {row:.2}), dot at ({cx:.2}, {cy:.2})"
        );
    }
}

#[test]
fn every_sheet_gets_a_world_file_and_an_epsg_3857_aux_xml() {
    let out = temp_dir("sidecars");
    let summary = render::render_sheets(&fixture_config(&out)).expect("render");
    assert_eq!(summary.sheets.len(), 4);
    for s in &summary.sheets {
        let wf = world_file(&out.join(format!("{}.pgw", s.name)));
        assert!(wf[0] > 0.0 && wf[3] < 0.0 && wf[1] == 0.0 && wf[2] == 0.0, "{}: {wf:?}", s.name);
        assert!((wf[0] + wf[3]).abs() < 1e-6, "{}: square pixels", s.name);
        let aux = std::fs::read_to_string(out.join(format!("{}.png.aux.xml", s.name))).expect("aux.xml");
        assert!(aux.contains("AUTHORITY[&quot;EPSG&quot;,&quot;3857&quot;]]</SRS>"), "{aux}");
        // The sheet's own extent: al-Qaïm is inside the image of the al-Qaïm sheet, at its view's pixel.
        if s.name == "al-qaim-offensive" {
            let (col, row) = predict(&wf, AL_QAIM.0, AL_QAIM.1);
            assert!(col > 0.0 && row > 0.0 && col < f64::from(s.width) && row < f64::from(s.height));
            let r = render::render_one(&fixture_config(&out), &s.name).expect("render");
            let px = r.view.lonlat_to_px(AL_QAIM.0, AL_QAIM.1);
            // to_px gives continuous coordinates (pixel centres at +0.5).
            assert!((px[0] - 0.5 - col).abs() < 1e-6 && (px[1] - 0.5 - row).abs() < 1e-6);
        }
    }
}

#[test]
fn the_same_inputs_give_byte_identical_files() {
    let (a, b) = (temp_dir("det-a"), temp_dir("det-b"));
    let cfg = fixture_config(&a);
    render::render_sheets(&cfg).expect("render a");
    render::render_sheets(&RenderConfig { out: b.clone(), ..cfg }).expect("render b");
    let mut names: Vec<_> = std::fs::read_dir(&a).expect("dir").filter_map(|e| e.ok().map(|e| e.file_name())).collect();
    names.sort();
    assert_eq!(names.len(), 12, "{names:?}");
    for n in names {
        assert_eq!(std::fs::read(a.join(&n)).expect("a"), std::fs::read(b.join(&n)).expect("b"), "{n:?} differs");
    }
}

#[test]
fn at_2x_the_sheet_has_twice_the_pixels_and_half_the_pixel_size() {
    let out = temp_dir("at2x");
    let cfg = RenderConfig { map: Some("theatre".into()), ..fixture_config(&out) };
    render::render_sheets(&cfg).expect("1x");
    render::render_sheets(&RenderConfig { scale: 2.0, ..cfg }).expect("2x");
    let (w1, w2) = (world_file(&out.join("theatre.pgw")), world_file(&out.join("theatre@2x.pgw")));
    assert!((w1[0] / w2[0] - 2.0).abs() < 1e-9);
    let (iw, ih, _, _) = decode(&out.join("theatre@2x.png"));
    assert_eq!((iw, ih), (3200, 2400));
    // Same top-left corner of the top-left pixel.
    assert!(((w1[4] - w1[0] / 2.0) - (w2[4] - w2[0] / 2.0)).abs() < 1e-6);
}
