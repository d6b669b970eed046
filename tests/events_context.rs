//! Event coding on sentences written for the purpose (not taken from the corpus): who lost a place when
//! the losers are the grammatical subject, and the toll a sentence states in the active voice.

mod common;

use common::*;
use frontmap::events::{Event, EventCoder};
use frontmap::gazetteer::Gazetteer;
use frontmap::geoparse::GeoParser;
use frontmap::text::{Article, ArticleFacts, DateRange, ZoneRules};
use std::sync::OnceLock;

fn gazetteer() -> &'static Gazetteer {
    static G: OnceLock<Gazetteer> = OnceLock::new();
    G.get_or_init(|| Gazetteer::load_dir(&gazetteer_dir()).expect("bundled gazetteer loads"))
}

/// The events of an article published on Friday 17 November 2017 whose body is `sentence`.
fn events(sentence: &str) -> Vec<Event> {
    let day = chrono::NaiveDate::from_ymd_opt(2017, 11, 17).expect("a day");
    let facts = ArticleFacts { corpus_date: Some(DateRange::day(day)), ..Default::default() };
    let text = format!("Titre\n\nLes combats continuent dans la région.\n\n{sentence}\n");
    let a = Article::from_bytes("t.txt", std::path::Path::new("t.txt"), text.as_bytes(), &ZoneRules::builtin(), &facts);
    let parsed = GeoParser::new(gazetteer()).parse(&a);
    EventCoder::default().code(gazetteer(), &[a], &[parsed]).events
}

fn only(sentence: &str) -> Event {
    let mut all = events(sentence);
    assert_eq!(all.len(), 1, "{sentence}: {all:?}");
    all.remove(0)
}

#[test]
fn jihadists_driven_out_of_a_town_lost_it_to_whoever_drove_them() {
    for sentence in [
        "Les jihadistes ont été chassés d'Al-Qaïm le 3 novembre.",
        "The militants were driven out of Al-Qaim on November 3.",
    ] {
        let e = only(sentence);
        assert_eq!(e.sub_event_type, "Government regains territory", "{sentence}");
        assert_eq!(gazetteer().places[e.place].id, "al-qaim", "{sentence}");
        assert_eq!(e.actor1, None, "{sentence}");
        assert_eq!(e.actor2.as_deref(), Some("Islamic State (Iraq)"), "{sentence}");
        assert_eq!(e.date.start.to_string(), "2017-11-03", "{sentence}");
    }
    let e = only("Les jihadistes ont été chassés d'Al-Qaïm le 3 novembre par l'armée.");
    assert_eq!(e.actor1.as_deref(), Some("Military Forces of Iraq (2014-)"));
}

#[test]
fn a_toll_after_the_verb_of_killing_is_the_events_fatalities() {
    let e = only("Coalition aircraft carried out air strikes near Rawa on Thursday, killing at least 15 militants.");
    assert_eq!(e.fatalities, Some(15));
    assert_eq!(only("Des frappes de la coalition près de Rawa ont tué 12 jihadistes jeudi.").fatalities, Some(12));
    // A day of the month is not a toll.
    assert_eq!(only("Air strikes near Rawa killed on 15 November a commander.").fatalities, None);
}

#[test]
fn every_place_of_a_list_before_a_passive_verb_was_retaken_but_not_a_locative_one() {
    let mut retaken: Vec<String> = events("Rawa, Anah et Al-Qaïm ont été reprises par l'armée.")
        .iter()
        .map(|e| gazetteer().places[e.place].id.clone())
        .collect();
    retaken.sort();
    assert_eq!(retaken, ["al-qaim", "anah-6765385", "rawa"]);
    let e = only("A Deir Ezzor, Boukamal a été reprise jeudi.");
    assert_eq!(gazetteer().places[e.place].id, "boukamal");
}
