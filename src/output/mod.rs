//! Writing what the pipeline produced: GeoJSON layers (RFC 7946), JSON Lines, and (later stages) maps,
//! tiles and the viewer. Everything written here is deterministic and written atomically.

pub mod events;
pub mod json;
pub mod places;
pub mod project;
