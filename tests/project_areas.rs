//! The IS pocket "dans la moyenne vallée de l'Euphrate, de la province syrienne de Deir Ezzor jusqu'à
//! al-Qaïm": a corridor along the real river, one polygon per date the articles give, shrinking as places
//! are retaken.

mod project_common;

use frontmap::project::areas::Area;
use frontmap::project::geom;
use geo::orient::{Direction, Orient};
use geo::{BoundingRect, Coord, GeodesicArea, Validation};
use project_common::*;

fn state<'a>(areas: &'a [Area], day: &str) -> &'a Area {
    areas.iter().find(|a| a.date_start.to_string() == day).unwrap_or_else(|| panic!("no pocket for {day}"))
}

fn euphrates(r: &Run) -> Vec<Coord<f64>> {
    match r.g.get("euphrates").and_then(|p| p.geometry.as_ref()).and_then(geom::lines) {
        Some(l) => l.0.into_iter().flat_map(|l| l.0).collect(),
        None => panic!("the gazetteer has no Euphrates line"),
    }
}

#[test]
fn there_is_one_pocket_per_date_the_articles_give() {
    let r = run();
    let days: Vec<String> = r.projection.areas.iter().map(|a| format!("{}..{}", a.date_start, a.date_end)).collect();
    assert_eq!(days, vec!["2017-10-26..2017-11-02", "2017-11-03..2017-11-03"]);
    for a in &r.projection.areas {
        assert_eq!(a.kind, "pocket");
        assert_eq!(a.controller.as_deref(), Some("Islamic State"));
        assert!(a.derivation.contains("Euphrate") && a.derivation.ends_with('.'), "{}", a.derivation);
    }
}

#[test]
fn on_26_october_the_pocket_holds_the_euphrates_from_deir_ez_zor_to_al_qaim() {
    let r = run();
    let pocket = &state(&r.projection.areas, "2017-10-26").geometry;
    let river = euphrates(&r);
    let cum = geom::cumulative_km(&river);
    let ends: Vec<f64> = ["deir-ez-zor", "al-qaim"]
        .iter()
        .map(|id| geom::locate(&river, &cum, point(&r.g, id)).expect("located").along_km)
        .collect();
    let stretch = geom::sub_line(&river, &cum, ends[0], ends[1]);
    let stretch_km = geom::cumulative_km(&stretch).last().copied().unwrap_or(0.0);
    assert!(stretch_km > 150.0, "{stretch_km} km of river between Deir ez-Zor and al-Qaïm");
    for c in &stretch {
        assert!(geom::contains(pocket, *c), "the river at {c:?} is outside the 26 October pocket");
    }
    for id in ["deir-ez-zor", "al-qaim", "boukamal", "al-qaim-border-crossing"] {
        assert!(geom::contains(pocket, point(&r.g, id)), "{id} is outside the 26 October pocket");
    }
}

#[test]
fn on_3_november_the_pocket_leaves_out_what_was_retaken_and_keeps_the_rest() {
    let r = run();
    let before = state(&r.projection.areas, "2017-10-26");
    let after = state(&r.projection.areas, "2017-11-03");
    for id in ["deir-ez-zor", "al-qaim", "al-qaim-border-crossing"] {
        assert!(after.retaken.iter().any(|x| x == id), "{id} not listed as retaken: {:?}", after.retaken);
        assert!(!geom::contains(&after.geometry, point(&r.g, id)), "{id} is still in the 3 November pocket");
        assert!(
            !geom::contains(
                &after.geometry,
                gold_point(if id == "al-qaim-border-crossing" { "al-qaim-border-crossing" } else { id })
            ),
            "gold {id}"
        );
    }
    // Boukamal was not retaken (it fell on 9 November): retaking the crossing next to it does not swallow it.
    assert!(geom::contains(&after.geometry, point(&r.g, "boukamal")));
    assert!(after.area_km2 < 0.9 * before.area_km2, "{} → {} km²", before.area_km2, after.area_km2);
}

#[test]
fn pocket_polygons_are_valid_and_counter_clockwise() {
    let r = run();
    for a in &r.projection.areas {
        assert!(a.geometry.is_valid(), "{}: {:?}", a.id, a.geometry.validation_errors());
        for p in &a.geometry.0 {
            assert!(p.geodesic_area_signed() > 0.0, "{}: exterior not counter-clockwise", a.id);
            assert_eq!(p, &p.orient(Direction::Default), "{}", a.id);
        }
        let area = geom::area_km2(&a.geometry);
        assert!((area - a.area_km2).abs() < 1.0);
    }
}

#[test]
fn the_pocket_is_a_corridor_along_the_river_not_a_box() {
    let r = run();
    let river = euphrates(&r);
    let cum = geom::cumulative_km(&river);
    for a in &r.projection.areas {
        let b = a.geometry.bounding_rect().expect("bbox");
        let bbox_poly = geo::MultiPolygon(vec![b.to_polygon().orient(Direction::Default)]);
        let share = a.area_km2 / geom::area_km2(&bbox_poly);
        assert!(share < 0.4, "{}: fills {:.0}% of its bounding box", a.id, share * 100.0);
        // Every vertex lies within the corridor's half-width (plus rounding) of the river.
        let w = a
            .derivation
            .split(" km either side")
            .next()
            .and_then(|s| s.rsplit(' ').next())
            .and_then(|s| s.parse::<f64>().ok())
            .expect("half-width in the derivation");
        for p in &a.geometry.0 {
            for c in &p.exterior().0 {
                let off = geom::locate(&river, &cum, *c).expect("located").offset_km;
                assert!(off <= w + 0.5, "{}: vertex {c:?} is {off:.1} km from the river (half-width {w})", a.id);
            }
        }
    }
}
