//! QAPI bindings generated at compile time, by a macro.
//!
//! ```ignore
//! pub mod qmp {
//!     qapi_gen_macros::qapi!("qapi/qapi-schema.json");
//! }
//! ```
//!
//! The path is relative to the crate's `CARGO_MANIFEST_DIR`; `${VAR}` in it
//! is replaced by the value of environment variable `VAR` at compile time
//! (`"${OUT_DIR}/schema.json"` for a schema a build script wrote).  Options
//! follow the path as `key = value` pairs:
//!
//! ```ignore
//! qapi_gen_macros::qapi!(
//!     "qapi/qapi-schema.json",
//!     strict = true,                  // check with QEMU 10.2's rules
//!     cfg = ["CONFIG_SPICE"],         // evaluate conditions
//!     exclude_unstable = true,        // leave out `unstable` items
//!     only = ["query-status"],        // only what these need
//!     client = false,                 // no `Commands` trait
//!     server = false,                 // no `Handler` / `Dispatcher`
//!     oldest = "4.2",                 // decode what QEMU 4.2 and later send
//!     merge = ["fork/qapi-schema.json"], // one binding for several schemas
//! );
//! ```
//!
//! `oldest` and `merge` are the command line's `--oldest` and `--merge`
//! (and the build script Builder's `.oldest(..)` and `.merge(..)`): see the
//! crate `qapi-gen`.  Merged paths are relative to `CARGO_MANIFEST_DIR` too
//! and may hold `${VAR}`.  Conflicts between merged schemas are resolved
//! as `qapi_gen::schema::merge` documents; a macro cannot print warnings,
//! so run `qapi-gen generate --merge ..` (or the Builder) to see them.
//!
//! A schema error becomes a `compile_error!` holding QEMU's message
//! (`file:line:col: message`).  Every schema file read is included with
//! `include_bytes!`, so that editing one rebuilds the crate.

use std::path::PathBuf;

use proc_macro::TokenStream;
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, ExprArray, ExprLit, Ident, Lit, LitBool, LitStr, Token};

/// Generates bindings for a QAPI schema; see the crate docs.
#[proc_macro]
pub fn qapi(input: TokenStream) -> TokenStream {
    match syn::parse::<Args>(input) {
        Ok(args) => expand(args).into(),
        Err(e) => e.to_compile_error().into(),
    }
}

struct Args {
    path: LitStr,
    strict: bool,
    /// Schemas merged into the first one.
    merge: Vec<LitStr>,
    options: qapi_gen::generate::Options,
}

impl Parse for Args {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let path: LitStr = input.parse()?;
        let mut args = Args {
            path,
            strict: false,
            merge: Vec::new(),
            options: qapi_gen::generate::Options::default(),
        };
        if input.is_empty() {
            return Ok(args);
        }
        input.parse::<Token![,]>()?;
        let pairs = Punctuated::<(Ident, Expr), Token![,]>::parse_terminated_with(input, |p| {
            let key: Ident = p.parse()?;
            p.parse::<Token![=]>()?;
            Ok((key, p.parse()?))
        })?;
        for (key, value) in pairs {
            match key.to_string().as_str() {
                "strict" => args.strict = bool_value(&value)?,
                "exclude_unstable" => args.options.exclude_unstable = bool_value(&value)?,
                "client" => args.options.client = bool_value(&value)?,
                "server" => args.options.server = bool_value(&value)?,
                "cfg" => args.options.cfg = Some(strings(&value)?.into_iter().collect()),
                "only" => args.options.only = Some(strings(&value)?),
                "oldest" => {
                    let version = string(&value)?;
                    let parsed = version
                        .value()
                        .parse()
                        .map_err(|e| syn::Error::new(version.span(), format!("{e}")))?;
                    args.options.oldest = Some(parsed);
                }
                "merge" => args.merge = string_lits(&value)?,
                other => {
                    return Err(syn::Error::new(
                        key.span(),
                        format!(
                            "unknown option `{other}`; expected strict, cfg, exclude_unstable, only, client, server, oldest or merge"
                        ),
                    ));
                }
            }
        }
        Ok(args)
    }
}

fn bool_value(e: &Expr) -> syn::Result<bool> {
    match e {
        Expr::Lit(ExprLit {
            lit: Lit::Bool(LitBool { value, .. }),
            ..
        }) => Ok(*value),
        other => Err(syn::Error::new_spanned(other, "expected `true` or `false`")),
    }
}

fn string(e: &Expr) -> syn::Result<LitStr> {
    match e {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => Ok(s.clone()),
        other => Err(syn::Error::new_spanned(other, "expected a string")),
    }
}

fn string_lits(e: &Expr) -> syn::Result<Vec<LitStr>> {
    let Expr::Array(ExprArray { elems, .. }) = e else {
        return Err(syn::Error::new_spanned(e, "expected an array of strings"));
    };
    elems.iter().map(string).collect()
}

fn strings(e: &Expr) -> syn::Result<Vec<String>> {
    Ok(string_lits(e)?.iter().map(LitStr::value).collect())
}

/// Replaces `${VAR}` with the value of environment variable `VAR`.
fn expand_vars(path: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = path;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let Some(end) = rest[i..].find('}') else {
            return Err(format!("unclosed `${{` in `{path}`"));
        };
        let var = &rest[i + 2..i + end];
        match std::env::var(var) {
            Ok(v) => out.push_str(&v),
            Err(_) => return Err(format!("environment variable `{var}` is not set")),
        }
        rest = &rest[i + end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn expand(args: Args) -> proc_macro2::TokenStream {
    let base = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_default();
    let mut paths = Vec::with_capacity(1 + args.merge.len());
    for lit in std::iter::once(&args.path).chain(&args.merge) {
        match expand_vars(&lit.value()) {
            Ok(p) => paths.push(base.join(p)),
            Err(e) => return syn::Error::new(lit.span(), e).to_compile_error(),
        }
    }
    let mode = if args.strict {
        qapi_gen::Mode::Strict
    } else {
        qapi_gen::Mode::Default
    };
    // As the Builder does: one schema is merged with no other, unchanged.
    let schemas = match qapi_gen::load_all(&paths, mode) {
        Ok(s) => s,
        Err(e) => {
            // Paths relative to the crate, as a person would write them.
            let message = e
                .diagnostics
                .iter()
                .filter(|d| d.is_error())
                .map(|d| d.render(&e.sources))
                .collect::<Vec<_>>()
                .join("\n");
            let message = message.replace(&format!("{}/", base.display()), "");
            let tracked = track(e.sources.files().map(|f| &f.path));
            let error = syn::Error::new(args.path.span(), message).to_compile_error();
            return quote!(#error #tracked);
        }
    };
    let tracked = track(
        schemas
            .iter()
            .flat_map(|s| s.sources.files().map(|f| &f.path)),
    );
    let schema = match qapi_gen::schema::merge(schemas) {
        Ok((schema, _conflicts)) => schema,
        Err(e) => {
            let error = syn::Error::new(args.path.span(), e.to_string()).to_compile_error();
            return quote!(#error #tracked);
        }
    };
    let path = &paths[0];
    let name = path
        .file_name()
        .map_or_else(|| "schema".into(), |n| n.to_string_lossy().into_owned());
    match qapi_gen::generate::generate(&schema, &args.options, &name).and_then(|g| g.tokens()) {
        Ok(tokens) => quote!(#tokens #tracked),
        Err(e) => syn::Error::new(args.path.span(), e.to_string()).to_compile_error(),
    }
}

/// Makes the compiler track the schema files: a change to one rebuilds the
/// crate.
fn track<'a>(paths: impl Iterator<Item = &'a PathBuf>) -> proc_macro2::TokenStream {
    let paths = paths
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .map(|p| p.display().to_string());
    quote!(#(const _: &[u8] = include_bytes!(#paths);)*)
}
