//! Documentation comments: the model of a `##` block, its sections and
//! descriptions ([`Doc`]), and the parser that reads blocks into it by
//! QEMU's rules (`parse`).
//!
//! A block starting with `@symbol:` documents the definition after it: a body,
//! member descriptions (`@name: text`), feature descriptions after
//! `Features:`, and further sections, tagged (`Returns:`, `Errors:`,
//! `Since:`, `TODO:`) or plain.  Any other block is free-form text.

mod parse;

pub(crate) use parse::parse_block;

use crate::source::Loc;

/// What a documentation section is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SectionKind {
    /// Untagged text: the body, or a paragraph after the member descriptions.
    Plain,
    /// `Returns:`
    Returns,
    /// `Errors:`
    Errors,
    /// `Since:`
    Since,
    /// `TODO:`
    Todo,
    /// `Note:` or `Notes:`, as older schemas write notes (default mode only).
    Note,
    /// `Example:` or `Examples:`, as older schemas write QMP examples
    /// (default mode only).
    Example,
}

impl SectionKind {
    /// The name QEMU gives the kind in messages and model dumps.
    pub fn title(self) -> &'static str {
        match self {
            SectionKind::Plain => "Plain",
            SectionKind::Returns => "Returns",
            SectionKind::Errors => "Errors",
            SectionKind::Since => "Since",
            SectionKind::Todo => "Todo",
            SectionKind::Note => "Note",
            SectionKind::Example => "Example",
        }
    }
}

/// A section of text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    /// What it is.
    pub kind: SectionKind,
    /// Its text: the lines without their `# ` prefix, joined by newlines,
    /// blank lines at either end removed, indentation kept.
    pub text: String,
    /// Where it starts.
    pub loc: Loc,
}

/// The description of one member, argument, branch, enum value or feature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArgSection {
    /// The name after `@`.
    pub name: String,
    /// The description.
    pub text: String,
    /// Where it starts; for an undocumented member, the block's start.
    pub loc: Loc,
    /// Whether the schema left this member undocumented (allowed by the
    /// `documentation-exceptions` pragma, or a warning in default mode) and
    /// this empty entry stands in for it.
    pub undocumented: bool,
}

/// A reference to one section of a [`Doc`], for walking them in textual order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SectionRef {
    /// [`Doc::body`]
    Body,
    /// An entry of [`Doc::args`].
    Arg(usize),
    /// An entry of [`Doc::features`].
    Feature(usize),
    /// An entry of [`Doc::sections`].
    Other(usize),
}

/// One documentation block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Doc {
    /// For a definition's documentation, the name after the opening `@`;
    /// `None` for free-form documentation.
    pub symbol: Option<String>,
    /// The line of the opening `##`.
    pub loc: Loc,
    /// The text before the member descriptions (free-form docs: all of it).
    pub body: Section,
    /// Member / argument / branch / value descriptions, in order.
    pub args: Vec<ArgSection>,
    /// Feature descriptions, in order.
    pub features: Vec<ArgSection>,
    /// The other sections, in order.
    pub sections: Vec<Section>,
    /// Every section in textual order.
    pub order: Vec<SectionRef>,
}

impl Doc {
    /// The description of member `name`.
    pub fn arg(&self, name: &str) -> Option<&ArgSection> {
        self.args.iter().find(|a| a.name == name)
    }

    /// The description of feature `name`.
    pub fn feature(&self, name: &str) -> Option<&ArgSection> {
        self.features.iter().find(|a| a.name == name)
    }

    /// The first section of `kind`.
    pub fn section(&self, kind: SectionKind) -> Option<&Section> {
        self.sections.iter().find(|s| s.kind == kind)
    }

    /// Records undocumented members, in order, the way QEMU's
    /// `connect_member` does: each an empty description placed after the
    /// documented ones (and the undocumented ones before it).
    pub(crate) fn add_undocumented(&mut self, names: impl IntoIterator<Item = String>) {
        let first = self.args.len();
        let loc = self.loc;
        self.args.extend(names.into_iter().map(|name| ArgSection {
            name,
            text: String::new(),
            loc,
            undocumented: true,
        }));
        // After the member descriptions that follow the body, if any.
        let mut index = 1;
        while index < self.order.len() && matches!(self.order[index], SectionRef::Arg(_)) {
            index += 1;
        }
        let index = index.min(self.order.len());
        self.order
            .splice(index..index, (first..self.args.len()).map(SectionRef::Arg));
    }
}
