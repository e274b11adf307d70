//! Conditions (`if`): QEMU 10.2's identifiers and `all`/`any`/`not`, and
//! QEMU 5.2's C preprocessor expressions.

use std::collections::BTreeSet;
use std::fmt;

/// A condition under which QEMU has a definition, member, value, branch or
/// feature.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Cond {
    /// A configuration symbol, as in `'if': 'CONFIG_SPICE'`.
    Name(String),
    /// `{ 'all': [...] }`; also a 5.2 list of expressions.
    All(Vec<Cond>),
    /// `{ 'any': [...] }`
    Any(Vec<Cond>),
    /// `{ 'not': ... }`
    Not(Box<Cond>),
    /// A QEMU 5.2 C preprocessor expression such as
    /// `defined(CONFIG_SPICE) && !defined(CONFIG_FOO)`.
    CExpr(String),
}

impl Cond {
    /// Whether the condition holds when exactly the symbols in `defined`
    /// are defined.  A C expression is evaluated for the subset QEMU's
    /// schemas use: `defined(X)`, `defined X`, `!`, `&&`, `||`, parentheses
    /// and bare symbols (true when defined); anything else is an error.
    pub fn eval(&self, defined: &BTreeSet<String>) -> Result<bool, String> {
        Ok(match self {
            Cond::Name(n) => defined.contains(n),
            Cond::All(cs) => {
                for c in cs {
                    if !c.eval(defined)? {
                        return Ok(false);
                    }
                }
                true
            }
            Cond::Any(cs) => {
                for c in cs {
                    if c.eval(defined)? {
                        return Ok(true);
                    }
                }
                false
            }
            Cond::Not(c) => !c.eval(defined)?,
            Cond::CExpr(e) => CExprEval {
                s: e.as_bytes(),
                pos: 0,
                defined,
            }
            .eval_all()?,
        })
    }

    /// The condition as QEMU's model dump prints it: a bare identifier, or
    /// Python's `repr()` of the condition object.
    pub fn dump(&self) -> String {
        match self {
            Cond::Name(n) => n.clone(),
            Cond::CExpr(e) => e.clone(),
            _ => self.repr(),
        }
    }

    fn repr(&self) -> String {
        match self {
            Cond::Name(n) | Cond::CExpr(n) => format!("'{n}'"),
            Cond::All(cs) => format!(
                "{{'all': [{}]}}",
                cs.iter().map(Cond::repr).collect::<Vec<_>>().join(", ")
            ),
            Cond::Any(cs) => format!(
                "{{'any': [{}]}}",
                cs.iter().map(Cond::repr).collect::<Vec<_>>().join(", ")
            ),
            Cond::Not(c) => format!("{{'not': {}}}", c.repr()),
        }
    }
}

impl fmt::Display for Cond {
    /// A readable form for documentation: `CONFIG_A and (CONFIG_B or not
    /// CONFIG_C)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn join(f: &mut fmt::Formatter<'_>, cs: &[Cond], op: &str) -> fmt::Result {
            for (i, c) in cs.iter().enumerate() {
                if i > 0 {
                    write!(f, " {op} ")?;
                }
                if matches!(c, Cond::All(_) | Cond::Any(_)) && cs.len() > 1 {
                    write!(f, "({c})")?;
                } else {
                    write!(f, "{c}")?;
                }
            }
            Ok(())
        }
        match self {
            Cond::Name(n) => f.write_str(n),
            Cond::CExpr(e) => f.write_str(e),
            Cond::All(cs) => join(f, cs, "and"),
            Cond::Any(cs) => join(f, cs, "or"),
            Cond::Not(c) if matches!(**c, Cond::All(_) | Cond::Any(_)) => write!(f, "not ({c})"),
            Cond::Not(c) => write!(f, "not {c}"),
        }
    }
}

/// Evaluates the C preprocessor expressions of QEMU 5.2 schemas.
struct CExprEval<'a> {
    s: &'a [u8],
    pos: usize,
    defined: &'a BTreeSet<String>,
}

impl CExprEval<'_> {
    fn skip_ws(&mut self) {
        while self.s.get(self.pos).is_some_and(u8::is_ascii_whitespace) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, tok: &str) -> bool {
        self.skip_ws();
        if self.s[self.pos..].starts_with(tok.as_bytes()) {
            self.pos += tok.len();
            true
        } else {
            false
        }
    }

    fn ident(&mut self) -> Option<String> {
        self.skip_ws();
        let start = self.pos;
        while self
            .s
            .get(self.pos)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
        {
            self.pos += 1;
        }
        (self.pos > start).then(|| String::from_utf8_lossy(&self.s[start..self.pos]).into_owned())
    }

    fn error(&self) -> String {
        format!(
            "cannot evaluate condition '{}'",
            String::from_utf8_lossy(self.s)
        )
    }

    fn eval_all(&mut self) -> Result<bool, String> {
        let v = self.or()?;
        self.skip_ws();
        if self.pos != self.s.len() {
            return Err(self.error());
        }
        Ok(v)
    }

    fn or(&mut self) -> Result<bool, String> {
        let mut v = self.and()?;
        while self.eat("||") {
            let r = self.and()?;
            v = v || r;
        }
        Ok(v)
    }

    fn and(&mut self) -> Result<bool, String> {
        let mut v = self.unary()?;
        while self.eat("&&") {
            let r = self.unary()?;
            v = v && r;
        }
        Ok(v)
    }

    fn unary(&mut self) -> Result<bool, String> {
        if self.eat("!") {
            return Ok(!self.unary()?);
        }
        if self.eat("(") {
            let v = self.or()?;
            if !self.eat(")") {
                return Err(self.error());
            }
            return Ok(v);
        }
        let name = self.ident().ok_or_else(|| self.error())?;
        if name == "defined" {
            let paren = self.eat("(");
            let sym = self.ident().ok_or_else(|| self.error())?;
            if paren && !self.eat(")") {
                return Err(self.error());
            }
            return Ok(self.defined.contains(&sym));
        }
        Ok(self.defined.contains(&name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn evaluates_both_dialects() {
        let d = set(&["CONFIG_A"]);
        let c = Cond::All(vec![
            Cond::Name("CONFIG_A".into()),
            Cond::Not(Box::new(Cond::Name("CONFIG_B".into()))),
        ]);
        assert_eq!(c.eval(&d), Ok(true));
        assert_eq!(
            Cond::CExpr("defined(CONFIG_A) && !defined(CONFIG_B)".into()).eval(&d),
            Ok(true)
        );
        assert_eq!(
            Cond::CExpr("defined(CONFIG_B) || defined CONFIG_A".into()).eval(&d),
            Ok(true)
        );
        assert_eq!(
            Cond::CExpr("(defined(CONFIG_B))".into()).eval(&d),
            Ok(false)
        );
        assert!(Cond::CExpr("defined(CONFIG_A) +".into()).eval(&d).is_err());
    }

    #[test]
    fn dumps_like_qemu() {
        assert_eq!(Cond::Name("IFONE".into()).dump(), "IFONE");
        let c = Cond::Not(Box::new(Cond::Any(vec![
            Cond::Name("IFONE".into()),
            Cond::Name("IFTWO".into()),
        ])));
        assert_eq!(c.dump(), "{'not': {'any': ['IFONE', 'IFTWO']}}");
        assert_eq!(c.to_string(), "not (IFONE or IFTWO)");
    }
}
