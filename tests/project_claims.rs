//! The text's geographic statements, checked against the gazetteer (`out/claims.json`), against the gold
//! `claims` of `gold-events.json` and the basemap's own figures.

mod project_common;

use frontmap::project::claims::Claim;
use project_common::*;
use serde_json::Value;

fn claim<'a>(claims: &'a [Claim], id: &str) -> &'a Claim {
    claims
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no claim {id}; have {:?}", claims.iter().map(|c| &c.id).collect::<Vec<_>>()))
}

fn gold_claim(id: &str) -> Value {
    fixture("gold-events.json")["claims"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["id"] == id).cloned())
        .unwrap_or_else(|| panic!("gold claim {id}"))
}

#[test]
fn the_600_km_border_is_measured_within_5_percent_of_the_basemap_length() {
    let r = run();
    let c = claim(&r.projection.claims, "length-iq-sy");
    let text = std::fs::read_to_string(root().join("gazetteer/basemap/borders.geojson")).expect("borders");
    let borders: Value = serde_json::from_str(&text).expect("borders json");
    let basemap = borders["features"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["properties"]["id"] == "iq-sy"))
        .and_then(|f| f["properties"]["length_km"].as_f64())
        .expect("basemap length_km");
    let computed = c.computed.as_f64().expect("computed length");
    assert!((computed - basemap).abs() / basemap < 0.05, "{computed} km vs the basemap's {basemap} km");
    assert_eq!(c.stated, 600.0);
    assert_eq!((c.unit.as_deref(), c.ok), (Some("km"), Some(true)));
}

#[test]
fn al_qaim_lies_about_ten_kilometres_from_syria() {
    let r = run();
    let gold = gold_claim("C01-al-qaim-10km-from-syria");
    let (lo, hi) = (
        gold["acceptable_range_km"][0].as_f64().unwrap_or(0.0),
        gold["acceptable_range_km"][1].as_f64().unwrap_or(0.0),
    );
    for id in ["distance-al-qaim-sy", "distance-al-qaim-iq-sy"] {
        let c = claim(&r.projection.claims, id);
        let d = c.computed.as_f64().expect("computed distance");
        assert!(lo <= d && d <= hi, "{id}: {d} km, gold {lo}–{hi}");
        assert_eq!((c.stated.as_f64(), c.ok), (Some(10.0), Some(true)), "{id}");
    }
    // "à une dizaine de kilomètres de la Syrie" is one claim read in three articles.
    assert_eq!(claim(&r.projection.claims, "distance-al-qaim-sy").sources.len(), 3);
}

#[test]
fn gaza_lies_south_west_of_al_qaim() {
    let r = run();
    let gold = gold_claim("C07-gaza-southwest-of-al-qaim");
    let range = [
        gold["acceptable_bearing_range_deg"][0].as_f64().unwrap_or(0.0),
        gold["acceptable_bearing_range_deg"][1].as_f64().unwrap_or(0.0),
    ];
    let c = claim(&r.projection.claims, "relative-position-gaza-al-qaim-al-qaim");
    assert!(bearing_in(range, c.computed.as_f64().unwrap_or(f64::NAN)), "{:?}", c.computed);
    assert_eq!(c.ok, Some(true));
}

#[test]
fn containments_the_text_states_hold_in_the_gazetteer() {
    let r = run();
    for (id, container) in [
        ("containment-boukamal-sy", "sy"),
        ("containment-boukamal-sy-dy", "sy-dy"),
        ("containment-mosul-iq", "iq"),
        ("containment-raqqa-sy", "sy"),
        ("containment-al-qaim-iq", "iq"),
        ("containment-deir-ez-zor-sy", "sy"),
    ] {
        let c = claim(&r.projection.claims, id);
        assert_eq!((c.computed.as_str(), c.ok), (Some(container), Some(true)), "{id}");
    }
    let east = claim(&r.projection.claims, "relative-position-deir-ez-zor-sy");
    assert_eq!(east.ok, Some(true), "Deir Ezzor in the east of Syria: {:?}", east.computed);
    assert_eq!(claim(&r.projection.claims, "further-iq-ni-al-qaim").ok, Some(true), "Nineveh further north");
}

#[test]
fn a_comparison_the_gazetteer_cannot_check_is_left_open_with_its_reason() {
    let r = run();
    let c = claim(&r.projection.claims, "as-large-as-it");
    assert_eq!((c.computed.clone(), c.ok), (Value::Null, None));
    assert!(c.note.contains("no polygon"), "{}", c.note);
    let italy = c.stated.as_f64().expect("Italy's area");
    assert!((italy - 301_340.0).abs() / 301_340.0 < 0.01, "{italy} km²");
}

#[test]
fn rawa_the_neighbouring_town_is_some_80_km_away() {
    let r = run();
    let c = claim(&r.projection.claims, "near-al-qaim-rawa");
    let d = c.computed.as_f64().expect("distance");
    assert!((70.0..=90.0).contains(&d), "{d} km");
    assert_eq!(c.ok, Some(false), "{}", c.note);
    let crossing = claim(&r.projection.claims, "near-al-qaim-border-crossing-al-qaim");
    assert_eq!(crossing.ok, Some(true), "the crossing near the town: {:?}", crossing.computed);
}

#[test]
fn the_valley_straddles_iraq_and_syria() {
    let r = run();
    let c = claim(&r.projection.claims, "straddle-middle-euphrates-valley-iq-sy");
    assert_eq!(c.ok, Some(true), "{}", c.note);
}

#[test]
fn every_quote_is_verbatim_at_its_offset_in_the_article_file() {
    let r = run();
    assert!(r.projection.claims.len() >= 15, "{} claims", r.projection.claims.len());
    for c in &r.projection.claims {
        assert_eq!(c.quote, c.sources[0].quote);
        for s in &c.sources {
            let bytes = std::fs::read(root().join("articles").join(&s.article)).expect("article");
            let at = bytes.get(s.start..s.start + s.quote.len()).unwrap_or(&[]);
            assert_eq!(String::from_utf8_lossy(at), s.quote, "{}: {}", c.id, s.article);
        }
    }
}

#[test]
fn the_valley_named_in_the_pocket_runs_past_both_of_its_ends() {
    let r = run();
    let c = claim(&r.projection.claims, "extent-middle-euphrates-valley-sy-dy-al-qaim");
    assert_eq!(c.ok, Some(true), "{}", c.note);
    assert_eq!(c.sources.len(), 4, "stated in four articles");
}
