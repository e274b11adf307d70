//! The exact error for an item the grammar could not parse.
//!
//! QEMU reads tokens one at a time and reports the first one that does not
//! fit, with a message naming what it expected.  To say the same, the broken
//! item is split into tokens by the grammar's `tokens` rule and walked the way
//! QEMU's recursive descent walks it.

use std::collections::HashSet;

use pest::Parser as _;

use super::{Grammar, Rule, check_string};
use crate::FileCtx;
use crate::diag::Diagnostic;
use crate::source::{FileId, Loc, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok {
    /// `{`, `}`, `[`, `]`, `:` or `,`.
    Punct(u8),
    /// A string, checked when read.
    Str,
    /// `true` or `false`.
    Bool,
    /// A comment starting with `##`, which QEMU returns as a token.
    DocComment,
    /// Text that is no token: QEMU fails as soon as it reads it.
    Stray,
    /// End of input.
    Eof,
}

struct Token<'t> {
    tok: Tok,
    start: usize,
    text: &'t str,
    /// For strings: the token text.
    body: Option<&'t str>,
}

struct Walker<'a, 't> {
    ctx: &'a FileCtx<'a>,
    file: FileId,
    tokens: Vec<Token<'t>>,
    /// Index of the current token.
    pos: usize,
    eof: usize,
}

/// The error QEMU reports for the item starting at byte `start` of `text`.
pub(super) fn broken_item(ctx: &FileCtx, text: &str, start: usize) -> Diagnostic {
    let mut w = Walker::new(ctx, text, start);
    let result = w.accept(0).and_then(|()| w.get_expr(0));
    match result {
        Err(e) => e,
        // The grammar and this walk agree on what parses, so this does not
        // happen; report the item's start rather than nothing.
        Ok(()) => w.error_at(start, "syntax error"),
    }
}

/// The error QEMU's lexer reports for the token at byte `start`, if any.
pub(super) fn first_token_error(ctx: &FileCtx, text: &str, start: usize) -> Option<Diagnostic> {
    // No token spans lines: the first one (after white space and plain
    // comments, which are skipped) ends on the line it starts on, and only
    // that much text is split into tokens.
    let first = super::scan::skip_gap(text, start);
    if first >= text.len() {
        return None;
    }
    let line_end =
        memchr::memchr(b'\n', &text.as_bytes()[first..]).map_or(text.len(), |i| first + i);
    let mut w = Walker::new(ctx, &text[..line_end], start);
    w.accept(0).err()
}

impl<'a, 't> Walker<'a, 't> {
    fn new(ctx: &'a FileCtx<'a>, text: &'t str, start: usize) -> Self {
        let rest = &text[start..];
        let mut tokens = Vec::new();
        // The `tokens` rule accepts any input.
        if let Ok(pairs) = Grammar::parse(Rule::tokens, rest) {
            for p in pairs {
                let s = p.as_span();
                let at = start + s.start();
                let (tok, body) = match p.as_rule() {
                    Rule::punct => (Tok::Punct(p.as_str().as_bytes()[0]), None),
                    Rule::boolean => (Tok::Bool, None),
                    Rule::string => (Tok::Str, Some(p.as_str())),
                    Rule::comment if p.as_str().starts_with("##") => (Tok::DocComment, None),
                    // Plain comments are skipped, as QEMU skips them.
                    Rule::comment => continue,
                    Rule::stray => (Tok::Stray, None),
                    _ => continue,
                };
                tokens.push(Token {
                    tok,
                    start: at,
                    text: p.as_str(),
                    body,
                });
            }
        }
        let eof = text.len().saturating_sub(1);
        Walker {
            file: ctx.id,
            ctx,
            tokens,
            pos: 0,
            eof,
        }
    }

    fn error_at(&self, offset: usize, message: impl Into<String>) -> Diagnostic {
        let f = self.ctx.src;
        let loc = Loc {
            file: self.file,
            line: f.line_of(offset as u32),
        };
        Diagnostic::error(loc, message)
            .with_col(f.column_of(offset as u32))
            .with_span(Span {
                file: self.file,
                start: offset as u32,
                end: offset as u32 + 1,
            })
    }

    fn current(&self) -> (Tok, usize) {
        match self.tokens.get(self.pos) {
            Some(t) => (t.tok, t.start),
            None => (Tok::Eof, self.eof),
        }
    }

    /// Moves to token `index` and lexes it: a stray character or a bad
    /// string fails here, as in QEMU's lexer.
    fn accept(&mut self, index: usize) -> Result<(), Diagnostic> {
        self.pos = index;
        let Some(t) = self.tokens.get(index) else {
            return Ok(());
        };
        if t.tok == Tok::Stray {
            return Err(self.error_at(t.start, format!("stray '{}'", t.text)));
        }
        if let Some(token) = t.body {
            check_string(token).map_err(|m| self.error_at(t.start, m))?;
        }
        Ok(())
    }

    fn advance(&mut self) -> Result<(), Diagnostic> {
        self.accept(self.pos + 1)
    }

    fn expected(&self, what: &str) -> Diagnostic {
        let (_, at) = self.current();
        self.error_at(at, format!("expected {what}"))
    }

    fn get_expr(&mut self, depth: usize) -> Result<(), Diagnostic> {
        if depth > super::MAX_NESTING && matches!(self.current().0, Tok::Punct(b'{' | b'[')) {
            let (_, at) = self.current();
            return Err(self.error_at(at, "nesting too deep"));
        }
        match self.current().0 {
            Tok::Punct(b'{') => {
                self.advance()?;
                self.get_members(depth)
            }
            Tok::Punct(b'[') => {
                self.advance()?;
                self.get_values(depth)
            }
            Tok::Str | Tok::Bool => self.advance(),
            _ => Err(self.expected("'{', '[', string, or boolean")),
        }
    }

    fn get_members(&mut self, depth: usize) -> Result<(), Diagnostic> {
        let mut keys: HashSet<String> = HashSet::new();
        match self.current().0 {
            Tok::Punct(b'}') => return self.advance(),
            Tok::Str => {}
            _ => return Err(self.expected("string or '}'")),
        }
        loop {
            let key = self.string_value();
            self.advance()?;
            if self.current().0 != Tok::Punct(b':') {
                return Err(self.expected("':'"));
            }
            self.advance()?;
            if keys.contains(&key) {
                let (_, at) = self.current();
                return Err(self.error_at(at, format!("duplicate key '{key}'")));
            }
            keys.insert(key);
            self.get_expr(depth + 1)?;
            match self.current().0 {
                Tok::Punct(b'}') => return self.advance(),
                Tok::Punct(b',') => {}
                _ => return Err(self.expected("',' or '}'")),
            }
            self.advance()?;
            if self.current().0 != Tok::Str {
                return Err(self.expected("string"));
            }
        }
    }

    fn get_values(&mut self, depth: usize) -> Result<(), Diagnostic> {
        match self.current().0 {
            Tok::Punct(b']') => return self.advance(),
            Tok::Punct(b'{' | b'[') | Tok::Str | Tok::Bool => {}
            _ => return Err(self.expected("'{', '[', ']', string, or boolean")),
        }
        loop {
            self.get_expr(depth + 1)?;
            match self.current().0 {
                Tok::Punct(b']') => return self.advance(),
                Tok::Punct(b',') => {}
                _ => return Err(self.expected("',' or ']'")),
            }
            self.advance()?;
        }
    }

    /// The text of the current string token, already checked by `accept`.
    fn string_value(&self) -> String {
        self.tokens
            .get(self.pos)
            .and_then(|t| t.body)
            .and_then(|token| check_string(token).ok())
            .unwrap_or_default()
    }
}
