//! Anchoring what a sentence says about time to the calendar.
//!
//! "vendredi" is the last Friday on or before the publication date; "la veille" is the day before the
//! day the article was just talking about; "jeudi 2 novembre" is checked against the calendar; "il y a
//! une semaine" is a week ago give or take a day; "ces deux dernières années" dates nothing. When the
//! publication date is only known to the month, day-relative words cannot be anchored and the date
//! stays coarse: a wrong day is worse than a vague one.

use crate::text::date::{month_number, weekday};
use crate::text::{DateRange, Precision};
use chrono::{Datelike, Duration, NaiveDate, Weekday};

/// The parsed `time.tsv`.
#[derive(Debug, Clone, Default)]
pub struct TimeLexicon {
    offsets: Vec<(Vec<String>, i64)>,
    discourse: Vec<(Vec<String>, i64)>,
    ago_units: Vec<(String, i64)>,
    last_week: Vec<Vec<String>>,
    pub retrospective: Vec<Vec<String>>,
    pub irrealis: Vec<Vec<String>>,
    /// The first words of the `last_week`, `offsets` and `discourse` phrases: a word that is none of
    /// them starts none of those phrases, so they are not scanned for it.
    first_words: std::collections::HashSet<String>,
}

/// A bad line in `time.tsv`.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {msg}")]
pub struct TimeLexiconError {
    pub file: String,
    pub line: usize,
    pub msg: String,
}

fn words(s: &str) -> Vec<String> {
    crate::text::fold::fold_name(s).split(' ').filter(|w| !w.is_empty()).map(str::to_string).collect()
}

impl TimeLexicon {
    pub fn builtin() -> TimeLexicon {
        TimeLexicon::parse("lexicon/time.tsv", include_str!("../../lexicon/time.tsv"))
            .unwrap_or_else(|e| panic!("bundled time lexicon is invalid: {e}"))
    }

    pub fn parse(file: &str, text: &str) -> Result<TimeLexicon, TimeLexiconError> {
        let mut lex = TimeLexicon::default();
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            let err = |msg: String| TimeLexiconError { file: file.to_string(), line: n + 1, msg };
            let cols: Vec<&str> = line.split('\t').collect();
            let phrase = words(cols.get(1).copied().unwrap_or(""));
            if phrase.is_empty() {
                return Err(err("expected TYPE<TAB>PHRASE[<TAB>VALUE]".into()));
            }
            let value = || -> Result<i64, TimeLexiconError> {
                cols.get(2)
                    .and_then(|v| v.trim().parse::<i64>().ok())
                    .ok_or_else(|| err("this type needs a whole number VALUE".into()))
            };
            match cols[0].trim() {
                "offset" => lex.offsets.push((phrase, value()?)),
                "discourse" => lex.discourse.push((phrase, value()?)),
                "ago_days" => lex.ago_units.push((phrase.join(" "), value()?)),
                "last_week" => lex.last_week.push(phrase),
                "retrospective" => lex.retrospective.push(phrase),
                "irrealis" => lex.irrealis.push(phrase),
                other => return Err(err(format!("unknown type {other:?}"))),
            }
        }
        lex.first_words = lex
            .last_week
            .iter()
            .chain(lex.offsets.iter().map(|o| &o.0))
            .chain(lex.discourse.iter().map(|d| &d.0))
            .filter_map(|p| p.first().cloned())
            .collect();
        Ok(lex)
    }
}

/// A time expression found in a sentence, with the word index where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeMention {
    pub word: usize,
    pub date: DateRange,
    /// Whether the expression names a day outright (sets the day the article talks about).
    pub sets_discourse_day: bool,
}

/// What a sentence says about time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SentenceTime {
    pub mentions: Vec<TimeMention>,
    /// A year other than the publication year ("en 2014"): background, not an event of the story.
    pub other_year: Option<i32>,
    /// The sentence sums up a period ("ces derniers mois"): no dated event of its own.
    pub retrospective: bool,
    /// Problems worth telling the user ("jeudi 3 novembre" when 3 November was a Friday).
    pub warnings: Vec<String>,
}

fn starts_at(ws: &[&str], i: usize, phrase: &[String]) -> bool {
    i + phrase.len() <= ws.len() && phrase.iter().zip(&ws[i..]).all(|(p, w)| p == w)
}

fn number_word(w: &str) -> Option<i64> {
    Some(match w {
        "un" | "une" | "a" | "an" | "one" => 1,
        "deux" | "two" => 2,
        "trois" | "three" => 3,
        "quatre" | "four" => 4,
        "cinq" | "five" => 5,
        "six" => 6,
        "sept" | "seven" => 7,
        "huit" | "eight" => 8,
        "neuf" | "nine" => 9,
        "dix" | "ten" => 10,
        "quinze" | "fifteen" => 15,
        _ => return w.parse::<i64>().ok().filter(|n| (0..=366).contains(n)),
    })
}

/// The last `day` on or before `d`.
pub fn last_weekday_on_or_before(d: NaiveDate, day: Weekday) -> NaiveDate {
    let back = (7 + d.weekday().num_days_from_monday() as i64 - day.num_days_from_monday() as i64) % 7;
    d - Duration::days(back)
}

/// The year of a day-and-month written without a year, in an article published on `pub_day`: the
/// publication year, unless that puts it more than a month in the future.
pub fn infer_year(month: u32, day: u32, pub_day: NaiveDate) -> Option<NaiveDate> {
    let this = NaiveDate::from_ymd_opt(pub_day.year(), month, day)?;
    if this > pub_day + Duration::days(31) {
        NaiveDate::from_ymd_opt(pub_day.year() - 1, month, day)
    } else {
        Some(this)
    }
}

fn parse_day(w: &str) -> Option<u32> {
    let w = w.strip_suffix("er").unwrap_or(w);
    let w = w
        .strip_suffix("st")
        .or_else(|| w.strip_suffix("nd"))
        .or_else(|| w.strip_suffix("rd"))
        .or_else(|| w.strip_suffix("th"))
        .unwrap_or(w);
    w.parse::<u32>().ok().filter(|d| (1..=31).contains(d))
}

fn parse_year(w: &str) -> Option<i32> {
    (w.len() == 4).then(|| w.parse::<i32>().ok()).flatten().filter(|y| (1900..=2100).contains(y))
}

/// Read the time expressions of a sentence (folded words). `publication` is the article's date (any
/// precision); `discourse_day` the day the article was last talking about.
pub fn read_sentence(
    ws: &[&str],
    publication: Option<DateRange>,
    discourse_day: Option<NaiveDate>,
    lex: &TimeLexicon,
) -> SentenceTime {
    let mut out = SentenceTime::default();
    let pub_day = publication.and_then(|p| p.as_day());
    let pub_year = publication.map(|p| p.start.year());
    let mut i = 0;
    while i < ws.len() {
        let w = ws[i];
        // Weekday, possibly with a day number and a month: "jeudi 2 novembre (2017)".
        if let Some(wd) = weekday(w) {
            let day = ws.get(i + 1).and_then(|x| parse_day(x));
            let month = ws.get(i + 2).and_then(|x| month_number(x));
            if let (Some(d), Some(m)) = (day, month) {
                let explicit_year = ws.get(i + 3).and_then(|x| parse_year(x));
                let date = match (explicit_year, pub_day, pub_year) {
                    (Some(y), _, _) => NaiveDate::from_ymd_opt(y, m, d),
                    (None, Some(p), _) => infer_year(m, d, p),
                    (None, None, Some(y)) => NaiveDate::from_ymd_opt(y, m, d),
                    _ => None,
                };
                if let Some(date) = date {
                    if date.weekday() != wd {
                        out.warnings.push(format!(
                            "\"{w} {d} {}\": {date} was a {}, not a {w}",
                            ws[i + 2],
                            date.weekday()
                        ));
                    }
                    out.mentions.push(TimeMention { word: i, date: DateRange::day(date), sets_discourse_day: true });
                }
                i += if explicit_year.is_some() { 4 } else { 3 };
                continue;
            }
            if let Some(p) = pub_day {
                let date = last_weekday_on_or_before(p, wd);
                out.mentions.push(TimeMention { word: i, date: DateRange::day(date), sets_discourse_day: true });
            } else if let Some(p) = publication {
                // Publication known to the month only: the weekday cannot be placed.
                out.mentions.push(TimeMention { word: i, date: p, sets_discourse_day: false });
            }
            i += 1;
            continue;
        }
        // "3 novembre (2017)", "November 3, 2017", "le 1er décembre".
        let dm = parse_day(w).zip(ws.get(i + 1).and_then(|x| month_number(x))).map(|(d, m)| (d, m, 2));
        let md = month_number(w).zip(ws.get(i + 1).and_then(|x| parse_day(x))).map(|(m, d)| (d, m, 2));
        if let Some((d, m, len)) = dm.or(md) {
            let explicit_year = ws.get(i + len).and_then(|x| parse_year(x));
            let date = match (explicit_year, pub_day, pub_year) {
                (Some(y), _, _) => NaiveDate::from_ymd_opt(y, m, d),
                (None, Some(p), _) => infer_year(m, d, p),
                (None, None, Some(y)) => NaiveDate::from_ymd_opt(y, m, d),
                _ => None,
            };
            if let Some(date) = date {
                if pub_year.is_some_and(|y| date.year() != y) && explicit_year.is_some() {
                    out.other_year = Some(date.year());
                }
                out.mentions.push(TimeMention { word: i, date: DateRange::day(date), sets_discourse_day: true });
            }
            i += len + usize::from(explicit_year.is_some());
            continue;
        }
        // "début/mi/fin novembre", "en octobre".
        if let Some(m) = month_number(w).filter(|_| i > 0) {
            let prev = ws[i - 1];
            let year = ws.get(i + 1).and_then(|x| parse_year(x)).or(pub_year);
            if let (Some(y), true) =
                (year, matches!(prev, "en" | "in" | "debut" | "mi" | "fin" | "early" | "mid" | "late" | "d"))
            {
                if let Some(month) = DateRange::month(y, m) {
                    let (a, b) = match prev {
                        "debut" | "early" => (1, 10),
                        "mi" | "mid" => (11, 20),
                        "fin" | "late" => (21, 31),
                        _ => (1, 31),
                    };
                    let start = NaiveDate::from_ymd_opt(y, m, a).unwrap_or(month.start);
                    let end = NaiveDate::from_ymd_opt(y, m, b).unwrap_or(month.end).min(month.end);
                    let precision = if (a, b) == (1, 31) { Precision::Month } else { Precision::Week };
                    out.mentions.push(TimeMention {
                        word: i,
                        date: DateRange { start, end, precision },
                        sets_discourse_day: false,
                    });
                }
                i += 1;
                continue;
            }
        }
        // "en 2014", "in 2014", "depuis 2014".
        if let Some(y) = parse_year(w) {
            if i > 0 && matches!(ws[i - 1], "en" | "in" | "depuis" | "since" | "de" | "des" | "fin" | "debut") {
                match pub_year {
                    Some(py) if py != y => out.other_year = Some(y),
                    _ => {
                        if let Some(r) = DateRange::year(y) {
                            out.mentions.push(TimeMention { word: i, date: r, sets_discourse_day: false });
                        }
                    }
                }
            }
            i += 1;
            continue;
        }
        // "il y a une semaine", "a week ago", "il y a trois jours".
        let ago = if matches!(w, "il") && ws.get(i + 1) == Some(&"y") && ws.get(i + 2) == Some(&"a") {
            ws.get(i + 3).and_then(|n| number_word(n)).zip(ws.get(i + 4)).map(|(n, u)| (n, *u, 5))
        } else if let (Some(n), Some(u), Some(&"ago")) = (number_word(w), ws.get(i + 1), ws.get(i + 2)) {
            Some((n, *u, 3))
        } else {
            None
        };
        if let Some((n, unit, len)) = ago {
            if let Some(&(_, days)) = lex.ago_units.iter().find(|(u, _)| u == unit) {
                if let Some(p) = pub_day {
                    let centre = p - Duration::days(n * days);
                    let date = if days == 1 && n <= 3 {
                        DateRange::day(centre)
                    } else {
                        let margin = Duration::days(n.max(1) * (days / 7).max(1));
                        DateRange { start: centre - margin, end: centre + margin, precision: Precision::Week }
                    };
                    out.mentions.push(TimeMention {
                        word: i,
                        date,
                        sets_discourse_day: date.precision == Precision::Day,
                    });
                }
                i += len;
                continue;
            }
        }
        if !lex.first_words.contains(w) {
            if lex.retrospective.iter().any(|p| starts_at(ws, i, p)) {
                out.retrospective = true;
            }
            i += 1;
            continue;
        }
        if let Some(p) = lex.last_week.iter().find(|p| starts_at(ws, i, p)) {
            if let Some(d) = pub_day {
                let this_monday = last_weekday_on_or_before(d, Weekday::Mon);
                let start = this_monday - Duration::days(7);
                out.mentions.push(TimeMention {
                    word: i,
                    date: DateRange { start, end: this_monday - Duration::days(1), precision: Precision::Week },
                    sets_discourse_day: false,
                });
            }
            i += p.len();
            continue;
        }
        if let Some((p, off)) = lex.offsets.iter().find(|(p, _)| starts_at(ws, i, p)) {
            if let Some(d) = pub_day {
                out.mentions.push(TimeMention {
                    word: i,
                    date: DateRange::day(d + Duration::days(*off)),
                    sets_discourse_day: true,
                });
            }
            i += p.len();
            continue;
        }
        if let Some((p, off)) = lex.discourse.iter().find(|(p, _)| starts_at(ws, i, p)) {
            if let Some(d) = discourse_day.or(pub_day) {
                out.mentions.push(TimeMention {
                    word: i,
                    date: DateRange::day(d + Duration::days(*off)),
                    sets_discourse_day: true,
                });
            }
            i += p.len();
            continue;
        }
        if lex.retrospective.iter().any(|p| starts_at(ws, i, p)) {
            out.retrospective = true;
        }
        i += 1;
    }
    out
}

/// The date of a sentence that names none: the week up to the publication day (or the publication
/// date's own range when it is coarser). Never a single day.
pub fn undated(publication: Option<DateRange>) -> Option<DateRange> {
    let p = publication?;
    match p.precision {
        Precision::Day => {
            Some(DateRange { start: p.start - Duration::days(6), end: p.start, precision: Precision::Week })
        }
        _ => Some(p),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or(NaiveDate::MIN)
    }

    fn read(sentence: &str, publication: &str) -> SentenceTime {
        let folded = crate::text::fold::fold_name(sentence);
        let ws: Vec<&str> = folded.split(' ').collect();
        read_sentence(&ws, DateRange::parse_iso(publication), None, &TimeLexicon::builtin())
    }

    #[test]
    fn weekday_is_the_last_one_on_or_before_publication() {
        let t = read("Les forces progressaient vendredi dans al-Qaïm", "2017-11-03");
        assert_eq!(t.mentions[0].date, DateRange::day(d("2017-11-03")));
        let t = read("repris jeudi par l'armée", "2017-11-03");
        assert_eq!(t.mentions[0].date, DateRange::day(d("2017-11-02")));
    }

    #[test]
    fn explicit_day_is_checked_against_the_calendar() {
        let t = read("qui a perdu jeudi 2 novembre la ville", "2017-11-03");
        assert_eq!(t.mentions[0].date, DateRange::day(d("2017-11-02")));
        assert!(t.warnings.is_empty());
        let t = read("qui a perdu mardi 2 novembre la ville", "2017-11-03");
        assert_eq!(t.warnings.len(), 1, "{:?}", t.warnings);
    }

    #[test]
    fn a_week_ago_is_approximate() {
        let t = read("Il y a une semaine, les forces ont lancé la bataille", "2017-11-03");
        let r = t.mentions[0].date;
        assert_eq!(r.precision, Precision::Week);
        assert!(r.start <= d("2017-10-26") && d("2017-10-27") <= r.end, "{r:?}");
    }

    #[test]
    fn background_years_and_summaries_date_nothing() {
        assert_eq!(read("En 2014, les terroristes s'étaient emparés", "2017-10-26").other_year, Some(2014));
        assert!(
            read("Mais ils ont été chassés ces deux dernières années de 95% de ces régions", "2017-10-26")
                .retrospective
        );
    }

    #[test]
    fn month_only_publication_keeps_weekdays_coarse() {
        let t = read("progressaient vendredi", "2017-11");
        assert_eq!(t.mentions[0].date.precision, Precision::Month);
        assert!(!t.mentions[0].sets_discourse_day);
    }

    #[test]
    fn day_month_without_year_is_not_put_in_the_future() {
        let t = read("le 28 décembre", "2018-01-03");
        assert_eq!(t.mentions[0].date, DateRange::day(d("2017-12-28")));
    }
}
