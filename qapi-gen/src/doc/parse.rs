//! Parsing documentation blocks: QEMU's `QAPIDoc` parser, line by line.
//!
//! QEMU 10.2's rules are followed exactly in strict mode.  In the default mode
//! the rules that are house style in today's QEMU (line length, sentence
//! spacing, indentation, the old `Note:` and `Example:` sections) give
//! warnings instead, so that the documentation of older schemas is read
//! without loss.

use std::collections::HashSet;

use super::{ArgSection, Doc, Section, SectionKind, SectionRef};
use crate::FileCtx;
use crate::diag::{Diagnostic, Lint};
use crate::source::{FileId, Loc, Span};

/// How the parser builds a block up, a line at a time.
/// What an `@name:` line describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Described {
    /// A member, argument or value, in the block's first part.
    Member,
    /// A feature, after the `Features:` line.
    Feature,
}

impl Doc {
    fn new(loc: Loc, symbol: Option<String>) -> Self {
        Doc {
            symbol,
            loc,
            body: Section {
                kind: SectionKind::Plain,
                text: String::new(),
                loc,
            },
            args: Vec::new(),
            features: Vec::new(),
            sections: Vec::new(),
            order: vec![SectionRef::Body],
        }
    }

    fn text_mut(&mut self, r: SectionRef) -> &mut String {
        match r {
            SectionRef::Body => &mut self.body.text,
            SectionRef::Arg(i) => &mut self.args[i].text,
            SectionRef::Feature(i) => &mut self.features[i].text,
            SectionRef::Other(i) => &mut self.sections[i].text,
        }
    }

    /// Whether the section being read has no text yet.
    fn last_text_is_empty(&mut self) -> bool {
        let last = *self.order.last().unwrap_or(&SectionRef::Body);
        self.text_mut(last).trim().is_empty()
    }

    fn append_line(&mut self, line: &str) {
        let last = *self.order.last().unwrap_or(&SectionRef::Body);
        let text = self.text_mut(last);
        text.push_str(line);
        text.push('\n');
    }

    fn ensure_untagged_section(&mut self, loc: Loc) {
        let last = *self.order.last().unwrap_or(&SectionRef::Body);
        let plain = match last {
            SectionRef::Body => Some(&mut self.body),
            SectionRef::Other(i) if self.sections[i].kind == SectionKind::Plain => {
                Some(&mut self.sections[i])
            }
            _ => None,
        };
        if let Some(section) = plain {
            if section.text.is_empty() {
                section.loc = loc;
            }
            section.text.push('\n');
            return;
        }
        self.sections.push(Section {
            kind: SectionKind::Plain,
            text: String::new(),
            loc,
        });
        self.order.push(SectionRef::Other(self.sections.len() - 1));
    }

    fn new_tagged_section(&mut self, loc: Loc, kind: SectionKind) -> Result<(), Diagnostic> {
        if matches!(
            kind,
            SectionKind::Returns | SectionKind::Errors | SectionKind::Since
        ) && self.section(kind).is_some()
        {
            return Err(Diagnostic::error(
                loc,
                format!("duplicated '{}' section", kind.title()),
            ));
        }
        self.sections.push(Section {
            kind,
            text: String::new(),
            loc,
        });
        self.order.push(SectionRef::Other(self.sections.len() - 1));
        Ok(())
    }

    /// A new description of a member or a feature; `described` holds the
    /// names described so far, for finding duplicates.
    fn new_description<'n>(
        &mut self,
        loc: Loc,
        name: &'n str,
        of: Described,
        described: &mut HashSet<(Described, &'n str)>,
    ) -> Result<(), Diagnostic> {
        if name.is_empty() {
            return Err(Diagnostic::error(loc, "invalid parameter name"));
        }
        if !described.insert((of, name)) {
            return Err(Diagnostic::error(
                loc,
                format!("'{name}' parameter name duplicated"),
            ));
        }
        let list = match of {
            Described::Member => &mut self.args,
            Described::Feature => &mut self.features,
        };
        list.push(ArgSection {
            name: name.to_string(),
            text: String::new(),
            loc,
            undocumented: false,
        });
        let i = list.len() - 1;
        self.order.push(match of {
            Described::Member => SectionRef::Arg(i),
            Described::Feature => SectionRef::Feature(i),
        });
        Ok(())
    }

    /// Trims the sections and requires text after tags.  Empty member
    /// descriptions are only reported in `warnings` unless `strict`.
    fn end(&mut self, strict: bool, warnings: &mut Vec<Diagnostic>) -> Result<(), Diagnostic> {
        // (Texts are kept for the schema's life: without the room they
        // grew by.)
        fn trim(text: &mut String) {
            let t = text.trim_matches('\n');
            if t.len() != text.len() {
                *text = t.to_string();
            } else {
                text.shrink_to_fit();
            }
        }
        trim(&mut self.body.text);
        self.args.shrink_to_fit();
        self.features.shrink_to_fit();
        self.sections.shrink_to_fit();
        self.order.shrink_to_fit();
        for a in &mut self.args {
            trim(&mut a.text);
        }
        for f in &mut self.features {
            trim(&mut f.text);
        }
        for s in &mut self.sections {
            trim(&mut s.text);
        }
        for r in self.order.clone() {
            let (title, loc, empty) = match r {
                SectionRef::Body => continue,
                SectionRef::Arg(i) => ("Member", self.args[i].loc, self.args[i].text.is_empty()),
                SectionRef::Feature(i) => (
                    "Feature",
                    self.features[i].loc,
                    self.features[i].text.is_empty(),
                ),
                SectionRef::Other(i) => {
                    let s = &self.sections[i];
                    if s.kind == SectionKind::Plain {
                        continue;
                    }
                    (s.kind.title(), s.loc, s.text.is_empty())
                }
            };
            if empty {
                let d = Diagnostic::error(loc, format!("text required after '{title}:'"));
                // Older schemas leave some descriptions empty.
                if strict || !matches!(r, SectionRef::Arg(_) | SectionRef::Feature(_)) {
                    return Err(d);
                }
                warnings.push(d);
            }
        }
        Ok(())
    }
}

/// `@name: ` at the start of a line: the name and where the text after it
/// starts.
fn at_name_colon(line: &str) -> Option<(&str, usize)> {
    let rest = line.strip_prefix('@')?;
    let colon = rest.find(':')?;
    let after = &rest[colon + 1..];
    let spaces = after.len() - after.trim_start_matches(' ').len();
    Some((&rest[..colon], 1 + colon + 1 + spaces))
}

/// The tag that starts a tagged section.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Tag {
    /// The section it starts.
    kind: SectionKind,
    /// The tag as written (`Note` or `Notes`), for messages.
    written: &'static str,
    /// Where the section's text starts on the line.
    text_at: usize,
}

/// A tagged section's tag at the start of a line.  `Tag::` is not a tag: it
/// is rST markup.
fn tagged_section(line: &str) -> Option<Tag> {
    const TAGS: [(&str, SectionKind); 8] = [
        ("Returns", SectionKind::Returns),
        ("Errors", SectionKind::Errors),
        ("Since", SectionKind::Since),
        ("Notes", SectionKind::Note),
        ("Note", SectionKind::Note),
        ("Examples", SectionKind::Example),
        ("Example", SectionKind::Example),
        ("TODO", SectionKind::Todo),
    ];
    TAGS.into_iter().find_map(|(written, kind)| {
        let rest = line.strip_prefix(written)?;
        if rest.starts_with("::") {
            return None;
        }
        let after = rest.strip_prefix(':')?;
        let spaces = after.len() - after.trim_start_matches(' ').len();
        Some(Tag {
            kind,
            written,
            text_at: written.len() + 1 + spaces,
        })
    })
}

fn leading_whitespace(line: &str) -> usize {
    line.chars().take_while(|c| c.is_whitespace()).count()
}

/// Parses one documentation block.
///
/// `lines` are the block's comment lines with their offsets: the opening
/// `##` line, the text lines and, if the block is closed, the closing line.
/// `next_offset` is where the token after the block starts (the end of input
/// counts as one), and `next_error` the error QEMU's lexer reports for it,
/// which QEMU reports as soon as it reads that token.
pub(crate) fn parse_block(
    ctx: &mut FileCtx,
    lines: &[(u32, &str)],
    next_offset: u32,
    next_error: Option<Diagnostic>,
) -> Result<Doc, Diagnostic> {
    let mut p = DocParser {
        file: ctx.id,
        ctx,
        lines,
        idx: 0,
        next_offset,
        next_error,
        literal_mode: false,
        literal_indent: 0,
        described: HashSet::new(),
    };
    p.get_doc()
}

struct DocParser<'a, 'f, 'l> {
    ctx: &'a mut FileCtx<'f>,
    file: FileId,
    lines: &'l [(u32, &'l str)],
    /// The current token: an index into `lines`, or `lines.len()` for the
    /// token after the block.
    idx: usize,
    next_offset: u32,
    next_error: Option<Diagnostic>,
    literal_mode: bool,
    literal_indent: usize,
    /// The member and feature names described so far.
    described: HashSet<(Described, &'l str)>,
}

type Line<'l> = Option<&'l str>;

impl<'l> DocParser<'_, '_, 'l> {
    fn offset(&self) -> u32 {
        self.lines.get(self.idx).map_or(self.next_offset, |l| l.0)
    }

    fn loc_at(&self, offset: u32) -> Loc {
        Loc {
            file: self.file,
            line: self.ctx.src.line_of(offset),
        }
    }

    /// The line of the current token.
    fn loc(&self) -> Loc {
        self.loc_at(self.offset())
    }

    /// A syntax error at the current token, with QEMU's column.
    fn error(&self, message: impl Into<String>) -> Diagnostic {
        self.error_at(self.offset(), message)
    }

    fn error_at(&self, offset: u32, message: impl Into<String>) -> Diagnostic {
        let col = self.ctx.src.column_of(offset);
        let len = self.lines.get(self.idx).map_or(1, |l| l.1.len() as u32);
        Diagnostic::error(self.loc_at(offset), message)
            .with_col(col)
            .with_span(Span {
                file: self.file,
                start: offset,
                end: offset + len,
            })
    }

    /// Moves to the next token.  Reading the token after the block may fail
    /// in QEMU's lexer, and does so here at the same moment.
    fn accept(&mut self) -> Result<(), Diagnostic> {
        self.idx += 1;
        if self.idx >= self.lines.len()
            && let Some(e) = self.next_error.take()
        {
            return Err(e);
        }
        Ok(())
    }

    /// The text of the current line; `None` at the closing `##`.
    fn get_doc_line(&mut self) -> Result<Line<'l>, Diagnostic> {
        let Some(&(offset, val)) = self.lines.get(self.idx) else {
            return Err(self.error("documentation comment must end with '##'"));
        };
        if val.starts_with("##") {
            if val != "##" {
                return Err(self.error("junk after '##' at end of documentation comment"));
            }
            self.literal_mode = false;
            return Ok(None);
        }
        if val == "#" {
            return Ok(Some(""));
        }
        if !val[1..].starts_with(' ') {
            return Err(self.error("missing space after #"));
        }
        let line = val[2..].trim_end();
        if is_literal_start(line) {
            self.literal_mode = true;
            self.literal_indent = 0;
        } else if self.literal_mode && !line.is_empty() {
            let indent = leading_whitespace(line);
            if self.literal_indent == 0 {
                self.literal_indent = indent;
            } else if indent < self.literal_indent {
                // rST directives stop at decreasing indentation.
                self.literal_mode = false;
            }
        }
        if !self.literal_mode {
            self.check_line_format(line, offset)?;
        }
        Ok(Some(line))
    }

    /// A house-style rule: an error in strict mode, a warning otherwise.
    fn style(&mut self, lint: Lint, d: Diagnostic) -> Result<(), Diagnostic> {
        self.ctx.style(lint, d)
    }

    fn check_line_format(&mut self, line: &str, offset: u32) -> Result<(), Diagnostic> {
        // (A line has at most as many characters as bytes.)
        if line.len() + 2 > 70 && line.chars().count() + 2 > 70 && !is_url_line(line) {
            let d = self.error_at(offset, "documentation line longer than 70 characters");
            self.style(Lint::DocLineLength, d)?;
        }
        if let Some(at) = single_space_sentence(line) {
            // QEMU computes the column as if the comment started the line;
            // the snippet marks the actual spot.
            let file = self.ctx.src;
            let source_line = file.line_text(file.line_of(offset));
            let line_start = file.line_start(file.line_of(offset));
            let byte = source_line
                .char_indices()
                .nth(2 + at + 1)
                .map_or(source_line.len(), |(i, _)| i);
            let col = file.column_of(line_start + byte as u32);
            let actual = offset + 2 + line.char_indices().nth(at).map_or(0, |(i, _)| i) as u32;
            let d = Diagnostic::error(
                self.loc_at(offset),
                "Use two spaces between sentences\nIf this not the end of a sentence, please report a bug.",
            )
            .with_col(col)
            .with_span(Span { file: self.file, start: actual, end: actual + 1 });
            self.style(Lint::DocSentenceSpacing, d)?;
        }
        Ok(())
    }

    fn get_doc(&mut self) -> Result<Doc, Diagnostic> {
        if self.lines[0].1 != "##" {
            return Err(self.error("junk after '##' at start of documentation comment"));
        }
        let info = self.loc();
        self.accept()?;
        let mut line = self.get_doc_line()?;
        let mut doc;
        if let Some(first) = line.filter(|l| l.starts_with('@')) {
            let Some(symbol) = first.strip_suffix(':') else {
                return Err(self.error("line should end with ':'"));
            };
            let symbol = &symbol[1..];
            if symbol.is_empty() {
                return Err(self.error("name required after '@'"));
            }
            doc = Doc::new(info, Some(symbol.to_string()));
            self.accept()?;
            line = self.get_doc_line()?;
            let mut no_more_args = false;
            while line.is_some() {
                while line == Some("") {
                    self.accept()?;
                    line = self.get_doc_line()?;
                }
                let Some(l) = line else { break };
                if l == "Features:" {
                    if !doc.features.is_empty() {
                        return Err(self.error("duplicated 'Features:' line"));
                    }
                    self.accept()?;
                    line = self.get_doc_line()?;
                    while line == Some("") {
                        self.accept()?;
                        line = self.get_doc_line()?;
                    }
                    while let Some((name, text_at)) = line.and_then(at_name_colon) {
                        let l = line.unwrap_or_default();
                        let name = self.description_name(name)?;
                        doc.new_description(
                            self.loc(),
                            name,
                            Described::Feature,
                            &mut self.described,
                        )?;
                        if text_at < l.len() {
                            doc.append_line(&l[text_at..]);
                        }
                        line = self.get_doc_indented(&mut doc)?;
                    }
                    if doc.features.is_empty() {
                        return Err(self.error("feature descriptions expected"));
                    }
                    no_more_args = true;
                } else if let Some((name, _)) = at_name_colon(l) {
                    if no_more_args {
                        return Err(
                            self.error(format!("description of '@{name}:' follows a section"))
                        );
                    }
                    while let Some((name, text_at)) = line.and_then(at_name_colon) {
                        let l = line.unwrap_or_default();
                        let name = self.description_name(name)?;
                        doc.new_description(
                            self.loc(),
                            name,
                            Described::Member,
                            &mut self.described,
                        )?;
                        if text_at < l.len() {
                            doc.append_line(&l[text_at..]);
                        }
                        line = self.get_doc_indented(&mut doc)?;
                    }
                    no_more_args = true;
                } else if let Some(Tag {
                    kind,
                    written: tag,
                    text_at,
                }) = tagged_section(l)
                {
                    let old_style = matches!(kind, SectionKind::Note | SectionKind::Example);
                    if kind == SectionKind::Note {
                        let d = self.error(format!(
                            "The '{tag}' section is no longer supported. Please use rST's '.. note::' or \
                             '.. admonition:: notes' directives, or another suitable admonition instead."
                        ));
                        self.style(Lint::DocFormat, d)?;
                    } else if kind == SectionKind::Example {
                        let d = self.error(format!(
                            "The '{tag}' section is no longer supported. Please use the \
                             '.. qmp-example::' directive, or other suitable markup instead."
                        ));
                        self.style(Lint::DocFormat, d)?;
                    }
                    doc.new_tagged_section(self.loc(), kind)?;
                    if text_at < l.len() {
                        doc.append_line(&l[text_at..]);
                    }
                    line = if old_style {
                        self.get_old_section_body(&mut doc)?
                    } else {
                        self.get_doc_indented(&mut doc)?
                    };
                    no_more_args = true;
                } else {
                    doc.ensure_untagged_section(self.loc());
                    doc.append_line(l);
                    line = self.get_doc_paragraph(&mut doc)?;
                }
            }
        } else {
            doc = Doc::new(info, None);
            doc.ensure_untagged_section(self.loc());
            while let Some(l) = line {
                if let Some((name, _)) = at_name_colon(l) {
                    return Err(
                        self.error(format!("'@{name}:' not allowed in free-form documentation"))
                    );
                }
                doc.append_line(l);
                self.accept()?;
                line = self.get_doc_line()?;
            }
        }
        self.accept()?;
        let mut warnings = Vec::new();
        doc.end(self.ctx.strict(), &mut warnings)?;
        for w in warnings {
            self.ctx.style(Lint::DocFormat, w)?;
        }
        Ok(doc)
    }

    /// The name of a description, `@name:`.  Older schemas sometimes write
    /// `@name :`, which QEMU 10.2 reads as a name ending in a space.
    fn description_name<'n>(&mut self, name: &'n str) -> Result<&'n str, Diagnostic> {
        let trimmed = name.trim_end();
        if trimmed.len() != name.len() && !self.ctx.strict() {
            let d = self.error(format!("space before ':' in '@{name}:'"));
            self.style(Lint::DocFormat, d)?;
            return Ok(trimmed);
        }
        Ok(name)
    }

    /// The lines of a description after its first: the first non-blank one
    /// sets the indentation the others keep.
    fn get_doc_indented(&mut self, doc: &mut Doc) -> Result<Line<'l>, Diagnostic> {
        self.accept()?;
        let mut line = self.get_doc_line()?;
        let mut blank = false;
        while line == Some("") {
            blank = true;
            doc.append_line("");
            self.accept()?;
            line = self.get_doc_line()?;
        }
        let Some(l) = line else { return Ok(None) };
        let indent = leading_whitespace(l);
        if indent == 0 {
            if !blank && !self.ctx.strict() && !starts_section(l) && doc.last_text_is_empty() {
                // QEMU 5.2 read an unindented line right after a description
                // as its continuation.  QEMU 10.2 reads a new paragraph and
                // then fails on the empty description, so this changes the
                // meaning of no schema QEMU 10.2 accepts.
                let d = self.error("continuation line of a description should be indented");
                self.style(Lint::DocFormat, d)?;
                doc.append_line(l);
                return self.get_unindented_continuation(doc);
            }
            return Ok(line);
        }
        doc.append_line(l);
        let mut prev_line_blank = false;
        loop {
            self.accept()?;
            let Some(l) = self.get_doc_line()? else {
                return Ok(None);
            };
            if at_name_colon(l).is_some() {
                return Ok(Some(l));
            }
            let cur_indent = leading_whitespace(l);
            if !l.is_empty() && cur_indent < indent {
                if prev_line_blank {
                    return Ok(Some(l));
                }
                let d = self.error(format!(
                    "unexpected de-indent (expected at least {indent} spaces)"
                ));
                // Default mode: the line continues the description.
                self.style(Lint::DocFormat, d)?;
            }
            doc.append_line(l);
            // (QEMU sets this after every line, blank or not.)
            prev_line_blank = true;
        }
    }

    /// Appends the lines that follow to `doc`, up to the end of the block
    /// or the first line `stop` accepts, which it returns.
    fn append_lines_until(
        &mut self,
        doc: &mut Doc,
        stop: impl Fn(&str) -> bool,
    ) -> Result<Line<'l>, Diagnostic> {
        loop {
            self.accept()?;
            let line = self.get_doc_line()?;
            match line {
                Some(l) if !stop(l) => doc.append_line(l),
                _ => return Ok(line),
            }
        }
    }

    /// The lines of a plain paragraph, up to a blank line.
    fn get_doc_paragraph(&mut self, doc: &mut Doc) -> Result<Line<'l>, Diagnostic> {
        self.append_lines_until(doc, str::is_empty)
    }

    /// The rest of a description continued by unindented lines, QEMU 5.2
    /// style: up to a blank line or the start of a new section.
    fn get_unindented_continuation(&mut self, doc: &mut Doc) -> Result<Line<'l>, Diagnostic> {
        let mut line = self.append_lines_until(doc, |l| l.is_empty() || starts_section(l))?;
        // Blank lines, then whatever comes next starts anew.
        while line == Some("") {
            doc.append_line("");
            self.accept()?;
            line = self.get_doc_line()?;
        }
        Ok(line)
    }

    /// The body of an old-style `Note:` or `Example:` section, which runs to
    /// the next section, as QEMU 5.2 read it.
    fn get_old_section_body(&mut self, doc: &mut Doc) -> Result<Line<'l>, Diagnostic> {
        self.append_lines_until(doc, starts_section)
    }
}

/// Whether a line starts a new section: `Features:`, `@name:` or a tag.
fn starts_section(line: &str) -> bool {
    line == "Features:" || at_name_colon(line).is_some() || tagged_section(line).is_some()
}

/// `::` or `.. qmp-example::` alone on a line: a literal block follows.
fn is_literal_start(line: &str) -> bool {
    let rest = match line.strip_prefix("..") {
        Some(r) if r.starts_with(' ') => {
            let r = r.trim_start_matches(' ');
            match r.strip_prefix("qmp-example") {
                Some(r) => r,
                None => return false,
            }
        }
        _ => line,
    };
    rest.trim_start_matches(' ') == "::"
}

/// A line holding nothing but a URL, which may be long.
fn is_url_line(line: &str) -> bool {
    let l = line.trim_start_matches(' ');
    let rest = ["http://", "https://", "ftp://"]
        .iter()
        .find_map(|p| l.strip_prefix(p));
    rest.is_some_and(|r| !r.contains(' '))
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Where a sentence ends with a single space before the next: the character
/// index of the `.`, `!` or `?`.  Follows QEMU's pattern, which lets `e.g. X`
/// and list numbers like `1. X` pass.
fn single_space_sentence(line: &str) -> Option<usize> {
    // Quick rejection: no "<punct> <upper/digit/(>" anywhere.
    let b = line.as_bytes();
    let candidate = memchr::memchr_iter(b' ', b).any(|i| {
        i > 0
            && matches!(b[i - 1], b'.' | b'!' | b'?')
            && b.get(i + 1)
                .is_some_and(|&c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'(')
    });
    if !candidate {
        return None;
    }
    let chars: Vec<char> = line.chars().collect();
    let follows = |i: usize| {
        chars.get(i) == Some(&' ')
            && chars
                .get(i + 1)
                .is_some_and(|&c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '(')
    };
    let mut i = 0;
    while i < chars.len() {
        // \be\.g\.
        if chars[i] == 'e'
            && (i == 0 || !is_word(chars[i - 1]))
            && chars[i..].starts_with(&['e', '.', 'g', '.'])
            && follows(i + 4)
        {
            i += 6;
            continue;
        }
        // ^ *\d\.
        if i == 0 {
            let mut j = 0;
            while chars.get(j) == Some(&' ') {
                j += 1;
            }
            if chars.get(j).is_some_and(|c| c.is_numeric())
                && chars.get(j + 1) == Some(&'.')
                && follows(j + 2)
            {
                i = j + 4;
                continue;
            }
        }
        if matches!(chars[i], '.' | '!' | '?') && follows(i + 1) {
            return Some(i);
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentence_spacing() {
        assert_eq!(single_space_sentence("One. Two."), Some(3));
        assert_eq!(single_space_sentence("One.  Two."), None);
        assert_eq!(single_space_sentence("see e.g. This"), None);
        assert_eq!(single_space_sentence("1. First item"), None);
        assert_eq!(single_space_sentence("  2. Second. Item"), Some(11));
        assert_eq!(single_space_sentence("Is it? Yes"), Some(5));
        assert_eq!(single_space_sentence("version 1.2 works"), None);
        assert_eq!(single_space_sentence("the.e.g. Foo"), None);
        assert_eq!(single_space_sentence("Done! Next"), Some(4));
    }

    #[test]
    fn literal_blocks() {
        assert!(is_literal_start("::"));
        assert!(is_literal_start("   ::"));
        assert!(is_literal_start(".. qmp-example::"));
        assert!(is_literal_start("..  qmp-example ::"));
        assert!(!is_literal_start("Examples::"));
        assert!(!is_literal_start(".. note::"));
    }

    #[test]
    fn tags_and_names() {
        assert_eq!(
            tagged_section("Returns: foo"),
            Some(Tag {
                kind: SectionKind::Returns,
                written: "Returns",
                text_at: 9
            })
        );
        assert_eq!(
            tagged_section("Notes:"),
            Some(Tag {
                kind: SectionKind::Note,
                written: "Notes",
                text_at: 6
            })
        );
        assert_eq!(tagged_section("Examples::"), None);
        assert_eq!(tagged_section("Since 2.0"), None);
        assert_eq!(at_name_colon("@arg:  text"), Some(("arg", 7)));
        assert_eq!(at_name_colon("@:"), Some(("", 2)));
        assert_eq!(at_name_colon("@arg text"), None);
    }
}
