//! The one writer of generated code.  Renderers say what to write, line by
//! line and block by block; the writer owns indentation, and the one
//! layout decision that depends on widths: a match arm that does not fit
//! in the line goes into a block.

use std::fmt::Display;

use super::docs::Docs;

/// Lines wider than this break, as rustfmt and prettyplease break them.
const MARGIN: usize = 89;

/// Generated source text being written.
pub(crate) struct Out {
    buf: String,
    /// The current indentation, in levels of four spaces.
    level: usize,
}

impl Out {
    /// An empty text, expecting about `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Self {
        Out {
            buf: String::with_capacity(capacity),
            level: 0,
        }
    }

    /// The text written.
    pub fn finish(self) -> String {
        self.buf
    }

    /// How many bytes were written.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    fn indent(&mut self) {
        for _ in 0..self.level {
            self.buf.push_str("    ");
        }
    }

    /// The width of the current indentation.
    fn width(&self) -> usize {
        self.level * 4
    }

    /// One line at the current indentation.
    pub fn line(&mut self, text: impl Display) {
        use std::fmt::Write as _;
        self.indent();
        let _ = write!(self.buf, "{text}");
        self.buf.push('\n');
    }

    /// Documentation of fixed text: a `///` line each.
    pub fn doc(&mut self, lines: &[&str]) {
        for text in lines {
            match text.is_empty() {
                true => self.line("///"),
                false => self.line(format_args!("/// {text}")),
            }
        }
    }

    /// `head {`, then what `body` writes one level deeper, then `}`
    /// followed by `tail` (a `,` or `;`, or nothing).
    pub fn block(&mut self, head: impl Display, tail: &str, body: impl FnOnce(&mut Out)) {
        self.open(head);
        body(self);
        self.close(tail);
    }

    /// `head {` and one level deeper.
    pub fn open(&mut self, head: impl Display) {
        use std::fmt::Write as _;
        self.indent();
        let _ = write!(self.buf, "{head}");
        self.buf.push_str(" {\n");
        self.level += 1;
    }

    /// One level up, and `}` followed by `tail`.
    pub fn close(&mut self, tail: &str) {
        self.level = self.level.saturating_sub(1);
        self.indent();
        self.buf.push('}');
        self.buf.push_str(tail);
        self.buf.push('\n');
    }

    /// Lines one level deeper than the current ones, without a block
    /// around them (the continuation of a statement).
    pub fn deeper(&mut self, body: impl FnOnce(&mut Out)) {
        self.level += 1;
        body(self);
        self.level -= 1;
    }

    /// `head(item, item)tail` on one line when it fits, else with one item
    /// per line: `head(`, the items one level deeper each followed by a
    /// comma, then `)tail`.  With `tail` ending in ` {`, a block opens.
    pub fn list(&mut self, head: &str, items: &[String], tail: &str) {
        let one = format!("{head}({}){tail}", items.join(", "));
        let opens = tail.ends_with(" {");
        if self.width() + one.len() <= MARGIN || items.is_empty() {
            match one.strip_suffix(" {") {
                Some(line) if opens => self.open(line),
                _ => self.line(one),
            }
            return;
        }
        self.line(format_args!("{head}("));
        self.deeper(|out| {
            for item in items {
                out.line(format_args!("{item},"));
            }
        });
        match tail.strip_suffix(" {") {
            Some(t) if opens => self.open(format_args!("){t}")),
            _ => self.line(format_args!("){tail}")),
        }
    }

    /// A match arm: `pat => expr,` on one line when it fits, else with the
    /// expression in a block of its own.
    pub fn arm(&mut self, pat: impl Display, expr: impl Display) {
        self.arm_with(pat, expr, "")
    }

    /// A match arm whose body is a statement (`return ..`, an
    /// assignment): `pat => stmt,` on one line when it fits, else
    /// `pat => { stmt; }` on lines of their own.
    pub fn arm_stmt(&mut self, pat: impl Display, stmt: impl Display) {
        self.arm_with(pat, stmt, ";")
    }

    /// An arm on one line when it fits, else its body, followed by `end`,
    /// in a block.
    fn arm_with(&mut self, pat: impl Display, body: impl Display, end: &str) {
        let (pat, body) = (pat.to_string(), body.to_string());
        if self.width() + pat.len() + body.len() + 5 <= MARGIN {
            self.line(format_args!("{pat} => {body},"));
        } else {
            self.open(format_args!("{pat} =>"));
            self.line(format_args!("{body}{end}"));
            self.close("");
        }
    }

    /// Documentation as `///` lines.
    pub fn docs(&mut self, docs: &Docs) {
        let indent = "    ".repeat(self.level);
        docs.write(&mut self.buf, &indent);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_and_arms() {
        let mut o = Out::with_capacity(0);
        o.block("fn f(x: u8) -> u8", "", |o| {
            o.block("match x", "", |o| {
                o.arm("0", "1");
                o.arm(
                    "Self::AVeryLongVariantNameThatTakesRoom(slots)",
                    "::std::result::Result::Ok(::std::option::Option::None)",
                );
            });
        });
        assert_eq!(
            o.finish(),
            "fn f(x: u8) -> u8 {\n    match x {\n        0 => 1,\n        \
             Self::AVeryLongVariantNameThatTakesRoom(slots) => {\n            \
             ::std::result::Result::Ok(::std::option::Option::None)\n        }\n    }\n}\n"
        );
    }
}
