//! A place: what the gazetteer knows about one named location.

use geo::{Coord, Geometry};
use serde::{Deserialize, Serialize};
use std::fmt;

/// What sort of place it is; drives disambiguation cues ("la province de X") and map precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Country,
    Province,
    District,
    City,
    Town,
    Village,
    Neighbourhood,
    River,
    Lake,
    Valley,
    Region,
    Border,
    Crossing,
    Airport,
    Base,
    Dam,
    Mountain,
    Other,
}

impl Kind {
    pub const ALL: [Kind; 18] = [
        Kind::Country,
        Kind::Province,
        Kind::District,
        Kind::City,
        Kind::Town,
        Kind::Village,
        Kind::Neighbourhood,
        Kind::River,
        Kind::Lake,
        Kind::Valley,
        Kind::Region,
        Kind::Border,
        Kind::Crossing,
        Kind::Airport,
        Kind::Base,
        Kind::Dam,
        Kind::Mountain,
        Kind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Country => "country",
            Kind::Province => "province",
            Kind::District => "district",
            Kind::City => "city",
            Kind::Town => "town",
            Kind::Village => "village",
            Kind::Neighbourhood => "neighbourhood",
            Kind::River => "river",
            Kind::Lake => "lake",
            Kind::Valley => "valley",
            Kind::Region => "region",
            Kind::Border => "border",
            Kind::Crossing => "crossing",
            Kind::Airport => "airport",
            Kind::Base => "base",
            Kind::Dam => "dam",
            Kind::Mountain => "mountain",
            Kind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        let s = s.trim().to_ascii_lowercase();
        let alias = match s.as_str() {
            "neighborhood" | "quarter" => "neighbourhood",
            "military-base" | "military_base" => "base",
            "border-crossing" | "border_crossing" => "crossing",
            "governorate" | "state" | "admin1" => "province",
            other => other,
        };
        Kind::ALL.into_iter().find(|k| k.as_str() == alias)
    }

    /// Settlements: a point a map can put a dot on.
    pub fn is_settlement(self) -> bool {
        matches!(self, Kind::City | Kind::Town | Kind::Village | Kind::Neighbourhood)
    }

    /// ACLED-style geographic precision of a mention that names this kind of place outright:
    /// 1 the named spot, 2 part of or near a town / a region, 3 a province or larger.
    pub fn geo_precision(self) -> u8 {
        match self {
            Kind::City
            | Kind::Town
            | Kind::Village
            | Kind::Neighbourhood
            | Kind::Crossing
            | Kind::Airport
            | Kind::Base
            | Kind::Dam => 1,
            Kind::District
            | Kind::Valley
            | Kind::Region
            | Kind::River
            | Kind::Lake
            | Kind::Border
            | Kind::Mountain
            | Kind::Other => 2,
            Kind::Province | Kind::Country => 3,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which dataset a place (or its last override) came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    NaturalEarth,
    Wdb2,
    GeoNames,
    Curated,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::NaturalEarth => "naturalearth",
            Source::Wdb2 => "wdb2",
            Source::GeoNames => "geonames",
            Source::Curated => "curated",
        }
    }
}

/// One place. Coordinates are WGS 84 lon/lat.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Place {
    /// Stable slug, unique in the gazetteer.
    pub id: String,
    /// Display name (French when known).
    pub name: String,
    pub name_fr: Option<String>,
    pub name_en: Option<String>,
    pub name_ar: Option<String>,
    /// Every other name the place goes by.
    pub aliases: Vec<String>,
    /// Names a dataset lists loosely (Natural Earth `name_alt`: former names, capitals): indexed with a
    /// penalty so they never beat a place's own name.
    pub weak_aliases: Vec<String>,
    /// Names a person vouched for (curated layer, aliases.tsv): trusted more than dataset spellings.
    pub curated_names: Vec<String>,
    pub kind: Kind,
    pub parent: Option<String>,
    /// ISO 3166-1 alpha-2, upper case.
    pub country: Option<String>,
    pub population: u64,
    pub source: Source,
    pub geonames_id: Option<u64>,
    /// GeoNames "CC.A1" admin-1 code, used to find the province a GeoNames row lies in.
    pub admin1: Option<String>,
    /// GeoNames feature code (PPLC, PPLA…), when the place came from GeoNames.
    pub feature_code: Option<String>,
    /// The point a map puts the label on.
    pub point: Coord<f64>,
    /// The full geometry for lines and areas; `None` for points.
    pub geometry: Option<Geometry<f64>>,
    /// Geodesic area in km² when the source gives or implies it (countries, provinces).
    pub area_km2: Option<f64>,
    /// How the coordinate was established (curated places).
    pub how: Option<String>,
}

impl Place {
    /// A national capital: its name is often used for its government ("selon Bagdad").
    pub fn is_capital(&self) -> bool {
        self.feature_code.as_deref() == Some("PPLC")
    }

    /// Every name of the place: display name, language names, aliases.
    pub fn all_names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.name.as_str())
            .chain(self.name_fr.as_deref())
            .chain(self.name_en.as_deref())
            .chain(self.name_ar.as_deref())
            .chain(self.aliases.iter().map(String::as_str))
    }
}
