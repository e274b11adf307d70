//! Rust names for schema names: one sanitizer, deterministic collision
//! handling.
//!
//! Types, commands and events become UpperCamelCase (`checkpoint_recorder`
//! -> `CheckpointRecorder`, `query-status` -> `QueryStatus`, `MIGRATION_PASS`
//! -> `MigrationPass`); a type name that already is valid UpperCamelCase is
//! kept as QEMU spells it (`BlockdevOptions`, `X86CPURegister32`).  Members
//! become snake_case (`normal-bytes` -> `normal_bytes`), enum values and
//! branches UpperCamelCase.  Keywords become raw identifiers (`r#type`);
//! names starting with a digit get a leading `_`.  The wire name is always
//! kept separately, so the Rust name never needs to round-trip.

use std::collections::HashSet;

use heck::ToSnakeCase;

/// Rust's keywords, strict and reserved, of every edition.
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "try", "type",
    "typeof", "union", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Keywords that cannot be raw identifiers.
const NOT_RAW: &[&str] = &["crate", "self", "Self", "super", "_"];

/// The text of an identifier as written in source (`r#type` for raw ones).
pub fn ident_text(name: &str) -> String {
    if NOT_RAW.contains(&name) {
        format!("{name}_")
    } else if KEYWORDS.contains(&name) {
        format!("r#{name}")
    } else {
        name.to_string()
    }
}

/// UpperCamelCase for a type, command, event, enum value or branch name.
///
/// A name that is already UpperCamelCase (letters and digits, starting with
/// an upper-case letter) is kept.  Otherwise the name is split at `-`, `_`,
/// `.` and spaces; each part gets an upper-case first letter (an all-caps
/// part is lower-cased after its first letter: `MIGRATION_PASS` ->
/// `MigrationPass`); parts are joined, keeping an `_` between two digits
/// (`x86_64` -> `X86_64`).
pub fn upper_camel(name: &str) -> String {
    let is_camel = name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric())
        && name.chars().any(|c| c.is_ascii_lowercase());
    let mut out = String::with_capacity(name.len());
    if is_camel {
        out.push_str(name);
    } else {
        for part in name
            .split(['-', '_', '.', ' ', '+'])
            .filter(|p| !p.is_empty())
        {
            if out.ends_with(|c: char| c.is_ascii_digit())
                && part.starts_with(|c: char| c.is_ascii_digit())
            {
                out.push('_');
            }
            let all_caps = !part.chars().any(|c| c.is_ascii_lowercase());
            let mut chars = part.chars();
            if let Some(first) = chars.next() {
                out.push(first.to_ascii_uppercase());
                if all_caps {
                    out.extend(chars.map(|c| c.to_ascii_lowercase()));
                } else {
                    out.extend(chars);
                }
            }
        }
    }
    finish(out)
}

/// snake_case for a member name.
pub fn snake(name: &str) -> String {
    finish(name.to_snake_case())
}

/// Makes a converted name usable: non-identifier characters become `_`, a
/// leading digit gets a `_` in front, and the keywords that cannot be raw
/// identifiers (`self`, `Self`, `crate`, `super`, and `_`, which an empty
/// name becomes) get a `_` after them.  Collisions are then decided on the
/// result.
fn finish(name: String) -> String {
    let mut s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, '_');
    }
    if NOT_RAW.contains(&s.as_str()) {
        s.push('_');
    }
    s
}

/// Hands out unique names in one namespace: the first claimant of a name
/// gets it, later ones get `{name}{suffix}`, then `{name}{suffix}2`, ...
#[derive(Debug, Default, Clone)]
pub struct Namespace {
    taken: HashSet<String>,
}

impl Namespace {
    /// A namespace where `reserved` names are already taken.
    pub fn with_reserved(reserved: &[&str]) -> Self {
        Namespace {
            taken: reserved.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// Claims `name`, or a variant of it with `suffix` when taken.
    pub fn claim(&mut self, name: String, suffix: &str) -> String {
        if self.taken.insert(name.clone()) {
            return name;
        }
        let base = format!("{name}{suffix}");
        if self.taken.insert(base.clone()) {
            return base;
        }
        for i in 2.. {
            let candidate = format!("{base}{i}");
            if self.taken.insert(candidate.clone()) {
                return candidate;
            }
        }
        unreachable!("some numbered name is free")
    }

    /// Whether `name` is taken.
    pub fn contains(&self, name: &str) -> bool {
        self.taken.contains(name)
    }
}

/// A string literal in source text: `"name"`, escaped as Rust requires.
pub struct Lit<'a>(pub &'a str);

impl std::fmt::Display for Lit<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Schema names are plain ASCII: no escaping to do.
        if self
            .0
            .bytes()
            .all(|b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\')
        {
            write!(f, "\"{}\"", self.0)
        } else {
            write!(f, "{}", proc_macro2::Literal::string(self.0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel() {
        assert_eq!(upper_camel("checkpoint_recorder"), "CheckpointRecorder");
        assert_eq!(upper_camel("info_checkpoint"), "InfoCheckpoint");
        assert_eq!(upper_camel("MIGRATION_PASS"), "MigrationPass");
        assert_eq!(upper_camel("query-status"), "QueryStatus");
        assert_eq!(upper_camel("BlockdevOptions"), "BlockdevOptions");
        assert_eq!(upper_camel("X86CPURegister32"), "X86CPURegister32");
        assert_eq!(upper_camel("x86_64"), "X86_64");
        assert_eq!(upper_camel("2_5"), "_2_5");
        assert_eq!(upper_camel("legacyESX"), "LegacyESX");
        assert_eq!(upper_camel("__com.redhat_foo"), "ComRedhatFoo");
        assert_eq!(upper_camel("x-query-foo"), "XQueryFoo");
        assert_eq!(
            upper_camel("QCryptoBlockOpenOptions"),
            "QCryptoBlockOpenOptions"
        );
        assert_eq!(upper_camel("ACPI"), "Acpi");
    }

    #[test]
    fn snake_and_keywords() {
        assert_eq!(snake("normal-bytes"), "normal_bytes");
        assert_eq!(snake("avg_time"), "avg_time");
        assert_eq!(ident_text(&snake("type")), "r#type");
        assert_eq!(snake("self"), "self_");
        assert_eq!(snake("Self"), "self_");
        assert_eq!(upper_camel("self"), "Self_");
        assert_eq!(snake("1"), "_1");
    }

    #[test]
    fn string_literals() {
        assert_eq!(Lit("query-status").to_string(), "\"query-status\"");
        assert_eq!(Lit("a\"b\\c").to_string(), "\"a\\\"b\\\\c\"");
        assert_eq!(Lit("tab\there").to_string(), "\"tab\\there\"");
    }

    #[test]
    fn collisions() {
        let mut ns = Namespace::with_reserved(&["Event"]);
        assert_eq!(ns.claim("Event".into(), "Type"), "EventType");
        assert_eq!(ns.claim("Foo".into(), "Command"), "Foo");
        assert_eq!(ns.claim("Foo".into(), "Command"), "FooCommand");
        assert_eq!(ns.claim("Foo".into(), "Command"), "FooCommand2");
    }
}
