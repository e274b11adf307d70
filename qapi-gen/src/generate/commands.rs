//! Commands and events: their structs and trait impls, the `Event` enum,
//! the client's `Commands` trait and the server's `Handler` and
//! `Dispatcher`.

use proc_macro2::{Ident, Literal};
use quote::{format_ident, quote};

use super::docs::{self, Docs, Lines};
use super::names::{self, Lit, Namespace, ident};
use super::types::{self, emit_plain_struct, fields, rust_type};
use super::{Generator, Piece};
use crate::schema::{Builtin, Command, DefId, DefKind, Event};

/// The JSON kind of a member type, for the server's argument checks.
fn json_kind(g: &Generator, ty: DefId) -> String {
    let kind = match &g.schema.def(ty).kind {
        DefKind::Builtin(b) => match b {
            Builtin::Str => "String",
            Builtin::Number => "Number",
            Builtin::Bool => "Boolean",
            Builtin::Any => "Any",
            Builtin::Null => "Null",
            Builtin::Uint8
            | Builtin::Uint16
            | Builtin::Uint32
            | Builtin::Uint64
            | Builtin::Size => "Unsigned",
            _ => "Integer",
        },
        DefKind::Enum(_) => return format!("::qapi_types::JsonKind::Enum({}::VALUES)", g.name(ty)),
        DefKind::Array(_) => "Array",
        DefKind::Object(_) => "Object",
        _ => "Any",
    };
    format!("::qapi_types::JsonKind::{kind}")
}

/// The struct for a command's arguments or an event's data: the members
/// of an implicit type, a newtype around a named type, or empty.
fn emit_args_struct(
    g: &Generator,
    id: DefId,
    name: &Ident,
    arg: Option<DefId>,
    out: &mut Vec<Piece>,
) {
    let def = g.schema.def(id);
    match arg {
        Some(a) if !g.schema.def(a).name.starts_with("q_obj_") => {
            let doc = docs::definition(g, id);
            let deprecated = docs::deprecated_attr(&def.features);
            let inner = rust_type(g, a);
            let what = if matches!(def.kind, DefKind::Command(_)) {
                "arguments"
            } else {
                "data"
            };
            let field_doc = format!(" The {what}, as one [`{}`].", g.name(a));
            out.push(Piece::Tokens(quote! {
                #doc
                #deprecated
                #[derive(Clone, Debug, PartialEq)]
                pub struct #name(#[doc = #field_doc] pub #inner);
                #[allow(deprecated)]
                impl ::qapi_types::serde::Serialize for #name {
                    fn serialize<S: ::qapi_types::serde::Serializer>(&self, s: S) -> ::std::result::Result<S::Ok, S::Error> {
                        self.0.serialize(s)
                    }
                }
                #[allow(deprecated)]
                impl<'de> ::qapi_types::serde::Deserialize<'de> for #name {
                    fn deserialize<D: ::qapi_types::serde::Deserializer<'de>>(d: D) -> ::std::result::Result<Self, D::Error> {
                        <#inner as ::qapi_types::serde::Deserialize>::deserialize(d).map(Self)
                    }
                }
            }));
        }
        Some(a) => {
            let DefKind::Object(o) = &g.schema.def(a).kind else {
                unreachable!("arguments are an object")
            };
            let fields = fields(g, a, &o.members, &mut Namespace::default());
            emit_plain_struct(g, id, a, name, &def.name, &fields, out);
        }
        None => emit_plain_struct(g, id, id, name, &def.name, &[], out),
    }
}

/// A command's struct and its `Command` impl.
pub(crate) fn emit_command(g: &Generator, id: DefId, c: &Command, out: &mut Vec<Piece>) {
    let def = g.schema.def(id);
    let name = format_ident!("{}", g.name(id));
    emit_args_struct(g, id, &name, c.arg_type, out);
    let returns = returns(g, c);
    let mut t = String::with_capacity(512);
    t.push_str("#[allow(deprecated)]\n");
    put!(t, "impl ::qapi_types::Command for {name} {{\n");
    put!(t, "    const NAME: &'static str = {};\n", Lit(&def.name));
    put!(t, "    type Returns = {returns};\n");
    if c.allow_oob {
        t.push_str("    const ALLOW_OOB: bool = true;\n");
    }
    if !c.success_response {
        t.push_str("    const SUCCESS_RESPONSE: bool = false;\n");
    }
    if c.allow_preconfig {
        t.push_str("    const ALLOW_PRECONFIG: bool = true;\n");
    }
    if def.is_deprecated() {
        t.push_str("    const DEPRECATED: bool = true;\n");
    }
    arguments_table(g, c.arg_type, &mut t);
    t.push_str("}\n");
    out.push(Piece::Text(t));
}

/// `const ARGUMENTS`, unless it is the trait's default (no arguments).
fn arguments_table(g: &Generator, arg: Option<DefId>, t: &mut String) {
    let Some(a) = arg else { return };
    let DefKind::Object(o) = &g.schema.def(a).kind else {
        return;
    };
    t.push_str("    const ARGUMENTS: ::std::option::Option<&'static [::qapi_types::ArgInfo]> =\n");
    if o.variants.is_some() {
        t.push_str("        ::std::option::Option::None;\n");
        return;
    }
    t.push_str("        ::std::option::Option::Some(&[\n");
    for m in g.sel.members(&o.members) {
        let which = if m.optional { "optional" } else { "required" };
        put!(
            t,
            "            ::qapi_types::ArgInfo::{which}({}, {}),\n",
            Lit(&m.name),
            json_kind(g, m.ty)
        );
    }
    t.push_str("        ]);\n");
}

/// An event's struct and its `Event` impl.
pub(crate) fn emit_event(g: &Generator, id: DefId, e: &Event, out: &mut Vec<Piece>) {
    let def = g.schema.def(id);
    let name = format_ident!("{}", g.name(id));
    emit_args_struct(g, id, &name, e.arg_type, out);
    out.push(Piece::Text(format!(
        "#[allow(deprecated)]\nimpl ::qapi_types::Event for {name} {{\n    const NAME: &'static str = {};\n}}\n",
        Lit(&def.name)
    )));
}

/// The kept events, with their variant names in the `Event` enum.
fn events<'s>(g: &Generator<'s>) -> (Vec<(DefId, Ident, &'s Event)>, Ident) {
    let mut ns = Namespace::default();
    let list = g
        .schema
        .ids()
        .filter(|&id| g.sel.keep(id))
        .filter_map(|id| match &g.schema.def(id).kind {
            DefKind::Event(e) => Some((
                id,
                ident(&ns.claim(names::upper_camel(&g.schema.def(id).name), "_")),
                e,
            )),
            _ => None,
        })
        .collect();
    let unknown = ident(&ns.claim("Unknown".to_string(), "Event"));
    (list, unknown)
}

/// The `Event` enum over all events.
pub(crate) fn emit_event_enum(g: &Generator, items: &mut Vec<Piece>) {
    let (list, unknown) = events(g);
    let mut variants = Vec::new();
    let mut decode = Vec::new();
    let mut names = Vec::new();
    let mut data = Vec::new();
    for (id, var, e) in &list {
        let def = g.schema.def(*id);
        let ty = format_ident!("{}", g.name(*id));
        let wire = Literal::string(&def.name);
        let doc = format!(" The `{}` event: see [`{}`].", def.name, g.name(*id));
        let deprecated = docs::deprecated_attr(&def.features);
        variants.push(quote!(#[doc = #doc] #deprecated #var(#ty),));
        decode.push(quote!(#wire => Self::#var(::qapi_types::object::event_data(data)?),));
        names.push(quote!(Self::#var(_) => #wire,));
        if e.arg_type.is_some() {
            data.push(quote!(Self::#var(v) => ::qapi_types::object::event_value(v),));
        } else {
            data.push(
                quote!(Self::#var(_) => ::std::result::Result::Ok(::std::option::Option::None),),
            );
        }
    }
    let catch_all = quote! {
        Self::#unknown { name: name.to_owned(), data: ::qapi_types::object::event_data(data)? }
    };
    // A schema without events decodes everything to the catch-all: no
    // single-arm `match`.
    let decoded = if decode.is_empty() {
        catch_all
    } else {
        quote!(match name {
            #(#decode)*
            _ => #catch_all,
        })
    };
    items.push(Piece::Tokens(quote! {
        /// Every event of this schema.  Events the schema does not know
        /// arrive as the catch-all variant.
        #[derive(Clone, Debug, PartialEq)]
        #[allow(deprecated)]
        pub enum Event {
            #(#variants)*
            /// An event this schema does not know, as sent by a newer QEMU.
            #unknown {
                /// The event's name.
                name: ::std::string::String,
                /// Its `data` member.
                data: ::std::option::Option<::qapi_types::serde_json::Value>,
            },
        }
        #[allow(deprecated)]
        impl ::qapi_types::EventSet for Event {
            fn decode(
                name: &str,
                data: ::std::option::Option<&::qapi_types::serde_json::value::RawValue>,
            ) -> ::std::result::Result<Self, ::qapi_types::serde_json::Error> {
                ::std::result::Result::Ok(#decoded)
            }
            fn name(&self) -> &str {
                match self {
                    #(#names)*
                    Self::#unknown { name, .. } => name,
                }
            }
            fn data(&self) -> ::std::result::Result<::std::option::Option<::qapi_types::serde_json::Value>, ::qapi_types::serde_json::Error> {
                match self {
                    #(#data)*
                    Self::#unknown { data, .. } => ::std::result::Result::Ok(data.clone()),
                }
            }
        }
    }));
}

/// The kept commands, with their method names.
fn commands<'s>(g: &Generator<'s>) -> Vec<(DefId, Ident, &'s Command)> {
    let mut ns = Namespace::default();
    g.schema
        .ids()
        .filter(|&id| g.sel.keep(id))
        .filter_map(|id| match &g.schema.def(id).kind {
            DefKind::Command(c) => Some((
                id,
                ident(&ns.claim(names::snake(&g.schema.def(id).name), "_")),
                c,
            )),
            _ => None,
        })
        .collect()
}

/// The return type of a command's methods, as source text.
fn returns(g: &Generator, c: &Command) -> String {
    match c.ret_type {
        Some(t) => types::type_text(g, t),
        None => "::qapi_types::Empty".to_string(),
    }
}

/// A method's docs: the first paragraph of the command's, and where the
/// rest is.
fn method_doc(g: &Generator, id: DefId) -> Docs {
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

/// Writes the signature of a command's method, up to its body: `fn
/// name(&self[, args: T]) -> impl Future<Output = Result<R, ERROR>> + Send`.
fn write_signature(t: &mut String, method: &Ident, args: Option<&str>, ret: &str, error: &str) {
    put!(t, "    fn {method}(\n        &self,\n");
    if let Some(args) = args {
        put!(t, "        args: {args},\n");
    }
    t.push_str("    ) -> impl ::std::future::Future<\n");
    put!(
        t,
        "        Output = ::std::result::Result<{ret}, {error}>,\n"
    );
    t.push_str("    > + ::std::marker::Send {\n");
}

/// The `Commands` trait: a typed method per command, for the QMP client,
/// the guest-agent client and any other `qapi_types::Execute` type.
pub(crate) fn emit_client(g: &Generator, items: &mut Vec<Piece>) {
    let list = commands(g);
    let mut t = String::with_capacity(1024 * (list.len() + 1));
    t.push_str(
        "/// Every command of this schema as a typed method of anything that\n\
         /// runs commands ([`qapi_types::Execute`]): the QMP client, the\n\
         /// guest-agent client, or a mock of your own.\n\
         #[allow(deprecated)]\n\
         pub trait Commands: ::qapi_types::Execute {\n",
    );
    for (id, method, c) in &list {
        let name = g.name(*id);
        method_doc(g, *id).write(&mut t, "    ");
        if g.schema.def(*id).is_deprecated() {
            t.push_str("    #[deprecated]\n");
        }
        let args = c.arg_type.is_some().then_some(name);
        write_signature(&mut t, method, args, &returns(g, c), "Self::Error");
        // Qualified: a command may be called `execute`.
        if args.is_some() {
            t.push_str("        ::qapi_types::Execute::execute(self, args)\n    }\n");
        } else {
            put!(
                t,
                "        ::qapi_types::Execute::execute(self, {name} {{}})\n    }}\n"
            );
        }
    }
    t.push_str("}\nimpl<T: ::qapi_types::Execute> Commands for T {}\n");
    items.push(Piece::Text(t));
}

/// The `Handler` trait and its `Dispatcher`, for serving QMP.
pub(crate) fn emit_server(g: &Generator, items: &mut Vec<Piece>) {
    let list = commands(g);
    let mut t = String::with_capacity(1536 * (list.len() + 1));
    t.push_str(
        "/// A QMP server's implementation of this schema's commands: one\n\
         /// method per command.\n\
         #[allow(deprecated)]\n\
         pub trait Handler: ::std::marker::Send + ::std::marker::Sync + 'static {\n",
    );
    for (id, method, c) in &list {
        let name = g.name(*id);
        method_doc(g, *id).write(&mut t, "    ");
        t.push_str("    ///\n    /// The default answers as QEMU does for a command it lacks.\n");
        let args = c.arg_type.is_some().then_some(name);
        write_signature(
            &mut t,
            method,
            args,
            &returns(g, c),
            "::qapi_types::QmpError",
        );
        if args.is_some() {
            t.push_str("        let _ = args;\n");
        }
        put!(
            t,
            "        ::qapi_types::server::not_implemented({})\n    }}\n",
            Lit(&g.schema.def(*id).name)
        );
    }
    t.push_str(
        "}\n\
         /// Decodes requests for a [`Handler`] and encodes its replies.\n\
         pub struct Dispatcher<H>(pub H);\n\
         #[allow(deprecated)]\n\
         impl<H: Handler> ::qapi_types::server::Dispatch for Dispatcher<H> {\n\
         \x20   fn command_info(\n\
         \x20       &self,\n\
         \x20       name: &str,\n\
         \x20   ) -> ::std::option::Option<::qapi_types::server::CommandInfo> {\n",
    );
    // Each arm is a plain call that starts a boxed future: no closures and
    // no single future over all commands, which keeps the dispatcher cheap
    // to compile.
    if list.is_empty() {
        t.push_str("        let _ = name;\n        ::std::option::Option::None\n    }\n");
    } else {
        t.push_str("        use ::qapi_types::server::Runner;\n        match name {\n");
        for (id, _, _) in &list {
            put!(
                t,
                "            {} => Runner::<{}>::info(),\n",
                Lit(&g.schema.def(*id).name),
                g.name(*id)
            );
        }
        t.push_str("            _ => ::std::option::Option::None,\n        }\n    }\n");
    }
    let arguments = if list.is_empty() {
        "_arguments"
    } else {
        "arguments"
    };
    put!(
        t,
        "    fn dispatch<'a>(\n\
         \x20       &'a self,\n\
         \x20       name: &'a str,\n\
         \x20       {arguments}: ::std::option::Option<&'a ::qapi_types::serde_json::value::RawValue>,\n\
         \x20   ) -> ::qapi_types::server::DispatchFuture<'a> {{\n"
    );
    if list.is_empty() {
        t.push_str("        ::qapi_types::server::not_found(name)\n");
    } else {
        t.push_str("        use ::qapi_types::server::Runner;\n        match name {\n");
        for (id, method, c) in &list {
            let run = if c.arg_type.is_some() {
                "with_args"
            } else {
                "without_args"
            };
            put!(
                t,
                "            {} => Runner::<{}>::{run}(&self.0, arguments, H::{method}),\n",
                Lit(&g.schema.def(*id).name),
                g.name(*id)
            );
        }
        t.push_str("            _ => ::qapi_types::server::not_found(name),\n        }\n");
    }
    t.push_str("    }\n}\n");
    items.push(Piece::Text(t));
}
