//! What the words around a name decide, on sentences written for the purpose (not taken from the
//! corpus): a government named by its capital is not a location, and a river is placed where the story
//! touches it.

mod common;

use common::*;
use frontmap::gazetteer::Gazetteer;
use frontmap::geoparse::{GeoParser, Parsed};
use frontmap::text::{Article, ArticleFacts, ZoneRules};
use std::sync::OnceLock;

fn gazetteer() -> &'static Gazetteer {
    static G: OnceLock<Gazetteer> = OnceLock::new();
    G.get_or_init(|| Gazetteer::load_dir(&gazetteer_dir()).expect("bundled gazetteer loads"))
}

fn parse(text: &str) -> (Article, Parsed) {
    let facts = ArticleFacts::default();
    let a = Article::from_bytes("t.txt", std::path::Path::new("t.txt"), text.as_bytes(), &ZoneRules::builtin(), &facts);
    let p = GeoParser::new(gazetteer()).parse(&a);
    (a, p)
}

/// The surfaces given a map point.
fn located(text: &str) -> Vec<String> {
    let (a, p) = parse(text);
    p.mentions.iter().map(|m| m.surface(&a.text).to_string()).collect()
}

/// The point of the first mention written `surface`.
fn point_of(text: &str, surface: &str) -> geo::Coord<f64> {
    let (a, p) = parse(text);
    p.mentions.iter().find(|m| m.surface(&a.text) == surface).map(|m| m.point).expect("mentioned")
}

fn km_from(c: geo::Coord<f64>, place: &str) -> f64 {
    frontmap::geodesy::distance_km(c, gazetteer().get(place).expect("in the gazetteer").point)
}

#[test]
fn both_parties_to_a_rivalry_are_governments_not_locations() {
    for text in [
        "A Kirkouk, la victoire intervient sur fond de crise aiguë entre Bagdad et Erbil.",
        "Kirkouk, la ville que se disputent Bagdad et Erbil, est reprise.",
        "Kirkuk, a city disputed between Baghdad and Erbil, was retaken.",
    ] {
        let names = located(text);
        assert!(!names.iter().any(|n| n == "Bagdad" || n == "Baghdad" || n == "Erbil"), "{text}: {names:?}");
        assert!(names.iter().any(|n| n.starts_with("Kirk")), "{text}: {names:?}");
    }
}

#[test]
fn entre_without_a_rivalry_noun_still_locates() {
    assert_eq!(located("Hawija, entre Kirkouk et Tikrit, a été reprise."), ["Hawija", "Kirkouk", "Tikrit"]);
}

#[test]
fn a_regional_seat_is_an_actor_only_on_an_explicit_cue() {
    assert_eq!(located("Les peshmergas ont quitté Erbil à l'aube."), ["Erbil"]);
}

#[test]
fn a_capital_expected_to_act_is_its_government() {
    let names = located("Expect Ankara to get loud about this one, as the militias race toward Tal Afar.");
    assert_eq!(names, ["Tal Afar"]);
}

#[test]
fn a_river_is_not_placed_by_a_city_named_as_a_government() {
    // Baghdad, on the Tigris, is named more often than Mosul, but only as the government.
    let text = "La victoire de Bagdad à Mossoul. Selon Bagdad, les combats sont finis, a déclaré Bagdad.\n\n\
                Les forces ont repris la vieille ville sur la rive droite du Tigre.\n\n\
                Selon Bagdad, Mossoul est libérée.";
    let tigris = point_of(text, "Tigre");
    assert!(km_from(tigris, "mosul") < 10.0, "the Tigris placed {:.0} km from Mosul", km_from(tigris, "mosul"));
}

#[test]
fn a_river_in_a_sentence_naming_only_a_distant_town_is_placed_where_the_story_is() {
    // Gaziantep lies some 50 km from the Euphrates; the story is at Jarablous, on the river.
    let text = "L'armée turque est entrée à Jarablous. Les rebelles tiennent Jarablous.\n\n\
                Ankara veut venger l'attentat de Gaziantep et empêcher les Kurdes de passer à l'ouest de l'Euphrate.";
    let euphrates = point_of(text, "Euphrate");
    assert!(km_from(euphrates, "jarabulus-169179") < 10.0, "{:.0} km", km_from(euphrates, "jarabulus-169179"));
}

#[test]
fn a_quarter_listed_as_such_is_never_a_far_city_of_the_same_name() {
    for text in [
        "A Mossoul, les combats continuent dans les quartiers orientaux comme Al-Zohour ou Al-Quds.",
        "The army is fighting house to house in eastern neighborhoods like Karama and Quds, in Mosul.",
    ] {
        let names = located(text);
        assert!(!names.iter().any(|n| n.ends_with("Quds")), "{text}: {names:?}");
        assert!(names.iter().any(|n| n.starts_with("Mos")), "{text}: {names:?}");
    }
    let gaza = point_of("Des quartiers comme Gaza et Saada, à al-Qaïm, sont repris.", "Gaza");
    assert!(km_from(gaza, "al-qaim") < 12.0, "{:.0} km", km_from(gaza, "al-qaim"));
}

#[test]
fn examples_of_a_place_noun_are_locations_but_a_yardstick_is_not() {
    assert_eq!(located("Les villes comme Mossoul et Raqqa ont été reprises."), ["Mossoul", "Raqqa"]);
    assert_eq!(located("Un territoire vaste comme la Jordanie, près de Raqqa."), ["Raqqa"]);
}

#[test]
fn a_place_inside_an_operation_name_is_not_a_location() {
    assert_eq!(located("The SDF announced Operation Euphrates Wrath on Sunday, a push toward Raqqa."), ["Raqqa"]);
    let names = located("Turkey launched Operation Euphrates Shield near Jarablous, west of the Euphrates.");
    assert_eq!(names, ["Jarablous", "Euphrates"]);
}

#[test]
fn a_country_as_a_kicker_before_a_colon_is_a_location() {
    // "Syrie : à Raqqa" is not "Syrie a…" (the verb): the colon stands between.
    assert_eq!(located("Les combats continuent.\n\nSyrie : à Raqqa, les FDS contrôlent la ville."), ["Syrie", "Raqqa"]);
    assert_eq!(located("Les combats continuent. La Turquie a lancé une offensive contre Jarablous."), ["Jarablous"]);
}

#[test]
fn a_bare_name_shared_by_a_town_and_its_district_is_the_town() {
    let text =
        "The militants had been driven out of Al-Qaim earlier this month. Husaybah, next to Al-Qaim, fell on Friday.";
    let (a, p) = parse(text);
    for m in p.mentions.iter().filter(|m| m.surface(&a.text) == "Al-Qaim") {
        assert_eq!(gazetteer().places[m.place].id, "al-qaim");
        assert_eq!(m.geo_precision, 1);
    }
    let (a, p) = parse("Les combats se poursuivent dans la région d'al-Qaïm.");
    let m = p.mentions.iter().find(|m| m.surface(&a.text) == "al-Qaïm").expect("named");
    assert_eq!(gazetteer().places[m.place].id, "al-qaim-district");
}

#[test]
fn english_governments_act_in_the_past_tense_and_their_influence_is_not_a_place() {
    let names = located("Troops took Albu Kamal. Moscow welcomed the advance. Tehran and Damascus hailed the victory.");
    assert_eq!(names, ["Albu Kamal"]);
    assert_eq!(located("Washington s'inquiète de l'influence de Téhéran à Boukamal."), ["Boukamal"]);
}

#[test]
fn an_english_name_may_end_in_a_lowercase_generic_word() {
    let (a, p) = parse("Fighting continued in the Euphrates valley near Deir al-Zor.");
    let m = p.mentions.iter().find(|m| m.surface(&a.text) == "Euphrates valley").expect("the valley");
    assert_eq!(gazetteer().places[m.place].id, "middle-euphrates-valley");
}

#[test]
fn a_far_foreign_village_is_not_taken_for_an_unknown_one_of_the_same_name() {
    // Rumana, on the Euphrates by al-Qaïm, is not in GeoNames cities500; Rummāna of Galilee is. No point
    // beats a point 600 km off, whatever the head noun says.
    let names = located("Iraqi troops entered the town of Rumana on the northern bank of the Euphrates, near Al-Qaim.");
    assert_eq!(names, ["Euphrates", "Al-Qaim"]);
}
