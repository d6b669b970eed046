//! Who built an output: the frontmap version and built-in lexicons (which change outputs, so they are
//! named in the committed manifest), and the running binary (which may change them too, so caches key on it).

/// The lexicons compiled into the binary (what, besides the code, decides the outputs).
const LEXICONS: [(&str, &str); 13] = [
    ("actions.tsv", include_str!("../lexicon/actions.tsv")),
    ("actors.tsv", include_str!("../lexicon/actors.tsv")),
    ("areas.tsv", include_str!("../lexicon/areas.tsv")),
    ("boilerplate.tsv", include_str!("../lexicon/boilerplate.tsv")),
    ("claims.tsv", include_str!("../lexicon/claims.tsv")),
    ("common-words.txt", include_str!("../lexicon/common-words.txt")),
    ("demonyms.tsv", include_str!("../lexicon/demonyms.tsv")),
    ("directions.tsv", include_str!("../lexicon/directions.tsv")),
    ("fronts.tsv", include_str!("../lexicon/fronts.tsv")),
    ("nominal.tsv", include_str!("../lexicon/nominal.tsv")),
    ("not-places.tsv", include_str!("../lexicon/not-places.tsv")),
    ("place-cues.tsv", include_str!("../lexicon/place-cues.tsv")),
    ("time.tsv", include_str!("../lexicon/time.tsv")),
];

/// The tool as named in `out/manifest.json`: the same on every machine for the same source tree.
///
/// ```
/// assert!(frontmap::identity::tool().starts_with("frontmap "));
/// ```
pub fn tool() -> String {
    let mut h = blake3::Hasher::new();
    for (name, text) in LEXICONS {
        h.update(name.as_bytes());
        h.update(&(text.len() as u64).to_le_bytes());
        h.update(text.as_bytes());
    }
    format!("frontmap {} lexicons {}", env!("CARGO_PKG_VERSION"), &h.finalize().to_hex()[..16])
}

/// The running binary: its size and modification time. A rebuilt frontmap misses every cache keyed on it
/// (code changes that alter outputs need no version bump to be noticed).
pub fn binary() -> String {
    std::env::current_exe()
        .and_then(std::fs::metadata)
        .map(|m| {
            let t = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            format!("{}:{t}", m.len())
        })
        .unwrap_or_default()
}
