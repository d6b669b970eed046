//! frontmap: news reports of a military offensive → gazetteer-resolved places, coded events and maps.
//!
//! The pipeline (DESIGN.md §1): [`text`] → [`gazetteer`] → [`geoparse`] → events → project → render.
//! Each stage owns its types and errors; data flows one way.

pub mod atomic;
pub mod build;
pub mod closest;
pub mod error;
pub mod events;
pub mod gazetteer;
pub mod geodesy;
pub mod geoparse;
pub mod identity;
pub mod incremental;
pub mod output;
pub mod project;
pub mod render;
pub mod text;
pub mod tiles;
pub mod viewer;
pub mod watch;
