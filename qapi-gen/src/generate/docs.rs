//! Rustdoc from QAPI documentation.
//!
//! QAPI documentation is reStructuredText-flavoured text.  It becomes
//! Markdown that rustdoc renders without warnings: `@name` references become
//! intra-doc links where the target is generated, otherwise code spans;
//! literal blocks (`::`, `.. qmp-example::`, the old `Example:` sections)
//! become ```` ```text ```` blocks so doctests never run them; characters
//! Markdown or rustdoc would misread are escaped.  Each item's docs also say
//! under which condition QEMU has it and which features it has.

use std::borrow::Cow;
use std::fmt::Write as _;

use proc_macro2::Literal;

use super::{Generator, Optional};
use crate::doc::{ArgSection, Doc, SectionKind, SectionRef};
use crate::schema::{
    Cond, DefId, DefKind, EnumValue, Feature, Member, Presence, Variant, Variants, Version,
};

/// Lines of documentation, kept in one buffer.
#[derive(Default)]
pub(crate) struct Lines {
    /// The lines, each followed by a newline.
    text: String,
}

impl Lines {
    pub(crate) fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Appends one line (without newlines).  Tabs are expanded to stops
    /// of eight columns (counted in the converted line): rustdoc's Markdown
    /// gives a tab no fixed width.
    pub(crate) fn push(&mut self, line: impl AsRef<str>) {
        let line = line.as_ref();
        if line.contains('\t') {
            let mut col = 0;
            for c in line.chars() {
                if c == '\t' {
                    let next = (col / 8 + 1) * 8;
                    self.text.extend(std::iter::repeat_n(' ', next - col));
                    col = next;
                } else {
                    self.text.push(c);
                    col += 1;
                }
            }
        } else {
            self.text.push_str(line);
        }
        self.text.push('\n');
    }

    fn iter(&self) -> impl Iterator<Item = &str> {
        self.text.split_terminator('\n')
    }
}

/// The documentation of an item, as lines of Markdown.  It becomes `///`
/// comments in source text, `#[doc]` attributes in tokens.
pub(crate) struct Docs(Lines);

impl Docs {
    /// Docs of these lines.
    pub(crate) fn new(lines: Lines) -> Self {
        Docs(lines)
    }

    /// Appends the lines as `///` comments, each after `indent`.
    pub(crate) fn write(&self, out: &mut String, indent: &str) {
        for l in self.0.iter() {
            out.push_str(indent);
            if l.is_empty() {
                out.push_str("///\n");
            } else if l.starts_with('/') || l.chars().any(char::is_control) {
                // Text a line comment cannot hold as it is.
                out.push_str("#[doc = ");
                out.push_str(&Literal::string(&format!(" {l}")).to_string());
                out.push_str("]\n");
            } else {
                out.push_str("/// ");
                out.push_str(l);
                out.push('\n');
            }
        }
    }
}

/// The documentation block of a definition, looking through implicit types
/// to the definition they belong to.
fn doc_of<'s>(g: &Generator<'s>, id: DefId) -> Option<&'s Doc> {
    let def = g.schema.def(id);
    if let Some(doc) = g.schema.doc(def) {
        return Some(doc);
    }
    let rest = def.name.strip_prefix("q_obj_")?;
    let owner = rest.rsplit_once('-').map_or(rest, |(o, _)| o);
    g.schema.get(owner).and_then(|d| g.schema.doc(d))
}

/// Docs for a type, command or event.
pub(crate) fn definition(g: &Generator, id: DefId) -> Docs {
    let def = g.schema.def(id);
    let mut lines = Lines::default();
    let doc = doc_of(g, id);
    if let Some(doc) = doc {
        let ctx = Context { g, owner: Some(id) };
        for r in &doc.order {
            match *r {
                SectionRef::Body => push_text(&mut lines, &ctx.markdown(&doc.body.text, false)),
                SectionRef::Other(i) => {
                    let s = &doc.sections[i];
                    let text = ctx.markdown(&s.text, s.kind == SectionKind::Example);
                    match s.kind {
                        SectionKind::Plain => push_text(&mut lines, &text),
                        kind => {
                            let title = match kind {
                                SectionKind::Returns => "Returns",
                                SectionKind::Errors => "Errors",
                                SectionKind::Since => "Since",
                                SectionKind::Todo => "TODO",
                                SectionKind::Note => "Note",
                                SectionKind::Example => "Example",
                                SectionKind::Plain => unreachable!(),
                            };
                            if kind == SectionKind::Example {
                                push_text(&mut lines, &format!("{title}:\n\n{text}"));
                            } else {
                                push_text(&mut lines, &format!("{title}: {text}"));
                            }
                        }
                    }
                }
                // Member and feature descriptions go on fields and below.
                SectionRef::Arg(_) | SectionRef::Feature(_) => {}
            }
        }
    }
    if lines.is_empty() {
        lines.push(format!("`{}` (QAPI {}).", def.name, def.meta()));
    }
    if let Some(c) = def
        .ifcond
        .as_ref()
        .filter(|_| !g.sel.evaluates_conditions())
    {
        push_text(&mut lines, &condition(c));
    }
    push_features(g, &mut lines, &def.features, doc);
    push_presence(g, &mut lines, def.presence, None);
    Docs(lines)
}

/// The first paragraph of a definition's documentation, as Markdown: a
/// summary for the methods that run a command.
pub(crate) fn summary(g: &Generator, id: DefId) -> Option<String> {
    let doc = doc_of(g, id)?;
    let first = doc.body.text.split("\n\n").next()?.trim();
    if first.is_empty() {
        return None;
    }
    let ctx = Context { g, owner: None };
    let text = ctx.markdown(first, false);
    // Only plain prose makes a good summary.
    (!text.is_empty() && !text.contains("```")).then_some(text)
}

/// Docs for member `m` of object type `container`, from the documentation
/// of the type defining it; `optional` says why its field is an `Option`.
pub(crate) fn member(
    g: &Generator,
    container: DefId,
    m: &Member,
    optional: Option<Optional>,
) -> Docs {
    let mut lines = Lines::default();
    let doc = doc_of(g, m.defined_in);
    let arg = doc.and_then(|d| d.arg(&m.name));
    if let Some(a) = arg {
        push_arg(g, &mut lines, m.defined_in, a);
    }
    if lines.is_empty() {
        lines.push(format!("Member `{}`.", m.name));
    }
    push_since(&mut lines, m.since, g.schema.def(m.defined_in).since, arg);
    if let Some(c) = m
        .ifcond
        .as_deref()
        .filter(|_| !g.sel.evaluates_conditions())
    {
        push_text(&mut lines, &condition(c));
    }
    push_features(g, &mut lines, &m.features, doc);
    push_presence(
        g,
        &mut lines,
        m.presence,
        Some(g.schema.def(container).presence),
    );
    let why = match optional {
        None | Some(Optional::Schema) => None,
        Some(Optional::Deprecated) => Some(
            "Required by this schema, but an `Option`: it is deprecated,\n\
             and QEMU versions that dropped it leave it out."
                .to_string(),
        ),
        Some(Optional::Conditional) => Some(
            "Required by this schema, but an `Option`: QEMU builds without\n\
             its condition leave it out."
                .to_string(),
        ),
        Some(Optional::Newer { since, oldest }) => Some(format!(
            "Required by this schema, but an `Option`: QEMU has it since\n\
             {since}, and these bindings are for QEMU {oldest} and later."
        )),
    };
    if let Some(why) = why {
        push_text(&mut lines, &why);
    }
    Docs(lines)
}

/// Docs for an enumeration value.
pub(crate) fn enum_value(g: &Generator, id: DefId, v: &EnumValue) -> Docs {
    let mut lines = Lines::default();
    let doc = doc_of(g, id);
    let arg = doc.and_then(|d| d.arg(&v.name));
    if let Some(a) = arg {
        push_arg(g, &mut lines, id, a);
    }
    if lines.is_empty() {
        lines.push(format!("`{}`", v.name));
    }
    push_since(&mut lines, v.since, g.schema.def(id).since, arg);
    if let Some(c) = v
        .ifcond
        .as_deref()
        .filter(|_| !g.sel.evaluates_conditions())
    {
        push_text(&mut lines, &condition(c));
    }
    push_features(g, &mut lines, &v.features, doc);
    push_presence(g, &mut lines, v.presence, Some(g.schema.def(id).presence));
    Docs(lines)
}

/// Docs for a branch of a union or alternate.
pub(crate) fn branch(g: &Generator, id: DefId, v: &Variant) -> Docs {
    let mut lines = Lines::default();
    let arg = doc_of(g, id).and_then(|d| d.arg(&v.name));
    if let Some(a) = arg {
        push_arg(g, &mut lines, id, a);
    }
    if lines.is_empty() {
        let target = g.schema.def(v.ty);
        if v.implicit || &*target.name == "q_empty" {
            lines.push(format!(
                "The branch for `{}`, without members of its own.",
                v.name
            ));
        } else {
            lines.push(format!("The branch for `{}`.", v.name));
        }
    }
    push_since(&mut lines, v.since, g.schema.def(id).since, arg);
    if let Some(c) = v
        .ifcond
        .as_deref()
        .filter(|_| !g.sel.evaluates_conditions())
    {
        push_text(&mut lines, &condition(c));
    }
    push_presence(g, &mut lines, v.presence, Some(g.schema.def(id).presence));
    Docs(lines)
}

/// Docs for a union's branch field, from the tag member's description.
pub(crate) fn union_tag(g: &Generator, id: DefId, v: &Variants) -> Docs {
    let mut lines = Lines::default();
    let DefKind::Object(o) = &g.schema.def(id).kind else {
        return Docs(lines);
    };
    if let Some(m) = o.members.iter().find(|m| m.name == v.tag)
        && let Some(a) = doc_of(g, m.defined_in).and_then(|d| d.arg(&m.name))
    {
        push_arg(g, &mut lines, m.defined_in, a);
        lines.push("");
    }
    lines.push(format!(
        "The branch, selected by the value of `{}` on the wire.",
        v.tag
    ));
    Docs(lines)
}

fn push_arg(g: &Generator, lines: &mut Lines, owner: DefId, a: &ArgSection) {
    if a.text.is_empty() {
        return;
    }
    let ctx = Context {
        g,
        owner: Some(owner),
    };
    push_text(lines, &ctx.markdown(&a.text, false));
}

fn push_features(g: &Generator, lines: &mut Lines, features: &[Feature], doc: Option<&Doc>) {
    let shown: Vec<&Feature> = features
        .iter()
        .filter(|f| g.sel.item(f.ifcond.as_deref(), &[]))
        .collect();
    if shown.is_empty() {
        return;
    }
    let ctx = Context { g, owner: None };
    let mut text = String::from("Features:\n");
    for f in shown {
        let desc = doc
            .and_then(|d| d.feature(&f.name))
            .map(|a| ctx.markdown(&a.text, false))
            .unwrap_or_default();
        let desc = desc.replace('\n', " ");
        let _ = write!(text, "- `{}`", f.name);
        if !desc.is_empty() {
            let _ = write!(text, ": {desc}");
        }
        if let Some(c) = f
            .ifcond
            .as_deref()
            .filter(|_| !g.sel.evaluates_conditions())
        {
            let _ = write!(text, " (only when `{c}`)");
        }
        text.push('\n');
    }
    push_text(lines, text.trim_end());
}

/// `Since: X.Y` for a member, value or branch that came in another version
/// than its definition, unless its own description says so.
fn push_since(
    lines: &mut Lines,
    since: Option<Version>,
    definition: Option<Version>,
    own: Option<&ArgSection>,
) {
    if let Some(v) = since
        && since != definition
        && own.is_none_or(|a| crate::schema::since_in(&a.text).is_none())
    {
        push_text(lines, &format!("Since: {v}"));
    }
}

/// For bindings merged from several schemas: which of them have an item
/// that not all of those having its `holder` (or all of them) have.
fn push_presence(g: &Generator, lines: &mut Lines, presence: Presence, holder: Option<Presence>) {
    let all = holder.unwrap_or_else(|| Presence::all(g.schema.origins.len().max(1)));
    if presence == all || all.is_subset(presence) {
        return;
    }
    let labels: Vec<String> = presence
        .iter()
        .filter_map(|i| g.schema.origins.get(i))
        .map(|o| format!("`{}`", o.label.replace('`', "'")))
        .collect();
    push_text(lines, &format!("Only in {}.", labels.join(", ")));
}

fn condition(c: &Cond) -> String {
    format!("Only in QEMU built with `{c}`.")
}

/// Appends a paragraph (possibly several lines) after a blank line.
fn push_text(lines: &mut Lines, text: &str) {
    if text.trim().is_empty() {
        return;
    }
    if !lines.is_empty() {
        lines.push("");
    }
    for l in text.lines() {
        lines.push(l);
    }
}

/// Where a paragraph is inside a Markdown list item.  The schema's text
/// keeps continuation lines at any indentation, and its lines arrive here
/// trimmed; indenting them under the item's text keeps the item whole
/// without leaning on Markdown's lazy continuation (which rustdoc renders
/// the same, but clippy's `doc_lazy_continuation` flags).
#[derive(Default)]
struct ListItem {
    /// The width of the current item's marker (`* `, `1. `, `2) `).
    width: Option<usize>,
}

impl ListItem {
    /// A trimmed, non-blank line as Markdown should see it, and the
    /// indentation to put before it, updating the state.  rST allows any
    /// number of spaces after a list marker; Markdown reads five or more as
    /// a code block, so they become one.
    fn line<'l>(&mut self, line: &'l str) -> (&'static str, Cow<'l, str>) {
        // As wide as the widest marker: nine digits, `.` and a space.
        const SPACES: &str = "           ";
        if let Some(w) = list_marker_width(line) {
            self.width = Some(w);
            let text = &line[w..];
            if text.starts_with(' ') {
                return (
                    "",
                    Cow::Owned(format!("{}{}", &line[..w], text.trim_start())),
                );
            }
            return ("", Cow::Borrowed(line));
        }
        let indent = self.width.map_or("", |w| &SPACES[..w]);
        (indent, Cow::Borrowed(line))
    }
}

/// The width of the Markdown list marker that starts `line`, with the space
/// after it: bullets `*`, `-`, `+`, and numbers of up to nine digits followed
/// by `.` or `)`.
fn list_marker_width(line: &str) -> Option<usize> {
    let b = line.as_bytes();
    if b.len() >= 2 && matches!(b[0], b'*' | b'-' | b'+') && b[1] == b' ' {
        return Some(2);
    }
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if (1..=9).contains(&digits)
        && matches!(b.get(digits), Some(b'.' | b')'))
        && b.get(digits + 1) == Some(&b' ')
    {
        return Some(digits + 2);
    }
    None
}

/// Converts QAPI text to Markdown.
struct Context<'a, 's> {
    g: &'a Generator<'s>,
    /// The definition whose members `@name` may refer to.
    owner: Option<DefId>,
}

impl Context<'_, '_> {
    /// Markdown for a section.  `literal` makes the whole text a text block
    /// (the old `Example:` sections).
    fn markdown(&self, text: &str, literal: bool) -> String {
        if literal {
            return fence(text.lines().map(|l| l.to_string()).collect());
        }
        // Plain paragraphs, the common case: no directive, option or
        // literal block.
        if !text.contains("::") && !text.lines().any(|l| l.trim_start().starts_with([':', '.'])) {
            let mut out = String::with_capacity(text.len() + 16);
            let mut blank = true;
            let mut item = ListItem::default();
            for line in text.lines() {
                let trimmed = line.trim();
                if trimmed.is_empty() {
                    if !blank {
                        out.push('\n');
                        blank = true;
                    }
                    item = ListItem::default();
                    continue;
                }
                let (indent, line) = item.line(trimmed);
                out.push_str(indent);
                out.push_str(&self.inline(&line));
                out.push('\n');
                blank = false;
            }
            out.truncate(out.trim_end().len());
            return out;
        }
        let mut out: Vec<String> = Vec::new();
        let mut block: Option<(usize, Vec<String>)> = None;
        let mut item = ListItem::default();
        for line in text.lines() {
            let indent = line.len() - line.trim_start().len();
            if let Some((min, body)) = &mut block {
                if line.trim().is_empty() || indent > *min || (*min == 0 && body.is_empty()) {
                    // A directive's title option, before its content.
                    let t = line.trim();
                    if let Some(title) = t.strip_prefix(":title:")
                        && body.iter().all(|l| l.trim().is_empty())
                        && out.last().is_some_and(|l| l == "Example:")
                    {
                        *out.last_mut().expect("checked") =
                            format!("Example: {}", self.inline(title.trim()));
                        continue;
                    }
                    body.push(line.to_string());
                    continue;
                }
                let (_, body) = block.take().expect("in a block");
                out.push(fence(body));
            }
            let trimmed = line.trim();
            if trimmed.is_empty() {
                item = ListItem::default();
            }
            if let Some(rest) = trimmed.strip_prefix("..") {
                let rest = rest.trim_start();
                if let Some(title) = rest.strip_prefix("qmp-example::") {
                    let title = title.trim();
                    out.push(if title.is_empty() {
                        "Example:".to_string()
                    } else {
                        format!("Example: {}", self.inline(title))
                    });
                    block = Some((indent, Vec::new()));
                    continue;
                }
                if let Some(kind) = rest.strip_prefix("note::") {
                    out.push(format!("**Note:** {}", self.inline(kind.trim())));
                    continue;
                }
                if let Some(kind) = rest.strip_prefix("admonition::") {
                    out.push(format!("**{}:**", self.inline(kind.trim())));
                    continue;
                }
                if let Some((directive, arg)) = rest.split_once("::") {
                    // Other directives: keep their argument as text.
                    let _ = directive;
                    out.push(self.inline(arg.trim()));
                    continue;
                }
            }
            if trimmed.starts_with(':') && trimmed[1..].contains(": ") && block.is_none() {
                // A directive option such as ":title: ..." outside a block.
                if let Some((_, value)) = trimmed[1..].split_once(": ") {
                    out.push(self.inline(value));
                    continue;
                }
            }
            if trimmed.ends_with("::") {
                // "Text::" introduces a literal block; rST shows "Text:".
                let shown = trimmed.trim_end_matches(':');
                if !shown.is_empty() {
                    out.push(format!("{}:", self.inline(shown)));
                }
                block = Some((indent, Vec::new()));
                continue;
            }
            let (indent, line) = item.line(trimmed);
            out.push(format!("{indent}{}", self.inline(&line)));
        }
        if let Some((_, body)) = block {
            out.push(fence(body));
        }
        // Collapse runs of blank lines.
        let mut result: Vec<String> = Vec::new();
        for l in out {
            if l.is_empty() && result.last().is_some_and(|p: &String| p.is_empty()) {
                continue;
            }
            result.push(l);
        }
        result.join("\n").trim().to_string()
    }

    /// Inline markup: `@name` references, rST literals, escapes.
    fn inline(&self, text: &str) -> String {
        /// The bytes that may start markup (all ASCII, so a match is at a
        /// character boundary).
        const SPECIAL: [bool; 256] = {
            let mut t = [false; 256];
            let mut i = 0;
            let bytes = b"@[]<>`h|\\_*";
            while i < bytes.len() {
                t[bytes[i] as usize] = true;
                i += 1;
            }
            t
        };
        let mut out = String::with_capacity(text.len() + 8);
        let mut rest = text;
        while let Some(i) = rest.bytes().position(|b| SPECIAL[b as usize]) {
            out.push_str(&rest[..i]);
            rest = &rest[i..];
            let c = rest.as_bytes()[0];
            match c {
                b'@' => {
                    let name_len = rest[1..]
                        .find(|ch: char| {
                            !(ch.is_ascii_alphanumeric() || ch == '-' || ch == '_' || ch == '.')
                        })
                        .unwrap_or(rest.len() - 1);
                    let name = rest[1..1 + name_len].trim_end_matches('.');
                    if name.is_empty() {
                        out.push('@');
                        rest = &rest[1..];
                    } else {
                        out.push_str(&self.reference(name));
                        rest = &rest[1 + name.len()..];
                    }
                }
                b'`' => {
                    // A code span, single or double backquoted: copied as is.
                    let ticks = rest.bytes().take_while(|&b| b == b'`').count();
                    let fence_str = &rest[..ticks];
                    match rest[ticks..].find(fence_str) {
                        Some(end) => {
                            let code = &rest[ticks..ticks + end];
                            out.push('`');
                            out.push_str(code.trim());
                            out.push('`');
                            rest = &rest[ticks + end + ticks..];
                        }
                        None => {
                            out.push_str("\\`");
                            rest = &rest[1..];
                        }
                    }
                }
                b'h' => {
                    if rest.starts_with("http://") || rest.starts_with("https://") {
                        let end = rest
                            // (What a Markdown autolink cannot hold ends it.)
                            .find(|ch: char| {
                                ch.is_whitespace()
                                    || ch.is_control()
                                    || matches!(ch, '<' | '>' | ')')
                            })
                            .unwrap_or(rest.len());
                        let url = rest[..end].trim_end_matches(['.', ',', ';']);
                        out.push('<');
                        out.push_str(url);
                        out.push('>');
                        rest = &rest[url.len()..];
                    } else {
                        out.push('h');
                        rest = &rest[1..];
                    }
                }
                b'_' | b'*' => {
                    // Emphasis stays; a lone marker inside a word is escaped
                    // only when it could start emphasis by accident.
                    out.push(c as char);
                    rest = &rest[1..];
                }
                _ => {
                    out.push('\\');
                    out.push(c as char);
                    rest = &rest[1..];
                }
            }
        }
        out.push_str(rest);
        out
    }

    /// An `@name` reference: a link to a generated item, or a code span.
    fn reference(&self, name: &str) -> String {
        if let Some(id) = self.g.schema.lookup(name)
            && self.g.sel.keep(id)
            && let Some(rust) = self.g.names.get(&id)
            && Some(id) != self.owner
        {
            return if name == rust {
                format!("[`{name}`]")
            } else {
                format!("[`{name}`]({rust})")
            };
        }
        format!("`{name}`")
    }
}

/// A fenced text block.
fn fence(lines: Vec<String>) -> String {
    let lines: Vec<&str> = {
        let start = lines
            .iter()
            .position(|l| !l.trim().is_empty())
            .unwrap_or(lines.len());
        let end = lines
            .iter()
            .rposition(|l| !l.trim().is_empty())
            .map_or(start, |e| e + 1);
        lines[start..end].iter().map(String::as_str).collect()
    };
    if lines.is_empty() {
        return String::new();
    }
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let body: Vec<String> = lines
        .iter()
        .map(|l| {
            l.get(indent..)
                .unwrap_or("")
                .trim_end()
                .replace("```", "` ` `")
        })
        .collect();
    format!("```text\n{}\n```", body.join("\n"))
}
