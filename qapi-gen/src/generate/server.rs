//! The `Handler` trait and its `Dispatcher`, for serving QMP.

use super::Generator;
use super::client::{commands, method_doc, open_method};
use super::commands::returns;
use super::names::Lit;
use super::out::Out;

/// The `Handler` trait and the `Dispatcher`.
pub(crate) fn emit_server(g: &Generator, out: &mut Out) {
    let list = commands(g);
    out.doc(&[
        "A QMP server's implementation of this schema's commands: one",
        "method per command.",
    ]);
    out.line("#[allow(deprecated)]");
    out.block(
        "pub trait Handler: ::std::marker::Send + ::std::marker::Sync + 'static",
        "",
        |out| {
            for (id, method, c) in &list {
                let name = g.name(*id);
                out.docs(&method_doc(g, *id));
                out.doc(&[
                    "",
                    "The default answers as QEMU does for a command it lacks.",
                ]);
                let args = c.arg_type.is_some().then_some(name);
                open_method(out, method, args, &returns(g, c), "::qapi_types::QmpError");
                if args.is_some() {
                    out.line("let _ = args;");
                }
                out.line(format_args!(
                    "::qapi_types::server::not_implemented({})",
                    Lit(&g.schema.def(*id).name)
                ));
                out.close("");
            }
        },
    );
    out.line("/// Decodes requests for a [`Handler`] and encodes its replies.");
    out.line("pub struct Dispatcher<H>(pub H);");
    out.line("#[allow(deprecated)]");
    out.block(
        "impl<H: Handler> ::qapi_types::server::Dispatch for Dispatcher<H>",
        "",
        |out| {
            out.line("fn command_info(");
            out.deeper(|out| {
                out.line("&self,");
                out.line("name: &str,");
            });
            // Each arm is a plain call that starts a boxed future: no
            // closures and no single future over all commands, which keeps
            // the dispatcher cheap to compile.
            out.block(
                ") -> ::std::option::Option<::qapi_types::server::CommandInfo>",
                "",
                |out| {
                    if list.is_empty() {
                        out.line("let _ = name;");
                        out.line("::std::option::Option::None");
                        return;
                    }
                    out.line("use ::qapi_types::server::Runner;");
                    out.block("match name", "", |out| {
                        for (id, _, _) in &list {
                            out.line(format_args!(
                                "{} => Runner::<{}>::info(),",
                                Lit(&g.schema.def(*id).name),
                                g.name(*id)
                            ));
                        }
                        out.line("_ => ::std::option::Option::None,");
                    });
                },
            );
            let arguments = if list.is_empty() {
                "_arguments"
            } else {
                "arguments"
            };
            out.line("fn dispatch<'a>(");
            out.deeper(|out| {
                out.line("&'a self,");
                out.line("name: &'a str,");
                out.line(format_args!(
                    "{arguments}: ::std::option::Option<&'a ::qapi_types::serde_json::value::RawValue>,"
                ));
            });
            out.block(") -> ::qapi_types::server::DispatchFuture<'a>", "", |out| {
                if list.is_empty() {
                    out.line("::qapi_types::server::not_found(name)");
                    return;
                }
                out.line("use ::qapi_types::server::Runner;");
                out.block("match name", "", |out| {
                    for (id, method, c) in &list {
                        let run = if c.arg_type.is_some() {
                            "with_args"
                        } else {
                            "without_args"
                        };
                        out.line(format_args!(
                            "{} => Runner::<{}>::{run}(&self.0, arguments, H::{method}),",
                            Lit(&g.schema.def(*id).name),
                            g.name(*id)
                        ));
                    }
                    out.line("_ => ::qapi_types::server::not_found(name),");
                });
            });
        },
    );
}
