//! Tile maths against reference values (pyproj 3.7.2 and mercantile 1.2.1, computed once and written
//! here), latitude clamping, the TMS row flip, and round trips as property tests.

use frontmap::render::mercator::{HALF_WORLD, project};
use frontmap::tiles::plan::{Plan, ZoomRange, parse_bbox};
use frontmap::tiles::{TileId, TileRange};
use proptest::prelude::*;

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

#[test]
fn al_qaim_at_zoom_10_is_tile_628_407_as_mercantile_says() {
    let t = TileId::from_lonlat(41.0, 34.4, 10);
    assert_eq!((t.z, t.x, t.y), (10, 628, 407));
    // pyproj: Transformer.from_crs(4326, 3857, always_xy=True).transform(41.0, 34.4)
    let [x, y] = project(41.0, 34.4);
    assert!(close(x, 4_564_099.122_524_217, 1e-6) && close(y, 4_082_639.550_140_599, 1e-6), "{x} {y}");
    // mercantile.xy_bounds(628, 407, 10)
    let b = t.bounds();
    for (got, want) in [
        (b.min_x, 4_539_747.983_913_187),
        (b.min_y, 4_070_118.882_129_064_8),
        (b.max_x, 4_578_883.742_395_197),
        (b.max_y, 4_109_254.640_611_075),
    ] {
        assert!(close(got, want, 1e-6), "bounds {b:?}: {got} vs {want}");
    }
    // mercantile.bounds(628, 407, 10)
    let [w, s, e, n] = t.lonlat_bounds();
    for (got, want) in [(w, 40.78125), (s, 34.307_143_856_288_036), (e, 41.132_812_5), (n, 34.597_041_516_144_16)] {
        assert!(close(got, want, 1e-9), "lon/lat bounds {got} vs {want}");
    }
}

#[test]
fn tiles_of_reference_points_match_mercantile() {
    for (lon, lat, z, x, y) in [
        (40.9894, 34.3925, 13, 5028, 3261),
        (-0.1275, 51.5072, 14, 8186, 5448),
        (151.2093, -33.8688, 9, 471, 307),
        (-122.4194, 37.7749, 17, 20964, 50662),
        (0.0, 0.0, 0, 0, 0),
        (179.999, 85.04, 6, 63, 0),
        (-179.999, -85.04, 6, 0, 63),
    ] {
        let t = TileId::from_lonlat(lon, lat, z);
        assert_eq!((t.x, t.y), (x, y), "({lon}, {lat}) at z{z}");
    }
    // mercantile.xy_bounds(5028, 3261, 13) and (0, 0, 0)
    let b = TileId { z: 13, x: 5028, y: 3261 }.bounds();
    assert!(close(b.min_x, 4_559_315.863_154_191_5, 1e-6) && close(b.max_y, 4_084_794.791_559_819, 1e-6));
    let w = TileId { z: 0, x: 0, y: 0 }.bounds();
    assert!(close(w.min_x, -20_037_508.342_789_244, 1e-6) && close(w.max_y, 20_037_508.342_789_244, 1e-6));
}

#[test]
fn latitudes_beyond_web_mercator_are_clamped_to_the_edge_rows() {
    for z in [0u8, 1, 5, 10, 18] {
        let last = (1u32 << z) - 1;
        assert_eq!(TileId::from_lonlat(10.0, 89.99, z).y, 0, "z{z} north pole");
        assert_eq!(TileId::from_lonlat(10.0, 90.0, z).y, 0);
        assert_eq!(TileId::from_lonlat(10.0, -89.99, z).y, last, "z{z} south pole");
        assert_eq!(TileId::from_lonlat(10.0, -90.0, z).y, last);
        assert_eq!(TileId::from_lonlat(10.0, 85.051_128_779_806_59, z).y, 0);
        // The antimeridian belongs to the last column; out-of-range longitudes are clamped.
        assert_eq!(TileId::from_lonlat(180.0, 0.0, z).x, last);
        assert_eq!(TileId::from_lonlat(-180.0, 0.0, z).x, 0);
        assert_eq!(TileId::from_lonlat(200.0, 0.0, z).x, last);
        assert_eq!(TileId::from_lonlat(f64::NAN, f64::NAN, z), TileId::from_lonlat(0.0, 0.0, z));
    }
}

#[test]
fn tms_rows_count_from_the_south() {
    let t = TileId { z: 10, x: 628, y: 407 };
    assert_eq!(t.tms_y(), 616);
    assert_eq!(TileId::from_tms(10, 628, 616), Some(t));
    assert_eq!(TileId { z: 0, x: 0, y: 0 }.tms_y(), 0);
    assert_eq!(TileId { z: 3, x: 0, y: 0 }.tms_y(), 7);
    assert_eq!(TileId::from_tms(3, 0, 8), None);
    assert_eq!(TileId::new(3, 8, 0), None);
}

#[test]
fn a_box_ending_on_a_tile_edge_does_not_pull_in_the_next_tile() {
    let t = TileId { z: 10, x: 628, y: 407 };
    let r = TileRange::covering(&t.bounds(), 10);
    assert_eq!((r.x0, r.y0, r.x1, r.y1, r.len()), (628, 407, 628, 407, 1));
    let two = TileRange::covering(&t.bounds().grow(1.0), 10);
    assert_eq!(two.len(), 9);
}

#[test]
fn zoom_ranges_and_boxes_parse_like_the_cli_documents() {
    assert_eq!("0-12".parse::<ZoomRange>(), Ok(ZoomRange { min: 0, max: 12 }));
    assert_eq!("7".parse::<ZoomRange>(), Ok(ZoomRange { min: 7, max: 7 }));
    assert!("12-3".parse::<ZoomRange>().is_err());
    assert!("0-25".parse::<ZoomRange>().is_err());
    assert!("a-b".parse::<ZoomRange>().is_err());
    assert_eq!(parse_bbox("35.3,29.2,48.9,37.6"), Ok([35.3, 29.2, 48.9, 37.6]));
    assert!(parse_bbox("48.9,29.2,35.3,37.6").is_err(), "west > east");
    assert!(parse_bbox("0,-89,1,1").is_err(), "beyond Web Mercator");
    assert!(parse_bbox("1,2,3").is_err());
}

#[test]
fn a_uniform_plan_covers_its_box_at_every_zoom_and_refuses_absurd_pyramids() {
    let plan = Plan::uniform([35.3, 29.2, 48.9, 37.6], ZoomRange { min: 0, max: 6 });
    let levels = plan.levels().expect("levels");
    assert_eq!(levels.iter().map(|l| l.z).collect::<Vec<_>>(), vec![0, 1, 2, 3, 4, 5, 6]);
    assert_eq!(levels[0].tiles, vec![TileId { z: 0, x: 0, y: 0 }]);
    for l in &levels {
        assert_eq!(l.tiles.len() as u64, l.extent.len(), "z{}: a single box fills its extent", l.z);
        for corner in [(35.3, 29.2), (48.9, 37.6), (41.0, 34.4)] {
            let t = TileId::from_lonlat(corner.0, corner.1, l.z);
            assert!(l.tiles.contains(&t), "z{}: {corner:?} not covered", l.z);
        }
    }
    let huge = Plan::uniform([-180.0, -85.0, 180.0, 85.0], ZoomRange { min: 0, max: 14 });
    assert!(huge.levels().is_err(), "the whole world to z14 is 358 million tiles");
}

proptest! {
    #[test]
    fn a_point_lies_in_the_tile_that_holds_it(lon in -180.0f64..180.0, lat in -85.0f64..85.0, z in 0u8..=22) {
        let t = TileId::from_lonlat(lon, lat, z);
        let b = t.bounds();
        let [x, y] = project(lon, lat);
        let eps = 1e-6 * (2.0 * HALF_WORLD) / f64::from(1u32 << z);
        prop_assert!(x >= b.min_x - eps && x <= b.max_x + eps && y >= b.min_y - eps && y <= b.max_y + eps,
            "({lon}, {lat}) z{z} → {t} {b:?}");
    }

    #[test]
    fn the_centre_of_a_tile_maps_back_to_the_tile(z in 0u8..=22, fx in 0.0f64..1.0, fy in 0.0f64..1.0) {
        let n = 1u32 << z;
        let t = TileId { z, x: ((fx * f64::from(n)) as u32).min(n - 1), y: ((fy * f64::from(n)) as u32).min(n - 1) };
        let [w, s, e, nn] = t.lonlat_bounds();
        let back = TileId::from_lonlat((w + e) / 2.0, (s + nn) / 2.0, z);
        prop_assert_eq!(back, t);
        let c = t.bounds().center();
        prop_assert_eq!(TileId::from_mercator(c, z), t);
    }

    #[test]
    fn tms_flip_is_its_own_inverse(z in 0u8..=24, fx in 0.0f64..1.0, fy in 0.0f64..1.0) {
        let n = 1u32 << z;
        let t = TileId { z, x: ((fx * f64::from(n)) as u32).min(n - 1), y: ((fy * f64::from(n)) as u32).min(n - 1) };
        prop_assert_eq!(TileId::from_tms(z, t.x, t.tms_y()), Some(t));
        prop_assert_eq!(t.tms_y() + t.y, n - 1);
    }

    #[test]
    fn a_child_tile_lies_inside_its_parent(z in 1u8..=22, fx in 0.0f64..1.0, fy in 0.0f64..1.0) {
        let n = 1u32 << z;
        let t = TileId { z, x: ((fx * f64::from(n)) as u32).min(n - 1), y: ((fy * f64::from(n)) as u32).min(n - 1) };
        let (c, p) = (t.bounds(), t.parent().bounds());
        let eps = 1e-6;
        prop_assert!(c.min_x >= p.min_x - eps && c.max_x <= p.max_x + eps && c.min_y >= p.min_y - eps && c.max_y <= p.max_y + eps);
    }
}
