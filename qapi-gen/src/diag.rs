//! Diagnostics as values, and their rendering in QEMU's format.
//!
//! A diagnostic's main line is `PATH:LINE[:COL]: message`, preceded, as in
//! QEMU, by one `In file included from PATH:LINE:` line per enclosing include
//! directive and by a `PATH: In <kind> '<name>':` line when it concerns a
//! definition.  Warnings say `warning: ` after the location.  A source snippet
//! marking the exact spot can follow ([`Diagnostic::render_with_snippet`]).

use std::fmt::Write as _;

use crate::source::{Loc, SourceMap, Span};

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// The schema is invalid.
    Error,
    /// The schema is valid, but QEMU 10.2 would reject it; `--strict` turns
    /// these into errors.
    Warning,
}

/// The house-style rules that today's QEMU enforces and older schemas break.
///
/// In the default mode they are warnings; in strict mode errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Lint {
    /// Type names must be CamelCase, command and member names lower case
    /// without `_`, event names upper case.
    NameCase,
    /// Documentation lines at most 70 columns.
    DocLineLength,
    /// Two spaces between sentences in documentation.
    DocSentenceSpacing,
    /// Documentation layout: indentation of continuation lines, the old
    /// `Note:` and `Example:` sections.
    DocFormat,
    /// Every member, argument and feature documented.
    Undocumented,
}

impl Lint {
    /// A short name for the rule, as shown in summaries.
    pub fn name(self) -> &'static str {
        match self {
            Lint::NameCase => "name-case",
            Lint::DocLineLength => "doc-line-length",
            Lint::DocSentenceSpacing => "doc-sentence-spacing",
            Lint::DocFormat => "doc-format",
            Lint::Undocumented => "undocumented",
        }
    }
}

/// The definition a diagnostic is about: QEMU's `In struct 'Foo':` line.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Context {
    /// The definition's kind as QEMU names it: `enum`, `struct`, `union`,
    /// `alternate`, `command` or `event`.
    pub meta: &'static str,
    /// The definition's name.  (Boxed: there is one context per definition
    /// while a schema is checked.)
    pub name: Box<str>,
}

/// A secondary location, such as a previous definition.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Note {
    /// Where.
    pub loc: Loc,
    /// The definition it is about.
    pub context: Option<Context>,
    /// What.
    pub message: String,
}

/// One error or warning.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// For warnings, the house-style rule that was broken.
    pub lint: Option<Lint>,
    /// The line QEMU reports; `None` when no file is involved, as when the
    /// root schema file cannot be read.
    pub loc: Option<Loc>,
    /// The column, for errors QEMU reports with one (syntax errors).
    pub col: Option<u32>,
    /// The definition it is about.
    pub context: Option<Context>,
    /// The message, possibly several lines.
    pub message: String,
    /// The exact source range concerned, when known more precisely than
    /// `loc`: what a snippet underlines.
    pub span: Option<Span>,
    /// Further locations, rendered after the main line.
    pub notes: Vec<Note>,
}

impl Diagnostic {
    /// An error at a line.
    pub fn error(loc: Loc, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            lint: None,
            loc: Some(loc),
            col: None,
            context: None,
            message: message.into(),
            span: None,
            notes: Vec::new(),
        }
    }

    /// An error that concerns no file.
    pub fn global(message: impl Into<String>) -> Self {
        Diagnostic {
            loc: None,
            ..Diagnostic::error(
                Loc {
                    file: crate::FileId(0),
                    line: 0,
                },
                message,
            )
        }
    }

    /// Sets the column.
    pub fn with_col(mut self, col: u32) -> Self {
        self.col = Some(col);
        self
    }

    /// Sets the definition context.
    pub fn with_context(mut self, context: Option<Context>) -> Self {
        self.context = context;
        self
    }

    /// Sets the span a snippet marks.
    pub fn with_span(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }

    /// Adds a note.
    pub fn with_note(mut self, note: Note) -> Self {
        self.notes.push(note);
        self
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The diagnostic in QEMU's format, without a trailing newline.
    pub fn render(&self, sources: &SourceMap) -> String {
        let mut out = String::new();
        let Some(loc) = self.loc else {
            out.push_str(&self.message);
            return out;
        };
        write_location(&mut out, sources, loc, self.col, self.context.as_ref());
        if self.severity == Severity::Warning {
            out.push_str("warning: ");
        }
        out.push_str(&self.message);
        for note in &self.notes {
            out.push('\n');
            write_location(&mut out, sources, note.loc, None, note.context.as_ref());
            out.push_str(&note.message);
        }
        out
    }

    /// [`render`](Self::render) followed by the source line(s) concerned, the
    /// exact spot underlined.
    pub fn render_with_snippet(&self, sources: &SourceMap) -> String {
        let mut out = self.render(sources);
        if let Some(snippet) = self.snippet(sources) {
            out.push('\n');
            out.push_str(&snippet);
        }
        out
    }

    fn snippet(&self, sources: &SourceMap) -> Option<String> {
        use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
        let loc = self.loc?;
        let file = sources.file(loc.file);
        let (start, end) = match self.span {
            Some(span) if span.file == loc.file => (span.start, span.end.max(span.start)),
            _ => {
                let at = match self.col {
                    Some(col) => {
                        let line_start = file.line_start(loc.line);
                        offset_of_column(file.line_text(loc.line), col) + line_start
                    }
                    None => file.line_start(loc.line),
                };
                (at, at)
            }
        };
        // Show the lines the span covers, at most a few.
        let first_line = file.line_of(start);
        let last_line = file
            .line_of(end.saturating_sub(1).max(start))
            .min(first_line + 4);
        let from = file.line_start(first_line) as usize;
        let to = (file.line_start(last_line) as usize + file.line_text(last_line).len()).max(from);
        let text = &file.text[from..to];
        let mut a = start as usize - from;
        let mut b = (end as usize).min(to).max(start as usize) - from;
        // Whole characters only.
        while a > 0 && !text.is_char_boundary(a) {
            a -= 1;
        }
        while b < text.len() && !text.is_char_boundary(b) {
            b += 1;
        }
        let level = if self.is_error() {
            Level::ERROR
        } else {
            Level::WARNING
        };
        let report = [Group::with_level(level).element(
            Snippet::source(text)
                .line_start(first_line as usize)
                .fold(false)
                .annotation(AnnotationKind::Primary.span(a..b.max(a))),
        )];
        let rendered = Renderer::plain().render(&report);
        let trimmed = rendered.trim_matches('\n');
        (!trimmed.is_empty()).then(|| trimmed.to_string())
    }
}

/// The byte offset within `line` of QEMU's column `col`.
fn offset_of_column(line: &str, col: u32) -> u32 {
    let mut c = 1u32;
    for (i, ch) in line.char_indices() {
        if c >= col {
            return i as u32;
        }
        c = if ch == '\t' { (c + 7) % 8 + 1 } else { c + 1 };
    }
    line.len() as u32
}

fn write_location(
    out: &mut String,
    sources: &SourceMap,
    loc: Loc,
    col: Option<u32>,
    context: Option<&Context>,
) {
    let mut chain = Vec::new();
    let mut parent = sources.file(loc.file).included_from;
    while let Some(p) = parent {
        chain.push(p);
        parent = sources.file(p.file).included_from;
    }
    for p in chain.iter().rev() {
        let _ = writeln!(
            out,
            "In file included from {}:{}:",
            sources.path(p.file).display(),
            p.line
        );
    }
    let path = sources.path(loc.file).display();
    if let Some(cx) = context {
        let _ = writeln!(out, "{path}: In {} '{}':", cx.meta, cx.name);
    }
    let _ = write!(out, "{path}:{}", loc.line);
    if let Some(col) = col {
        let _ = write!(out, ":{col}");
    }
    out.push_str(": ");
}
