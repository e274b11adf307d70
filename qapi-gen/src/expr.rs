//! Checks each definition on its own (keys, names, types of values) and turns
//! it into a typed definition: what QEMU's `expr.py` does.

use std::collections::HashSet;
use std::fmt::{self, Display};

use crate::Ctx;
use crate::diag::{Diagnostic, Lint};
use crate::doc::Doc;
use crate::schema::{Cond, UnionKind};
use crate::source::{Loc, Span};
use crate::syntax::{ExprKind, Expression, Object, Pragma, Str, Value};

/// The kind of a definition, as QEMU names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Meta {
    Enum,
    Struct,
    Union,
    Alternate,
    Command,
    Event,
}

impl Meta {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Meta::Enum => "enum",
            Meta::Struct => "struct",
            Meta::Union => "union",
            Meta::Alternate => "alternate",
            Meta::Command => "command",
            Meta::Event => "event",
        }
    }
}

/// A type as written: a name, or `[name]` for an array.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum TypeRef {
    Named(String),
    Array(String),
}

#[derive(Clone, Debug)]
pub(crate) struct FeatureDef {
    pub name: String,
    pub ifcond: Option<Box<Cond>>,
}

#[derive(Clone, Debug)]
pub(crate) struct MemberDef {
    pub name: String,
    pub optional: bool,
    pub ty: TypeRef,
    pub ifcond: Option<Box<Cond>>,
    pub features: Vec<FeatureDef>,
}

#[derive(Clone, Debug)]
pub(crate) struct BranchDef {
    pub name: String,
    pub ty: TypeRef,
    pub ifcond: Option<Box<Cond>>,
}

#[derive(Clone, Debug)]
pub(crate) struct EnumValueDef {
    pub name: String,
    pub ifcond: Option<Box<Cond>>,
    pub features: Vec<FeatureDef>,
}

/// A type name, or members of an implicit object type.
#[derive(Clone, Debug)]
pub(crate) enum TypeOrMembers {
    Name(String),
    Members(Vec<MemberDef>),
}

#[derive(Clone, Debug)]
pub(crate) enum DefBody {
    Enum {
        values: Vec<EnumValueDef>,
        prefix: Option<String>,
    },
    Struct {
        base: Option<String>,
        members: Vec<MemberDef>,
    },
    /// A union; `base` and `discriminator` are `None` for the simple unions
    /// of QEMU 5.2.
    Union {
        base: Option<TypeOrMembers>,
        discriminator: Option<String>,
        branches: Vec<BranchDef>,
    },
    Alternate {
        branches: Vec<BranchDef>,
    },
    Command {
        data: Option<TypeOrMembers>,
        returns: Option<TypeRef>,
        boxed: bool,
        generate: bool,
        success_response: bool,
        allow_oob: bool,
        allow_preconfig: bool,
        coroutine: bool,
    },
    Event {
        data: Option<TypeOrMembers>,
        boxed: bool,
    },
}

/// What a command or an event takes: its `data` and whether it is `boxed`.
struct Arguments {
    data: Option<TypeOrMembers>,
    boxed: bool,
}

/// One checked definition.
#[derive(Clone, Debug)]
pub(crate) struct Def {
    pub name: String,
    pub loc: Loc,
    pub doc: Option<usize>,
    pub ifcond: Option<Box<Cond>>,
    pub features: Vec<FeatureDef>,
    pub body: DefBody,
}

/// What the expressions of a schema turn into, in order: definitions and
/// include directives.
pub(crate) enum Item {
    Def(Def),
    Include { path: std::path::PathBuf, loc: Loc },
}

/// Python's truth value of a schema value.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b, _) => *b,
        Value::Str(s) => !s.text.is_empty(),
        Value::List(l, _) => !l.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// `(__RFQDN_)?(x-)?[a-z][a-z0-9_-]*`, case-insensitively: the stem.
fn valid_name_stem(name: &str) -> Option<&str> {
    fn stem_ok(s: &str) -> bool {
        let mut cs = s.chars();
        cs.next().is_some_and(|c| c.is_ascii_alphabetic())
            && cs.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    }
    // A downstream prefix `__RFQDN_` ends at the first `_` after `__`.
    let name = match name.strip_prefix("__") {
        Some(rest) => {
            let end = rest.find('_')?;
            let rfqdn = &rest[..end];
            if rfqdn.is_empty()
                || !rfqdn
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
            {
                return None;
            }
            &rest[end + 1..]
        }
        None => name,
    };
    match name.strip_prefix("x-").or_else(|| name.strip_prefix("X-")) {
        Some(stem) if stem_ok(stem) => Some(stem),
        _ => stem_ok(name).then_some(name),
    }
}

/// A member's value in its long form: the type, and the object holding it
/// when it was written as `{ 'type': ... }`.
fn normalized_member(value: &Value) -> (&Value, Option<&Object>) {
    match value {
        Value::Object(o) => match o.get("type") {
            Some(t) => (t, Some(o)),
            // Reported by check_keys as a missing key.
            None => (value, Some(o)),
        },
        other => (other, None),
    }
}

/// What case a name checked by `check_name_lower` must be in; breaking the
/// rule is a house-style error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NameCase {
    /// Lowercase, words joined by `-`: QEMU's rule.
    Lower,
    /// Lowercase, but `_` allowed too: commands the
    /// `command-name-exceptions` pragma names, and the branches of QEMU 5.2
    /// simple unions.
    LowerOrUnderscore,
    /// Any: members and values of the definitions the
    /// `member-name-exceptions` pragma names.
    Any,
}

/// Describes what is being checked, for messages, without building the text
/// unless a message needs it: `<outer> '<name>'`.
struct Named<'a>(&'a dyn Display, &'a str);

impl Display for Named<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} '{}'", self.0, self.1)
    }
}

/// `<outer> member '<name>'`.
struct MemberOf<'a>(&'a dyn Display, &'a str);

impl Display for MemberOf<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} member '{}'", self.0, self.1)
    }
}

/// `'if' condition of <outer>`.
struct IfOf<'a>(&'a dyn Display);

impl Display for IfOf<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'if' condition of {}", self.0)
    }
}

struct Checker<'a> {
    ctx: &'a mut Ctx,
    docs: &'a [Doc],
    pragma: &'a Pragma,
    exceptions: &'a Exceptions,
    loc: Loc,
}

/// Checks the expressions of a schema one at a time, in order: the
/// pragmas' lists of names are made sets once, for each definition to
/// look itself up in.
pub(crate) struct Exceptions {
    command_name: HashSet<String>,
    member_name: HashSet<String>,
}

impl Exceptions {
    pub(crate) fn new(pragma: &Pragma) -> Self {
        Exceptions {
            command_name: pragma.command_name_exceptions.iter().cloned().collect(),
            member_name: pragma.member_name_exceptions.iter().cloned().collect(),
        }
    }

    /// Checks one expression, which is dropped once checked.  `docs` are
    /// the schema's documentation blocks, `pragma` its pragmas (from which
    /// `self` was made).
    pub(crate) fn check(
        &self,
        ctx: &mut Ctx,
        docs: &[Doc],
        pragma: &Pragma,
        e: Expression,
    ) -> Result<Item, Diagnostic> {
        match e.kind {
            ExprKind::Include(path) => Ok(Item::Include { path, loc: e.loc }),
            ExprKind::Definition(obj) => {
                let mut c = Checker {
                    ctx,
                    docs,
                    pragma,
                    exceptions: self,
                    loc: e.loc,
                };
                Ok(Item::Def(c.check(&obj, e.doc)?))
            }
        }
    }
}

impl Checker<'_> {
    fn err(&self, message: impl Into<String>) -> Diagnostic {
        self.ctx.error(self.loc, message)
    }

    fn err_at(&self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.err(message).with_span(span)
    }

    fn style(&mut self, span: Span, message: impl Into<String>) -> Result<(), Diagnostic> {
        let d = self.err_at(span, message);
        self.ctx.style(Lint::NameCase, d)
    }

    fn check(&mut self, expr: &Object, doc: Option<usize>) -> Result<Def, Diagnostic> {
        const METAS: [Meta; 6] = [
            Meta::Enum,
            Meta::Struct,
            Meta::Union,
            Meta::Alternate,
            Meta::Command,
            Meta::Event,
        ];
        let metas: Vec<Meta> = METAS
            .into_iter()
            .filter(|m| expr.contains(m.name()))
            .collect();
        let [meta] = metas[..] else {
            return Err(self
                .err("expression must have exactly one key 'enum', 'struct', 'union', 'alternate', 'command', 'event'")
                .with_span(expr.span));
        };
        let name = expr.get(meta.name()).expect("meta key present");
        let Value::Str(name) = name else {
            return Err(self.err_at(
                name.span(),
                format!("'{}' requires a string name", meta.name()),
            ));
        };
        self.ctx
            .defn_at
            .insert(self.loc, meta, name.text.as_str().into());
        self.check_defn_name(name, meta)?;

        if let Some(d) = doc {
            let doc = &self.docs[d];
            let symbol = doc.symbol.as_deref().unwrap_or_default();
            if symbol != name.text {
                return Err(self.err(format!("documentation comment is for '{symbol}'")));
            }
            // Sections only commands may have.
            let returns = doc.section(crate::doc::SectionKind::Returns);
            if meta == Meta::Command {
                if let Some(r) = returns
                    && !expr.contains("returns")
                {
                    // Older schemas document "Returns: nothing".
                    let d = self.ctx.error(
                        r.loc,
                        "'Returns' section, but command doesn't return anything",
                    );
                    self.ctx.style(Lint::DocFormat, d)?;
                }
            } else {
                if let Some(r) = returns {
                    return Err(self
                        .ctx
                        .error(r.loc, "'Returns' section is only valid for commands"));
                }
                if let Some(e) = doc.section(crate::doc::SectionKind::Errors) {
                    return Err(self
                        .ctx
                        .error(e.loc, "'Errors' section is only valid for commands"));
                }
            }
        } else if self.pragma.doc_required {
            return Err(self.err("documentation comment required"));
        }

        let body = match meta {
            Meta::Enum => {
                self.check_keys(
                    expr,
                    &"enum",
                    &["enum", "data"],
                    &["if", "features", "prefix"],
                    expr.span,
                )?;
                self.check_enum(expr, &name.text)?
            }
            Meta::Union => {
                let kind = if !self.ctx.strict()
                    && !expr.contains("base")
                    && !expr.contains("discriminator")
                {
                    UnionKind::Simple
                } else {
                    UnionKind::Flat
                };
                let required: &[&str] = match kind {
                    UnionKind::Simple => &["union", "data"],
                    UnionKind::Flat => &["union", "base", "discriminator", "data"],
                };
                self.check_keys(expr, &"union", required, &["if", "features"], expr.span)?;
                self.check_union(expr, &name.text, kind)?
            }
            Meta::Alternate => {
                self.check_keys(
                    expr,
                    &"alternate",
                    &["alternate", "data"],
                    &["if", "features"],
                    expr.span,
                )?;
                self.check_alternate(expr)?
            }
            Meta::Struct => {
                self.check_keys(
                    expr,
                    &"struct",
                    &["struct", "data"],
                    &["base", "if", "features"],
                    expr.span,
                )?;
                let data = expr.get("data").expect("checked");
                let members = self.check_type_implicit(data, &"'data'", Some(&name.text))?;
                let base = self.check_type_name(expr.get("base"), &"'base'")?;
                DefBody::Struct { base, members }
            }
            Meta::Command => {
                self.check_keys(
                    expr,
                    &"command",
                    &["command"],
                    &[
                        "data",
                        "returns",
                        "boxed",
                        "if",
                        "features",
                        "gen",
                        "success-response",
                        "allow-oob",
                        "allow-preconfig",
                        "coroutine",
                    ],
                    expr.span,
                )?;
                let Arguments { data, boxed } = self.check_data(expr)?;
                let returns = self.check_type_name_or_array(expr.get("returns"), &"'returns'")?;
                let flag = |k: &str| expr.get(k).is_some_and(truthy);
                let generate = expr.get("gen").is_none_or(truthy);
                let success_response = expr.get("success-response").is_none_or(truthy);
                DefBody::Command {
                    data,
                    returns,
                    boxed,
                    generate,
                    success_response,
                    allow_oob: flag("allow-oob"),
                    allow_preconfig: flag("allow-preconfig"),
                    coroutine: flag("coroutine"),
                }
            }
            Meta::Event => {
                self.check_keys(
                    expr,
                    &"event",
                    &["event"],
                    &["data", "boxed", "if", "features"],
                    expr.span,
                )?;
                let Arguments { data, boxed } = self.check_data(expr)?;
                DefBody::Event { data, boxed }
            }
        };
        let ifcond = self.check_if(expr, &meta.name())?;
        let features = self.check_features(expr.get("features"))?;
        self.check_flags(expr)?;
        Ok(Def {
            name: name.text.clone(),
            loc: self.loc,
            doc,
            ifcond,
            features,
            body,
        })
    }

    fn check_defn_name(&mut self, name: &Str, meta: Meta) -> Result<(), Diagnostic> {
        let what = meta.name();
        match meta {
            Meta::Event => {
                let stem = self.check_name_str(&name.text, name.span, &what)?;
                if stem.chars().any(|c| c.is_ascii_lowercase() || c == '-') {
                    self.style(
                        name.span,
                        format!("name of {what} must not use lowercase or '-'"),
                    )?;
                }
            }
            Meta::Command => {
                let case = if self.exceptions.command_name.contains(name.text.as_str()) {
                    NameCase::LowerOrUnderscore
                } else {
                    NameCase::Lower
                };
                self.check_name_lower(&name.text, name.span, &what, case)?;
            }
            _ => {
                let stem = self.check_name_str(&name.text, name.span, &what)?;
                if !is_camel(stem) {
                    self.style(name.span, format!("name of {what} must use CamelCase"))?;
                }
                if name.text.ends_with("List") {
                    return Err(
                        self.err_at(name.span, format!("{what} name should not end in 'List'"))
                    );
                }
            }
        }
        Ok(())
    }

    /// A valid name: returns its stem.
    fn check_name_str<'n>(
        &self,
        name: &'n str,
        span: Span,
        source: &dyn Display,
    ) -> Result<&'n str, Diagnostic> {
        match valid_name_stem(name) {
            Some(stem) if !(name.starts_with('q') && name[1..].starts_with(['_', '-', '.'])) => {
                Ok(stem)
            }
            _ => Err(self.err_at(span, format!("{source} has an invalid name"))),
        }
    }

    fn check_name_lower(
        &mut self,
        name: &str,
        span: Span,
        source: &dyn Display,
        case: NameCase,
    ) -> Result<(), Diagnostic> {
        let stem = self.check_name_str(name, span, source)?;
        let breaks = match case {
            NameCase::Lower => stem.bytes().any(|c| c.is_ascii_uppercase() || c == b'_'),
            NameCase::LowerOrUnderscore => stem.bytes().any(|c| c.is_ascii_uppercase()),
            NameCase::Any => false,
        };
        if breaks {
            self.style(
                span,
                format!("name of {source} must not use uppercase or '_'"),
            )?;
        }
        Ok(())
    }

    /// The rule for the names of the members or values of definition
    /// `owner` (`None` for a command's or event's arguments): any case for
    /// those the `member-name-exceptions` pragma names.
    fn member_case(&self, owner: Option<&str>) -> NameCase {
        match owner {
            Some(o) if self.exceptions.member_name.contains(o) => NameCase::Any,
            _ => NameCase::Lower,
        }
    }

    fn check_keys(
        &self,
        value: &Object,
        source: &dyn Display,
        required: &[&str],
        optional: &[&str],
        span: Span,
    ) -> Result<(), Diagnostic> {
        fn pprint(mut elems: Vec<&str>) -> String {
            elems.sort_unstable();
            elems
                .iter()
                .map(|e| format!("'{e}'"))
                .collect::<Vec<_>>()
                .join(", ")
        }
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|k| !value.contains(k))
            .collect();
        if !missing.is_empty() {
            let s = if missing.len() > 1 { "s" } else { "" };
            return Err(self.err_at(span, format!("{source} misses key{s} {}", pprint(missing))));
        }
        let unknown: Vec<&str> = value
            .keys()
            .filter(|k| !required.contains(k) && !optional.contains(k))
            .collect();
        if !unknown.is_empty() {
            let s = if unknown.len() > 1 { "s" } else { "" };
            let span = value.entry(unknown[0]).map_or(span, |(k, _)| k.span);
            let allowed = required.iter().chain(optional).copied().collect();
            return Err(self.err_at(
                span,
                format!(
                    "{source} has unknown key{s} {}\nValid keys are {}.",
                    pprint(unknown),
                    pprint(allowed)
                ),
            ));
        }
        Ok(())
    }

    fn check_flags(&self, expr: &Object) -> Result<(), Diagnostic> {
        for key in ["gen", "success-response"] {
            if let Some(v) = expr.get(key)
                && v.as_bool() != Some(false)
            {
                return Err(self.err_at(v.span(), format!("flag '{key}' may only use false value")));
            }
        }
        for key in ["boxed", "allow-oob", "allow-preconfig", "coroutine"] {
            if let Some(v) = expr.get(key)
                && v.as_bool() != Some(true)
            {
                return Err(self.err_at(v.span(), format!("flag '{key}' may only use true value")));
            }
        }
        if expr.contains("allow-oob") && expr.contains("coroutine") {
            return Err(self.err("flags 'allow-oob' and 'coroutine' are incompatible"));
        }
        Ok(())
    }

    /// The `if` member of `expr`, if any (boxed, as the model keeps it:
    /// most things have none).
    fn check_if(
        &self,
        expr: &Object,
        source: &dyn Display,
    ) -> Result<Option<Box<Cond>>, Diagnostic> {
        Ok(self.check_if_value(expr, source)?.map(Box::new))
    }

    fn check_if_value(
        &self,
        expr: &Object,
        source: &dyn Display,
    ) -> Result<Option<Cond>, Diagnostic> {
        let Some(cond) = expr.get("if") else {
            return Ok(None);
        };
        if !self.ctx.strict() {
            // QEMU 5.2: a C preprocessor expression, or a list of them
            // (all must hold).
            match cond {
                Value::Str(s) if !is_identifier(&s.text) && !s.text.trim().is_empty() => {
                    return Ok(Some(Cond::CExpr(s.text.clone())));
                }
                Value::List(items, span) => {
                    if items.is_empty() {
                        return Err(
                            self.err_at(*span, format!("'if' condition [] of {source} is useless"))
                        );
                    }
                    let mut all = Vec::new();
                    for item in items {
                        match item {
                            Value::Str(s) if !s.text.trim().is_empty() => {
                                all.push(Cond::CExpr(s.text.clone()))
                            }
                            Value::Str(s) => {
                                return Err(self.err_at(
                                    s.span,
                                    format!(
                                        "'if' condition '{}' of {source} makes no sense",
                                        s.text
                                    ),
                                ));
                            }
                            other => {
                                return Err(self.err_at(
                                    other.span(),
                                    format!("'if' condition of {source} must be a string or a list of strings"),
                                ));
                            }
                        }
                    }
                    return Ok(Some(Cond::All(all)));
                }
                _ => {}
            }
        }
        self.check_cond(cond, source).map(Some)
    }

    fn check_cond(&self, cond: &Value, source: &dyn Display) -> Result<Cond, Diagnostic> {
        match cond {
            Value::Str(s) => {
                if !is_identifier(&s.text) {
                    return Err(self.err_at(
                        s.span,
                        format!(
                            "'if' condition '{}' of {source} is not a valid identifier",
                            s.text
                        ),
                    ));
                }
                Ok(Cond::Name(s.text.clone()))
            }
            Value::Object(o) => {
                self.check_keys(o, &IfOf(source), &[], &["all", "any", "not"], o.span)?;
                if o.len() != 1 {
                    return Err(self.err_at(
                        o.span,
                        format!("'if' condition of {source} has conflicting keys"),
                    ));
                }
                let (op, operand) = &o.members[0];
                if op.text == "not" {
                    return Ok(Cond::Not(Box::new(self.check_cond(operand, source)?)));
                }
                let Value::List(items, span) = operand else {
                    return Err(self.err_at(
                        operand.span(),
                        format!("'{}' condition of {source} must be an array", op.text),
                    ));
                };
                if items.is_empty() {
                    return Err(
                        self.err_at(*span, format!("'if' condition [] of {source} is useless"))
                    );
                }
                let operands = items
                    .iter()
                    .map(|i| self.check_cond(i, source))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(if op.text == "all" {
                    Cond::All(operands)
                } else {
                    Cond::Any(operands)
                })
            }
            other => Err(self.err_at(
                other.span(),
                format!("'if' condition of {source} must be a string or an object"),
            )),
        }
    }

    fn check_features(&mut self, features: Option<&Value>) -> Result<Vec<FeatureDef>, Diagnostic> {
        let Some(features) = features else {
            return Ok(Vec::new());
        };
        let Value::List(items, _) = features else {
            return Err(self.err_at(features.span(), "'features' must be an array"));
        };
        let mut out = Vec::with_capacity(items.len());
        for f in items {
            let source = &"'features' member";
            let (name, obj) = match f {
                Value::Object(o) => {
                    self.check_keys(o, source, &["name"], &["if"], o.span)?;
                    (o.get("name").expect("checked"), Some(o))
                }
                other => (other, None),
            };
            let Value::Str(name) = name else {
                return Err(self.err_at(name.span(), format!("{source} requires a string name")));
            };
            let source = Named(source, &name.text);
            self.check_name_lower(&name.text, name.span, &source, NameCase::Lower)?;
            let ifcond = match obj {
                Some(o) => self.check_if(o, &source)?,
                None => None,
            };
            out.push(FeatureDef {
                name: name.text.clone(),
                ifcond,
            });
        }
        Ok(out)
    }

    fn check_enum(&mut self, expr: &Object, name: &str) -> Result<DefBody, Diagnostic> {
        let data = expr.get("data").expect("checked");
        let Value::List(members, _) = data else {
            return Err(self.err_at(data.span(), "'data' must be an array"));
        };
        let prefix = match expr.get("prefix") {
            None => None,
            Some(Value::Str(s)) => Some(s.text.clone()),
            Some(other) => return Err(self.err_at(other.span(), "'prefix' must be a string")),
        };
        let case = self.member_case(Some(name));
        let mut values = Vec::with_capacity(members.len());
        for m in members {
            let source = &"'data' member";
            let (mname, obj) = match m {
                Value::Object(o) => {
                    self.check_keys(o, source, &["name"], &["if", "features"], o.span)?;
                    (o.get("name").expect("checked"), Some(o))
                }
                other => (other, None),
            };
            let Value::Str(mname) = mname else {
                return Err(self.err_at(mname.span(), format!("{source} requires a string name")));
            };
            let source = Named(source, &mname.text);
            // Enum values may start with a digit: QEMU checks them with a
            // letter in front.
            if mname.text.starts_with(|c: char| c.is_ascii_digit()) {
                let checked = format!("d{}", mname.text);
                self.check_name_lower(&checked, mname.span, &source, case)?;
            } else {
                self.check_name_lower(&mname.text, mname.span, &source, case)?;
            }
            let (ifcond, features) = match obj {
                Some(o) => (
                    self.check_if(o, &source)?,
                    self.check_features(o.get("features"))?,
                ),
                None => (None, Vec::new()),
            };
            values.push(EnumValueDef {
                name: mname.text.clone(),
                ifcond,
                features,
            });
        }
        Ok(DefBody::Enum { values, prefix })
    }

    fn check_union(
        &mut self,
        expr: &Object,
        name: &str,
        kind: UnionKind,
    ) -> Result<DefBody, Diagnostic> {
        let simple = kind == UnionKind::Simple;
        let base = if simple {
            None
        } else {
            self.check_type_name_or_implicit(expr.get("base"), &"'base'", Some(name))?
        };
        let discriminator = match expr.get("discriminator") {
            None => None,
            Some(Value::Str(s)) => Some(s.text.clone()),
            Some(other) => {
                return Err(self.err_at(other.span(), "'discriminator' requires a string name"));
            }
        };
        let data = expr.get("data").expect("checked");
        let Value::Object(members) = data else {
            return Err(self.err_at(data.span(), "'data' must be an object"));
        };
        let mut branches = Vec::with_capacity(members.len());
        for (key, value) in &members.members {
            let source = Named(&"'data' member", &key.text);
            if simple {
                self.check_name_lower(&key.text, key.span, &source, NameCase::LowerOrUnderscore)?;
            }
            let (ty, obj) = normalized_member(value);
            if let Some(o) = obj {
                self.check_keys(o, &source, &["type"], &["if"], o.span)?;
            }
            let ifcond = match obj {
                Some(o) => self.check_if(o, &source)?,
                None => None,
            };
            let ty = if simple {
                self.type_name_or_array(ty, &source)?
            } else {
                TypeRef::Named(self.type_name(ty, &source)?)
            };
            branches.push(BranchDef {
                name: key.text.clone(),
                ty,
                ifcond,
            });
        }
        Ok(DefBody::Union {
            base,
            discriminator,
            branches,
        })
    }

    fn check_alternate(&mut self, expr: &Object) -> Result<DefBody, Diagnostic> {
        let data = expr.get("data").expect("checked");
        if !truthy(data) {
            return Err(self.err_at(data.span(), "'data' must not be empty"));
        }
        let Value::Object(members) = data else {
            return Err(self.err_at(data.span(), "'data' must be an object"));
        };
        let mut branches = Vec::with_capacity(members.len());
        for (key, value) in &members.members {
            let source = Named(&"'data' member", &key.text);
            self.check_name_lower(&key.text, key.span, &source, NameCase::Lower)?;
            let (ty, obj) = normalized_member(value);
            if let Some(o) = obj {
                self.check_keys(o, &source, &["type"], &["if"], o.span)?;
            }
            let ifcond = match obj {
                Some(o) => self.check_if(o, &source)?,
                None => None,
            };
            let ty = self.type_name_or_array(ty, &source)?;
            branches.push(BranchDef {
                name: key.text.clone(),
                ty,
                ifcond,
            });
        }
        Ok(DefBody::Alternate { branches })
    }

    /// `data` and `boxed` of a command or event.
    fn check_data(&mut self, expr: &Object) -> Result<Arguments, Diagnostic> {
        let args = expr.get("data");
        let boxed = expr.get("boxed").is_some_and(truthy);
        if boxed {
            let Some(args) = args else {
                return Err(self.err("'boxed': true requires 'data'"));
            };
            let name = self.check_type_name(Some(args), &"'data'")?;
            return Ok(Arguments {
                data: name.map(TypeOrMembers::Name),
                boxed,
            });
        }
        Ok(Arguments {
            data: self.check_type_name_or_implicit(args, &"'data'", None)?,
            boxed,
        })
    }

    fn type_name(&self, value: &Value, source: &dyn Display) -> Result<String, Diagnostic> {
        match value {
            Value::Str(s) => Ok(s.text.clone()),
            other => Err(self.err_at(other.span(), format!("{source} should be a type name"))),
        }
    }

    fn type_name_or_array(
        &self,
        value: &Value,
        source: &dyn Display,
    ) -> Result<TypeRef, Diagnostic> {
        match value {
            Value::Str(s) => Ok(TypeRef::Named(s.text.clone())),
            Value::List(items, span) => match &items[..] {
                [Value::Str(s)] => Ok(TypeRef::Array(s.text.clone())),
                _ => Err(self.err_at(
                    *span,
                    format!("{source}: array type must contain single type name"),
                )),
            },
            other => Err(self.err_at(
                other.span(),
                format!("{source} should be a type name or array"),
            )),
        }
    }

    fn check_type_name(
        &self,
        value: Option<&Value>,
        source: &dyn Display,
    ) -> Result<Option<String>, Diagnostic> {
        value.map(|v| self.type_name(v, source)).transpose()
    }

    fn check_type_name_or_array(
        &self,
        value: Option<&Value>,
        source: &dyn Display,
    ) -> Result<Option<TypeRef>, Diagnostic> {
        value
            .map(|v| self.type_name_or_array(v, source))
            .transpose()
    }

    fn check_type_name_or_implicit(
        &mut self,
        value: Option<&Value>,
        source: &dyn Display,
        parent: Option<&str>,
    ) -> Result<Option<TypeOrMembers>, Diagnostic> {
        match value {
            None => Ok(None),
            Some(Value::Str(s)) => Ok(Some(TypeOrMembers::Name(s.text.clone()))),
            Some(v) => Ok(Some(TypeOrMembers::Members(
                self.check_type_implicit(v, source, parent)?,
            ))),
        }
    }

    /// Members of an implicit object type.
    fn check_type_implicit(
        &mut self,
        value: &Value,
        source: &dyn Display,
        parent: Option<&str>,
    ) -> Result<Vec<MemberDef>, Diagnostic> {
        let Value::Object(obj) = value else {
            return Err(self.err_at(
                value.span(),
                format!("{source} should be an object or type name"),
            ));
        };
        let case = self.member_case(parent);
        let mut members = Vec::with_capacity(obj.len());
        for (key, arg) in &obj.members {
            let key_source = MemberOf(source, &key.text);
            let (name, optional) = match key.text.strip_prefix('*') {
                Some(n) => (n, true),
                None => (key.text.as_str(), false),
            };
            self.check_name_lower(name, key.span, &key_source, case)?;
            if name == "u" || (name.starts_with("has") && name[3..].starts_with(['_', '-', '.'])) {
                return Err(self.err_at(key.span, format!("{key_source} uses reserved name")));
            }
            let (ty, long) = normalized_member(arg);
            if let Some(o) = long {
                self.check_keys(o, &key_source, &["type"], &["if", "features"], o.span)?;
            }
            let (ifcond, features) = match long {
                Some(o) => (
                    self.check_if(o, &key_source)?,
                    self.check_features(o.get("features"))?,
                ),
                None => (None, Vec::new()),
            };
            let ty = self.type_name_or_array(ty, &key_source)?;
            members.push(MemberDef {
                name: name.to_string(),
                optional,
                ty,
                ifcond,
                features,
            });
        }
        Ok(members)
    }
}

/// A 10.2 condition identifier: `[A-Z][A-Z0-9_]*`.
fn is_identifier(s: &str) -> bool {
    let mut cs = s.chars();
    cs.next().is_some_and(|c| c.is_ascii_uppercase())
        && cs.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// `[A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*`
fn is_camel(stem: &str) -> bool {
    let mut cs = stem.chars();
    cs.next().is_some_and(|c| c.is_ascii_uppercase())
        && stem.chars().all(|c| c.is_ascii_alphanumeric())
        && stem.chars().skip(1).any(|c| c.is_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(valid_name_stem("foo-bar"), Some("foo-bar"));
        assert_eq!(valid_name_stem("x-foo"), Some("foo"));
        assert_eq!(valid_name_stem("__com.redhat_x-foo"), Some("foo"));
        assert_eq!(valid_name_stem("__com.redhat_foo_bar"), Some("foo_bar"));
        assert_eq!(valid_name_stem("_oops"), None);
        assert_eq!(valid_name_stem("1a"), None);
        assert_eq!(valid_name_stem("not\\possible"), None);
        assert_eq!(valid_name_stem(""), None);
        assert!(is_camel("FooBar"));
        assert!(!is_camel("FOO"));
        assert!(!is_camel("foo"));
        assert!(!is_camel("Foo_bar"));
    }
}
