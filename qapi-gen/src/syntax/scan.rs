//! Finding the items of a file: where each documentation block and each
//! value starts and ends, without allocating.
//!
//! These functions accept exactly what the rules `file`, `gap`,
//! `doc_block`, `value` and `string` of the language accept (as written in
//! `qapi.pest`, which keeps only the token rules used to diagnose broken
//! items): an item they cannot read to its end is left to
//! [`super::diagnose`], which reports QEMU's error for it.
//!
//! They replace a grammar pass over the whole file, which cost memory
//! proportional to the file (a token queue and a line index for the whole
//! input) and, for a documentation block ending early, a new pass over the
//! rest of the file.  Every function here is linear in what it reads, and
//! nesting is followed with a heap stack, so no input can exhaust the call
//! stack.

/// What starts at a position of a file, after white space and comments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Scanned {
    /// A documentation block: from its `##` to the end of its closing line
    /// (or of the input).
    Doc { start: usize, end: usize },
    /// A value that is complete: from its first to one past its last byte.
    Value { start: usize, end: usize },
    /// Something that is no item; everything from here on is the grammar's
    /// `rest`.
    Rest { start: usize },
    /// The end of the input.
    Eof,
}

/// The next item at or after `pos`.
pub(super) fn next_item(text: &str, pos: usize) -> Scanned {
    let bytes = text.as_bytes();
    let start = skip_gap(text, pos);
    if start >= bytes.len() {
        return Scanned::Eof;
    }
    if bytes[start..].starts_with(b"##") {
        return Scanned::Doc {
            start,
            end: doc_block_end(bytes, start),
        };
    }
    match value_end(text, start) {
        Some(end) => Scanned::Value { start, end },
        None => Scanned::Rest { start },
    }
}

/// Where the next item of a list or object, or its closing bracket,
/// starts after an item ending at `end` (inside a value found complete):
/// past the gap and a comma.
#[inline]
pub(super) fn past_separator(text: &str, end: usize) -> usize {
    let pos = skip_gap(text, end);
    if text.as_bytes()[pos] == b',' {
        skip_gap(text, pos + 1)
    } else {
        pos
    }
}

/// `gap`: white space (Python's `str.isspace()`) and comments that do not
/// start with `##`, from `pos`.  Returns where they end.
pub(super) fn skip_gap(text: &str, mut pos: usize) -> usize {
    let bytes = text.as_bytes();
    while let Some(&b) = bytes.get(pos) {
        match b {
            b' ' | b'\t'..=b'\r' | 0x1c..=0x1f => pos += 1,
            b'#' if bytes.get(pos + 1) != Some(&b'#') => {
                pos = memchr::memchr(b'\n', &bytes[pos..]).map_or(bytes.len(), |i| pos + i);
            }
            b if b >= 0x80 => match text[pos..].chars().next() {
                Some(c) if super::is_python_space(c) => pos += c.len_utf8(),
                _ => break,
            },
            _ => break,
        }
    }
    pos
}

/// `doc_block` starting at `start` (on its `##`): up to the next line that
/// starts with `##`, which it includes, or to the end of the input.
fn doc_block_end(bytes: &[u8], start: usize) -> usize {
    let body = start + 2;
    match memchr::memmem::find(&bytes[body..], b"\n##") {
        Some(i) => {
            let closing = body + i + 1;
            memchr::memchr(b'\n', &bytes[closing..]).map_or(bytes.len(), |j| closing + j)
        }
        None => bytes.len(),
    }
}

/// `string` starting at `start` (on its opening quote): to its closing
/// quote, or, when it has none, to the end of its line or to a backslash
/// ending the line.  Returns one past its last byte.
pub(super) fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut pos = start + 1;
    loop {
        match memchr::memchr3(b'\'', b'\\', b'\n', &bytes[pos..]) {
            None => return bytes.len(),
            Some(i) => pos += i,
        }
        match bytes[pos] {
            b'\'' => return pos + 1,
            // A backslash takes the next character with it, unless that
            // ends the line.
            b'\\' if pos + 1 < bytes.len() && bytes[pos + 1] != b'\n' => pos += 2,
            _ => return pos,
        }
    }
}

/// `true` or `false` at `pos`: its length.
pub(super) fn boolean_len(bytes: &[u8], pos: usize) -> Option<usize> {
    let rest = &bytes[pos..];
    if rest.starts_with(b"true") {
        Some(4)
    } else if rest.starts_with(b"false") {
        Some(5)
    } else {
        None
    }
}

/// `value` starting at `start`: where it ends, if it is complete and
/// well-formed.
pub(super) fn value_end(text: &str, start: usize) -> Option<usize> {
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Open {
        Object,
        Array,
    }
    let bytes = text.as_bytes();
    let mut open: Vec<Open> = Vec::new();
    let mut pos = start;
    // A member's key and colon, then its value is read: where the value
    // starts.
    let member = |pos: usize| -> Option<usize> {
        if bytes.get(pos) != Some(&b'\'') {
            return None;
        }
        let after_key = skip_gap(text, string_end(bytes, pos));
        (bytes.get(after_key) == Some(&b':')).then(|| skip_gap(text, after_key + 1))
    };
    'value: loop {
        // At the start of a value.
        match *bytes.get(pos)? {
            b'{' => {
                pos = skip_gap(text, pos + 1);
                if bytes.get(pos) == Some(&b'}') {
                    pos += 1;
                } else {
                    open.push(Open::Object);
                    pos = member(pos)?;
                    continue 'value;
                }
            }
            b'[' => {
                pos = skip_gap(text, pos + 1);
                if bytes.get(pos) == Some(&b']') {
                    pos += 1;
                } else {
                    open.push(Open::Array);
                    continue 'value;
                }
            }
            b'\'' => pos = string_end(bytes, pos),
            _ => pos += boolean_len(bytes, pos)?,
        }
        // After a complete value: close what it completes.
        loop {
            let Some(&inner) = open.last() else {
                return Some(pos);
            };
            pos = skip_gap(text, pos);
            match (inner, *bytes.get(pos)?) {
                (Open::Object, b'}') | (Open::Array, b']') => {
                    open.pop();
                    pos += 1;
                }
                (Open::Object, b',') => {
                    pos = member(skip_gap(text, pos + 1))?;
                    continue 'value;
                }
                (Open::Array, b',') => {
                    pos = skip_gap(text, pos + 1);
                    continue 'value;
                }
                _ => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items() {
        let t = "  # c\n{ 'a': [ 'b', true ] } ##\n# x\n##\n[ 'x' ] 'y' false tru\n";
        assert_eq!(next_item(t, 0), Scanned::Value { start: 6, end: 28 });
        assert_eq!(next_item(t, 28), Scanned::Doc { start: 29, end: 38 });
        assert_eq!(next_item(t, 38), Scanned::Value { start: 39, end: 46 });
        assert_eq!(next_item(t, 46), Scanned::Value { start: 47, end: 50 });
        assert_eq!(next_item(t, 50), Scanned::Value { start: 51, end: 56 });
        assert_eq!(next_item(t, 56), Scanned::Rest { start: 57 });
        assert_eq!(next_item("  \n", 0), Scanned::Eof);
    }

    #[test]
    fn values() {
        let end = |t: &str| value_end(t, 0);
        assert_eq!(end("{}"), Some(2));
        assert_eq!(end("{ 'a' # c\n : { 'b': [] } }"), Some(26));
        assert_eq!(end("{ 'a': 'b', }"), None);
        assert_eq!(end("[ 'a' 'b' ]"), None);
        assert_eq!(end("{ 'a': ## doc\n 'b' }"), None);
        assert_eq!(end("['a\\\\b']"), Some(8));
        // Unterminated strings are tokens; what follows decides.
        assert_eq!(end("{ 'a\n: 'b' }"), Some(12));
        assert_eq!(end("'abc"), Some(4));
        assert_eq!(end("'ab\\\n"), Some(3));
        assert_eq!(end("[[[[[[[[[["), None);
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(end(&deep), Some(200_000));
        assert_eq!(end("truex"), Some(4));
        assert_eq!(end("\u{a0}"), None);
    }

    #[test]
    fn gaps_and_doc_blocks() {
        assert_eq!(skip_gap(" \u{2003}\u{1c}# x\n#", 0), 10);
        assert_eq!(skip_gap("# a ## b\n##", 0), 9);
        assert_eq!(doc_block_end(b"## a\n# b\n## c\nd", 0), 13);
        assert_eq!(doc_block_end(b"##\n# b\n  ##\n", 0), 12);
    }
}
