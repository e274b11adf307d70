//! The `Commands` trait: a typed method per command, for the QMP client,
//! the guest-agent client and any other `qapi_types::Execute` type.

use super::Generator;
use super::commands::returns;
use super::docs::{self, Docs, Lines};
use super::names::{self, Namespace};
use super::out::Out;
use super::types::type_text;
use crate::schema::{Command, DefId, DefKind};

/// The kept commands, with their method names.
pub(crate) fn commands<'s>(g: &Generator<'s>) -> Vec<(DefId, String, &'s Command)> {
    g.named(&mut Namespace::default(), names::snake, |kind| match kind {
        DefKind::Command(c) => Some(c),
        _ => None,
    })
}

/// A method's docs: the first paragraph of the command's, and where the
/// rest is.
pub(crate) fn method_doc(g: &Generator, id: DefId) -> Docs {
    let def = g.schema.def(id);
    let mut lines = Lines::default();
    if let Some(summary) = docs::summary(g, id) {
        for l in summary.lines() {
            lines.push(l);
        }
        lines.push("");
    }
    lines.push(format!("Runs `{}`: see [`{}`].", def.name, g.name(id)));
    Docs::new(lines)
}

/// The signature of a command's method, up to its body: `fn
/// name(&self[, args: T]) -> impl Future<Output = Result<R, ERROR>> + Send`.
pub(crate) fn open_method(out: &mut Out, method: &str, args: Option<&str>, ret: &str, error: &str) {
    out.line(format_args!("fn {method}("));
    out.deeper(|out| {
        out.line("&self,");
        if let Some(args) = args {
            out.line(format_args!("args: {args},"));
        }
    });
    out.line(") -> impl ::std::future::Future<");
    out.deeper(|out| {
        out.line(format_args!(
            "Output = ::std::result::Result<{ret}, {error}>,"
        ))
    });
    out.open("> + ::std::marker::Send");
}

/// The `Commands` trait.
pub(crate) fn emit_client(g: &Generator, out: &mut Out) {
    let list = commands(g);
    out.doc(&[
        "Every command of this schema as a typed method of anything that",
        "runs commands ([`qapi_types::Execute`]): the QMP client, the",
        "guest-agent client, or a mock of your own.",
    ]);
    out.line("#[allow(deprecated)]");
    out.block("pub trait Commands: ::qapi_types::Execute", "", |out| {
        for (id, method, c) in &list {
            let name = g.name(*id);
            out.docs(&method_doc(g, *id));
            if g.schema.def(*id).is_deprecated() {
                out.line("#[deprecated]");
            }
            // A command whose arguments are a named type (`boxed`) takes
            // that type itself; the others their struct.
            let boxed = c.arg_type.filter(|&a| !g.schema.def(a).implicit);
            let args = match (c.arg_type, boxed) {
                (_, Some(a)) => Some(type_text(g, a)),
                (Some(_), None) => Some(name.to_string()),
                (None, None) => None,
            };
            open_method(out, method, args.as_deref(), &returns(g, c), "Self::Error");
            // Qualified: a command may be called `execute`.
            match (args.is_some(), boxed.is_some()) {
                (true, true) => out.line(format_args!(
                    "::qapi_types::Execute::execute(self, {name}(args))"
                )),
                (true, false) => out.line("::qapi_types::Execute::execute(self, args)"),
                _ => out.line(format_args!(
                    "::qapi_types::Execute::execute(self, {name} {{}})"
                )),
            }
            out.close("");
        }
    });
    out.line("impl<T: ::qapi_types::Execute> Commands for T {}");
    // The client of these bindings: the guest agent's when the schema is
    // the guest agent's (it has `guest-sync-delimited`), else QMP's with
    // this schema's events.
    let qga = g
        .schema
        .get("guest-sync-delimited")
        .is_some_and(|d| matches!(d.kind, DefKind::Command(_)));
    if qga {
        out.line("/// The guest-agent client, with these bindings' commands as [`Commands`].");
        out.line("pub type Client = ::qapi_types::qga::Client;");
    } else {
        out.doc(&[
            "The QMP client for these bindings: their events are [`Event`], their",
            "commands its methods through [`Commands`].",
        ]);
        out.line("pub type Client = ::qapi_types::client::Client<Event>;");
    }
}
