//! The article reader (decoding, HTML stripping, zones, sentences, dates) and the geoparser on any bytes.
#![no_main]
use frontmap::text::{Article, ArticleFacts, ZoneRules};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn gazetteer() -> &'static frontmap::gazetteer::Gazetteer {
    static G: OnceLock<frontmap::gazetteer::Gazetteer> = OnceLock::new();
    G.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../gazetteer");
        frontmap::gazetteer::Gazetteer::load_dir(&dir).unwrap_or_else(|e| panic!("bundled gazetteer: {e}"))
    })
}

fn parser() -> &'static frontmap::geoparse::GeoParser<'static> {
    static P: OnceLock<frontmap::geoparse::GeoParser<'static>> = OnceLock::new();
    P.get_or_init(|| frontmap::geoparse::GeoParser::new(gazetteer()))
}

fuzz_target!(|data: &[u8]| {
    static RULES: OnceLock<ZoneRules> = OnceLock::new();
    let rules = RULES.get_or_init(ZoneRules::builtin);
    let article = Article::from_bytes("fuzz.txt", std::path::Path::new("fuzz.txt"), data, rules, &ArticleFacts::default());
    for s in &article.sentences {
        assert!(s.range.start <= s.range.end && s.range.end <= article.text.len());
        let r = article.source_range(s.range.clone());
        assert!(r.start <= r.end && r.end <= data.len());
    }
    let parsed = parser().parse(&article);
    for m in &parsed.mentions {
        assert!(m.source_range.end <= data.len());
    }
});
