//! Splits a client's byte stream into JSON values the way QEMU's JSON
//! streamer does (`qobject/json-streamer.c`): by counting braces and
//! brackets outside strings, not by lines, so several requests may share a
//! line and one request may span several.  Parse errors get QEMU's
//! `qobject/json-parser.c` wording.

use crate::wire::{self, DUPLICATE_KEY};

/// QEMU's `MAX_NESTING`.
const MAX_NESTING: usize = 1024;

/// What the splitter found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Item {
    /// One complete JSON value (not yet validated).
    Value(Vec<u8>),
    /// A lexical error, as the `desc` of the error reply.
    Error(String),
}

/// An incremental splitter.
pub(crate) struct Splitter {
    buf: Vec<u8>,
    depth: usize,
    /// The quote that opened the current string.
    quote: Option<u8>,
    escape: bool,
    /// Inside a top-level scalar such as a number or keyword.
    scalar: bool,
    /// The current value broke a limit: skip it, then report this.
    failed: Option<&'static str>,
    max: usize,
}

impl Splitter {
    /// A splitter accepting values up to `max` bytes.
    pub(crate) fn new(max: usize) -> Self {
        Splitter {
            buf: Vec::new(),
            depth: 0,
            quote: None,
            escape: false,
            scalar: false,
            failed: None,
            max,
        }
    }

    fn push(&mut self, b: u8) {
        if self.failed.is_some() {
            return;
        }
        if self.buf.len() >= self.max {
            self.failed = Some("JSON token size limit exceeded");
            self.buf = Vec::new();
            return;
        }
        self.buf.push(b);
    }

    fn emit(&mut self, out: &mut Vec<Item>) {
        let value = std::mem::take(&mut self.buf);
        match self.failed.take() {
            Some(e) => out.push(Item::Error(e.to_owned())),
            None => out.push(Item::Value(value)),
        }
    }

    fn emit_scalar(&mut self, out: &mut Vec<Item>) {
        self.scalar = false;
        let word = std::mem::take(&mut self.buf);
        let keyword = word.first().is_some_and(u8::is_ascii_alphabetic);
        if keyword && !matches!(&word[..], b"true" | b"false" | b"null") {
            out.push(Item::Error(format!(
                "JSON parse error, invalid keyword '{}'",
                String::from_utf8_lossy(&word)
            )));
        } else {
            out.push(Item::Value(word));
        }
    }

    /// Feeds bytes, appending what completes to `out`.
    pub(crate) fn feed(&mut self, data: &[u8], out: &mut Vec<Item>) {
        for &b in data {
            if let Some(q) = self.quote {
                self.push(b);
                if self.escape {
                    self.escape = false;
                } else if b == b'\\' {
                    self.escape = true;
                } else if b == q {
                    self.quote = None;
                    if self.depth == 0 {
                        self.emit(out);
                    }
                }
                continue;
            }
            if self.scalar {
                if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.') {
                    self.push(b);
                    continue;
                }
                self.emit_scalar(out);
            }
            match b {
                b' ' | b'\t' | b'\r' | b'\n' => {
                    if self.depth > 0 {
                        self.push(b);
                    }
                }
                b'{' | b'[' => {
                    self.depth += 1;
                    if self.depth > MAX_NESTING && self.failed.is_none() {
                        self.failed = Some("JSON nesting depth limit exceeded");
                        self.buf = Vec::new();
                    }
                    self.push(b);
                }
                b'}' | b']' => {
                    if self.depth == 0 {
                        out.push(Item::Error("JSON parse error, expecting value".into()));
                    } else {
                        self.depth -= 1;
                        self.push(b);
                        if self.depth == 0 {
                            self.emit(out);
                        }
                    }
                }
                b'"' | b'\'' => {
                    self.quote = Some(b);
                    self.push(b);
                }
                _ if self.depth > 0 => self.push(b),
                _ if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.') => {
                    self.scalar = true;
                    self.push(b);
                }
                _ => {
                    let c = if b.is_ascii_graphic() {
                        char::from(b)
                    } else {
                        char::REPLACEMENT_CHARACTER
                    };
                    out.push(Item::Error(format!("JSON parse error, stray '{c}'")));
                }
            }
        }
    }
}

/// QEMU's wording of a parse error serde_json found in `text`.
pub(crate) fn parse_error(e: &serde_json::Error, text: &str) -> String {
    let msg = wire::error_text(e);
    let qemu = if msg == DUPLICATE_KEY {
        DUPLICATE_KEY.to_owned()
    } else if msg.starts_with("EOF while parsing") {
        "premature EOI".to_owned()
    } else if msg == "expected `,` or `}`" {
        "expected separator in dict".to_owned()
    } else if msg == "expected `,` or `]`" {
        "expected separator in list".to_owned()
    } else if msg == "expected value" || msg == "trailing comma" {
        "expecting value".to_owned()
    } else if msg == "key must be a string" {
        "key is not a string in object".to_owned()
    } else if msg == "expected `:`" {
        "missing : in object pair".to_owned()
    } else if msg.starts_with("invalid escape")
        || msg.starts_with("invalid unicode code point")
        || msg.starts_with("lone leading surrogate")
        || msg.starts_with("unexpected end of hex escape")
    {
        "invalid escape sequence in string".to_owned()
    } else if msg == "expected ident" {
        format!("invalid keyword '{}'", word_at(text, e.line(), e.column()))
    } else if msg == "recursion limit exceeded" {
        return "JSON nesting depth limit exceeded".to_owned();
    } else {
        msg
    };
    format!("JSON parse error, {qemu}")
}

/// The word around serde_json's error position (1-based line and column).
fn word_at(text: &str, line: usize, column: usize) -> String {
    let Some(l) = text.split('\n').nth(line.saturating_sub(1)) else {
        return String::new();
    };
    let bytes = l.as_bytes();
    let at = column.saturating_sub(1).min(bytes.len());
    let is_word = |b: &u8| b.is_ascii_alphanumeric();
    let start = bytes[..at]
        .iter()
        .rposition(|b| !is_word(b))
        .map_or(0, |i| i + 1);
    let end = bytes[start..]
        .iter()
        .position(|b| !is_word(b))
        .map_or(bytes.len(), |i| start + i);
    String::from_utf8_lossy(&bytes[start..end]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(input: &str) -> Vec<Item> {
        let mut s = Splitter::new(1 << 20);
        let mut out = Vec::new();
        s.feed(input.as_bytes(), &mut out);
        out
    }

    fn v(s: &str) -> Item {
        Item::Value(s.as_bytes().to_vec())
    }

    #[test]
    fn splits_without_newlines_and_across_lines() {
        assert_eq!(
            split("{\"a\":1}{\"b\":\n[1,\n2]}\n"),
            vec![v("{\"a\":1}"), v("{\"b\":\n[1,\n2]}")]
        );
    }

    #[test]
    fn braces_in_strings_do_not_count() {
        assert_eq!(split(r#"{"a":"}\"{"}"#), vec![v(r#"{"a":"}\"{"}"#)]);
    }

    #[test]
    fn scalars_keywords_and_stray_characters() {
        assert_eq!(
            split("3\ngarbage\n@}true "),
            vec![
                v("3"),
                Item::Error("JSON parse error, invalid keyword 'garbage'".into()),
                Item::Error("JSON parse error, stray '@'".into()),
                Item::Error("JSON parse error, expecting value".into()),
                v("true"),
            ]
        );
    }

    #[test]
    fn size_limit() {
        let mut s = Splitter::new(8);
        let mut out = Vec::new();
        s.feed(b"{\"a\":\"0123456789\"}{}", &mut out);
        assert_eq!(
            out,
            vec![
                Item::Error("JSON token size limit exceeded".into()),
                v("{}")
            ]
        );
    }

    #[test]
    fn keyword_in_object() {
        let text = r#"{"execute":"x","id":tru}"#;
        let e = serde_json::from_str::<serde_json::Value>(text).unwrap_err();
        assert_eq!(
            parse_error(&e, text),
            "JSON parse error, invalid keyword 'tru'"
        );
    }
}
