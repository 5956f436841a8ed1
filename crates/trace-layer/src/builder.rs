//! [`AgentsLayer`] and its builder.

use std::borrow::Cow;
use std::sync::Arc;

use tracing_core::{Level, Metadata};

/// The workflow name of a trace the layer starts when no `tracing` span is around the
/// GenAI span that starts it: the Python SDK's default for `Runner.run`.
pub const DEFAULT_WORKFLOW_NAME: &str = "Agent workflow";

/// A [`tracing_subscriber::Layer`] that records `tracing` spans following the GenAI or
/// OpenInference conventions as spans of this library, handed to the installed
/// processors. See the [crate docs](crate) for the mapping.
///
/// Cheap to clone (the settings are shared).
#[derive(Clone, Debug)]
pub struct AgentsLayer {
    pub(crate) config: Arc<Config>,
}

/// The layer's settings.
#[derive(Debug)]
pub(crate) struct Config {
    pub(crate) workflow_name: Cow<'static, str>,
    /// Spans at this level or more severe, not otherwise mapped, become custom spans.
    pub(crate) other_spans: Option<Level>,
    /// If not empty, only other spans whose target starts with one of these.
    pub(crate) other_targets: Vec<String>,
}

impl Default for AgentsLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl AgentsLayer {
    /// The layer with the defaults: GenAI and OpenInference spans mapped, other spans
    /// ignored, [`DEFAULT_WORKFLOW_NAME`] for traces started with no span around.
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// A builder, to record other spans too or to change the default workflow name.
    pub fn builder() -> AgentsLayerBuilder {
        AgentsLayerBuilder {
            workflow_name: Cow::Borrowed(DEFAULT_WORKFLOW_NAME),
            other_spans: None,
            other_targets: Vec::new(),
        }
    }
}

impl Config {
    /// Whether a span that names no GenAI or OpenInference operation is recorded as a
    /// custom span.
    pub(crate) fn records_other(&self, meta: &Metadata<'_>) -> bool {
        let Some(level) = self.other_spans else { return false };
        meta.level() <= &level
            && (self.other_targets.is_empty()
                || self.other_targets.iter().any(|t| meta.target().starts_with(t.as_str())))
    }
}

/// Settings of an [`AgentsLayer`]; from [`AgentsLayer::builder`].
#[derive(Debug)]
#[must_use = "a builder does nothing until `build`"]
pub struct AgentsLayerBuilder {
    workflow_name: Cow<'static, str>,
    other_spans: Option<Level>,
    other_targets: Vec<String>,
}

impl AgentsLayerBuilder {
    /// The workflow name of a trace started for a GenAI span that has no `tracing` span
    /// around it (with one around, the outermost one's name is used). Default:
    /// [`DEFAULT_WORKFLOW_NAME`].
    pub fn workflow_name(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.workflow_name = name.into();
        self
    }

    /// Records spans that name no GenAI or OpenInference operation as custom spans (named
    /// after the `tracing` span, its fields as data), when they are at `level` or more
    /// severe and inside a trace. Default: off, such spans cost one look at their field
    /// names and nothing else.
    pub fn record_other_spans(mut self, level: Level) -> Self {
        self.other_spans = Some(level);
        self
    }

    /// With [`record_other_spans`](Self::record_other_spans), only the spans whose target
    /// (module path, or `target:` given) starts with `prefix`; call again to add prefixes.
    /// Default: every target.
    pub fn other_spans_target(mut self, prefix: impl Into<String>) -> Self {
        self.other_targets.push(prefix.into());
        self
    }

    /// The layer.
    pub fn build(self) -> AgentsLayer {
        AgentsLayer {
            config: Arc::new(Config {
                workflow_name: self.workflow_name,
                other_spans: self.other_spans,
                other_targets: self.other_targets,
            }),
        }
    }
}
