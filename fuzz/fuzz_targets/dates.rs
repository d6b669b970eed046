//! Date anchoring: any words against any publication date give dates inside the calendar, never a panic.
#![no_main]
use frontmap::events::time::{read_sentence, TimeLexicon};
use frontmap::text::DateRange;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fuzz_target!(|data: &[u8]| {
    static LEX: OnceLock<TimeLexicon> = OnceLock::new();
    let lex = LEX.get_or_init(TimeLexicon::builtin);
    if data.len() < 3 {
        return;
    }
    let Ok(text) = std::str::from_utf8(&data[3..]) else { return };
    let days = i64::from(u16::from_le_bytes([data[0], data[1]]));
    let publication = chrono::NaiveDate::from_ymd_opt(1990, 1, 1).map(|d| d + chrono::Duration::days(days));
    let publication = match data[2] % 3 {
        0 => publication.map(DateRange::day),
        1 => DateRange::parse_iso(text.get(..7).unwrap_or("")),
        _ => None,
    };
    let folded = frontmap::text::fold::fold_name(text);
    let ws: Vec<&str> = folded.split(' ').collect();
    let t = read_sentence(&ws, publication, None, lex);
    for m in t.mentions {
        assert!(m.date.start <= m.date.end);
    }
    let _ = DateRange::parse_iso(text);
});
