//! Relative dates are anchored to the publication date: every weekday against a fixed date, month and
//! year boundaries, and properties that must hold for any date.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use frontmap::events::time::{TimeLexicon, infer_year, last_weekday_on_or_before, read_sentence};
use frontmap::text::{DateRange, Precision};
use proptest::prelude::*;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap_or(NaiveDate::MIN)
}

fn anchor(sentence: &str, publication: NaiveDate) -> Option<DateRange> {
    let folded = frontmap::text::fold::fold_name(sentence);
    let ws: Vec<&str> = folded.split(' ').collect();
    read_sentence(&ws, Some(DateRange::day(publication)), None, &TimeLexicon::builtin())
        .mentions
        .first()
        .map(|m| m.date)
}

#[test]
fn every_weekday_against_friday_3_november_2017() {
    let publication = d(2017, 11, 3); // a Friday
    let expected = [
        ("lundi", d(2017, 10, 30)),
        ("mardi", d(2017, 10, 31)),
        ("mercredi", d(2017, 11, 1)),
        ("jeudi", d(2017, 11, 2)),
        ("vendredi", d(2017, 11, 3)),
        ("samedi", d(2017, 10, 28)),
        ("dimanche", d(2017, 10, 29)),
        ("Monday", d(2017, 10, 30)),
        ("Thursday", d(2017, 11, 2)),
        ("Sunday", d(2017, 10, 29)),
    ];
    for (word, day) in expected {
        assert_eq!(
            anchor(&format!("Les forces ont repris {word} la ville"), publication),
            Some(DateRange::day(day)),
            "{word}"
        );
    }
}

#[test]
fn weekdays_across_month_and_year_boundaries() {
    assert_eq!(anchor("attaque samedi", d(2017, 12, 1)), Some(DateRange::day(d(2017, 11, 25))));
    assert_eq!(anchor("attaque jeudi", d(2018, 1, 2)), Some(DateRange::day(d(2017, 12, 28))));
    assert_eq!(anchor("hier", d(2018, 1, 1)), Some(DateRange::day(d(2017, 12, 31))));
    assert_eq!(anchor("le 31 décembre", d(2018, 1, 2)), Some(DateRange::day(d(2017, 12, 31))));
    assert_eq!(anchor("le 29 février", d(2016, 3, 2)), Some(DateRange::day(d(2016, 2, 29))));
}

#[test]
fn a_day_with_its_weekday_is_checked() {
    let folded = frontmap::text::fold::fold_name("vendredi 2 novembre");
    let ws: Vec<&str> = folded.split(' ').collect();
    let t = read_sentence(&ws, Some(DateRange::day(d(2017, 11, 3))), None, &TimeLexicon::builtin());
    assert_eq!(t.mentions[0].date, DateRange::day(d(2017, 11, 2)));
    assert!(t.warnings.iter().any(|w| w.contains("Thu")), "{:?}", t.warnings);
}

#[test]
fn summaries_of_a_period_are_not_event_dates() {
    let folded = frontmap::text::fold::fold_name("ils ont été chassés ces deux dernières années de 95% de ces régions");
    let ws: Vec<&str> = folded.split(' ').collect();
    let t = read_sentence(&ws, Some(DateRange::day(d(2017, 10, 26))), None, &TimeLexicon::builtin());
    assert!(t.retrospective && t.mentions.is_empty(), "{t:?}");
}

#[test]
fn undated_sentences_get_a_week_never_a_day() {
    let r = frontmap::events::time::undated(Some(DateRange::day(d(2017, 11, 3)))).expect("range");
    assert_eq!((r.start, r.end, r.precision), (d(2017, 10, 28), d(2017, 11, 3), Precision::Week));
    let m = DateRange::parse_iso("2017-11").expect("month");
    assert_eq!(frontmap::events::time::undated(Some(m)), Some(m));
    assert_eq!(frontmap::events::time::undated(None), None);
}

const WEEKDAYS: [Weekday; 7] =
    [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun];

proptest! {
    #[test]
    fn a_weekday_is_at_most_six_days_before_publication(days in 0i64..40_000, w in 0usize..7) {
        let publication = d(1950, 1, 1) + Duration::days(days);
        let r = last_weekday_on_or_before(publication, WEEKDAYS[w]);
        prop_assert_eq!(r.weekday(), WEEKDAYS[w]);
        prop_assert!(r <= publication && publication - r <= Duration::days(6));
    }

    #[test]
    fn a_written_day_is_never_more_than_a_month_ahead(days in 0i64..40_000, m in 1u32..=12, day in 1u32..=28) {
        let publication = d(1950, 1, 1) + Duration::days(days);
        let r = infer_year(m, day, publication).expect("valid date");
        prop_assert!(r <= publication + Duration::days(31));
        prop_assert!(publication - r < Duration::days(366 + 31));
    }
}
