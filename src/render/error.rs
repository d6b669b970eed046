//! What can go wrong while rendering, named precisely enough to fix: the file, then the layer,
//! feature, property or line, then what is wrong.

use std::path::PathBuf;

/// Any failure of the renderer. A bad style or data file is an error value, never a panic.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A file could not be read.
    #[error("{path}: cannot read: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    /// An output file could not be written.
    #[error("{path}: cannot write: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    /// The style file is not JSON, or not the shape of a MapLibre style.
    #[error("{path}: {msg}")]
    StyleSyntax { path: PathBuf, msg: String },
    /// One layer of the style is wrong (bad type, bad expression, bad value).
    #[error("{path}: layer {layer:?}: {what}: {msg}")]
    StyleLayer { path: PathBuf, layer: String, what: String, msg: String },
    /// `maps.toml` is wrong.
    #[error("{path}: {msg}")]
    Sheets { path: PathBuf, msg: String },
    /// A GeoJSON source is wrong.
    #[error("{path}: source {source_id:?}{}: {msg}", feature.map(|i| format!(", feature {i}")).unwrap_or_default())]
    Source { path: PathBuf, source_id: String, feature: Option<usize>, msg: String },
    /// A sheet asked for something that does not exist.
    #[error("sheet {sheet:?}: {msg}")]
    Sheet { sheet: String, msg: String },
    /// The canvas could not be allocated (zero or absurd size).
    #[error("sheet {sheet:?}: cannot allocate a {width}×{height} canvas")]
    Canvas { sheet: String, width: u32, height: u32 },
}

impl RenderError {
    /// 2 when the input (style, sheets, data) is at fault, 1 for an I/O or internal failure.
    pub fn exit_code(&self) -> i32 {
        match self {
            RenderError::Write { .. } | RenderError::Canvas { .. } => 1,
            _ => 2,
        }
    }
}
