//! Commands and events: their structs and trait impls, the `Event` enum,
//! the client's `Commands` trait and the server's `Handler` and
//! `Dispatcher`.

use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};

use super::docs;
use super::names::{self, Namespace, ident};
use super::types::{self, emit_plain_struct, fields, rust_type};
use super::{Generator, Piece};
use crate::schema::{Builtin, Command, DefId, DefKind, Event};

/// The JSON kind of a member type, for the server's argument checks.
fn json_kind(g: &Generator, ty: DefId) -> TokenStream {
    let k = quote!(::qapi_types::JsonKind);
    match &g.schema.def(ty).kind {
        DefKind::Builtin(b) => match b {
            Builtin::Str => quote!(#k::String),
            Builtin::Number => quote!(#k::Number),
            Builtin::Bool => quote!(#k::Boolean),
            Builtin::Any => quote!(#k::Any),
            Builtin::Null => quote!(#k::Null),
            Builtin::Uint8
            | Builtin::Uint16
            | Builtin::Uint32
            | Builtin::Uint64
            | Builtin::Size => {
                quote!(#k::Unsigned)
            }
            _ => quote!(#k::Integer),
        },
        DefKind::Enum(_) => {
            let name = format_ident!("{}", g.name(ty));
            quote!(#k::Enum(#name::VALUES))
        }
        DefKind::Array(_) => quote!(#k::Array),
        DefKind::Object(_) => quote!(#k::Object),
        _ => quote!(#k::Any),
    }
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
    let wire = Literal::string(&def.name);
    let returns = match c.ret_type {
        Some(t) => rust_type(g, t),
        None => quote!(::qapi_types::Empty),
    };
    let mut consts = Vec::new();
    if c.allow_oob {
        consts.push(quote!(
            const ALLOW_OOB: bool = true;
        ));
    }
    if !c.success_response {
        consts.push(quote!(
            const SUCCESS_RESPONSE: bool = false;
        ));
    }
    if c.allow_preconfig {
        consts.push(quote!(
            const ALLOW_PRECONFIG: bool = true;
        ));
    }
    if def.is_deprecated() {
        consts.push(quote!(
            const DEPRECATED: bool = true;
        ));
    }
    if let Some(arguments) = arguments_table(g, c.arg_type) {
        consts.push(arguments);
    }
    out.push(Piece::Tokens(quote! {
        #[allow(deprecated)]
        impl ::qapi_types::Command for #name {
            const NAME: &'static str = #wire;
            type Returns = #returns;
            #(#consts)*
        }
    }));
}

/// `const ARGUMENTS`, unless it is the trait's default (no arguments).
fn arguments_table(g: &Generator, arg: Option<DefId>) -> Option<TokenStream> {
    let a = arg?;
    let DefKind::Object(o) = &g.schema.def(a).kind else {
        return None;
    };
    if o.variants.is_some() {
        return Some(quote!(
            const ARGUMENTS: ::std::option::Option<&'static [::qapi_types::ArgInfo]> =
                ::std::option::Option::None;
        ));
    }
    let infos = o
        .members
        .iter()
        .filter(|m| g.sel.item(m.ifcond.as_ref(), &m.features))
        .map(|m| {
            let name = Literal::string(&m.name);
            let optional = m.optional;
            let kind = json_kind(g, m.ty);
            quote!(::qapi_types::ArgInfo { name: #name, optional: #optional, kind: #kind },)
        });
    Some(quote! {
        const ARGUMENTS: ::std::option::Option<&'static [::qapi_types::ArgInfo]> = ::std::option::Option::Some(&[#(#infos)*]);
    })
}

/// An event's struct and its `Event` impl.
pub(crate) fn emit_event(g: &Generator, id: DefId, e: &Event, out: &mut Vec<Piece>) {
    let def = g.schema.def(id);
    let name = format_ident!("{}", g.name(id));
    emit_args_struct(g, id, &name, e.arg_type, out);
    let wire = Literal::string(&def.name);
    out.push(Piece::Tokens(quote! {
        #[allow(deprecated)]
        impl ::qapi_types::Event for #name {
            const NAME: &'static str = #wire;
        }
    }));
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

/// The `(&self[, args: T])` parameters and the value passed to `execute`.
fn method_args(g: &Generator, id: DefId, c: &Command) -> (TokenStream, TokenStream) {
    let ty = format_ident!("{}", g.name(id));
    if c.arg_type.is_some() {
        (quote!(args: #ty), quote!(args))
    } else {
        (quote!(), quote!(#ty {}))
    }
}

fn returns(g: &Generator, c: &Command) -> TokenStream {
    match c.ret_type {
        Some(t) => types::rust_type(g, t),
        None => quote!(::qapi_types::Empty),
    }
}

/// A method's docs: the first paragraph of the command's, and where the
/// rest is.
fn method_doc(g: &Generator, id: DefId) -> TokenStream {
    let def = g.schema.def(id);
    let mut lines: Vec<String> = Vec::new();
    if let Some(summary) = docs::summary(g, id) {
        lines.extend(summary.lines().map(|l| format!(" {l}")));
        lines.push(String::new());
    }
    lines.push(format!(" Runs `{}`: see [`{}`].", def.name, g.name(id)));
    quote!(#(#[doc = #lines])*)
}

/// The `Commands` trait: a typed method per command, for the QMP client.
pub(crate) fn emit_client(g: &Generator, items: &mut Vec<Piece>) {
    let list = commands(g);
    let mut decls = Vec::new();
    let mut impls = Vec::new();
    for (id, method, c) in &list {
        let (params, value) = method_args(g, *id, c);
        let ret = returns(g, c);
        let doc = method_doc(g, *id);
        let deprecated = docs::deprecated_attr(&g.schema.def(*id).features);
        let sig = quote! {
            fn #method(&self, #params) -> impl ::std::future::Future<Output = ::std::result::Result<#ret, ::qapi_types::client::Error>> + ::std::marker::Send
        };
        decls.push(quote!(#doc #deprecated #sig;));
        impls.push(quote!(#sig { self.execute(#value) }));
    }
    items.push(Piece::Tokens(quote! {
        /// Every command of this schema as a typed method of the QMP
        /// client.
        #[allow(deprecated)]
        pub trait Commands {
            #(#decls)*
        }
        #[allow(deprecated)]
        impl<E: ::qapi_types::EventSet> Commands for ::qapi_types::client::Client<E> {
            #(#impls)*
        }
        #[allow(deprecated)]
        impl Commands for ::qapi_types::qga::Client {
            #(#impls)*
        }
    }));
}

/// The `Handler` trait and its `Dispatcher`, for serving QMP.
pub(crate) fn emit_server(g: &Generator, items: &mut Vec<Piece>) {
    let list = commands(g);
    let mut methods = Vec::new();
    let mut arms = Vec::new();
    let mut infos = Vec::new();
    let arguments = if list.is_empty() {
        quote!(_arguments)
    } else {
        quote!(arguments)
    };
    for (id, method, c) in &list {
        let (params, _) = method_args(g, *id, c);
        let ty = format_ident!("{}", g.name(*id));
        let wire_name = Literal::string(&g.schema.def(*id).name);
        infos.push(quote! {
            #wire_name => ::std::option::Option::Some(::qapi_types::server::CommandInfo::of::<#ty>()),
        });
        let ret = returns(g, c);
        let doc = method_doc(g, *id);
        let wire = Literal::string(&g.schema.def(*id).name);
        let ignore = if c.arg_type.is_some() {
            quote!(let _ = args;)
        } else {
            quote!()
        };
        methods.push(quote! {
            #doc
            ///
            /// The default answers as QEMU does for a command it lacks.
            fn #method(&self, #params) -> impl ::std::future::Future<Output = ::std::result::Result<#ret, ::qapi_types::QmpError>> + ::std::marker::Send {
                #ignore
                async { ::std::result::Result::Err(::qapi_types::QmpError::command_not_found(#wire)) }
            }
        });
        // A plain function per arm, each starting a boxed future: no
        // closures and no single future over all commands, which keeps
        // the dispatcher cheap to compile.
        let run = if c.arg_type.is_some() {
            quote!(with_args)
        } else {
            quote!(without_args)
        };
        arms.push(quote! {
            #wire => Runner::<#ty>::#run(&self.0, arguments, H::#method),
        });
    }
    let body = if arms.is_empty() {
        quote!(::qapi_types::server::not_found(name))
    } else {
        quote! {
            use ::qapi_types::server::Runner;
            match name {
                #(#arms)*
                _ => ::qapi_types::server::not_found(name),
            }
        }
    };
    items.push(Piece::Tokens(quote! {
        /// A QMP server's implementation of this schema's commands: one
        /// method per command.
        #[allow(deprecated)]
        pub trait Handler: ::std::marker::Send + ::std::marker::Sync + 'static {
            #(#methods)*
        }
        /// Decodes requests for a [`Handler`] and encodes its replies.
        pub struct Dispatcher<H>(pub H);
        #[allow(deprecated)]
        impl<H: Handler> ::qapi_types::server::Dispatch for Dispatcher<H> {
            fn command_info(&self, name: &str) -> ::std::option::Option<::qapi_types::server::CommandInfo> {
                match name {
                    #(#infos)*
                    _ => ::std::option::Option::None,
                }
            }
            fn dispatch<'a>(
                &'a self,
                name: &'a str,
                #arguments: ::std::option::Option<&'a ::qapi_types::serde_json::value::RawValue>,
            ) -> ::std::pin::Pin<::std::boxed::Box<dyn ::std::future::Future<Output = ::std::result::Result<::qapi_types::serde_json::Value, ::qapi_types::QmpError>> + ::std::marker::Send + 'a>> {
                #body
            }
        }
    }));
}
