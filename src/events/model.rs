//! What an event is: ACLED's coding (who did what, where, when, how precisely) plus where we read it.

use crate::text::DateRange;
use geo::Coord;
use serde::Serialize;
use std::sync::Arc;

/// The action a sentence reports, before it is mapped to ACLED's types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    AssaultLaunched,
    PlaceRetaken,
    PlaceLost,
    AirStrike,
    ArtilleryStrike,
    Advance,
    Siege,
    Displacement,
    Demining,
    PropertyDestruction,
    OffensiveOngoing,
    CasualtyReport,
    Other,
}

impl Category {
    pub const ALL: [Category; 13] = [
        Category::AssaultLaunched,
        Category::PlaceRetaken,
        Category::PlaceLost,
        Category::AirStrike,
        Category::ArtilleryStrike,
        Category::Advance,
        Category::Siege,
        Category::Displacement,
        Category::Demining,
        Category::PropertyDestruction,
        Category::OffensiveOngoing,
        Category::CasualtyReport,
        Category::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::AssaultLaunched => "assault_launched",
            Category::PlaceRetaken => "place_retaken",
            Category::PlaceLost => "place_lost",
            Category::AirStrike => "air_strike",
            Category::ArtilleryStrike => "artillery_strike",
            Category::Advance => "advance",
            Category::Siege => "siege",
            Category::Displacement => "displacement",
            Category::Demining => "demining",
            Category::PropertyDestruction => "property_destruction",
            Category::OffensiveOngoing => "offensive_ongoing",
            Category::CasualtyReport => "casualty_report",
            Category::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s.trim())
    }
}

/// Where an event was read: the article and the exact words. Shared strings: a corpus repeats its sentences
/// (wire copy) and an article's events share its id, so [`RawEvents`](super::RawEvents) keeps one copy of
/// each (issue 8).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct SourceQuote {
    pub article: Arc<str>,
    pub quote: Arc<str>,
    /// Byte offset of the quote in the original file.
    pub start: usize,
}

/// One coded event (after merging: one per real-world event, with every article that reports it).
#[derive(Debug, Clone)]
pub struct Event {
    /// Stable id derived from the event's content (date, place, category), not from its order.
    pub id: String,
    pub category: Category,
    /// ACLED event type ("Battles", "Explosions/Remote violence", "Strategic developments"…).
    pub event_type: String,
    pub sub_event_type: String,
    pub actor1: Option<String>,
    pub actor2: Option<String>,
    /// Gazetteer index of the place.
    pub place: usize,
    pub point: Coord<f64>,
    pub geo_precision: u8,
    pub date: DateRange,
    pub fatalities: Option<u32>,
    pub sources: Vec<SourceQuote>,
}
