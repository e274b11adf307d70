//! Comparing types of two schemas by what they look like on the wire.
//!
//! Names do not decide: the same shape goes by other names in other QEMU
//! versions (a 5.2 simple union's implicit `q_obj_X-wrapper` branch is
//! 10.2's `XWrapper`, its implicit `<Union>Kind` tag a named enum), and
//! introspection names types by number.  Two types have the same shape
//! when their JSON values are interchangeable: the same built-in; enums
//! with the same values; arrays of the same shape; objects with the same
//! members (name, optionality, shape), tag and branches; alternates with
//! the same branches.  A type both schemas name alike counts as the same
//! (what changed in it is a change of that type, not of its users).

use std::collections::HashMap;

use super::{Builtin, DefId, DefKind, Schema};

/// Two schemas side by side; remembers what it compared.
pub(crate) struct Shapes<'a> {
    a: &'a Schema,
    b: &'a Schema,
    memo: HashMap<(DefId, DefId), bool>,
}

impl<'a> Shapes<'a> {
    pub fn new(a: &'a Schema, b: &'a Schema) -> Self {
        Shapes {
            a,
            b,
            memo: HashMap::new(),
        }
    }

    /// Whether type `x` of the first schema and type `y` of the second
    /// have the same shape.
    pub fn same(&mut self, x: DefId, y: DefId) -> bool {
        if let Some(&known) = self.memo.get(&(x, y)) {
            return known;
        }
        // Assumed while comparing, for types that contain themselves.
        self.memo.insert((x, y), true);
        let result = self.compare(x, y);
        self.memo.insert((x, y), result);
        result
    }

    fn compare(&mut self, x: DefId, y: DefId) -> bool {
        let (a, b) = (self.a, self.b);
        let (dx, dy) = (a.def(x), b.def(y));
        // A type the schemas name alike is the same type, changed or not:
        // its changes are its own (and merging merges it).
        if !dx.implicit && !dy.implicit && dx.name == dy.name {
            return true;
        }
        match (&dx.kind, &dy.kind) {
            (DefKind::Builtin(p), DefKind::Builtin(q)) => same_builtin(*p, *q),
            (DefKind::Enum(p), DefKind::Enum(q)) => {
                p.values.len() == q.values.len()
                    && p.values
                        .iter()
                        .all(|v| q.values.iter().any(|w| w.name == v.name))
            }
            (DefKind::Array(p), DefKind::Array(q)) => self.same(p.element, q.element),
            (DefKind::Object(p), DefKind::Object(q)) => {
                if p.members.len() != q.members.len() {
                    return false;
                }
                for m in &p.members {
                    let Some(n) = q.members.iter().find(|n| n.name == m.name) else {
                        return false;
                    };
                    if m.optional != n.optional || !self.same(m.ty, n.ty) {
                        return false;
                    }
                }
                match (&p.variants, &q.variants) {
                    (None, None) => true,
                    (Some(v), Some(w)) => {
                        v.tag == w.tag
                            && v.variants.len() == w.variants.len()
                            && v.variants.iter().all(|vb| {
                                w.variants
                                    .iter()
                                    .find(|wb| wb.name == vb.name)
                                    .is_some_and(|wb| self.same(vb.ty, wb.ty))
                            })
                    }
                    _ => false,
                }
            }
            (DefKind::Alternate(p), DefKind::Alternate(q)) => {
                p.variants.len() == q.variants.len()
                    && p.variants.iter().all(|vb| {
                        q.variants
                            .iter()
                            .find(|wb| wb.name == vb.name)
                            .is_some_and(|wb| self.same(vb.ty, wb.ty))
                    })
            }
            _ => false,
        }
    }
}

/// The same built-in, by the values it accepts: `int` is `int64`, `size`
/// is `uint64`.
fn same_builtin(p: Builtin, q: Builtin) -> bool {
    fn norm(b: Builtin) -> Builtin {
        match b {
            Builtin::Int => Builtin::Int64,
            Builtin::Size => Builtin::Uint64,
            b => b,
        }
    }
    norm(p) == norm(q)
}

/// How a type is written in the schema: its name, `[T]` for arrays, and
/// `{data: T}` for the implicit wrapper of a 5.2 simple union's branch.
pub(crate) fn type_text(schema: &Schema, id: DefId) -> String {
    let def = schema.def(id);
    match &def.kind {
        DefKind::Array(a) => format!("[{}]", type_text(schema, a.element)),
        DefKind::Object(o) if def.name.ends_with("-wrapper") && def.implicit => {
            match o.members.first() {
                Some(m) => format!("{{data: {}}}", type_text(schema, m.ty)),
                None => def.name.to_string(),
            }
        }
        _ => def.name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Schema {
        crate::load_str("t.json", text, crate::Mode::Default).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn simple_and_flat_unions_of_the_same_wire_form() {
        let old = load(
            "{ 'struct': 'Inet', 'data': { 'host': 'str', 'port': 'str' } }
             { 'union': 'Addr', 'data': { 'inet': 'Inet', 'fd': 'str' } }",
        );
        let new = load(
            "{ 'struct': 'Inet', 'data': { 'host': 'str', 'port': 'str' } }
             { 'struct': 'InetWrapper', 'data': { 'data': 'Inet' } }
             { 'struct': 'StrWrapper', 'data': { 'data': 'str' } }
             { 'enum': 'AddrType', 'data': [ 'inet', 'fd' ] }
             { 'union': 'Addr', 'base': { 'type': 'AddrType' }, 'discriminator': 'type',
               'data': { 'inet': 'InetWrapper', 'fd': 'StrWrapper' } }",
        );
        let mut s = Shapes::new(&old, &new);
        let (a, b) = (old.lookup("Addr").unwrap(), new.lookup("Addr").unwrap());
        assert!(s.same(a, b));
        assert_eq!(
            type_text(&old, old.lookup("q_obj_Inet-wrapper").unwrap()),
            "{data: Inet}"
        );
    }

    #[test]
    fn differences_that_matter() {
        let old = load(
            "{ 'struct': 'A', 'data': { 'x': 'int', 'y': 'size', '*z': 'str' } }
             { 'struct': 'B', 'data': { 'next': ['B'], 'e': 'E' } }
             { 'enum': 'E', 'data': [ 'a', 'b' ] }",
        );
        let new = load(
            "{ 'struct': 'A1', 'data': { 'x': 'int64', 'y': 'uint64', '*z': 'str' } }
             { 'struct': 'A2', 'data': { 'x': 'int32', 'y': 'uint64', '*z': 'str' } }
             { 'struct': 'A3', 'data': { 'x': 'int', 'y': 'size', 'z': 'str' } }
             { 'struct': 'B', 'data': { 'next': ['B'], 'e': 'E' } }
             { 'struct': 'B2', 'data': { 'next': ['B2'], 'e': 'E2' } }
             { 'enum': 'E', 'data': [ 'b', 'a' ] }
             { 'enum': 'E2', 'data': [ 'a', 'b', 'c' ] }",
        );
        let mut s = Shapes::new(&old, &new);
        let o = |n: &str| old.lookup(n).unwrap();
        let n = |n: &str| new.lookup(n).unwrap();
        assert!(s.same(o("A"), n("A1")), "int is int64, size is uint64");
        assert!(!s.same(o("A"), n("A2")), "int32 is not int");
        assert!(!s.same(o("A"), n("A3")), "optional is not required");
        assert!(s.same(o("B"), n("B")), "a type containing itself");
        assert!(!s.same(o("B"), n("B2")), "an enum with another value");
        assert!(s.same(o("E"), n("E")), "named alike");
        assert!(!s.same(o("E"), n("E2")), "another value");
        assert!(!s.same(o("A"), n("B")));
    }
}
