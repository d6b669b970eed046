//! The projector's fronts against the gold of `tests/fixtures/gold-events.json` (`fronts`): the four axes
//! of "sur quatre fronts: à l'est, au sud et au sud-est d'Al-Qaïm, et depuis la province de Ninive, plus au
//! nord" leave from the gold bearing ranges, and every arrow and front line is drawn the way the issue says.

mod project_common;

use frontmap::geodesy::{bearing_deg, distance_km};
use frontmap::project::fronts::Axis;
use frontmap::project::geom;
use frontmap::text::{Article, ArticleFacts, DateRange, ZoneRules};
use geo::{Coord, Intersects, LineString};
use project_common::*;

fn four_fronts(axes: &[Axis]) -> Vec<&Axis> {
    axes.iter().filter(|a| !a.pincer && a.objective == "al-qaim").collect()
}

#[test]
fn clockwise_bearing_ranges_may_wrap_through_north() {
    assert!(bearing_in([315.0, 60.0], 12.0));
    assert!(bearing_in([315.0, 60.0], 350.0));
    assert!(!bearing_in([315.0, 60.0], 90.0));
    assert!(bearing_in([90.0, 180.0], 135.0));
    assert!(!bearing_in([90.0, 180.0], 200.0));
}

#[test]
fn the_four_axes_leave_from_the_gold_bearing_ranges() {
    let r = run();
    let axes = four_fronts(&r.projection.axes);
    assert_eq!(axes.len(), 4, "four fronts: {:?}", axes.iter().map(|a| &a.id).collect::<Vec<_>>());
    let qaim = [point(&r.g, "al-qaim"), gold_point("al-qaim")];
    for gold in fixture("gold-events.json")["fronts"].as_array().expect("gold fronts") {
        let range = [
            gold["acceptable_bearing_range_deg"][0].as_f64().expect("range"),
            gold["acceptable_bearing_range_deg"][1].as_f64().expect("range"),
        ];
        let axis = match gold["origin_place"].as_str() {
            Some(_) => axes.iter().find(|a| a.origin.as_deref() == Some("iq-ni")),
            None => {
                axes.iter().find(|a| a.origin.is_none() && Some(a.direction.as_str()) == gold["direction"].as_str())
            }
        };
        let axis = axis.unwrap_or_else(|| panic!("no axis for gold {}", gold["id"]));
        for q in qaim {
            let b = bearing_deg(q, axis.arrow[0]);
            assert!(bearing_in(range, b), "{}: origin at {b:.1}° from al-Qaïm ({q:?}), gold {range:?}", axis.id);
        }
        assert_eq!(axis.quote, gold["sources"][0]["quote"].as_str().unwrap_or(""), "{}", axis.id);
    }
}

#[test]
fn every_arrow_runs_from_its_origin_to_a_tip_short_of_the_objective() {
    let r = run();
    assert!(!r.projection.axes.is_empty());
    for a in &r.projection.axes {
        let center = distance_km(a.arrow[0], a.arrow[a.arrow.len() - 1]);
        assert!(center > 0.0 && a.arrow.len() >= 2, "{}", a.id);
        // Distances to the objective's centre shrink from origin to tip: the tip is last.
        let obj = if a.pincer { None } else { Some(point(&r.g, &a.objective)) };
        if let Some(o) = obj {
            let d: Vec<f64> = a.arrow.iter().map(|c| distance_km(*c, o)).collect();
            assert!(d.windows(2).all(|w| w[1] < w[0]), "{}: not ordered origin → tip: {d:?}", a.id);
            let tip = d[d.len() - 1];
            assert!(tip > 0.05 * a.length_km && tip < d[0], "{}: tip {tip:.1} km from the objective", a.id);
        }
        assert!(a.date_start <= a.date_end, "{}", a.id);
        assert!(!a.quote.is_empty() && !a.origin_rule.is_empty(), "{}", a.id);
    }
}

#[test]
fn each_front_line_crosses_its_arrow_at_right_angles_and_never_meets_another() {
    let r = run();
    let axes = &r.projection.axes;
    for a in axes {
        let mid = a.front_line[1];
        let line = LineString(a.arrow.clone());
        let on = geom::distance_to(mid, &geo::Geometry::LineString(line)).map(|d| d.0).unwrap_or(f64::MAX);
        assert!(on < 0.5, "{}: the front line's middle is {on:.2} km off its arrow", a.id);
        let across = bearing_deg(a.front_line[0], a.front_line[2]);
        let along = bearing_deg(mid, a.arrow[a.arrow.len() - 1]);
        let angle = frontmap::project::lexicon::angle_between(across, along);
        assert!((angle - 90.0).abs() < 5.0, "{}: front line at {angle:.1}° to its arrow", a.id);
        for b in axes.iter().filter(|b| b.id != a.id && b.objective == a.objective && b.pincer == a.pincer) {
            let (la, lb) = (LineString(a.front_line.clone()), LineString(b.front_line.clone()));
            assert!(!la.intersects(&lb), "front lines of {} and {} meet", a.id, b.id);
        }
    }
}

#[test]
fn the_axis_from_nineveh_stays_in_iraq() {
    let r = run();
    let axis = r.projection.axes.iter().find(|a| a.origin.as_deref() == Some("iq-ni")).expect("Nineveh axis");
    let iraq = r.g.get("iq").and_then(|p| p.geometry.as_ref()).and_then(geom::polygons).expect("Iraq polygon");
    for c in &axis.arrow {
        assert!(geom::contains(&iraq, *c), "{c:?} is outside Iraq");
    }
    assert_eq!(axis.direction.as_str(), "N", "\"plus au nord\" names the direction");
}

#[test]
fn a_pincer_gives_one_arrow_per_jaw_from_opposite_sides() {
    let r = run();
    let jaws: Vec<&Axis> = r.projection.axes.iter().filter(|a| a.pincer).collect();
    assert_eq!(jaws.len(), 2, "{:?}", jaws.iter().map(|a| &a.id).collect::<Vec<_>>());
    let sy = jaws.iter().find(|a| a.origin.as_deref() == Some("sy")).expect("Syrian jaw");
    let iq = jaws.iter().find(|a| a.origin.as_deref() == Some("iq")).expect("Iraqi jaw");
    let apart = frontmap::project::lexicon::angle_between(sy.bearing_deg, iq.bearing_deg);
    assert!(apart > 120.0, "jaws {apart:.0}° apart");
    assert!(sy.actor.as_deref().is_some_and(|a| a.contains("Syria")), "{:?}", sy.actor);
    assert!(iq.actor.as_deref().is_some_and(|a| a.contains("Iraq")), "{:?}", iq.actor);
    // The Syrian jaw starts in Syria, the Iraqi one in Iraq.
    for (j, c) in [(sy, "sy"), (iq, "iq")] {
        let poly = r.g.get(c).and_then(|p| p.geometry.as_ref()).and_then(geom::polygons).expect("polygon");
        assert!(geom::contains(&poly, j.arrow[0]), "{} starts outside {c}", j.id);
    }
}

#[test]
fn the_four_fronts_are_dated_from_the_statement_until_al_qaim_is_retaken() {
    let r = run();
    let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
    for a in four_fronts(&r.projection.axes) {
        assert_eq!(a.date_start, day("2017-10-26"), "{}", a.id);
        assert_eq!(a.date_end, day("2017-11-03"), "{}", a.id);
        assert!(a.actor.as_deref().is_some_and(|x| x.contains("Iraq")), "{}: {:?}", a.id, a.actor);
    }
}

/// An article written for this test: other places, other directions, the same rules.
#[test]
fn the_rules_read_axes_in_an_article_they_were_not_written_for() {
    let g = frontmap::gazetteer::Gazetteer::load_dir(&root().join("gazetteer")).expect("gazetteer");
    let text = "Les forces irakiennes ont lancé mardi l'assaut sur Tal Afar, à l'ouest de Mossoul. \
                Elles avancent sur trois axes: au nord et au sud de Tal Afar, et depuis la province de Salah ad-Din, plus au sud-est.";
    let facts = ArticleFacts { corpus_date: DateRange::parse_iso("2017-08-22"), ..Default::default() };
    let a = Article::from_bytes("t.txt", std::path::Path::new("t.txt"), text.as_bytes(), &ZoneRules::builtin(), &facts);
    let parser = frontmap::geoparse::GeoParser::new(&g);
    let parsed = vec![parser.parse(&a)];
    let p = frontmap::project::project(&g, std::slice::from_ref(&a), &parsed, &[]);
    let objective = p.axes.first().map(|x| x.objective.clone()).unwrap_or_default();
    assert_eq!(p.axes.len(), 3, "{:?} {:?}", p.axes.iter().map(|x| &x.id).collect::<Vec<_>>(), p.warnings);
    let o: Coord<f64> = point(&g, &objective);
    let north = p.axes.iter().find(|x| x.direction.as_str() == "N").expect("north axis");
    assert!(bearing_in([315.0, 45.0], bearing_deg(o, north.arrow[0])));
    let se = p.axes.iter().find(|x| x.origin.is_some()).expect("axis from a province");
    assert!(bearing_in([67.5, 202.5], bearing_deg(o, se.arrow[0])), "{}", se.bearing_deg);
}
