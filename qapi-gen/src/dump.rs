//! The schema model printed the way QEMU's `tests/qapi-schema/test-qapi.py`
//! prints it, so that a dump can be compared with QEMU's `.out` files byte
//! for byte.

use std::fmt::Write as _;

use crate::schema::{Cond, DefKind, Feature, ModuleItem, Schema, Variant, Variants};

/// The model dump of a checked schema.
pub fn dump(schema: &Schema) -> String {
    let mut out = String::new();
    for module in &schema.modules {
        let _ = writeln!(out, "module {}", module.name);
        for item in &module.items {
            match *item {
                ModuleItem::Include(m) => {
                    let _ = writeln!(out, "include {}", schema.modules[m.index()].name);
                }
                ModuleItem::Def(id) => dump_def(&mut out, schema, id),
            }
        }
    }
    for doc in &schema.docs {
        match &doc.symbol {
            Some(s) => {
                let _ = writeln!(out, "doc symbol={s}");
            }
            None => out.push_str("doc freeform\n"),
        }
        let _ = writeln!(out, "    body=\n{}", doc.body.text);
        for a in &doc.args {
            let _ = writeln!(out, "    arg={}\n{}", a.name, a.text);
        }
        for f in &doc.features {
            let _ = writeln!(out, "    feature={}\n{}", f.name, f.text);
        }
        for s in &doc.sections {
            let _ = writeln!(out, "    section={}\n{}", s.kind.title(), s.text);
        }
    }
    out
}

fn py_bool(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

fn dump_if(out: &mut String, cond: Option<&Cond>, indent: usize) {
    if let Some(c) = cond {
        let _ = writeln!(out, "{:indent$}if {}", "", c.dump());
    }
}

fn dump_features(out: &mut String, features: &[Feature], indent: usize) {
    for f in features {
        let _ = writeln!(out, "{:indent$}feature {}", "", f.name);
        dump_if(out, f.ifcond.as_deref(), indent + 4);
    }
}

fn dump_variants(out: &mut String, schema: &Schema, tag: &str, variants: &[Variant]) {
    let _ = writeln!(out, "    tag {tag}");
    for v in variants {
        let _ = writeln!(out, "    case {}: {}", v.name, schema.def(v.ty).name);
        dump_if(out, v.ifcond.as_deref(), 8);
    }
}

fn dump_def(out: &mut String, schema: &Schema, id: crate::schema::DefId) {
    let def = schema.def(id);
    let name = &def.name;
    let type_name = |id: Option<crate::schema::DefId>| id.map_or("None", |t| &*schema.def(t).name);
    match &def.kind {
        DefKind::Builtin(_) => return,
        DefKind::Array(a) => {
            // Built-in arrays are not shown.
            if def.loc.is_none() {
                return;
            }
            let element = schema.def(a.element);
            let _ = writeln!(out, "array {name} {}", element.name);
            // An array has its element type's condition.
            dump_if(out, element.ifcond.as_deref(), 4);
            return;
        }
        DefKind::Enum(e) => {
            let _ = writeln!(out, "enum {name}");
            if let Some(p) = &e.prefix {
                let _ = writeln!(out, "    prefix {p}");
            }
            for v in &e.values {
                let _ = writeln!(out, "    member {}", v.name);
                dump_if(out, v.ifcond.as_deref(), 8);
                dump_features(out, &v.features, 8);
            }
        }
        DefKind::Object(o) => {
            let _ = writeln!(out, "object {name}");
            if let Some(b) = o.base {
                let _ = writeln!(out, "    base {}", schema.def(b).name);
            }
            for m in o.local_members() {
                let _ = writeln!(
                    out,
                    "    member {}: {} optional={}",
                    m.name,
                    schema.def(m.ty).name,
                    py_bool(m.optional)
                );
                dump_if(out, m.ifcond.as_deref(), 8);
                dump_features(out, &m.features, 8);
            }
            if let Some(Variants { tag, variants, .. }) = o.variants.as_deref() {
                dump_variants(out, schema, tag, variants);
            }
        }
        DefKind::Alternate(a) => {
            let _ = writeln!(out, "alternate {name}");
            dump_variants(out, schema, "type", &a.variants);
        }
        DefKind::Command(c) => {
            let _ = writeln!(
                out,
                "command {name} {} -> {}",
                type_name(c.arg_type),
                type_name(c.ret_type)
            );
            let _ = writeln!(
                out,
                "    gen={} success_response={} boxed={} oob={} preconfig={}{}",
                py_bool(c.generate),
                py_bool(c.success_response),
                py_bool(c.boxed),
                py_bool(c.allow_oob),
                py_bool(c.allow_preconfig),
                if c.coroutine { " coroutine=True" } else { "" }
            );
        }
        DefKind::Event(e) => {
            let _ = writeln!(out, "event {name} {}", type_name(e.arg_type));
            let _ = writeln!(out, "    boxed={}", py_bool(e.boxed));
        }
    }
    dump_if(out, def.ifcond.as_deref(), 4);
    dump_features(out, &def.features, 4);
}
