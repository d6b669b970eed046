//! Events: who did what, where and when, coded like ACLED, dated against the calendar and merged
//! across articles. See [`extract`] for the sentence coder and [`merge`] for deduplication.

pub mod extract;
pub mod lexicon;
pub mod merge;
pub mod model;
pub mod time;

use crate::gazetteer::Gazetteer;
use crate::geoparse::Parsed;
use crate::text::Article;
pub use model::{Category, Event, SourceQuote};

/// The event coder with its lexicons loaded.
pub struct EventCoder {
    pub lexicon: lexicon::EventLexicon,
    pub time: time::TimeLexicon,
    pub demonyms: extract::Demonyms,
}

impl Default for EventCoder {
    fn default() -> Self {
        EventCoder {
            lexicon: lexicon::EventLexicon::builtin(),
            time: time::TimeLexicon::builtin(),
            demonyms: extract::Demonyms::builtin(),
        }
    }
}

/// The raw events of a corpus, gathered an article at a time until they are merged, kept compact: about 80
/// bytes a raw event, plus each distinct quote once (issue 8).
pub use merge::Reports as RawEvents;

/// Events of a corpus plus the warnings met while coding them.
#[derive(Debug, Default)]
pub struct Coded {
    pub events: Vec<Event>,
    pub warnings: Vec<String>,
}

impl EventCoder {
    /// The sentence coder over `g`, to code articles one at a time (from any thread) with
    /// [`EventCoder::article_events`] and merge with [`EventCoder::merge`]: a build that streams its
    /// articles keeps only their raw events.
    pub fn coder<'a>(&'a self, g: &'a Gazetteer) -> extract::Coder<'a> {
        extract::Coder {
            g,
            lex: &self.lexicon,
            time: &self.time,
            demonyms: &self.demonyms,
            border_cache: Default::default(),
            border_lines: Default::default(),
        }
    }

    /// The raw (unmerged) events of one article and the warnings met coding it.
    pub fn article_events(
        coder: &extract::Coder<'_>,
        article: &Article,
        parsed: &Parsed,
    ) -> (Vec<extract::RawEvent>, Vec<String>) {
        let mut warnings = Vec::new();
        if article.meta.date.is_none() {
            warnings.push(format!("{}: no publication date (corpus.toml, date line or a dated sentence): its events cannot be dated and are left out", article.id));
        }
        let (r, w) = coder.article(article, parsed);
        warnings.extend(w);
        (r, warnings)
    }

    /// Merge the raw events of a corpus (in article order) into events.
    pub fn merge(&self, raw: RawEvents, g: &Gazetteer) -> Vec<Event> {
        merge::merge_reports(raw, g, &self.lexicon)
    }

    /// Code and merge the events of `articles` (with their geoparse results, same order). Articles are
    /// coded in parallel; the result does not depend on the number of threads.
    pub fn code(&self, g: &Gazetteer, articles: &[Article], parsed: &[Parsed]) -> Coded {
        use rayon::prelude::*;
        let coder = self.coder(g);
        let per_article: Vec<(Vec<extract::RawEvent>, Vec<String>)> =
            articles.par_iter().zip(parsed.par_iter()).map(|(a, p)| Self::article_events(&coder, a, p)).collect();
        let mut raw = RawEvents::default();
        let mut warnings = Vec::new();
        for (r, w) in per_article {
            raw.extend(r);
            warnings.extend(w);
        }
        Coded { events: self.merge(raw, g), warnings }
    }
}
