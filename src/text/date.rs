//! Calendar dates as articles state them.
//!
//! An article's publication date anchors every "vendredi" and "la veille" in it. It is only known to the
//! precision the source gives: a `date 2017-11` line is a month, not a day, and nothing downstream may
//! pretend otherwise.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use std::fmt;

/// How precisely a date is known (ACLED `time_precision`, as words).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    Day,
    Week,
    Month,
    Year,
}

impl Precision {
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::Day => "day",
            Precision::Week => "week",
            Precision::Month => "month",
            Precision::Year => "year",
        }
    }
}

/// A date range with its precision: a day is `start == end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateRange {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub precision: Precision,
}

impl DateRange {
    pub fn day(d: NaiveDate) -> Self {
        DateRange { start: d, end: d, precision: Precision::Day }
    }

    pub fn month(year: i32, month: u32) -> Option<Self> {
        let start = NaiveDate::from_ymd_opt(year, month, 1)?;
        let next = if month == 12 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)?
        } else {
            NaiveDate::from_ymd_opt(year, month + 1, 1)?
        };
        Some(DateRange { start, end: next.pred_opt()?, precision: Precision::Month })
    }

    pub fn year(year: i32) -> Option<Self> {
        Some(DateRange {
            start: NaiveDate::from_ymd_opt(year, 1, 1)?,
            end: NaiveDate::from_ymd_opt(year, 12, 31)?,
            precision: Precision::Year,
        })
    }

    /// The single day, when the precision is a day.
    pub fn as_day(&self) -> Option<NaiveDate> {
        (self.precision == Precision::Day).then_some(self.start)
    }

    pub fn overlaps(&self, other: &DateRange) -> bool {
        self.start <= other.end && other.start <= self.end
    }

    /// Parse `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    pub fn parse_iso(s: &str) -> Option<Self> {
        let s = s.trim();
        let parts: Vec<&str> = s.split('-').collect();
        let num = |p: &str| p.parse::<i64>().ok();
        match parts.as_slice() {
            [y] if y.len() == 4 => DateRange::year(num(y)? as i32),
            [y, m] if y.len() == 4 && m.len() == 2 => DateRange::month(num(y)? as i32, num(m)? as u32),
            [y, m, d] if y.len() == 4 && m.len() == 2 && d.len() == 2 => {
                NaiveDate::from_ymd_opt(num(y)? as i32, num(m)? as u32, num(d)? as u32).map(DateRange::day)
            }
            _ => None,
        }
    }
}

impl fmt::Display for DateRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.precision {
            Precision::Day => write!(f, "{}", self.start),
            Precision::Month => write!(f, "{:04}-{:02}", self.start.year(), self.start.month()),
            Precision::Year => write!(f, "{:04}", self.start.year()),
            Precision::Week => write!(f, "{}/{}", self.start, self.end),
        }
    }
}

/// French and English month names (folded: lower case, no accents) → month number.
pub fn month_number(word: &str) -> Option<u32> {
    Some(match word {
        "janvier" | "january" | "jan" | "janv" => 1,
        "fevrier" | "février" | "february" | "feb" | "fev" | "févr" => 2,
        "mars" | "march" | "mar" => 3,
        "avril" | "april" | "apr" | "avr" => 4,
        "mai" | "may" => 5,
        "juin" | "june" | "jun" => 6,
        "juillet" | "july" | "jul" | "juil" => 7,
        "aout" | "août" | "august" | "aug" => 8,
        "septembre" | "september" | "sep" | "sept" => 9,
        "octobre" | "october" | "oct" => 10,
        "novembre" | "november" | "nov" => 11,
        "decembre" | "décembre" | "december" | "dec" | "déc" => 12,
        _ => return None,
    })
}

/// Weekday names (folded) → chrono weekday.
pub fn weekday(word: &str) -> Option<chrono::Weekday> {
    use chrono::Weekday::*;
    Some(match word {
        "lundi" | "monday" => Mon,
        "mardi" | "tuesday" => Tue,
        "mercredi" | "wednesday" => Wed,
        "jeudi" | "thursday" => Thu,
        "vendredi" | "friday" => Fri,
        "samedi" | "saturday" => Sat,
        "dimanche" | "sunday" => Sun,
        _ => return None,
    })
}

/// Every full date (day, month and year) written in `folded` text: "3 novembre 2017", "November 3, 2017",
/// "2017-11-03", "03/11/2017".
pub fn absolute_dates(folded: &str) -> Vec<NaiveDate> {
    let words: Vec<&str> = folded.split(' ').collect();
    let mut out = Vec::new();
    let day = |w: &str| w.strip_suffix("er").unwrap_or(w).parse::<u32>().ok().filter(|d| (1..=31).contains(d));
    let year = |w: &str| w.parse::<i32>().ok().filter(|y| (1900..=2100).contains(y) && w.len() == 4);
    for i in 0..words.len() {
        // 3 novembre 2017
        if i + 2 < words.len() {
            if let (Some(d), Some(m), Some(y)) = (day(words[i]), month_number(words[i + 1]), year(words[i + 2])) {
                out.extend(NaiveDate::from_ymd_opt(y, m, d));
            }
            // november 3 2017
            if let (Some(m), Some(d), Some(y)) = (month_number(words[i]), day(words[i + 1]), year(words[i + 2])) {
                out.extend(NaiveDate::from_ymd_opt(y, m, d));
            }
            // 2017 11 03 (ISO, hyphens folded to spaces)
            if words[i].len() == 4 && words[i + 1].len() == 2 && words[i + 2].len() == 2 {
                if let (Some(y), Ok(m), Ok(d)) =
                    (year(words[i]), words[i + 1].parse::<u32>(), words[i + 2].parse::<u32>())
                {
                    out.extend(NaiveDate::from_ymd_opt(y, m, d));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::fold::fold_name;

    #[test]
    fn iso_forms() {
        assert_eq!(
            DateRange::parse_iso("2017-11").map(|d| (d.start.to_string(), d.end.to_string())),
            Some(("2017-11-01".into(), "2017-11-30".into()))
        );
        assert_eq!(DateRange::parse_iso("2016-02").map(|d| d.end.to_string()), Some("2016-02-29".into()));
        assert_eq!(DateRange::parse_iso("2017-12").map(|d| d.end.to_string()), Some("2017-12-31".into()));
        assert!(DateRange::parse_iso("2017-13-01").is_none());
        assert!(DateRange::parse_iso("17-11").is_none());
    }

    #[test]
    fn absolute_dates_in_french_and_english() {
        let t = fold_name("Le 3 novembre 2017, puis le 1er décembre 2017; on November 4, 2017 and 2017-11-05.");
        let d: Vec<String> = absolute_dates(&t).iter().map(|d| d.to_string()).collect();
        assert_eq!(d, vec!["2017-11-03", "2017-12-01", "2017-11-04", "2017-11-05"]);
    }
}
