//! The lexicon and corpus readers an analyst edits by hand: any text is an error naming the line, or a
//! lexicon; a corpus file read in pieces reads as it does whole.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = frontmap::geoparse::lexicon::PlaceCues::parse("fuzz.tsv", text);
    let _ = frontmap::events::time::TimeLexicon::parse("fuzz.tsv", text);
    let _ = frontmap::events::lexicon::EventLexicon::parse(text, text, text);
    let _ = frontmap::text::ZoneRules::parse("fuzz.tsv", text);
    let path = std::path::Path::new("corpus.toml");
    let _ = frontmap::text::Corpus::parse(path, text);
    // Read in small pieces, a corpus file says what it says whole.
    if let Some(pieces) = frontmap::text::Corpus::parse_in_pieces(path, text, 16) {
        assert_eq!(frontmap::text::Corpus::parse_whole(path, text).ok(), Some(pieces));
    }
});
