//! Errors of this crate.

use std::io;
use std::path::PathBuf;

/// A setting given to a builder of this crate that cannot work; returned by its `build`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A cap was set to zero: nothing could be kept.
    #[error("{setting} is 0: nothing could be kept; give at least 1 (the default is {default})")]
    ZeroLimit {
        /// The setting's name (`max_spans_per_trace`, ...).
        setting: &'static str,
        /// Its default.
        default: usize,
    },
    /// The HTML exporter was given an empty path.
    #[error("the output path is empty; give a file name (one page per run) or a directory (one page per trace)")]
    EmptyPath,
}

/// Writing an HTML page failed. The spans stay held: call
/// [`write`](crate::HtmlWaterfallExporter::write) again once the cause is fixed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HtmlError {
    /// The file could not be created, written or moved into place.
    #[error("could not write the HTML page {path}: {source}; check that the directory exists and is writable")]
    File {
        /// The file being written.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: io::Error,
    },
    /// The writer given to [`render`](crate::HtmlWaterfallExporter::render) failed.
    #[error("could not write the HTML page: {0}")]
    Write(#[source] io::Error),
    /// The exporter was shut down and its pages written; nothing is held any more.
    #[error("the HTML exporter was shut down and has written its pages already; nothing more is held")]
    ShutDown,
}
