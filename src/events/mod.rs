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

/// Events of a corpus plus the warnings met while coding them.
#[derive(Debug, Default)]
pub struct Coded {
    pub events: Vec<Event>,
    pub warnings: Vec<String>,
}

impl EventCoder {
    /// Code and merge the events of `articles` (with their geoparse results, same order).
    pub fn code(&self, g: &Gazetteer, articles: &[Article], parsed: &[Parsed]) -> Coded {
        let coder = extract::Coder {
            g,
            lex: &self.lexicon,
            time: &self.time,
            demonyms: &self.demonyms,
            border_cache: Default::default(),
        };
        let mut raw = Vec::new();
        let mut warnings = Vec::new();
        for (a, p) in articles.iter().zip(parsed) {
            if a.meta.date.is_none() {
                warnings.push(format!("{}: no publication date (corpus.toml, date line or a dated sentence): its events cannot be dated and are left out", a.id));
            }
            let (r, w) = coder.article(a, p);
            raw.extend(r);
            warnings.extend(w);
        }
        Coded { events: merge::merge(raw, g, &self.lexicon), warnings }
    }
}
