//! What can go wrong while making tiles, naming the file or tile and what is wrong.

use super::tile::TileId;
use std::path::PathBuf;

/// Any failure of `frontmap tiles` (or of the tile step of `build`).
#[derive(Debug, thiserror::Error)]
pub enum TilesError {
    /// The style, `maps.toml` or a layer could not be loaded.
    #[error(transparent)]
    Render(#[from] crate::render::RenderError),
    /// The requested pyramid is empty, absurdly large or otherwise wrong.
    #[error("tile plan: {0}")]
    Plan(String),
    /// A tile's canvas could not be allocated.
    #[error("tile {tile}: cannot allocate a {size}×{size} canvas")]
    Canvas { tile: TileId, size: u32 },
    /// A worker failed while drawing a tile (another one panicked while holding shared state).
    #[error("tile {tile}: {msg}")]
    Worker { tile: TileId, msg: String },
    /// A file could not be read.
    #[error("{path}: cannot read: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    /// A file or directory could not be written or removed.
    #[error("{path}: cannot write: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    /// SQLite refused to write the MBTiles file.
    #[error("{path}: MBTiles: {what}: {source}")]
    Mbtiles { path: PathBuf, what: String, source: rusqlite::Error },
    /// A layer file the viewer embeds is not usable GeoJSON.
    #[error("{path}: viewer layer: {msg}")]
    Layer { path: PathBuf, msg: String },
}

impl TilesError {
    /// 2 when the input (style, sheets, layers, options) is at fault, 1 for an I/O or internal failure.
    pub fn exit_code(&self) -> i32 {
        match self {
            TilesError::Render(e) => e.exit_code(),
            TilesError::Plan(_) | TilesError::Layer { .. } | TilesError::Read { .. } => 2,
            _ => 1,
        }
    }
}

/// `build` reports tile failures through the pipeline's error, keeping the exit code's meaning
/// (2: fix the input, 1: frontmap or the disk failed).
impl From<TilesError> for crate::error::Error {
    fn from(e: TilesError) -> Self {
        match e {
            TilesError::Render(r) => crate::error::Error::Render(r),
            TilesError::Write { path, source } => crate::error::Error::Write { path, source },
            other if other.exit_code() == 2 => crate::error::Error::Usage(other.to_string()),
            other => {
                let path = match &other {
                    TilesError::Mbtiles { path, .. } => path.clone(),
                    _ => PathBuf::from("tiles"),
                };
                crate::error::Error::Write { path, source: std::io::Error::other(other.to_string()) }
            }
        }
    }
}
