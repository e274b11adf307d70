//! Reading schema files: the pest grammar, include and pragma directives, and
//! documentation blocks, with QEMU's diagnostics in QEMU's order.
//!
//! The whole file is parsed by the grammar in one pass.  The items are then
//! walked in source order, doing what QEMU's parser does as it meets them:
//! resolving escapes, rejecting duplicate keys, reading included files,
//! applying pragmas and parsing documentation.  An item the grammar cannot
//! parse is diagnosed token by token ([`diagnose`]), so that the first error
//! reported is the one QEMU reports, with its message and column.

mod diagnose;
mod value;

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use pest::Parser as _;
use pest::iterators::Pair;

pub use value::{Object, Str, Value};

use crate::Ctx;
use crate::diag::Diagnostic;
use crate::doc::{self, Doc};
use crate::source::{FileId, Loc, SourceFile, Span};

#[derive(pest_derive::Parser)]
#[grammar = "syntax/qapi.pest"]
pub(crate) struct Grammar;

/// Pragmas: settings that apply to the whole schema.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pragma {
    /// `doc-required`: every definition must have a documentation comment.
    pub doc_required: bool,
    /// `command-name-exceptions`: commands allowed to use `_`.
    pub command_name_exceptions: Vec<String>,
    /// `command-returns-exceptions` (5.2: `returns-whitelist`): commands
    /// allowed to return something other than an object or array of objects.
    pub command_returns_exceptions: Vec<String>,
    /// `documentation-exceptions`: definitions allowed undocumented members.
    pub documentation_exceptions: Vec<String>,
    /// `member-name-exceptions` (5.2: `name-case-whitelist`): types whose
    /// members may use upper case and `_`.
    pub member_name_exceptions: Vec<String>,
}

/// What an expression at the top level of a file is.
#[derive(Clone, Debug)]
pub enum ExprKind {
    /// `{ 'include': ... }`: the path of the included file, the including
    /// file's directory joined with the value, as QEMU spells it.
    Include(PathBuf),
    /// A definition, to be checked by [`crate::expr`].
    Definition(Object),
}

/// One top-level expression.
#[derive(Clone, Debug)]
pub struct Expression {
    /// What it is.
    pub kind: ExprKind,
    /// The line of its opening brace.
    pub loc: Loc,
    /// The documentation block right before it, as an index into
    /// [`Parsed::docs`].
    pub doc: Option<usize>,
}

/// The result of reading a schema and everything it includes.
#[derive(Debug, Default)]
pub struct Parsed {
    /// Every expression of every file, included files' expressions right
    /// after the include directive that read them.
    pub exprs: Vec<Expression>,
    /// Every documentation block, in the same order.
    pub docs: Vec<Doc>,
    /// The pragmas, which apply to the whole schema.
    pub pragma: Pragma,
}

/// Reads the schema at `path` and everything it includes.
pub(crate) fn parse_schema(ctx: &mut Ctx, path: &Path) -> Result<Parsed, Diagnostic> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Diagnostic::global(format!(
            "can't read schema file '{}': {}",
            path.display(),
            strerror(&e)
        ))
    })?;
    let root = ctx
        .sources
        .add(SourceFile::new(path.to_path_buf(), text, None));
    parse_root(ctx, root)
}

/// Reads a schema whose root file was already added to `ctx.sources`.
pub(crate) fn parse_root(ctx: &mut Ctx, root: FileId) -> Result<Parsed, Diagnostic> {
    let mut parsed = Parsed::default();
    let mut included = HashSet::new();
    included.insert(absolute(ctx.sources.path(root)));
    FileParser::new(ctx, &mut parsed, &mut included, root).parse()?;
    Ok(parsed)
}

/// The text of an I/O error the way Python's `strerror` gives it.
pub(crate) fn strerror(e: &std::io::Error) -> String {
    if e.kind() == std::io::ErrorKind::InvalidData {
        return "not valid UTF-8".to_string();
    }
    let text = e.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// `os.path.abspath`: absolute and lexically normalized, symlinks untouched.
fn absolute(path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

/// Parses one file, recursing into its includes.
struct FileParser<'c> {
    ctx: &'c mut Ctx,
    out: &'c mut Parsed,
    included: &'c mut HashSet<PathBuf>,
    file: FileId,
    text: Arc<str>,
    /// Offset in `text` of the input the current grammar pass parses.
    base: usize,
}

/// The item after the current one, for QEMU's habit of reading the next
/// token before acting on the current item.
#[derive(Clone, Copy)]
enum Next<'p, 'i> {
    Item(&'p Pair<'i, Rule>),
    Eof,
}

/// How a documentation block ends.
struct DocEnd<'t> {
    /// Its comment lines: offset and text, the opening `##` first.
    lines: Vec<(u32, &'t str)>,
    /// Where the text after the block starts, when the block ends before the
    /// end of its grammar token (at an indented closing `##`, or at a line
    /// that is no comment, which leaves the block unclosed).
    early_end: Option<usize>,
}

impl<'c> FileParser<'c> {
    fn new(
        ctx: &'c mut Ctx,
        out: &'c mut Parsed,
        included: &'c mut HashSet<PathBuf>,
        file: FileId,
    ) -> Self {
        let text = ctx.sources.file(file).text.clone();
        FileParser {
            ctx,
            out,
            included,
            file,
            text,
            base: 0,
        }
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span {
            file: self.file,
            start: start as u32,
            end: end as u32,
        }
    }

    /// The span of a pair of the current grammar pass.
    fn pair_span(&self, pair: &Pair<Rule>) -> Span {
        let s = pair.as_span();
        self.span(self.base + s.start(), self.base + s.end())
    }

    fn start(&self, pair: &Pair<Rule>) -> usize {
        self.base + pair.as_span().start()
    }

    fn loc(&self, offset: usize) -> Loc {
        Loc {
            file: self.file,
            line: self.ctx.sources.file(self.file).line_of(offset as u32),
        }
    }

    /// A syntax error at byte `offset`, with QEMU's column.
    fn syntax_error(&self, offset: usize, message: impl Into<String>) -> Diagnostic {
        let file = self.ctx.sources.file(self.file);
        Diagnostic::error(self.loc(offset), message)
            .with_col(file.column_of(offset as u32))
            .with_span(self.span(offset, offset + 1))
    }

    /// Where end of input is, for errors: QEMU reports it at the final
    /// newline.
    fn eof_offset(&self) -> usize {
        self.text.len() - 1
    }

    fn parse(mut self) -> Result<(), Diagnostic> {
        let mut cur_doc: Option<usize> = None;
        let mut base = 0;
        while let Some(restart) = self.parse_from(base, &mut cur_doc)? {
            base = restart;
        }
        self.reject_expr_doc(cur_doc)
    }

    /// One grammar pass over the text from `base`.  Returns where to start
    /// another when a documentation block turned out to end early.
    fn parse_from(
        &mut self,
        base: usize,
        cur_doc: &mut Option<usize>,
    ) -> Result<Option<usize>, Diagnostic> {
        self.base = base;
        let text = self.text.clone();
        let pairs = match Grammar::parse(Rule::file, &text[base..]) {
            Ok(pairs) => pairs,
            // The grammar accepts any input; this is only a safety net
            // (pest also stops on nesting too deep for the stack).
            Err(e) => {
                let offset = match e.location {
                    pest::error::InputLocation::Pos(p) => p,
                    pest::error::InputLocation::Span((p, _)) => p,
                };
                return Err(
                    self.syntax_error((base + offset).min(self.eof_offset()), "nesting too deep")
                );
            }
        };
        let items: Vec<Pair<Rule>> = pairs
            .filter(|p| !matches!(p.as_rule(), Rule::EOI | Rule::plain_comment))
            .collect();
        for (i, item) in items.iter().enumerate() {
            let next = items.get(i + 1).map_or(Next::Eof, Next::Item);
            match item.as_rule() {
                Rule::doc_block => {
                    self.reject_expr_doc(*cur_doc)?;
                    let block = self.doc_lines(self.start(item), item.as_str());
                    let (next_offset, next_error) = match block.early_end {
                        Some(at) => (
                            at,
                            diagnose::first_token_error(self.ctx, self.file, &text, at),
                        ),
                        None => (self.next_offset(next), self.next_token_error(next)),
                    };
                    let parsed = doc::parse_block(
                        self.ctx,
                        self.file,
                        &block.lines,
                        next_offset as u32,
                        next_error,
                    )?;
                    self.out.docs.push(parsed);
                    *cur_doc = Some(self.out.docs.len() - 1);
                    if let Some(at) = block.early_end {
                        return Ok(Some(at));
                    }
                }
                Rule::rest => {
                    return Err(diagnose::broken_item(
                        self.ctx,
                        self.file,
                        &text,
                        self.start(item),
                    ));
                }
                _ => {
                    let loc = self.loc(self.start(item));
                    let value = self.value(item.clone(), 0)?;
                    if let Some(e) = self.next_token_error(next) {
                        return Err(e);
                    }
                    self.top_level(value, loc, cur_doc)?;
                    *cur_doc = None;
                }
            }
        }
        Ok(None)
    }

    /// Splits a documentation block token into its comment lines, the way
    /// QEMU's lexer reads them: white space between them is skipped; a
    /// comment starting with `##` closes the block; anything else ends it
    /// unclosed.
    fn doc_lines<'t>(&self, start: usize, token: &'t str) -> DocEnd<'t> {
        let mut lines = Vec::with_capacity(16);
        let mut pos = 0;
        let mut first = true;
        while pos < token.len() {
            let end =
                memchr::memchr(b'\n', &token.as_bytes()[pos..]).map_or(token.len(), |i| pos + i);
            let line = &token[pos..end];
            let content = line.trim_start_matches(is_python_space);
            let at = pos + (line.len() - content.len());
            let next = end + 1;
            if first {
                lines.push(((start + at) as u32, content));
                first = false;
            } else if content.is_empty() {
                // A blank line: skipped.
            } else if content.starts_with('#') {
                lines.push(((start + at) as u32, content));
                if content.starts_with("##") {
                    // The block is closed; text after this line belongs to
                    // what follows.
                    let early = (next < token.len()).then_some(start + next);
                    return DocEnd {
                        lines,
                        early_end: early,
                    };
                }
            } else {
                // No comment: the block ends unclosed right here.
                return DocEnd {
                    lines,
                    early_end: Some(start + at),
                };
            }
            pos = next;
        }
        DocEnd {
            lines,
            early_end: None,
        }
    }

    fn next_offset(&self, next: Next) -> usize {
        match next {
            Next::Item(p) => self.start(p),
            Next::Eof => self.eof_offset(),
        }
    }

    /// The error QEMU's lexer reports for the first token of `next`, if any.
    fn next_token_error(&self, next: Next) -> Option<Diagnostic> {
        let Next::Item(pair) = next else { return None };
        match pair.as_rule() {
            Rule::string => self.string(pair.clone()).err(),
            Rule::rest => {
                diagnose::first_token_error(self.ctx, self.file, &self.text, self.start(pair))
            }
            _ => None,
        }
    }

    fn reject_expr_doc(&self, doc: Option<usize>) -> Result<(), Diagnostic> {
        if let Some(d) = doc {
            let doc = &self.out.docs[d];
            if let Some(symbol) = &doc.symbol {
                return Err(Diagnostic::error(
                    doc.loc,
                    format!("documentation for '{symbol}' is not followed by the definition"),
                ));
            }
        }
        Ok(())
    }

    /// Acts on a complete top-level expression.
    fn top_level(
        &mut self,
        value: Value,
        loc: Loc,
        cur_doc: &mut Option<usize>,
    ) -> Result<(), Diagnostic> {
        let Value::Object(obj) = value else {
            return Err(
                Diagnostic::error(loc, "top-level expression must be an object")
                    .with_span(value.span()),
            );
        };
        if let Some((_, include)) = obj.entry("include") {
            self.reject_expr_doc(cur_doc.take())?;
            if obj.len() != 1 {
                return Err(
                    Diagnostic::error(loc, "invalid 'include' directive").with_span(obj.span)
                );
            }
            let Value::Str(include) = include else {
                return Err(
                    Diagnostic::error(loc, "value of 'include' must be a string")
                        .with_span(include.span()),
                );
            };
            self.include(include, loc)
        } else if let Some((_, pragma)) = obj.entry("pragma") {
            self.reject_expr_doc(cur_doc.take())?;
            if obj.len() != 1 {
                return Err(
                    Diagnostic::error(loc, "invalid 'pragma' directive").with_span(obj.span)
                );
            }
            let Value::Object(pragma) = pragma else {
                return Err(
                    Diagnostic::error(loc, "value of 'pragma' must be an object")
                        .with_span(pragma.span()),
                );
            };
            for (name, value) in &pragma.members {
                self.pragma(name, value, loc)?;
            }
            Ok(())
        } else {
            if let Some(d) = *cur_doc {
                let doc = &self.out.docs[d];
                if doc.symbol.is_none() {
                    return Err(Diagnostic::error(
                        doc.loc,
                        "definition documentation required",
                    ));
                }
            }
            self.out.exprs.push(Expression {
                kind: ExprKind::Definition(obj),
                loc,
                doc: cur_doc.take(),
            });
            Ok(())
        }
    }

    fn include(&mut self, include: &Str, loc: Loc) -> Result<(), Diagnostic> {
        let dir = self
            .ctx
            .sources
            .path(self.file)
            .parent()
            .unwrap_or(Path::new(""));
        let path = dir.join(&include.text);
        self.out.exprs.push(Expression {
            kind: ExprKind::Include(path.clone()),
            loc,
            doc: None,
        });
        let abs = absolute(&path);
        // An inclusion loop: the file is this one or one that includes it.
        let mut file = Some(self.file);
        while let Some(f) = file {
            if absolute(self.ctx.sources.path(f)) == abs {
                return Err(
                    Diagnostic::error(loc, format!("inclusion loop for {}", include.text))
                        .with_span(include.span),
                );
            }
            file = self.ctx.sources.file(f).included_from.map(|l| l.file);
        }
        if !self.included.insert(abs) {
            return Ok(());
        }
        let text = std::fs::read_to_string(&path).map_err(|e| {
            Diagnostic::error(
                loc,
                format!(
                    "can't read include file '{}': {}",
                    path.display(),
                    strerror(&e)
                ),
            )
            .with_span(include.span)
        })?;
        let id = self.ctx.sources.add(SourceFile::new(path, text, Some(loc)));
        FileParser::new(self.ctx, self.out, self.included, id).parse()
    }

    fn pragma(&mut self, name: &Str, value: &Value, loc: Loc) -> Result<(), Diagnostic> {
        let list = |what: &str| -> Result<Vec<String>, Diagnostic> {
            match value.as_list() {
                Some(items) if items.iter().all(|v| v.as_str().is_some()) => Ok(items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()),
                _ => Err(Diagnostic::error(
                    loc,
                    format!("pragma {what} must be a list of strings"),
                )
                .with_span(value.span())),
            }
        };
        let strict = self.ctx.strict();
        let pragma = &mut self.out.pragma;
        match name.text.as_str() {
            "doc-required" => match value {
                Value::Bool(b, _) => pragma.doc_required = *b,
                _ => {
                    return Err(
                        Diagnostic::error(loc, "pragma 'doc-required' must be boolean")
                            .with_span(value.span()),
                    );
                }
            },
            "command-name-exceptions" => pragma.command_name_exceptions = list(&name.text)?,
            "command-returns-exceptions" => pragma.command_returns_exceptions = list(&name.text)?,
            "documentation-exceptions" => pragma.documentation_exceptions = list(&name.text)?,
            "member-name-exceptions" => pragma.member_name_exceptions = list(&name.text)?,
            // QEMU 5.2's names for two of them.
            "returns-whitelist" if !strict => pragma.command_returns_exceptions = list(&name.text)?,
            "name-case-whitelist" if !strict => pragma.member_name_exceptions = list(&name.text)?,
            other => {
                return Err(Diagnostic::error(loc, format!("unknown pragma '{other}'"))
                    .with_span(name.span));
            }
        }
        Ok(())
    }

    /// Converts a value, checking its strings and keys in QEMU's order.
    fn value(&self, pair: Pair<Rule>, depth: usize) -> Result<Value, Diagnostic> {
        let sp = self.pair_span(&pair);
        if depth > MAX_NESTING && matches!(pair.as_rule(), Rule::array | Rule::object) {
            return Err(self.syntax_error(sp.start as usize, "nesting too deep"));
        }
        match pair.as_rule() {
            Rule::string => Ok(Value::Str(self.string(pair)?)),
            Rule::boolean => Ok(Value::Bool(pair.as_str() == "true", sp)),
            Rule::array => {
                let items = values(pair)
                    .map(|p| self.value(p, depth + 1))
                    .collect::<Result<_, _>>()?;
                Ok(Value::List(items, sp))
            }
            Rule::object => {
                let mut members: Vec<(Str, Value)> = Vec::new();
                for member in values(pair) {
                    let mut parts = values(member);
                    let (Some(key), Some(value)) = (parts.next(), parts.next()) else {
                        unreachable!("the grammar makes a member of a key and a value")
                    };
                    let key = self.string(key)?;
                    // QEMU reads the value's first token before looking for
                    // a duplicate key, and reports duplicates there.
                    let value_start = self.start(&value);
                    let first_token = match value.as_rule() {
                        Rule::string => Some(Value::Str(self.string(value.clone())?)),
                        _ => None,
                    };
                    if members.iter().any(|(k, _)| k.text == key.text) {
                        return Err(
                            self.syntax_error(value_start, format!("duplicate key '{}'", key.text))
                        );
                    }
                    let value = match first_token {
                        Some(v) => v,
                        None => self.value(value, depth + 1)?,
                    };
                    members.push((key, value));
                }
                Ok(Value::Object(Object { members, span: sp }))
            }
            rule => unreachable!("not a value: {rule:?}"),
        }
    }

    /// Checks and unescapes a string token.
    fn string(&self, pair: Pair<Rule>) -> Result<Str, Diagnostic> {
        let span = self.pair_span(&pair);
        match check_string(pair.as_str()) {
            Ok(text) => Ok(Str { text, span }),
            Err(message) => Err(self.syntax_error(span.start as usize, message)),
        }
    }
}

/// How deeply values may nest.  QEMU's real schemas nest a handful of
/// levels; QEMU's own parser gives up (with a Python recursion error)
/// after a few hundred.
pub(crate) const MAX_NESTING: usize = 256;

/// Python's `str.isspace()` for one character: what QEMU skips between
/// tokens.
pub(crate) fn is_python_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1C}'..='\u{1F}').contains(&c)
}

/// The children of an object, member or array, without comments.
fn values(pair: Pair<Rule>) -> impl Iterator<Item = Pair<Rule>> {
    pair.into_inner()
        .filter(|p| p.as_rule() != Rule::plain_comment)
}

/// QEMU's checks on a string token (opening quote included), in QEMU's
/// order, and the string with its escapes resolved.
pub(crate) fn check_string(token: &str) -> Result<String, String> {
    let mut out = String::with_capacity(token.len());
    let mut chars = token[1..].chars();
    while let Some(ch) = chars.next() {
        let ch = match ch {
            '\\' => match chars.next() {
                Some('\\') => '\\',
                Some(other) => return Err(format!("unknown escape \\{other}")),
                // A backslash ending the line.
                None => break,
            },
            '\'' => return Ok(out),
            ch => ch,
        };
        if (ch as u32) < 32 || (ch as u32) >= 127 {
            return Err("funny character in string".to_string());
        }
        out.push(ch);
    }
    Err("missing terminating \"'\"".to_string())
}
