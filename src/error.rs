//! The library's error, as the CLI sees it: which stage failed, and whether the input or frontmap is to
//! blame (exit code 2 for bad input, 1 for an internal failure).

use std::path::PathBuf;

/// Any error of the pipeline.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Text(#[from] crate::text::TextError),
    #[error(transparent)]
    Gazetteer(#[from] crate::gazetteer::GazetteerError),
    #[error(transparent)]
    Lexicon(#[from] crate::geoparse::lexicon::LexiconError),
    #[error(transparent)]
    Render(#[from] crate::render::RenderError),
    #[error("{path}: cannot write: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Input(#[from] crate::incremental::manifest::ManifestError),
    #[error("{0}")]
    Usage(String),
    /// `frontmap watch` could not watch a directory (missing, or out of inotify watches).
    #[error("{path}: cannot watch: {source}")]
    Watch { path: PathBuf, source: notify::Error },
}

impl Error {
    /// 2 when the input is at fault (a file the user can fix), 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Write { .. } => 1,
            Error::Watch { .. } => 1,
            Error::Render(e) => e.exit_code(),
            _ => 2,
        }
    }
}
