//! Reading articles: bytes → clean text with zones, sentences and a publication date.
//!
//! This is the first stage of the pipeline. Everything after it works on [`Article`]s and reports
//! offsets that [`Article::source_range`] maps back into the original file.

pub mod date;
pub mod decode;
pub mod fold;
pub mod sections;
pub mod sentences;
pub mod zones;

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

pub use date::{DateRange, Precision};
pub use decode::{Encoding, SourceMap};
pub use zones::{Zone, ZoneRules};

/// Errors of the text stage.
#[derive(Debug, thiserror::Error)]
pub enum TextError {
    #[error("{path}: cannot read: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}:{line}: {msg}")]
    Corpus { path: PathBuf, line: usize, msg: String },
    #[error("{path}: not an article file: {msg}")]
    NotAnArticle { path: PathBuf, msg: String },
}

/// One sentence of an article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sentence {
    /// Byte range in [`Article::text`].
    pub range: Range<usize>,
    pub zone: Zone,
}

/// Where the publication date came from, in the order of precedence of DESIGN.md §3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrigin {
    CommandLine,
    CorpusFile,
    DateLine,
    LatestInText,
    Unknown,
}

/// Facts about an article that are not its text.
#[derive(Debug, Clone)]
pub struct ArticleMeta {
    pub date: Option<DateRange>,
    pub date_origin: DateOrigin,
    pub source: Option<String>,
}

/// An article read and segmented.
#[derive(Debug, Clone)]
pub struct Article {
    /// File name: the article's identity in every output.
    pub id: String,
    pub path: PathBuf,
    /// Decoded text (UTF-8). Identical to the file for UTF-8 input.
    pub text: String,
    pub map: SourceMap,
    pub encoding: Encoding,
    pub html_stripped: bool,
    /// Every line (or line part) with its zone, in order.
    pub zones: Vec<(Range<usize>, Zone)>,
    pub sentences: Vec<Sentence>,
    pub meta: ArticleMeta,
}

impl Article {
    /// Build an article from raw bytes. `meta` gives what is known from outside the text.
    pub fn from_bytes(id: &str, path: &Path, bytes: &[u8], rules: &ZoneRules, outside: &ArticleFacts) -> Article {
        let decoded = decode::decode(bytes);
        let text = decoded.text;
        let zones = rules.classify(&text);
        let mut sentences = Vec::new();
        for (range, zone) in &zones {
            if matches!(zone, Zone::Metadata) {
                continue;
            }
            for r in sentences::split(&text, range.clone()) {
                sentences.push(Sentence { range: r, zone: *zone });
            }
        }
        let date_line = zones
            .iter()
            .find(|(_, z)| *z == Zone::Metadata)
            .and_then(|(r, _)| rules.date_prefix(&text[r.clone()]))
            .and_then(|(_, v)| DateRange::parse_iso(v));
        let (date, date_origin) = if let Some(d) = outside.cli_date {
            (Some(d), DateOrigin::CommandLine)
        } else if let Some(d) = outside.corpus_date {
            (Some(d), DateOrigin::CorpusFile)
        } else if let Some(d) = date_line {
            (Some(d), DateOrigin::DateLine)
        } else if let Some(d) = latest_date_in_text(&text, &zones) {
            (Some(DateRange::day(d)), DateOrigin::LatestInText)
        } else {
            (None, DateOrigin::Unknown)
        };
        Article {
            id: id.to_string(),
            path: path.to_path_buf(),
            text,
            map: decoded.map,
            encoding: decoded.encoding,
            html_stripped: decoded.html_stripped,
            zones,
            sentences,
            meta: ArticleMeta { date, date_origin, source: outside.source.clone() },
        }
    }

    /// Byte range in the original file of a byte range of [`Article::text`].
    pub fn source_range(&self, r: Range<usize>) -> Range<usize> {
        self.map.to_source(r)
    }

    /// The zone of the text at byte `pos`.
    pub fn zone_at(&self, pos: usize) -> Zone {
        let i = self.zones.partition_point(|(r, _)| r.end <= pos);
        match self.zones.get(i) {
            Some((r, z)) if r.start <= pos => *z,
            _ => Zone::Body,
        }
    }

    /// Index of the sentence containing byte `pos`, if any.
    pub fn sentence_at(&self, pos: usize) -> Option<usize> {
        let i = self.sentences.partition_point(|s| s.range.end <= pos);
        self.sentences.get(i).filter(|s| s.range.start <= pos).map(|_| i)
    }
}

fn latest_date_in_text(text: &str, zones: &[(Range<usize>, Zone)]) -> Option<chrono::NaiveDate> {
    zones
        .iter()
        .filter(|(_, z)| z.is_article_text())
        .flat_map(|(r, _)| date::absolute_dates(&fold::fold_name(&text[r.clone()])))
        .max()
}

/// What is known about an article from outside its text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ArticleFacts {
    pub cli_date: Option<DateRange>,
    pub corpus_date: Option<DateRange>,
    pub source: Option<String>,
}

/// `corpus.toml`: per-article facts (publication date, source) for texts that lack them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Corpus {
    pub articles: BTreeMap<String, ArticleFacts>,
}

impl Corpus {
    /// Read `dir/corpus.toml` if it exists.
    pub fn load(dir: &Path) -> Result<Corpus, TextError> {
        let path = dir.join("corpus.toml");
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Corpus::default()),
            Err(e) => return Err(TextError::Io { path, source: e }),
        };
        Corpus::parse(&path, &text)
    }

    /// Parse the text of a `corpus.toml` (`path` names it in errors). A large file is read a few tables at a
    /// time ([`sections`]), so memory does not follow the size of its document.
    pub fn parse(path: &Path, text: &str) -> Result<Corpus, TextError> {
        if text.len() > sections::PIECE {
            if let Some(corpus) = Corpus::parse_in_pieces(path, text, sections::PIECE) {
                return Ok(corpus);
            }
        }
        Corpus::parse_whole(path, text)
    }

    /// The corpus read in pieces of about `piece` bytes, or `None` when the pieces do not give it alone (an
    /// article in two pieces, a piece in error) and [`Corpus::parse_whole`] must read it or report its error.
    /// When it is `Some`, it is what `parse_whole` reads (the fuzz target `lexicons` checks it).
    pub fn parse_in_pieces(path: &Path, text: &str, piece: usize) -> Option<Corpus> {
        sections::sections(text, piece).and_then(|s| Corpus::of_sections(path, &s))
    }

    /// The corpus read from the whole document at once.
    pub fn parse_whole(path: &Path, text: &str) -> Result<Corpus, TextError> {
        let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
        let value: toml::Table = text.parse().map_err(|e: toml::de::Error| TextError::Corpus {
            path: path.to_path_buf(),
            line: e.span().map_or(1, |s| line_of(s.start)),
            msg: e.message().to_string(),
        })?;
        let mut articles = BTreeMap::new();
        Corpus::read_articles(path, &value, &mut articles)?;
        Ok(Corpus { articles })
    }

    /// The corpus the pieces of a document give, or `None` when they do not give it alone (an article in
    /// two pieces, a piece in error): the whole document is then parsed, to read it or report its error.
    fn of_sections(path: &Path, s: &sections::Sections) -> Option<Corpus> {
        let mut articles = BTreeMap::new();
        Corpus::read_articles(path, &s.root, &mut articles).ok()?;
        for piece in &s.pieces {
            let mut these = BTreeMap::new();
            Corpus::read_articles(path, piece, &mut these).ok()?;
            for (file, facts) in these {
                if articles.insert(file, facts).is_some() {
                    return None;
                }
            }
        }
        Some(Corpus { articles })
    }

    /// Read the `[articles."FILE"]` tables of `value` into `articles`.
    fn read_articles(
        path: &Path,
        value: &toml::Table,
        articles: &mut BTreeMap<String, ArticleFacts>,
    ) -> Result<(), TextError> {
        let err = |msg: String| TextError::Corpus { path: path.to_path_buf(), line: 1, msg };
        let Some(table) = value.get("articles") else {
            return Ok(());
        };
        let table = table.as_table().ok_or_else(|| err("`articles` must be a table of [articles.\"FILE\"]".into()))?;
        for (file, facts) in table {
            let facts = facts.as_table().ok_or_else(|| err(format!("[articles.{file:?}] must be a table")))?;
            let mut f = ArticleFacts::default();
            for (k, v) in facts {
                match k.as_str() {
                    "date" => {
                        let s = v
                            .as_str()
                            .ok_or_else(|| err(format!("{file}: date must be a string like \"2017-11-03\"")))?;
                        f.corpus_date =
                            Some(DateRange::parse_iso(s).ok_or_else(|| {
                                err(format!("{file}: date {s:?} is not YYYY, YYYY-MM or YYYY-MM-DD"))
                            })?);
                    }
                    "source" => f.source = v.as_str().map(str::to_string),
                    other => return Err(err(format!("{file}: unknown key {other:?} (expected date, source)"))),
                }
            }
            articles.insert(file.clone(), f);
        }
        Ok(())
    }
}

/// Read one article file. The facts come from `corpus` (by file name) and the command line.
pub fn read_article(
    path: &Path,
    rules: &ZoneRules,
    corpus: &Corpus,
    cli_date: Option<DateRange>,
) -> Result<Article, TextError> {
    let bytes = std::fs::read(path).map_err(|e| TextError::Io { path: path.to_path_buf(), source: e })?;
    if let Some(msg) = decode::binary_evidence(&bytes) {
        return Err(TextError::NotAnArticle { path: path.to_path_buf(), msg });
    }
    let id = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string());
    let mut facts = corpus.articles.get(&id).cloned().unwrap_or_default();
    facts.cli_date = cli_date;
    Ok(Article::from_bytes(&id, path, &bytes, rules, &facts))
}

/// The article files of a directory (`*.txt`, `*.html`, `*.htm`), sorted by name.
pub fn list_articles(dir: &Path) -> Result<Vec<PathBuf>, TextError> {
    let entries = std::fs::read_dir(dir).map_err(|e| TextError::Io { path: dir.to_path_buf(), source: e })?;
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| TextError::Io { path: dir.to_path_buf(), source: e })?;
        let p = entry.path();
        let ext = p.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        if p.is_file() && matches!(ext.as_deref(), Some("txt" | "html" | "htm")) {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}

/// What reading guessed or repaired, one warning per article that needs one: text that was not UTF-8
/// (decoded as Windows-1252, a superset of printable Latin-1), HTML markup stripped, no text at all.
pub fn read_warnings(articles: &[Article]) -> Vec<String> {
    let mut out = Vec::new();
    for a in articles {
        if a.encoding == Encoding::Windows1252 {
            out.push(format!("{}: not UTF-8; decoded as {} (Latin-1)", a.path.display(), a.encoding.label()));
        }
        if a.html_stripped {
            out.push(format!(
                "{}: HTML markup stripped (tags, scripts, entities); offsets still point into the file",
                a.path.display()
            ));
        }
        if a.text.trim().is_empty() {
            out.push(format!("{}: empty article (no text)", a.path.display()));
        }
    }
    out
}

/// The text an article is compared by for [`dedupe`]: Unicode NFC, whitespace runs collapsed, trimmed.
fn normalised_hash(text: &str) -> blake3::Hash {
    use unicode_normalization::UnicodeNormalization;
    let mut h = blake3::Hasher::new();
    // The normalised text goes to the hasher a buffer at a time (a call per character costs more than
    // the hashing); the hash does not depend on how the input is cut.
    let mut buf: Vec<u8> = Vec::with_capacity(8192);
    let mut space = false;
    let mut started = false;
    for c in text.nfc() {
        if c.is_whitespace() {
            space = started;
            continue;
        }
        if space {
            buf.push(b' ');
            space = false;
        }
        started = true;
        let mut utf8 = [0u8; 4];
        buf.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
        if buf.len() >= 8188 {
            h.update(&buf);
            buf.clear();
        }
    }
    h.update(&buf);
    h.finalize()
}

/// Drop articles whose text is the same as an earlier one's (same file saved under two names, or in two
/// encodings): compared after decoding, Unicode NFC and whitespace collapsing. The first in order is kept
/// (its file name is the source every output cites); one warning per dropped file names both. Empty
/// articles are never duplicates of each other.
pub fn dedupe(articles: Vec<Article>) -> (Vec<Article>, Vec<String>) {
    Deduper::default().admit_all(articles)
}

/// [`dedupe`] an article or a batch at a time, for callers that stream a corpus: what it keeps of the articles
/// already admitted is a hash, a path and an id each, never their text.
#[derive(Debug, Default)]
pub struct Deduper {
    seen: std::collections::HashMap<blake3::Hash, (String, String)>,
}

impl Deduper {
    /// The next articles (in order, hashed in parallel): those to keep, and a warning for each one whose text
    /// an earlier article already had.
    pub fn admit_all(&mut self, articles: Vec<Article>) -> (Vec<Article>, Vec<String>) {
        use rayon::prelude::*;
        let hashes: Vec<blake3::Hash> = articles.par_iter().map(|a| normalised_hash(&a.text)).collect();
        let mut kept = Vec::with_capacity(articles.len());
        let mut warnings = Vec::new();
        for (a, hash) in articles.into_iter().zip(hashes) {
            match self.admit_hashed(&a, hash) {
                Ok(()) => kept.push(a),
                Err(w) => warnings.push(w),
            }
        }
        (kept, warnings)
    }

    /// `Ok` for an article to keep; `Err(warning)` for one whose text an earlier article already had, given
    /// the article's normalised hash.
    fn admit_hashed(&mut self, a: &Article, hash: blake3::Hash) -> Result<(), String> {
        if a.text.trim().is_empty() {
            return Ok(());
        }
        match self.seen.entry(hash) {
            std::collections::hash_map::Entry::Occupied(first) => {
                let (path, id) = first.get();
                Err(format!("{}: same text as {path}; counted once, as {id}", a.path.display()))
            }
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert((a.path.display().to_string(), a.id.clone()));
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A corpus file of `n` articles, larger than a piece from a few hundred on.
    fn corpus_file(n: usize) -> String {
        let mut t = String::from("# dates and outlets\n");
        for i in 0..n {
            t.push_str(&format!(
                "\n[articles.\"{i:05}.txt\"]\ndate = \"2017-11-{:02}\"\nsource = \"AFP\"\n",
                i % 28 + 1
            ));
        }
        t
    }

    #[test]
    fn a_large_corpus_file_reads_in_pieces_as_it_reads_whole() {
        let text = corpus_file(3000);
        assert!(text.len() > 2 * sections::PIECE);
        let c = Corpus::parse(Path::new("corpus.toml"), &text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.articles.len(), 3000);
        let last = &c.articles["02999.txt"];
        assert_eq!((last.corpus_date, last.source.as_deref()), (DateRange::parse_iso("2017-11-04"), Some("AFP")));
    }

    #[test]
    fn a_large_corpus_file_in_error_is_reported_as_a_whole() {
        let path = Path::new("corpus.toml");
        let message = |text: &str| Corpus::parse(path, text).err().map(|e| e.to_string()).unwrap_or_default();
        // A table given twice, far into the file: the line of the second one.
        let mut twice = corpus_file(3000);
        twice.push_str("\n[articles.\"00010.txt\"]\ndate = \"2017-11-03\"\n");
        let line = twice.lines().count() - 1;
        assert!(message(&twice).contains(&format!(":{line}")), "{}", message(&twice));
        // An unknown key in the middle.
        let unknown =
            corpus_file(3000).replace("[articles.\"01500.txt\"]\n", "[articles.\"01500.txt\"]\nauthor = \"x\"\n");
        assert!(message(&unknown).contains("01500.txt: unknown key \"author\""), "{}", message(&unknown));
    }

    fn article(name: &str, text: &str) -> Article {
        Article::from_bytes(name, Path::new(name), text.as_bytes(), &ZoneRules::builtin(), &ArticleFacts::default())
    }

    #[test]
    fn dedupe_keeps_the_first_of_identical_texts() {
        let a = vec![
            article("a.txt", "Les forces irakiennes ont repris Al-Qaïm.\n"),
            article("b.txt", "Les  forces irakiennes\r\nont repris Al-Qai\u{308}m."),
            article("c.txt", "Autre chose."),
            article("d.txt", ""),
            article("e.txt", "  "),
        ];
        let (kept, warnings) = dedupe(a);
        let ids: Vec<&str> = kept.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["a.txt", "c.txt", "d.txt", "e.txt"]);
        assert_eq!(warnings, ["b.txt: same text as a.txt; counted once, as a.txt"]);
    }

    #[test]
    fn read_warnings_name_the_file_and_the_encoding() {
        let a = Article::from_bytes(
            "l.txt",
            Path::new("dir/l.txt"),
            b"la ville d'Al-Qa\xefm",
            &ZoneRules::builtin(),
            &ArticleFacts::default(),
        );
        assert_eq!(read_warnings(&[a]), ["dir/l.txt: not UTF-8; decoded as Windows-1252 (Latin-1)"]);
    }
}
