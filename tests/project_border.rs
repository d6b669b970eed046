//! The Iraq–Syria border and the al-Qaïm crossing, as the projector draws them from the gazetteer, against
//! the gold line and point of `gold-places.json`.

mod project_common;

use frontmap::project::geom;
use geo::{Coord, Geometry, LineString, MultiLineString};
use project_common::*;

fn gold_line() -> Geometry<f64> {
    let p = gold_place("iraq-syria-border");
    let parts = p["line"].as_array().expect("gold border line");
    let lines: Vec<LineString<f64>> = parts
        .iter()
        .map(|l| {
            LineString(
                l.as_array()
                    .into_iter()
                    .flatten()
                    .map(|c| Coord { x: c[0].as_f64().unwrap_or(f64::NAN), y: c[1].as_f64().unwrap_or(f64::NAN) })
                    .collect(),
            )
        })
        .collect();
    Geometry::MultiLineString(MultiLineString(lines))
}

#[test]
fn only_the_border_between_the_countries_the_articles_name_is_drawn() {
    let r = run();
    let ids: Vec<&str> = r.projection.borders.iter().map(|b| b.id.as_str()).collect();
    assert_eq!(ids, vec!["iq-sy"]);
    assert_eq!(r.projection.borders[0].countries, vec!["IQ", "SY"]);
}

#[test]
fn the_iraq_syria_border_lies_within_5_km_of_the_gold_line() {
    let r = run();
    let ours = Geometry::MultiLineString(r.projection.borders[0].geometry.clone());
    let gold = gold_line();
    let tol = gold_place("iraq-syria-border")["line_tolerance_km"].as_f64().unwrap_or(5.0);
    // Every gold vertex (a point of the true border) is within tolerance of our line…
    if let Geometry::MultiLineString(g) = &gold {
        for c in g.0.iter().flat_map(|l| l.0.iter()) {
            let d = geom::distance_to(*c, &ours).map(|d| d.0).unwrap_or(f64::MAX);
            assert!(d <= tol, "gold vertex {c:?} is {d:.2} km from our border");
        }
    }
    // …and our line follows the gold one (simplified at 0.05°, so a few of our vertices stray a little).
    let ds: Vec<f64> = r.projection.borders[0]
        .geometry
        .0
        .iter()
        .flat_map(|l| l.0.iter())
        .map(|c| geom::distance_to(*c, &gold).map(|d| d.0).unwrap_or(f64::MAX))
        .collect();
    let within = ds.iter().filter(|&&d| d <= tol).count() as f64 / ds.len() as f64;
    assert!(within >= 0.95, "{:.1}% of our vertices within {tol} km of the gold line", within * 100.0);
}

#[test]
fn the_al_qaim_crossing_sits_on_the_border_where_the_gold_puts_it() {
    let r = run();
    let c = r.projection.crossings.iter().find(|c| c.id == "al-qaim-border-crossing").expect("crossing drawn");
    let gold = gold_place("al-qaim-border-crossing");
    let d = frontmap::geodesy::distance_km(c.point, gold_point("al-qaim-border-crossing"));
    assert!(d <= gold["tolerance_km"].as_f64().unwrap_or(4.0), "{d:.2} km from the gold crossing");
    assert_eq!(c.border.as_deref(), Some("iq-sy"));
    assert!(c.distance_to_border_km.is_some_and(|d| d < 1.0), "{:?}", c.distance_to_border_km);
    assert_eq!(r.projection.borders[0].crossings, vec!["al-qaim-border-crossing"]);
}
