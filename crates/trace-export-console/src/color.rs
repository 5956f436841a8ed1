//! Colours of the tree output: when to use them ([`ColorMode`]) and which ANSI codes.

use std::ffi::OsStr;

use trace_core::SpanKind;

/// Whether [`TreeConsoleProcessor`](crate::TreeConsoleProcessor) colours its output.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ColorMode {
    /// Colours when the output is a terminal (stdout or stderr, checked with
    /// [`std::io::IsTerminal`]) and the `NO_COLOR` environment variable is unset or empty
    /// (<https://no-color.org>), both read when the processor is built. A buffer or a
    /// writer given to the builder gets none. The default.
    #[default]
    Auto,
    /// Always colours (ANSI escape codes), wherever the output goes.
    Always,
    /// Never colours.
    Never,
}

impl ColorMode {
    /// Whether to colour, given whether the output is a terminal and the value of
    /// `NO_COLOR`. A pure function, so that the rule is tested without touching the
    /// process's environment.
    pub(crate) fn resolve(self, is_terminal: bool, no_color: Option<&OsStr>) -> bool {
        match self {
            ColorMode::Always => true,
            ColorMode::Never => false,
            ColorMode::Auto => is_terminal && no_color.map_or(true, OsStr::is_empty),
        }
    }
}

/// What a piece of text is, for its colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// A span kind's name.
    Kind(SpanKind),
    /// The workflow name in a trace's header.
    Title,
    /// Durations, ids, tree lines: secondary text.
    Dim,
    /// An error or a triggered guardrail.
    Error,
    /// A note about missing or dropped data.
    Warn,
}

/// ANSI codes, or nothing when colours are off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Palette {
    on: bool,
}

const RESET: &str = "\x1b[0m";

impl Palette {
    pub(crate) fn new(on: bool) -> Self {
        Self { on }
    }

    /// Appends `text` to `out` in the colour of `role`.
    pub(crate) fn paint(self, out: &mut String, role: Role, text: &str) {
        if !self.on {
            out.push_str(text);
            return;
        }
        out.push_str(code(role));
        out.push_str(text);
        out.push_str(RESET);
    }
}

fn code(role: Role) -> &'static str {
    match role {
        Role::Title => "\x1b[1m",
        Role::Dim => "\x1b[2m",
        Role::Error => "\x1b[1;31m",
        Role::Warn => "\x1b[33m",
        Role::Kind(kind) => match kind {
            SpanKind::Agent => "\x1b[1;36m",
            SpanKind::Generation | SpanKind::Response => "\x1b[35m",
            SpanKind::Function | SpanKind::McpTools => "\x1b[33m",
            SpanKind::Handoff => "\x1b[34m",
            SpanKind::Guardrail => "\x1b[32m",
            SpanKind::Transcription | SpanKind::Speech | SpanKind::SpeechGroup => "\x1b[36m",
            _ => "\x1b[37m",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_colours_only_a_terminal_without_no_color() {
        let auto = ColorMode::Auto;
        assert!(auto.resolve(true, None));
        // NO_COLOR set to anything but the empty string turns colours off.
        assert!(!auto.resolve(true, Some(OsStr::new("1"))));
        assert!(!auto.resolve(true, Some(OsStr::new("0"))));
        assert!(auto.resolve(true, Some(OsStr::new(""))));
        // Not a terminal: no colours.
        assert!(!auto.resolve(false, None));
        // The explicit modes ignore both.
        assert!(ColorMode::Always.resolve(false, Some(OsStr::new("1"))));
        assert!(!ColorMode::Never.resolve(true, None));
        assert_eq!(ColorMode::default(), ColorMode::Auto);
    }

    #[test]
    fn paint_adds_codes_only_when_on() {
        let mut plain = String::new();
        Palette::new(false).paint(&mut plain, Role::Error, "boom");
        assert_eq!(plain, "boom");
        let mut coloured = String::new();
        Palette::new(true).paint(&mut coloured, Role::Error, "boom");
        assert_eq!(coloured, "\x1b[1;31mboom\x1b[0m");
    }
}
