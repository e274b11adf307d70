//! The values of the schema language, each with the span it was read from.

use crate::source::Span;

/// A string value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Str {
    /// The text, escapes resolved.
    pub text: String,
    /// From the opening to the closing quote.
    pub span: Span,
}

/// A schema value: what QEMU's parser produces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// `'text'`
    Str(Str),
    /// `true` or `false`
    Bool(bool, Span),
    /// `[ ... ]`
    List(Vec<Value>, Span),
    /// `{ 'key': value, ... }`
    Object(Object),
}

/// An object: keys in source order, no duplicates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Object {
    /// The members in source order.
    pub members: Vec<(Str, Value)>,
    /// From `{` to `}`.
    pub span: Span,
}

impl Object {
    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.members
            .iter()
            .find(|(k, _)| k.text == key)
            .map(|(_, v)| v)
    }

    /// The key and value of `key`.
    pub fn entry(&self, key: &str) -> Option<(&Str, &Value)> {
        self.members
            .iter()
            .find(|(k, _)| k.text == key)
            .map(|(k, v)| (k, v))
    }

    /// Whether `key` is present.
    pub fn contains(&self, key: &str) -> bool {
        self.members.iter().any(|(k, _)| k.text == key)
    }

    /// The keys in source order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.members.iter().map(|(k, _)| k.text.as_str())
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether there are no members.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }
}

impl Value {
    /// Where the value stands.
    pub fn span(&self) -> Span {
        match self {
            Value::Str(s) => s.span,
            Value::Bool(_, span) | Value::List(_, span) => *span,
            Value::Object(o) => o.span,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(&s.text),
            _ => None,
        }
    }

    /// The object, if this is one.
    pub fn as_object(&self) -> Option<&Object> {
        match self {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    /// The list, if this is one.
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(l, _) => Some(l),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b, _) => Some(*b),
            _ => None,
        }
    }

    /// The value as Python's `repr()` prints the equivalent object, which is
    /// how QEMU's messages and model dumps show values.
    pub fn python_repr(&self) -> String {
        let mut out = String::new();
        self.write_repr(&mut out);
        out
    }

    fn write_repr(&self, out: &mut String) {
        match self {
            Value::Str(s) => write_str_repr(out, &s.text),
            Value::Bool(b, _) => out.push_str(if *b { "True" } else { "False" }),
            Value::List(items, _) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    v.write_repr(out);
                }
                out.push(']');
            }
            Value::Object(o) => {
                out.push('{');
                for (i, (k, v)) in o.members.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write_str_repr(out, &k.text);
                    out.push_str(": ");
                    v.write_repr(out);
                }
                out.push('}');
            }
        }
    }
}

/// Python's `repr()` of a string of printable ASCII, which is all a schema
/// string can hold.
pub(crate) fn write_str_repr(out: &mut String, s: &str) {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for ch in s.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
}
