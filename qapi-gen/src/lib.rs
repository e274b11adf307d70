//! QAPI schemas to typed Rust.
//!
//! `qapi-gen` reads the schema language in which QEMU defines its machine
//! protocol (QMP) and guest-agent protocol (QGA), checks it the way QEMU's own
//! generator does, and builds a resolved [schema model](schema::Schema).
//!
//! ```no_run
//! let schema = qapi_gen::load("qapi/qapi-schema.json", qapi_gen::Mode::Default)
//!     .map_err(|e| e.to_string())?;
//! for command in schema.commands() {
//!     println!("{}", command.name);
//! }
//! # Ok::<(), String>(())
//! ```
//!
//! # Generating bindings
//!
//! From a build script, with [`Builder`].  In `Cargo.toml` (the default
//! `cli` feature builds the command line, which a build script does not
//! need):
//!
//! ```toml
//! [dependencies]
//! qapi-types = "0.1"
//!
//! [build-dependencies]
//! qapi-gen = { version = "0.1", default-features = false }
//! ```
//!
//! ```no_run
//! // build.rs; qapi-gen is a build-dependency, qapi-types a dependency.
//! fn main() {
//!     qapi_gen::Builder::new()
//!         .schema("qapi/qapi-schema.json")
//!         .generate()
//!         .unwrap_or_else(|e| panic!("{e}"));
//! }
//! ```
//!
//! then, in the crate:
//!
//! ```ignore
//! pub mod qmp {
//!     include!(concat!(env!("OUT_DIR"), "/qapi-schema.rs"));
//! }
//! ```
//!
//! The same is available as a macro (`qapi_gen_macros::qapi!`) and on the
//! command line (`qapi-gen generate SCHEMA.json -o OUT.rs`).
//!
//! # Dialects and strictness
//!
//! Both dialects in use are accepted: the one of QEMU 5.2 (simple unions, `if`
//! conditions written as C preprocessor expressions, the `returns-whitelist`
//! and `name-case-whitelist` pragmas, `Example:` documentation sections) and
//! the current one of QEMU 10.2.  [`Mode::Default`] accepts every real schema
//! of either dialect and reports QEMU 10.2's house-style rules (naming case,
//! documentation layout, undocumented members) as warnings;
//! [`Mode::Strict`] applies QEMU 10.2's rules exactly and stops at the first
//! error, which is the error QEMU 10.2 reports.
//!
//! # Diagnostics
//!
//! Errors and warnings are [`Diagnostic`] values.  Their rendering follows
//! QEMU: `PATH:LINE[:COL]: message`, after `In file included from` lines and an
//! `In struct 'Name':` line where they apply.

// The build-script examples in these docs are whole `build.rs` files, whose
// `fn main` is the point.
#![allow(clippy::needless_doctest_main)]

mod builder;
pub mod diag;
pub mod diff;
pub mod doc;
pub mod dump;
mod expr;
pub mod generate;
pub mod schema;
pub mod source;
pub mod syntax;

use std::fmt;
use std::path::Path;

pub use builder::{BuildError, Builder};
pub use diag::{Diagnostic, Lint, Severity};
pub use schema::Schema;
pub use source::{FileId, Loc, SourceMap, Span};

/// How strictly to check.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Accept both dialects; house-style rules of QEMU 10.2 are warnings.
    #[default]
    Default,
    /// QEMU 10.2's rules, all of them errors.
    Strict,
}

/// A schema that could not be read or is invalid.
#[derive(Debug)]
pub struct Error {
    /// The files read, for rendering the diagnostics.
    pub sources: SourceMap,
    /// The diagnostics: the warnings found before the error, then the error.
    pub diagnostics: Vec<Diagnostic>,
}

impl Error {
    /// The error, the one QEMU reports.
    pub fn error(&self) -> &Diagnostic {
        self.diagnostics
            .iter()
            .find(|d| d.is_error())
            .expect("an Error holds an error diagnostic")
    }
}

impl fmt::Display for Error {
    /// The error in QEMU's format.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.error().render(&self.sources))
    }
}

impl std::error::Error for Error {}

/// Writes `contents` to `path` unless the file already holds exactly that,
/// so that build tools see no change.  Returns whether it wrote.
pub fn write_if_changed(path: impl AsRef<Path>, contents: &[u8]) -> std::io::Result<bool> {
    let path = path.as_ref();
    if std::fs::read(path).is_ok_and(|old| old == contents) {
        return Ok(false);
    }
    std::fs::write(path, contents)?;
    Ok(true)
}

/// Reads the schema at `path`, everything it includes, and checks it.
pub fn load(path: impl AsRef<Path>, mode: Mode) -> Result<Schema, Error> {
    let mut ctx = Ctx::new(mode);
    let result =
        syntax::parse_schema(&mut ctx, path.as_ref()).and_then(|parsed| check(&mut ctx, parsed));
    finish(ctx, result)
}

/// Reads several schemas, each with everything it includes, on threads of
/// their own, and checks them; each is labelled with what tells its path
/// apart from the others' ([`schema::labels`]), ready for
/// [`schema::merge`].  The first invalid one (in the order given) is the
/// error.
pub fn load_all<P: AsRef<Path> + Sync>(paths: &[P], mode: Mode) -> Result<Vec<Schema>, Error> {
    let results: Vec<Result<Schema, Error>> = std::thread::scope(|scope| {
        let handles: Vec<_> = paths[1.min(paths.len())..]
            .iter()
            .map(|p| scope.spawn(move || load(p, mode)))
            .collect();
        let mut out: Vec<Result<Schema, Error>> =
            paths.first().map(|p| load(p, mode)).into_iter().collect();
        out.extend(
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))),
        );
        out
    });
    let refs: Vec<&Path> = paths.iter().map(AsRef::as_ref).collect();
    let labels = schema::labels(&refs);
    results
        .into_iter()
        .zip(labels)
        .map(|(r, label)| {
            r.map(|mut s| {
                s.origins[0].label = label;
                s
            })
        })
        .collect()
}

/// Checks a schema held in memory.  `path` names it in messages, and
/// `include` directives are resolved relative to it.
pub fn load_str(path: impl AsRef<Path>, text: &str, mode: Mode) -> Result<Schema, Error> {
    let mut ctx = Ctx::new(mode);
    let root = ctx.sources.add(source::SourceFile::new(
        path.as_ref().to_path_buf(),
        text.to_string(),
        None,
    ));
    let result = syntax::parse_root(&mut ctx, root).and_then(|parsed| check(&mut ctx, parsed));
    finish(ctx, result)
}

fn check(ctx: &mut Ctx, parsed: syntax::Parsed) -> Result<Schema, Diagnostic> {
    schema::build(ctx, parsed)
}

fn finish(mut ctx: Ctx, result: Result<Schema, Diagnostic>) -> Result<Schema, Error> {
    match result {
        Ok(mut schema) => {
            schema.sources = std::mem::take(&mut ctx.sources);
            schema.warnings = std::mem::take(&mut ctx.warnings);
            Ok(schema)
        }
        Err(e) => {
            let mut diagnostics = std::mem::take(&mut ctx.warnings);
            diagnostics.push(e);
            Err(Error {
                sources: ctx.sources,
                diagnostics,
            })
        }
    }
}

/// A house-style rule was broken: an error in strict mode, otherwise a
/// warning in `warnings`.
fn style(
    mode: Mode,
    warnings: &mut Vec<Diagnostic>,
    lint: Lint,
    mut d: Diagnostic,
) -> Result<(), Diagnostic> {
    if mode == Mode::Strict {
        return Err(d);
    }
    d.severity = Severity::Warning;
    d.lint = Some(lint);
    warnings.push(d);
    Ok(())
}

/// What parsing one file needs: the file, the mode, and a place for the
/// warnings found, which the caller merges in order.  (Each file is parsed
/// on its own, independently of the others.)
pub(crate) struct FileCtx<'a> {
    pub mode: Mode,
    pub id: source::FileId,
    pub src: &'a source::SourceFile,
    pub warnings: Vec<Diagnostic>,
}

impl FileCtx<'_> {
    pub(crate) fn strict(&self) -> bool {
        self.mode == Mode::Strict
    }

    /// A house-style rule was broken: see [`Ctx::style`].
    pub(crate) fn style(&mut self, lint: Lint, d: Diagnostic) -> Result<(), Diagnostic> {
        style(self.mode, &mut self.warnings, lint, d)
    }
}

/// State shared by the phases of checking one schema.
pub(crate) struct Ctx {
    pub mode: Mode,
    pub sources: SourceMap,
    pub warnings: Vec<Diagnostic>,
    /// The definition each line belongs to, for the `In struct 'Foo':`
    /// context of diagnostics.  QEMU keeps one source-info object per line and
    /// marks it with the definition starting there, so every diagnostic placed
    /// on that line gets that context; this map does the same.
    pub defn_at: DefnLines,
}

/// The lines that start a definition, with the definition's context: for
/// each file, its lines in order, each once.
///
/// (Definitions are checked in the order of their lines, so each is added
/// at the end; a hash map of them, which spreads its entries over a table
/// larger than they need, took about as much memory as the schema's text.)
#[derive(Default)]
pub(crate) struct DefnLines {
    /// By file id.
    files: Vec<Vec<DefnLine>>,
}

/// A line that starts a definition: QEMU's `In struct 'Foo':` context in
/// 24 bytes (there is one per definition while a schema is checked).
pub(crate) struct DefnLine {
    line: u32,
    pub meta: expr::Meta,
    name: DefnName,
}

/// The name of the definition a line starts.
enum DefnName {
    /// While its expression is checked.
    Text(Box<str>),
    /// Once it is entered: the name is the definition's, not kept twice.
    Entered(schema::DefId),
}

impl DefnLine {
    /// The definition's name; `defs` are the definitions entered.
    pub(crate) fn name<'a>(&'a self, defs: &'a [schema::Definition]) -> Option<&'a str> {
        match &self.name {
            DefnName::Text(name) => Some(name),
            DefnName::Entered(id) => defs.get(id.index()).map(|d| &*d.name),
        }
    }

    /// The context of diagnostics on this line.
    pub(crate) fn context(&self, defs: &[schema::Definition]) -> Option<diag::Context> {
        Some(diag::Context {
            meta: self.meta.name(),
            name: self.name(defs)?.into(),
        })
    }
}

impl DefnLines {
    fn lines(&mut self, file: source::FileId) -> &mut Vec<DefnLine> {
        let file = file.index();
        if self.files.len() <= file {
            self.files.resize_with(file + 1, Vec::new);
        }
        &mut self.files[file]
    }

    /// Makes room for `additional` more lines of `file`.
    pub(crate) fn reserve(&mut self, file: source::FileId, additional: usize) {
        self.lines(file).reserve_exact(additional);
    }

    /// Marks line `loc` as the start of definition `name` of kind `meta`,
    /// replacing any earlier mark.
    pub(crate) fn insert(&mut self, loc: Loc, meta: expr::Meta, name: Box<str>) {
        let mark = DefnLine {
            line: loc.line,
            meta,
            name: DefnName::Text(name),
        };
        let lines = self.lines(loc.file);
        match lines.last() {
            Some(last) if last.line >= loc.line => {
                match lines.binary_search_by_key(&loc.line, |l| l.line) {
                    Ok(i) => lines[i] = mark,
                    Err(i) => lines.insert(i, mark),
                }
            }
            _ => lines.push(mark),
        }
    }

    /// Line `loc` starts definition `id`, now entered: its name need not
    /// be kept apart any more.
    pub(crate) fn entered(&mut self, loc: Loc, id: schema::DefId) {
        let Some(lines) = self.files.get_mut(loc.file.index()) else {
            return;
        };
        if let Ok(i) = lines.binary_search_by_key(&loc.line, |l| l.line) {
            lines[i].name = DefnName::Entered(id);
        }
    }

    /// The mark of line `loc`.
    pub(crate) fn get(&self, loc: Loc) -> Option<&DefnLine> {
        let lines = self.files.get(loc.file.index())?;
        let i = lines.binary_search_by_key(&loc.line, |l| l.line).ok()?;
        Some(&lines[i])
    }
}

impl Ctx {
    fn new(mode: Mode) -> Self {
        Ctx {
            mode,
            sources: SourceMap::new(),
            warnings: Vec::new(),
            defn_at: DefnLines::default(),
        }
    }

    pub(crate) fn strict(&self) -> bool {
        self.mode == Mode::Strict
    }

    /// A house-style rule was broken: an error in strict mode, otherwise a
    /// warning and checking goes on.
    pub(crate) fn style(&mut self, lint: Lint, d: Diagnostic) -> Result<(), Diagnostic> {
        style(self.mode, &mut self.warnings, lint, d)
    }

    /// The definition context of a diagnostic on line `loc`, while
    /// expressions are checked.  (Once definitions are entered, the schema
    /// builder asks with them: `DefnLine::context`.)
    pub(crate) fn context(&self, loc: Loc) -> Option<diag::Context> {
        self.defn_at.get(loc).and_then(|l| l.context(&[]))
    }

    /// An error on line `loc`, with the context QEMU gives it.
    pub(crate) fn error(&self, loc: Loc, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error(loc, message).with_context(self.context(loc))
    }
}
