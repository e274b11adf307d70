//! What a QMP server says about itself: the reply to `query-qmp-schema`,
//! decoded and indexed by name, and path queries over it ([`Schema::has`]).
//!
//! The reply is a JSON array of entities, each with a `name`, a
//! `meta-type` and what that meta-type needs.  Only commands, events and
//! built-in types have meaningful names; every other type is named by a
//! number that changes from build to build, so lookups start from a
//! command or an event and follow the references from there.
//!
//! Decoding is tolerant the way QMP asks clients to be: members it does not
//! know are ignored, and an entity of a meta-type newer than this crate
//! becomes [`Definition::Other`].  A reply that is not an array of entities,
//! or an entity without what its meta-type requires, is an error.
//!
//! ```
//! use qapi_types::introspect::Schema;
//!
//! let reply = r#"[
//!     {"name": "query-status", "meta-type": "command", "arg-type": "0", "ret-type": "1"},
//!     {"name": "0", "meta-type": "object", "members": []},
//!     {"name": "1", "meta-type": "object", "members": [
//!         {"name": "running", "type": "bool"},
//!         {"name": "singlestep", "type": "bool", "default": null}]},
//!     {"name": "bool", "meta-type": "builtin", "json-type": "boolean"}
//! ]"#;
//! let schema: Schema = qapi_types::serde_json::from_str(reply)?;
//! assert!(schema.has_command("query-status"));
//! assert!(!schema.has_event("STOP"));
//! assert_eq!(schema.command("query-status").map(|c| c.ret_type.as_str()), Some("1"));
//! assert_eq!(schema.has("query-status/ret-type/*singlestep"), Ok(true));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod path;

use std::collections::HashMap;

use serde::de::{self, Deserialize, Deserializer};
use serde_json::Value;

pub use path::PathError;

/// A server's schema as `query-qmp-schema` reports it, indexed by name.
///
/// Decode it from the reply with serde (`serde_json::from_str`,
/// `serde_json::from_value`, or as the return type of a command).  Two
/// entities with the same name make the reply invalid.
#[derive(Clone, Debug, Default)]
pub struct Schema {
    entities: Vec<Entity>,
    index: HashMap<String, usize>,
}

impl Schema {
    /// Indexes `entities`; `Err` names an entity that appears twice.
    fn new(entities: Vec<Entity>) -> Result<Schema, String> {
        let mut index = HashMap::with_capacity(entities.len());
        for (i, e) in entities.iter().enumerate() {
            if index.insert(e.name.clone(), i).is_some() {
                return Err(format!("entity '{}' appears twice", e.name));
            }
        }
        Ok(Schema { entities, index })
    }

    /// Every entity, in the server's order.
    pub fn entities(&self) -> &[Entity] {
        &self.entities
    }

    /// The entity called `name` (a command, an event, a built-in type or
    /// one of the numbered types).
    pub fn entity(&self, name: &str) -> Option<&Entity> {
        self.index.get(name).and_then(|&i| self.entities.get(i))
    }

    /// The command called `name`.
    pub fn command(&self, name: &str) -> Option<&CommandDef> {
        match &self.entity(name)?.definition {
            Definition::Command(c) => Some(c),
            _ => None,
        }
    }

    /// The event called `name`.
    pub fn event(&self, name: &str) -> Option<&EventDef> {
        match &self.entity(name)?.definition {
            Definition::Event(e) => Some(e),
            _ => None,
        }
    }

    /// Whether the server has the command `name`.
    pub fn has_command(&self, name: &str) -> bool {
        self.command(name).is_some()
    }

    /// Whether the server may send the event `name`.
    pub fn has_event(&self, name: &str) -> bool {
        self.event(name).is_some()
    }

    /// The names of the server's commands.
    pub fn commands(&self) -> impl Iterator<Item = &str> {
        self.entities
            .iter()
            .filter(|e| matches!(e.definition, Definition::Command(_)))
            .map(|e| e.name.as_str())
    }

    /// The names of the server's events.
    pub fn events(&self) -> impl Iterator<Item = &str> {
        self.entities
            .iter()
            .filter(|e| matches!(e.definition, Definition::Event(_)))
            .map(|e| e.name.as_str())
    }
}

impl<'de> Deserialize<'de> for Schema {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Schema::new(Vec::<Entity>::deserialize(d)?).map_err(de::Error::custom)
    }
}

/// One entity of the schema (`SchemaInfo` in QEMU's terms).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entity {
    /// Its name: a command's or event's name, a built-in type's name, or a
    /// number standing for any other type.
    pub name: String,
    /// Its features, such as `deprecated` or `unstable`.
    pub features: Vec<String>,
    /// What it is.
    pub definition: Definition,
}

impl Entity {
    /// Whether the entity has the feature `name`.
    pub fn has_feature(&self, name: &str) -> bool {
        self.features.iter().any(|f| f == name)
    }
}

impl<'de> Deserialize<'de> for Entity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        struct Head {
            name: String,
            #[serde(rename = "meta-type")]
            meta_type: String,
            #[serde(default)]
            features: Vec<String>,
        }
        let value = Value::deserialize(d)?;
        let head = Head::deserialize(&value).map_err(de::Error::custom)?;
        let definition = Definition::decode(&head.meta_type, &value)
            .map_err(|e| de::Error::custom(format_args!("entity '{}': {e}", head.name)))?;
        Ok(Entity {
            name: head.name,
            features: head.features,
            definition,
        })
    }
}

/// What an entity is, by its `meta-type`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Definition {
    /// `builtin`: a predefined type such as `int` or `str`.
    Builtin(BuiltinDef),
    /// `enum`.
    Enum(EnumDef),
    /// `array`.
    Array(ArrayDef),
    /// `object`: a struct or a union.
    Object(ObjectDef),
    /// `alternate`.
    Alternate(AlternateDef),
    /// `command`.
    Command(CommandDef),
    /// `event`.
    Event(EventDef),
    /// A meta-type this crate does not know, from a newer server.
    Other {
        /// The `meta-type` as sent.
        meta_type: String,
    },
}

impl Definition {
    /// Decodes the members `meta_type` needs from the entity `value`.
    fn decode(meta_type: &str, value: &Value) -> Result<Definition, serde_json::Error> {
        Ok(match meta_type {
            "builtin" => Definition::Builtin(Deserialize::deserialize(value)?),
            "enum" => Definition::Enum(Deserialize::deserialize(value)?),
            "array" => Definition::Array(Deserialize::deserialize(value)?),
            "object" => Definition::Object(Deserialize::deserialize(value)?),
            "alternate" => Definition::Alternate(Deserialize::deserialize(value)?),
            "command" => Definition::Command(Deserialize::deserialize(value)?),
            "event" => Definition::Event(Deserialize::deserialize(value)?),
            other => Definition::Other {
                meta_type: other.to_owned(),
            },
        })
    }
}

/// A built-in type.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct BuiltinDef {
    /// The JSON type of its values (`int`, `string`, `value` ...).
    #[serde(rename = "json-type")]
    pub json_type: String,
}

/// An enumeration.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(try_from = "RawEnum")]
pub struct EnumDef {
    /// Its values, in order.
    pub values: Vec<EnumValue>,
}

impl EnumDef {
    /// The value `name`, if the enumeration has it.
    pub fn value(&self, name: &str) -> Option<&EnumValue> {
        self.values.iter().find(|v| v.name == name)
    }
}

/// An enumeration as sent: `values` always, `members` (with features)
/// since QEMU 6.2.
#[derive(serde::Deserialize)]
struct RawEnum {
    values: Option<Vec<String>>,
    members: Option<Vec<EnumValue>>,
}

impl TryFrom<RawEnum> for EnumDef {
    type Error = &'static str;

    fn try_from(raw: RawEnum) -> Result<Self, Self::Error> {
        let values = match (raw.members, raw.values) {
            (Some(members), _) => members,
            (None, Some(values)) => values
                .into_iter()
                .map(|name| EnumValue {
                    name,
                    features: Vec::new(),
                })
                .collect(),
            (None, None) => return Err("an enum without `values` or `members`"),
        };
        Ok(EnumDef { values })
    }
}

/// One value of an enumeration.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct EnumValue {
    /// The value.
    pub name: String,
    /// Its features (reported since QEMU 6.2).
    #[serde(default)]
    pub features: Vec<String>,
}

/// An array type.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct ArrayDef {
    /// The name of its elements' type.
    #[serde(rename = "element-type")]
    pub element_type: String,
}

/// An object type: a struct, or a union when it has variants.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct ObjectDef {
    /// Its members (for a union, the common ones).
    pub members: Vec<Member>,
    /// For a union, the member whose value selects the variant.
    #[serde(default)]
    pub tag: Option<String>,
    /// For a union, the branches.
    #[serde(default)]
    pub variants: Vec<Variant>,
}

impl ObjectDef {
    /// The member `name`.
    pub fn member(&self, name: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.name == name)
    }

    /// The branch for the tag value `case`.
    pub fn variant(&self, case: &str) -> Option<&Variant> {
        self.variants.iter().find(|v| v.case == case)
    }
}

/// A member of an object type.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct Member {
    /// Its name on the wire.
    pub name: String,
    /// The name of its type.
    #[serde(rename = "type")]
    pub ty: String,
    /// Whether it may be absent (the server sends a `default` member for
    /// optional members, always `null`).
    #[serde(rename = "default", default, deserialize_with = "present")]
    pub optional: bool,
    /// Its features.
    #[serde(default)]
    pub features: Vec<String>,
}

impl Member {
    /// Whether the member has the feature `name`.
    pub fn has_feature(&self, name: &str) -> bool {
        self.features.iter().any(|f| f == name)
    }
}

/// `true` for a member that is there, whatever its value.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    de::IgnoredAny::deserialize(d).map(|_| true)
}

/// A branch of a union.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct Variant {
    /// The tag value that selects it.
    pub case: String,
    /// The name of the object type with the branch's members.
    #[serde(rename = "type")]
    pub ty: String,
}

/// An alternate type: a value of any one of several types.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct AlternateDef {
    /// The alternatives.
    pub members: Vec<Alternative>,
}

/// One alternative of an alternate type.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct Alternative {
    /// The name of its type.
    #[serde(rename = "type")]
    pub ty: String,
}

/// A command.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct CommandDef {
    /// The name of the object type of its arguments.
    #[serde(rename = "arg-type")]
    pub arg_type: String,
    /// The name of the type it returns.
    #[serde(rename = "ret-type")]
    pub ret_type: String,
    /// Whether it may run out of band.
    #[serde(rename = "allow-oob", default)]
    pub allow_oob: bool,
}

/// An event.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct EventDef {
    /// The name of the object type of its data.
    #[serde(rename = "arg-type")]
    pub arg_type: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(text: &str) -> Result<Schema, serde_json::Error> {
        serde_json::from_str(text)
    }

    #[test]
    fn every_meta_type_decodes() {
        let schema = decode(
            r#"[
            {"name": "int", "meta-type": "builtin", "json-type": "int"},
            {"name": "1", "meta-type": "enum", "values": ["a", "b"]},
            {"name": "2", "meta-type": "enum", "values": ["a"],
             "members": [{"name": "a", "features": ["deprecated"]}]},
            {"name": "[int]", "meta-type": "array", "element-type": "int"},
            {"name": "3", "meta-type": "object", "tag": "t",
             "members": [{"name": "t", "type": "1"}, {"name": "n", "type": "int", "default": null}],
             "variants": [{"case": "a", "type": "4"}]},
            {"name": "4", "meta-type": "object", "members": []},
            {"name": "5", "meta-type": "alternate", "members": [{"type": "int"}, {"type": "3"}]},
            {"name": "cmd", "meta-type": "command", "arg-type": "3", "ret-type": "[int]",
             "allow-oob": true, "features": ["unstable"]},
            {"name": "EV", "meta-type": "event", "arg-type": "4"}
        ]"#,
        )
        .unwrap();
        assert_eq!(schema.entities().len(), 9);
        assert_eq!(
            schema.entity("int").map(|e| &e.definition),
            Some(&Definition::Builtin(BuiltinDef {
                json_type: "int".into()
            }))
        );
        let Some(Definition::Enum(old)) = schema.entity("1").map(|e| &e.definition) else {
            panic!("1 is an enum");
        };
        assert_eq!(old.values.len(), 2);
        let Some(Definition::Enum(new)) = schema.entity("2").map(|e| &e.definition) else {
            panic!("2 is an enum");
        };
        assert_eq!(
            new.value("a").map(|v| &v.features[..]),
            Some(&["deprecated".to_owned()][..])
        );
        let Some(Definition::Object(obj)) = schema.entity("3").map(|e| &e.definition) else {
            panic!("3 is an object");
        };
        assert_eq!(obj.tag.as_deref(), Some("t"));
        assert_eq!(obj.member("t").map(|m| m.optional), Some(false));
        assert_eq!(obj.member("n").map(|m| m.optional), Some(true));
        assert_eq!(obj.variant("a").map(|v| v.ty.as_str()), Some("4"));
        let cmd = schema.command("cmd").unwrap();
        assert!(cmd.allow_oob);
        assert!(schema.entity("cmd").unwrap().has_feature("unstable"));
        assert_eq!(schema.event("EV").map(|e| e.arg_type.as_str()), Some("4"));
        assert_eq!(schema.commands().collect::<Vec<_>>(), ["cmd"]);
        assert_eq!(schema.events().collect::<Vec<_>>(), ["EV"]);
        assert!(!schema.has_command("EV") && !schema.has_event("cmd"));
    }

    #[test]
    fn newer_servers_are_tolerated() {
        let schema = decode(
            r#"[
            {"name": "x", "meta-type": "tuple", "members": [1, 2]},
            {"name": "c", "meta-type": "command", "arg-type": "0", "ret-type": "0",
             "coroutine": true},
            {"name": "0", "meta-type": "object", "members": [
                {"name": "m", "type": "int", "default": null, "since": "9.0"}]}
        ]"#,
        )
        .unwrap();
        assert_eq!(
            schema.entity("x").map(|e| &e.definition),
            Some(&Definition::Other {
                meta_type: "tuple".into()
            })
        );
        assert!(schema.has_command("c"));
    }

    #[test]
    fn malformed_replies_are_errors() {
        for (text, why) in [
            ("{}", "invalid type"),
            ("[1]", "invalid type"),
            (r#"[{"meta-type": "builtin"}]"#, "missing field `name`"),
            (
                r#"[{"name": "c", "meta-type": "command", "arg-type": "0"}]"#,
                "ret-type",
            ),
            (
                r#"[{"name": "e", "meta-type": "enum"}]"#,
                "without `values`",
            ),
            (
                r#"[{"name": "o", "meta-type": "object", "members": [{"name": "a"}]}]"#,
                "missing field `type`",
            ),
            (
                r#"[{"name": "i", "meta-type": "builtin", "json-type": "int"},
                    {"name": "i", "meta-type": "builtin", "json-type": "int"}]"#,
                "appears twice",
            ),
        ] {
            let err = decode(text).expect_err(text).to_string();
            assert!(err.contains(why), "{text}: {err}");
        }
    }
}
