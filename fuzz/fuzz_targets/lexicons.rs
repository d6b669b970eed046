//! The lexicon and corpus readers an analyst edits by hand: any text is an error naming the line, or a
//! lexicon.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = frontmap::geoparse::lexicon::PlaceCues::parse("fuzz.tsv", text);
    let _ = frontmap::events::time::TimeLexicon::parse("fuzz.tsv", text);
    let _ = frontmap::events::lexicon::EventLexicon::parse(text, text, text);
    let _ = frontmap::text::ZoneRules::parse("fuzz.tsv", text);
    let _ = frontmap::text::Corpus::parse(std::path::Path::new("corpus.toml"), text);
});
