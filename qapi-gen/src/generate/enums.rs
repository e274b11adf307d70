//! Enumerations: a Rust enum with a catch-all variant for values the schema
//! does not know, and its methods and serde impls (the
//! `qapi_types::enumeration!` macro).

use super::Generator;
use super::docs;
use super::names::{self, Lit, Namespace};
use super::out::Out;
use crate::schema::{DefId, EnumType, EnumValue};

/// The Rust names of an enumeration's kept values, and of its catch-all
/// variant.
pub(crate) struct EnumPlan<'e> {
    pub values: Vec<(String, &'e EnumValue)>,
    pub unknown: String,
}

impl<'e> EnumPlan<'e> {
    pub fn new(g: &Generator, e: &'e EnumType) -> Self {
        let mut ns = Namespace::default();
        let values = e
            .values
            .iter()
            .filter(|v| g.sel.item(v.ifcond.as_deref(), &v.features))
            .map(|v| {
                (
                    names::ident_text(&ns.claim(names::upper_camel(&v.name), "_")),
                    v,
                )
            })
            .collect();
        let unknown = names::ident_text(&ns.claim("Unknown".to_string(), "Value"));
        EnumPlan { values, unknown }
    }

    /// The variant for wire value `value`, if the enumeration keeps it.
    pub fn variant(&self, value: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(_, v)| &*v.name == value)
            .map(|(n, _)| n.as_str())
    }
}

/// An enumeration.
pub(crate) fn emit_enum(g: &Generator, id: DefId, e: &EnumType, out: &mut Out) {
    let name = g.name(id);
    let plan = EnumPlan::new(g, e);
    out.docs(&docs::definition(g, id));
    out.line("#[derive(Clone, Debug, PartialEq, Eq, Hash)]");
    out.block(format_args!("pub enum {name}"), "", |out| {
        for (v, value) in &plan.values {
            out.docs(&docs::enum_value(g, id, value));
            if value.features.iter().any(|f| f.is_deprecated()) {
                out.line("#[deprecated]");
            }
            out.line(format_args!("{v},"));
        }
        out.line("/// A value this schema does not know, as sent by a newer QEMU.");
        out.line(format_args!("{}(::std::string::String),", plan.unknown));
    });
    out.block("::qapi_types::enumeration!", "", |out| {
        if plan.values.is_empty() {
            out.line(format_args!("{name} {{}} {}", plan.unknown));
        } else {
            out.open(name);
            for (v, value) in &plan.values {
                out.line(format_args!("{v} = {},", Lit(&value.name)));
            }
            out.close(&format!(" {}", plan.unknown));
        }
    });
}
