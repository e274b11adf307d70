//! Reading schema files: items, include and pragma directives, and
//! documentation blocks, with QEMU's diagnostics in QEMU's order.
//!
//! Each file's items are found one after the other by a scanner (`scan`,
//! linear, allocating nothing) and converted in source order, doing what
//! QEMU's parser does as it meets them: resolving escapes, rejecting
//! duplicate keys and parsing documentation.  An item that does not parse
//! is diagnosed token by token with the pest grammar's token rules
//! (`diagnose`), so that the first error reported is the one QEMU reports,
//! with its message and column.  Included files are read as the files
//! naming them are parsed; the `Assembler` then walks all files in QEMU's
//! order, applying include and pragma directives.
//!
//! A definition's value is only checked as its file is read (every error
//! QEMU's parser reports, in its order, without building the value): what
//! is kept of it is where it stands (`Entry`), and it is read again when
//! the checker comes to it.  So the values of a schema's definitions never
//! exist all at once, which for a large schema would take several times the
//! size of its text.

mod diagnose;
mod scan;
mod value;

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

pub use value::{Object, Str, Value};

use crate::diag::Diagnostic;
use crate::doc::{self, Doc};
use crate::source::{FileId, Loc, SourceFile, SourceMap, Span, absolute, include_path};
use crate::{Ctx, FileCtx};
use scan::Scanned;

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
    /// A definition, to be checked by the checker (`crate::expr`).
    Definition(Object),
}

/// One top-level expression.
#[derive(Clone, Debug)]
pub struct Expression {
    /// What it is.
    pub kind: ExprKind,
    /// The line of its opening brace.
    pub loc: Loc,
    /// The documentation block right before it, as an index into the
    /// schema's documentation blocks ([`crate::Schema::docs`]).
    pub doc: Option<usize>,
}

/// A top-level expression as reading a schema keeps it: a definition only
/// by where its value stands, to be converted again ([`Entry::read`]) when
/// it is checked.  The values of all definitions of a large schema, held at
/// once, would take several times the size of its text.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    kind: EntryKind,
    /// The line of its opening brace.
    loc: Loc,
    /// As [`Expression::doc`].
    doc: Option<u32>,
}

#[derive(Clone, Debug)]
enum EntryKind {
    /// As [`ExprKind::Include`].
    Include(PathBuf),
    /// A definition: the span of its object, which was read without error.
    Definition(Span),
}

impl Entry {
    /// Where a definition starts; `None` for an include directive.
    pub(crate) fn definition_loc(&self) -> Option<Loc> {
        match self.kind {
            EntryKind::Definition(_) => Some(self.loc),
            EntryKind::Include(_) => None,
        }
    }

    /// The expression, its value read again from `sources`.
    pub(crate) fn read(
        self,
        mode: crate::Mode,
        sources: &SourceMap,
        scratch: &mut Scratch,
    ) -> Result<Expression, Diagnostic> {
        let kind = match self.kind {
            EntryKind::Include(path) => ExprKind::Include(path),
            EntryKind::Definition(span) => {
                let src = sources.file(span.file);
                let mut parser = FileParser::new(mode, span.file, src);
                parser.open_members = RefCell::new(std::mem::take(&mut scratch.members));
                parser.open_items = RefCell::new(std::mem::take(&mut scratch.items));
                let value = parser.value(span.start as usize, 0);
                // (Emptied again, unless reading failed.)
                scratch.members = parser.open_members.into_inner();
                scratch.items = parser.open_items.into_inner();
                match value? {
                    (Value::Object(obj), _) => ExprKind::Definition(obj),
                    _ => {
                        return Err(Diagnostic::error(
                            self.loc,
                            "internal error: a definition is no longer an object",
                        ));
                    }
                }
            }
        };
        Ok(Expression {
            kind,
            loc: self.loc,
            doc: self.doc.map(|d| d as usize),
        })
    }
}

/// The result of reading a schema and everything it includes.
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    /// Every expression of every file, included files' expressions right
    /// after the include directive that read them.
    pub exprs: Vec<Entry>,
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
///
/// Files are parsed as they are found: each file's parse is independent
/// ([`FileOutput`]).  The results are then walked in QEMU's
/// order, depth first from the root ([`Assembler`]), which applies the
/// include and pragma directives and reports the first error QEMU would.
pub(crate) fn parse_root(ctx: &mut Ctx, root: FileId) -> Result<Parsed, Diagnostic> {
    let (outputs, ids) = parse_files(ctx, root);
    let mut asm = Assembler {
        ctx,
        outputs,
        ids,
        parsed: Parsed::default(),
        included: HashSet::new(),
        walking: HashSet::new(),
    };
    asm.included.insert(absolute(asm.ctx.sources.path(root)));
    asm.walk(root)?;
    Ok(asm.parsed)
}

/// Parses `root` and every file it includes, directly or not, in the order
/// they are found: included files are read (and added to `ctx.sources`) as
/// the file including them is parsed.  The outputs are indexed by file id;
/// the map gives the file read for each absolute path.
///
/// (Files were once parsed on worker threads.  A check of QEMU's schema
/// used 0.99 CPUs with them, paying for their start and hand-offs; with
/// the system allocator, the values they made filled memory the main
/// thread did not reuse once it freed them: a 5.6 MB schema peaked at
/// 91 MB with them, 73 MB without.)
fn parse_files(ctx: &mut Ctx, root: FileId) -> (Vec<Option<FileOutput>>, HashMap<PathBuf, FileId>) {
    let mut outputs: Vec<Option<FileOutput>> = Vec::new();
    let mut known: HashMap<PathBuf, FileId> = HashMap::new();
    known.insert(absolute(ctx.sources.path(root)), root);
    let mut pending = vec![root];
    let mut next = 0;
    while let Some(&id) = pending.get(next) {
        next += 1;
        let src = ctx.sources.shared(id);
        let mut out = FileParser::new(ctx.mode, id, &src).parse();
        drop(src);
        for item in &mut out.items {
            let Item::Include(inc) = item else { continue };
            if known.contains_key(&inc.abs) {
                continue;
            }
            match std::fs::read_to_string(&inc.path) {
                Ok(text) => {
                    let file = SourceFile::new(inc.path.clone(), text, Some(inc.loc));
                    let new = ctx.sources.add(file);
                    known.insert(inc.abs.clone(), new);
                    pending.push(new);
                }
                Err(e) => inc.unreadable = Some(strerror(&e)),
            }
        }
        if outputs.len() <= id.index() {
            outputs.resize_with(id.index() + 1, || None);
        }
        outputs[id.index()] = Some(out);
    }
    (outputs, known)
}

/// What parsing one file gives, independently of the other files: its
/// items in source order, up to the first error, which ends it.
struct FileOutput {
    items: Vec<Item>,
    end: Result<(), Diagnostic>,
}

/// One thing a file holds, in source order.  (The larger ones are boxed:
/// a file holds mostly definitions.)
enum Item {
    /// A warning found while parsing what follows.
    Warning(Box<Diagnostic>),
    /// A documentation block.
    Doc(Box<Doc>),
    /// A definition; its `doc` is a position among the file's own
    /// documentation blocks.
    Definition(Entry),
    Include(Box<Include>),
    Pragma(Box<PragmaItem>),
}

/// One member of a pragma directive.
struct PragmaItem {
    name: Str,
    value: Value,
    loc: Loc,
}

/// An include directive.
struct Include {
    /// Its value, for messages.
    include: Str,
    loc: Loc,
    /// The file to read (spelled from the name the including file was
    /// found by), and its absolute path.
    path: PathBuf,
    abs: PathBuf,
    /// Why the file cannot be read, when it cannot.
    unreadable: Option<String>,
}

/// Walks the parsed files in QEMU's order: each included file's items
/// right where the directive stands, the first time it is included.
struct Assembler<'c> {
    ctx: &'c mut Ctx,
    outputs: Vec<Option<FileOutput>>,
    /// The file read for each absolute path.
    ids: HashMap<PathBuf, FileId>,
    parsed: Parsed,
    included: HashSet<PathBuf>,
    /// The absolute paths of the file being walked and of the files
    /// including it: an include of one of them is a loop.
    walking: HashSet<PathBuf>,
}

/// A file being walked: its remaining items.
struct Walk {
    id: FileId,
    /// Its absolute path, in [`Assembler::walking`].
    path: PathBuf,
    items: std::vec::IntoIter<Item>,
    /// How parsing it ended.
    end: Result<(), Diagnostic>,
    /// Its documentation blocks so far, by their position in the file.
    docs: Vec<u32>,
}

impl Assembler<'_> {
    /// Walks `root` and, at each include directive, the file it includes.
    /// (With a stack of its own: a chain of includes, however long, does
    /// not exhaust the call stack.)
    fn walk(&mut self, root: FileId) -> Result<(), Diagnostic> {
        let mut stack = vec![self.enter(root)?];
        while let Some(top) = stack.last_mut() {
            let Some(item) = top.items.next() else {
                if let Some(done) = stack.pop() {
                    self.walking.remove(&done.path);
                    done.end?;
                }
                continue;
            };
            match item {
                Item::Warning(w) => self.ctx.warnings.push(*w),
                Item::Doc(doc) => {
                    top.docs.push(self.parsed.docs.len() as u32);
                    self.parsed.docs.push(*doc);
                }
                Item::Definition(mut e) => {
                    e.doc = e.doc.and_then(|d| top.docs.get(d as usize).copied());
                    self.parsed.exprs.push(e);
                }
                Item::Include(inc) => {
                    let from = top.id;
                    if let Some(id) = self.include(from, *inc)? {
                        stack.push(self.enter(id)?);
                    }
                }
                Item::Pragma(p) => pragma(
                    self.ctx.strict(),
                    &mut self.parsed.pragma,
                    &p.name,
                    &p.value,
                    p.loc,
                )?,
            }
        }
        Ok(())
    }

    /// Starts walking file `id`.
    fn enter(&mut self, id: FileId) -> Result<Walk, Diagnostic> {
        let Some(out) = self.outputs.get_mut(id.index()).and_then(Option::take) else {
            return Err(Diagnostic::global(format!(
                "internal error: '{}' was not parsed",
                self.ctx.sources.path(id).display()
            )));
        };
        let path = absolute(self.ctx.sources.path(id));
        self.walking.insert(path.clone());
        let count = |f: fn(&Item) -> bool| out.items.iter().filter(|i| f(i)).count();
        self.parsed
            .docs
            .reserve(count(|i| matches!(i, Item::Doc(_))));
        self.parsed.exprs.reserve(count(|i| {
            matches!(i, Item::Definition(_) | Item::Include(_))
        }));
        Ok(Walk {
            id,
            path,
            items: out.items.into_iter(),
            end: out.end,
            docs: Vec::new(),
        })
    }

    /// Applies an include directive of file `from`: the file to walk next,
    /// unless it was walked before.
    fn include(&mut self, from: FileId, inc: Include) -> Result<Option<FileId>, Diagnostic> {
        // Spelled from the including file's name as QEMU's order gave it
        // (the same file may have been found first by another name).
        let path = include_path(self.ctx.sources.path(from), &inc.include.text);
        self.parsed.exprs.push(Entry {
            kind: EntryKind::Include(path.clone()),
            loc: inc.loc,
            doc: None,
        });
        // An inclusion loop: the file is this one or one that includes it.
        if self.walking.contains(&inc.abs) {
            return Err(Diagnostic::error(
                inc.loc,
                format!("inclusion loop for {}", inc.include.text),
            )
            .with_span(inc.include.span));
        }
        if !self.included.insert(inc.abs.clone()) {
            return Ok(None);
        }
        if let Some(why) = &inc.unreadable {
            return Err(Diagnostic::error(
                inc.loc,
                format!("can't read include file '{}': {why}", path.display()),
            )
            .with_span(inc.include.span));
        }
        let Some(&id) = self.ids.get(&inc.abs) else {
            return Err(Diagnostic::error(
                inc.loc,
                format!("internal error: '{}' was not read", path.display()),
            ));
        };
        // Named and placed as by its first inclusion in QEMU's order.
        let src = self.ctx.sources.file_mut(id);
        src.included_from = Some(inc.loc);
        src.path = path;
        Ok(Some(id))
    }
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

/// Parses one file into its items, without reading other files.
struct FileParser<'s> {
    fcx: FileCtx<'s>,
    items: Vec<Item>,
    /// The symbol and line of the file's documentation blocks so far
    /// (`cur_doc` indexes them).
    docs: Vec<(Option<String>, Loc)>,
    text: &'s str,
    /// The members of the objects being read, innermost last: each object
    /// takes its own off the end, so that its list is allocated at its
    /// size (a list grown on its own has room for four members at least,
    /// where most objects of a schema have one to three).
    open_members: RefCell<Vec<(Str, Value)>>,
    /// The same for the items of the lists being read.
    open_items: RefCell<Vec<Value>>,
    /// The keys of the objects being checked by [`FileParser::skim`],
    /// innermost last.
    open_keys: RefCell<Vec<&'s str>>,
}

/// The lists [`FileParser`] reads values with, kept from one
/// [`Entry::read`] to the next, so that they need not grow again for each.
#[derive(Default)]
pub(crate) struct Scratch {
    members: Vec<(Str, Value)>,
    items: Vec<Value>,
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

impl<'s> FileParser<'s> {
    fn new(mode: crate::Mode, id: FileId, src: &'s SourceFile) -> Self {
        FileParser {
            fcx: FileCtx {
                mode,
                id,
                src,
                warnings: Vec::new(),
            },
            items: Vec::new(),
            docs: Vec::new(),
            text: &src.text,
            open_members: RefCell::new(Vec::new()),
            open_items: RefCell::new(Vec::new()),
            open_keys: RefCell::new(Vec::new()),
        }
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span {
            file: self.fcx.id,
            start: start as u32,
            end: end as u32,
        }
    }

    fn loc(&self, offset: usize) -> Loc {
        Loc {
            file: self.fcx.id,
            line: self.fcx.src.line_of(offset as u32),
        }
    }

    /// A syntax error at byte `offset`, with QEMU's column.
    fn syntax_error(&self, offset: usize, message: impl Into<String>) -> Diagnostic {
        let file = self.fcx.src;
        Diagnostic::error(self.loc(offset), message)
            .with_col(file.column_of(offset as u32))
            .with_span(self.span(offset, offset + 1))
    }

    /// Where end of input is, for errors: QEMU reports it at the final
    /// newline.
    fn eof_offset(&self) -> usize {
        self.text.len() - 1
    }

    fn parse(mut self) -> FileOutput {
        let mut cur_doc: Option<usize> = None;
        let end = self
            .parse_items(&mut cur_doc)
            .and_then(|()| self.reject_expr_doc(cur_doc));
        self.flush_warnings();
        FileOutput {
            items: self.items,
            end,
        }
    }

    /// Moves the warnings found so far into the items, before what comes
    /// next.
    fn flush_warnings(&mut self) {
        self.items.extend(
            self.fcx
                .warnings
                .drain(..)
                .map(|w| Item::Warning(Box::new(w))),
        );
    }

    /// Reads the file's items in order, each with the one after it in
    /// view (QEMU reads the next token before acting on an item).
    fn parse_items(&mut self, cur_doc: &mut Option<usize>) -> Result<(), Diagnostic> {
        let text = self.text;
        let mut item = scan::next_item(text, 0);
        loop {
            match item {
                Scanned::Eof => return Ok(()),
                Scanned::Rest { start } => {
                    return Err(diagnose::broken_item(&self.fcx, text, start));
                }
                Scanned::Doc { start, end } => {
                    self.reject_expr_doc(*cur_doc)?;
                    let block = self.doc_lines(start, &text[start..end]);
                    // Where the block really ends: reading goes on there.
                    let next = match block.early_end {
                        Some(at) => scan::next_item(text, at),
                        None => scan::next_item(text, end),
                    };
                    let (next_offset, next_error) = match block.early_end {
                        Some(at) => (at, diagnose::first_token_error(&self.fcx, text, at)),
                        None => (self.next_offset(next), self.next_token_error(next)),
                    };
                    let parsed = doc::parse_block(
                        &mut self.fcx,
                        &block.lines,
                        next_offset as u32,
                        next_error,
                    );
                    self.flush_warnings();
                    let parsed = parsed?;
                    self.docs.push((parsed.symbol.clone(), parsed.loc));
                    self.items.push(Item::Doc(Box::new(parsed)));
                    *cur_doc = Some(self.docs.len() - 1);
                    item = next;
                }
                Scanned::Value { start, end } => {
                    let loc = self.loc(start);
                    // A definition is only checked here, and read when it
                    // is checked ([`Entry::read`]); anything else is read
                    // now.
                    let (_, directive) = self.skim(start, 0)?;
                    let next = scan::next_item(text, end);
                    if let Some(e) = self.next_token_error(next) {
                        return Err(e);
                    }
                    if text.as_bytes()[start] == b'{' && !directive {
                        self.definition(self.span(start, end), loc, cur_doc)?;
                    } else {
                        let (value, _) = self.value(start, 0)?;
                        self.top_level(value, loc, cur_doc)?;
                    }
                    *cur_doc = None;
                    item = next;
                }
            }
        }
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

    fn next_offset(&self, next: Scanned) -> usize {
        match next {
            Scanned::Doc { start, .. } | Scanned::Value { start, .. } | Scanned::Rest { start } => {
                start
            }
            Scanned::Eof => self.eof_offset(),
        }
    }

    /// The error QEMU's lexer reports for the first token of `next`, if any.
    fn next_token_error(&self, next: Scanned) -> Option<Diagnostic> {
        match next {
            Scanned::Value { start, end } if self.text.as_bytes()[start] == b'\'' => {
                self.string(start, end).err()
            }
            Scanned::Rest { start } => diagnose::first_token_error(&self.fcx, self.text, start),
            _ => None,
        }
    }

    fn reject_expr_doc(&self, doc: Option<usize>) -> Result<(), Diagnostic> {
        if let Some(d) = doc {
            let (symbol, loc) = &self.docs[d];
            if let Some(symbol) = symbol {
                return Err(Diagnostic::error(
                    *loc,
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
            let path = include_path(&self.fcx.src.path, &include.text);
            self.items.push(Item::Include(Box::new(Include {
                include: include.clone(),
                loc,
                abs: absolute(&path),
                path,
                unreadable: None,
            })));
            Ok(())
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
                self.items.push(Item::Pragma(Box::new(PragmaItem {
                    name: name.clone(),
                    value: value.clone(),
                    loc,
                })));
            }
            Ok(())
        } else {
            self.definition(obj.span, loc, cur_doc)
        }
    }

    /// Acts on a definition: the object at `span`, which has no `include`
    /// or `pragma` key.  Only where it stands is kept: it is read again
    /// when checked.
    fn definition(
        &mut self,
        span: Span,
        loc: Loc,
        cur_doc: &mut Option<usize>,
    ) -> Result<(), Diagnostic> {
        if let Some(d) = *cur_doc {
            let (symbol, doc_loc) = &self.docs[d];
            if symbol.is_none() {
                return Err(Diagnostic::error(
                    *doc_loc,
                    "definition documentation required",
                ));
            }
        }
        self.items.push(Item::Definition(Entry {
            kind: EntryKind::Definition(span),
            loc,
            doc: cur_doc.take().map(|d| d as u32),
        }));
        Ok(())
    }

    /// The first byte of the value starting at `start`, `depth` levels
    /// down: an error if it opens one level too many.
    #[inline]
    fn opening(&self, start: usize, depth: usize) -> Result<u8, Diagnostic> {
        let open = self.text.as_bytes()[start];
        if depth > MAX_NESTING && matches!(open, b'[' | b'{') {
            return Err(self.syntax_error(start, "nesting too deep"));
        }
        Ok(open)
    }

    /// Checks the value starting at `start` exactly as [`FileParser::value`]
    /// does, with the same first error, without building it.  Returns
    /// where it ends, and whether it is an object with an `include` or
    /// `pragma` key (a directive).
    ///
    /// Keys are compared as written: an escape (`\\`) has one spelling, so
    /// two valid string tokens are equal exactly when their texts are.
    fn skim(&self, start: usize, depth: usize) -> Result<(usize, bool), Diagnostic> {
        let text = self.text;
        let bytes = text.as_bytes();
        match self.opening(start, depth)? {
            b'\'' => Ok((self.skim_string(start)?, false)),
            b'[' => {
                let mut pos = scan::skip_gap(text, start + 1);
                while bytes[pos] != b']' {
                    let (end, _) = self.skim(pos, depth + 1)?;
                    pos = scan::past_separator(text, end);
                }
                Ok((pos + 1, false))
            }
            b'{' => {
                let mut keys = RawKeys::new(&self.open_keys);
                let mut directive = false;
                let mut pos = scan::skip_gap(text, start + 1);
                while bytes[pos] != b'}' {
                    let key_end = self.skim_string(pos)?;
                    let key = &text[pos..key_end];
                    directive |= key == "'include'" || key == "'pragma'";
                    // Past the colon.
                    let value_start = scan::skip_gap(text, scan::skip_gap(text, key_end) + 1);
                    // As in `value`: the value's first token comes before
                    // a duplicate key.
                    let string_end = match bytes[value_start] {
                        b'\'' => Some(self.skim_string(value_start)?),
                        _ => None,
                    };
                    if keys.contains(key) {
                        let key = self.string(pos, key_end)?;
                        return Err(
                            self.syntax_error(value_start, format!("duplicate key '{}'", key.text))
                        );
                    }
                    let end = match string_end {
                        Some(end) => end,
                        None => self.skim(value_start, depth + 1)?.0,
                    };
                    keys.insert(key);
                    pos = scan::past_separator(text, end);
                }
                Ok((pos + 1, directive))
            }
            _ => Ok((start + scan::boolean_len(bytes, start).unwrap_or(0), false)),
        }
    }

    /// Checks the string token starting at `start` as [`Self::string`]
    /// does.  Returns where it ends.
    fn skim_string(&self, start: usize) -> Result<usize, Diagnostic> {
        // The common case ends at the first quote after the opening one.
        if let Some(len) = plain_string_len(&self.text[start..]) {
            return Ok(start + len + 2);
        }
        let end = scan::string_end(self.text.as_bytes(), start);
        match check_string(&self.text[start..end]) {
            Ok(_) => Ok(end),
            Err(message) => Err(self.syntax_error(start, message)),
        }
    }

    /// Converts the value starting at `start`, which [`scan::value_end`]
    /// found complete, checking its strings and keys in QEMU's order.
    /// Returns it and where it ends.
    fn value(&self, start: usize, depth: usize) -> Result<(Value, usize), Diagnostic> {
        let text = self.text;
        let bytes = text.as_bytes();
        match self.opening(start, depth)? {
            b'\'' => {
                let (s, end) = self.string_at(start)?;
                Ok((Value::Str(s), end))
            }
            b'[' => {
                let first = self.open_items.borrow().len();
                let mut pos = scan::skip_gap(text, start + 1);
                while bytes[pos] != b']' {
                    let (item, end) = self.value(pos, depth + 1)?;
                    self.open_items.borrow_mut().push(item);
                    pos = scan::past_separator(text, end);
                }
                let items = self.open_items.borrow_mut().drain(first..).collect();
                Ok((Value::List(items, self.span(start, pos + 1)), pos + 1))
            }
            b'{' => {
                let first = self.open_members.borrow().len();
                let mut keys = KeySet::default();
                let mut pos = scan::skip_gap(text, start + 1);
                while bytes[pos] != b'}' {
                    let (key, key_end) = self.string_at(pos)?;
                    // Past the colon.
                    let value_start = scan::skip_gap(text, scan::skip_gap(text, key_end) + 1);
                    // QEMU reads the value's first token before looking for
                    // a duplicate key, and reports duplicates there.
                    let first_token = match bytes[value_start] {
                        b'\'' => {
                            let (s, end) = self.string_at(value_start)?;
                            Some((Value::Str(s), end))
                        }
                        _ => None,
                    };
                    if keys.contains(&self.open_members.borrow()[first..], &key.text) {
                        return Err(
                            self.syntax_error(value_start, format!("duplicate key '{}'", key.text))
                        );
                    }
                    let (value, end) = match first_token {
                        Some(v) => v,
                        None => self.value(value_start, depth + 1)?,
                    };
                    let mut open = self.open_members.borrow_mut();
                    keys.insert(&open[first..], &key.text);
                    open.push((key, value));
                    drop(open);
                    pos = scan::past_separator(text, end);
                }
                let members = self.open_members.borrow_mut().drain(first..).collect();
                let span = self.span(start, pos + 1);
                Ok((Value::Object(Object { members, span }), pos + 1))
            }
            _ => {
                let len = scan::boolean_len(bytes, start).unwrap_or(0);
                Ok((
                    Value::Bool(len == 4, self.span(start, start + len)),
                    start + len,
                ))
            }
        }
    }

    /// Checks and unescapes the string token starting at `start`.  Returns
    /// it and where it ends.
    fn string_at(&self, start: usize) -> Result<(Str, usize), Diagnostic> {
        // The common case ends at the first quote after the opening one.
        if let Some(len) = plain_string_len(&self.text[start..]) {
            let end = start + len + 2;
            let text = self.text[start + 1..end - 1].to_string();
            return Ok((
                Str {
                    text,
                    span: self.span(start, end),
                },
                end,
            ));
        }
        let end = scan::string_end(self.text.as_bytes(), start);
        Ok((self.string(start, end)?, end))
    }

    /// Checks and unescapes the string token from `start` to `end`.
    fn string(&self, start: usize, end: usize) -> Result<Str, Diagnostic> {
        match check_string(&self.text[start..end]) {
            Ok(text) => Ok(Str {
                text,
                span: self.span(start, end),
            }),
            Err(message) => Err(self.syntax_error(start, message)),
        }
    }
}

/// The keys of an object being read, for finding duplicates: a linear
/// search while the object is small, a hash set once it is not.
#[derive(Default)]
struct KeySet {
    set: Option<HashSet<String>>,
}

impl KeySet {
    /// Objects with up to this many members are searched linearly.
    const LINEAR: usize = 16;

    fn contains(&self, members: &[(Str, Value)], key: &str) -> bool {
        match &self.set {
            Some(set) => set.contains(key),
            None => members.iter().any(|(k, _)| k.text == key),
        }
    }

    /// Records `key`, about to be added to `members`.
    fn insert(&mut self, members: &[(Str, Value)], key: &str) {
        match &mut self.set {
            Some(set) => {
                set.insert(key.to_string());
            }
            None if members.len() >= Self::LINEAR => {
                let mut set: HashSet<String> =
                    members.iter().map(|(k, _)| k.text.clone()).collect();
                set.insert(key.to_string());
                self.set = Some(set);
            }
            None => {}
        }
    }
}

/// The keys of an object being checked by [`FileParser::skim`], as
/// written, on the end of the parser's list of them: searched linearly
/// while the object is small, with a hash set once it is not.
struct RawKeys<'p, 's> {
    open: &'p RefCell<Vec<&'s str>>,
    /// Where the object's keys start in `open`.
    first: usize,
    set: Option<HashSet<&'s str>>,
}

impl<'p, 's> RawKeys<'p, 's> {
    fn new(open: &'p RefCell<Vec<&'s str>>) -> Self {
        let first = open.borrow().len();
        RawKeys {
            open,
            first,
            set: None,
        }
    }

    fn contains(&self, key: &str) -> bool {
        match &self.set {
            Some(set) => set.contains(key),
            None => self.open.borrow()[self.first..].contains(&key),
        }
    }

    fn insert(&mut self, key: &'s str) {
        let mut open = self.open.borrow_mut();
        match &mut self.set {
            Some(set) => {
                set.insert(key);
            }
            None if open.len() - self.first >= KeySet::LINEAR => {
                let mut set: HashSet<&str> = open[self.first..].iter().copied().collect();
                set.insert(key);
                self.set = Some(set);
            }
            None => open.push(key),
        }
    }
}

impl Drop for RawKeys<'_, '_> {
    /// Takes the object's keys off the list.
    fn drop(&mut self) {
        self.open.borrow_mut().truncate(self.first);
    }
}

/// Applies one pragma, or rejects it.
fn pragma(
    strict: bool,
    pragma: &mut Pragma,
    name: &Str,
    value: &Value,
    loc: Loc,
) -> Result<(), Diagnostic> {
    let list = |what: &str| -> Result<Vec<String>, Diagnostic> {
        match value.as_list() {
            Some(items) if items.iter().all(|v| v.as_str().is_some()) => Ok(items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()),
            _ => Err(
                Diagnostic::error(loc, format!("pragma {what} must be a list of strings"))
                    .with_span(value.span()),
            ),
        }
    };
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
            return Err(
                Diagnostic::error(loc, format!("unknown pragma '{other}'")).with_span(name.span)
            );
        }
    }
    Ok(())
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

/// The common case of a string token (at the start of `token`): printable
/// ASCII without escapes up to the closing quote, which needs no checks
/// character by character.  Returns the length of its text.
fn plain_string_len(token: &str) -> Option<usize> {
    // (A loop: strings are short, too short for a vectorized search.)
    for (len, &b) in token.as_bytes()[1..].iter().enumerate() {
        match b {
            b'\'' => return Some(len),
            b'\\' => return None,
            32..127 => {}
            _ => return None,
        }
    }
    None
}

/// QEMU's checks on a string token (opening quote included), in QEMU's
/// order, and the string with its escapes resolved.
pub(crate) fn check_string(token: &str) -> Result<String, String> {
    if let Some(len) = plain_string_len(token) {
        return Ok(token[1..1 + len].to_string());
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `skim` accepts what `value` accepts, and rejects the rest with the
    /// same error.
    #[test]
    fn skim_agrees_with_value() {
        let cases = [
            "{ 'a': 'b', 'c': [ 'd', true, { 'e': false } ] }",
            "{ 'a': 'b', 'a': 'c' }",
            "{ 'a': 'b', 'a': 'c\\x' }",
            "{ 'a\\\\': 'x', 'a\\\\': 'y' }",
            "{ 'a\\\\': 'x', 'a\\\\b': 'y' }",
            "[ 'x', 'caf\u{e9}' ]",
            "{ 'include': 'x' }",
            "{ 'k': { 'pragma': {} } }",
            "{ 'pragma': { 'doc-required': true } }",
            "'unterminated",
        ];
        let many: Vec<String> = (0..40).map(|i| format!("'k{}': 'v'", i % 30)).collect();
        let many = many.join(", ");
        let many = format!("{{ {many} }}");
        let deep = format!("{}{}", "[".repeat(300), "]".repeat(300));
        for text in cases.iter().copied().chain([&*many, &*deep]) {
            assert!(scan::value_end(text, 0).is_some(), "{text}");
            let src = SourceFile::new("t.json".into(), text.to_string(), None);
            let parser = FileParser::new(crate::Mode::Default, FileId(0), &src);
            let skimmed = parser.skim(0, 0);
            let read = parser.value(0, 0);
            match (skimmed, read) {
                (Ok((end, directive)), Ok((value, value_end))) => {
                    assert_eq!(end, value_end, "{text}");
                    let keys: Vec<&str> = value.as_object().map_or(vec![], |o| o.keys().collect());
                    assert_eq!(
                        directive,
                        keys.contains(&"include") || keys.contains(&"pragma"),
                        "{text}"
                    );
                }
                (Err(a), Err(b)) => assert_eq!(a, b, "{text}"),
                (a, b) => panic!("{text}: {a:?} against {:?}", b.map(|(_, end)| end)),
            }
        }
    }
}
