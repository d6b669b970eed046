//! Web Mercator maths: reference values, round trips, the latitude clamp, and views that map metres to
//! pixels and back.

use frontmap::render::mercator::{self, Bbox, MAX_LATITUDE, View};
use proptest::prelude::*;

#[test]
fn al_qaim_area_point_projects_to_the_pyproj_reference_value() {
    // pyproj: Transformer.from_crs(4326, 3857, always_xy=True).transform(41.0, 34.4)
    let [x, y] = mercator::project(41.0, 34.4);
    assert!((x - 4_564_099.12).abs() < 0.01, "x = {x}");
    assert!((y - 4_082_639.55).abs() < 0.01, "y = {y}");
}

#[test]
fn latitudes_beyond_the_mercator_limit_are_clamped() {
    assert_eq!(mercator::project(0.0, 89.9), mercator::project(0.0, MAX_LATITUDE));
    assert_eq!(mercator::project(0.0, -90.0), mercator::project(0.0, -MAX_LATITUDE));
    let [_, y] = mercator::project(0.0, MAX_LATITUDE);
    assert!((y - mercator::HALF_WORLD).abs() < 1e-3, "the clamp latitude makes the world square: {y}");
}

#[test]
fn zoom_zero_is_one_512_pixel_world_as_in_maplibre() {
    assert!((mercator::zoom_for_resolution(2.0 * mercator::HALF_WORLD / 512.0)).abs() < 1e-12);
    assert!((mercator::resolution_for_zoom(10.0) - 2.0 * mercator::HALF_WORLD / (512.0 * 1024.0)).abs() < 1e-9);
}

#[test]
fn a_fitted_view_keeps_square_pixels_and_contains_the_requested_box() {
    let want = Bbox::from_lonlat(40.7, 34.05, 42.02, 34.93);
    let v = View::fit(want, 1600, 1200, 1.0);
    assert_eq!((v.width, v.height), (1600, 1200));
    assert!((v.resolution() - v.resolution_y()).abs() < 1e-9);
    assert!(v.bbox.min_x <= want.min_x + 1e-6 && v.bbox.max_x >= want.max_x - 1e-6);
    assert!(v.bbox.min_y <= want.min_y + 1e-6 && v.bbox.max_y >= want.max_y - 1e-6);
}

#[test]
fn an_at_2x_view_has_twice_the_pixels_and_the_same_zoom() {
    let b = Bbox::from_lonlat(40.0, 34.0, 42.0, 35.5);
    let (v1, v2) = (View::fit(b, 800, 600, 1.0), View::fit(b, 800, 600, 2.0));
    assert_eq!((v2.width, v2.height), (1600, 1200));
    assert!((v1.zoom - v2.zoom).abs() < 1e-9);
    assert!((v1.resolution() / v2.resolution() - 2.0).abs() < 1e-9);
}

proptest! {
    #[test]
    fn project_then_unproject_gives_back_the_point(lon in -180.0f64..180.0, lat in -85.0f64..85.0) {
        let [x, y] = mercator::project(lon, lat);
        let [lon2, lat2] = mercator::unproject(x, y);
        prop_assert!((lon - lon2).abs() < 1e-9);
        prop_assert!((lat - lat2).abs() < 1e-9);
    }

    #[test]
    fn projection_is_monotonic_in_latitude(lat in -85.0f64..84.9, d in 1e-6f64..0.1) {
        prop_assert!(mercator::project(0.0, lat + d)[1] > mercator::project(0.0, lat)[1]);
    }

    #[test]
    fn view_pixels_round_trip(lon in 35.0f64..49.0, lat in 29.0f64..38.0, w in 64u32..4096, h in 64u32..4096, scale in 1u32..3) {
        let v = View::fit(Bbox::from_lonlat(35.0, 29.0, 49.0, 38.0), w, h, f64::from(scale));
        let p = mercator::project(lon, lat);
        let px = v.to_px(p);
        let back = v.from_px(px);
        prop_assert!((back[0] - p[0]).abs() < 1e-6 && (back[1] - p[1]).abs() < 1e-6);
        prop_assert!(px[0] >= -1e-6 && px[0] <= f64::from(v.width) + 1e-6);
        prop_assert!(px[1] >= -1e-6 && px[1] <= f64::from(v.height) + 1e-6);
    }

    #[test]
    fn zoom_and_resolution_are_inverse(z in 0.0f64..22.0) {
        prop_assert!((mercator::zoom_for_resolution(mercator::resolution_for_zoom(z)) - z).abs() < 1e-9);
    }

    #[test]
    fn a_sub_view_offset_carries_pixels_across(dx in -500i32..500, dy in -500i32..500) {
        let big = View::fit(Bbox::from_lonlat(39.0, 33.0, 43.0, 36.0), 1000, 800, 1.0);
        let r = big.resolution();
        let sub_box = Bbox::new(big.bbox.min_x + f64::from(dx) * r, big.bbox.max_y - f64::from(dy) * r - 256.0 * r,
            big.bbox.min_x + f64::from(dx) * r + 256.0 * r, big.bbox.max_y - f64::from(dy) * r);
        let sub = View::with_zoom(sub_box, 256, 256, 1.0, big.zoom);
        let p = big.from_px([300.5, 200.25]);
        let [ox, oy] = big.offset_into(&sub);
        let in_sub = sub.to_px(p);
        prop_assert!((300.5 + ox - in_sub[0]).abs() < 1e-6 && (200.25 + oy - in_sub[1]).abs() < 1e-6);
    }
}
