//! Wire-level helpers shared by the client and the server: borrowed message
//! envelopes, JSON escaping and error-text cleanup.

use std::borrow::Cow;

use serde::Deserialize;
#[cfg(feature = "server")]
use serde::Serialize;
use serde::de::Deserializer;
#[cfg(feature = "server")]
use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

#[cfg(feature = "client")]
use crate::{QmpError, Timestamp};

/// Deserializes a member that may hold any JSON value, `null` included, as
/// `Some(raw)`; a missing member stays `None` through `#[serde(default)]`.
#[cfg(feature = "client")]
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&'de RawValue>::deserialize(d).map(Some)
}

/// One message from a QMP server or guest agent, parsed once and borrowed
/// from the line it came in: `return` and `data` stay raw so that they are
/// decoded into their final types by whoever needs them.
#[cfg(feature = "client")]
#[derive(Deserialize)]
pub(crate) struct Incoming<'a> {
    /// `return` of a successful reply.
    #[serde(rename = "return", default, borrow, deserialize_with = "present")]
    pub ret: Option<&'a RawValue>,
    /// `error` of an error reply.
    #[serde(default)]
    pub error: Option<QmpError>,
    /// The request's `id`, echoed.
    #[serde(default, borrow, deserialize_with = "present")]
    pub id: Option<&'a RawValue>,
    /// The event's name.
    #[serde(default, borrow)]
    pub event: Option<Cow<'a, str>>,
    /// The event's data.
    #[serde(default, borrow, deserialize_with = "present")]
    pub data: Option<&'a RawValue>,
    /// When the event happened.
    #[serde(default)]
    pub timestamp: Option<Timestamp>,
    /// The greeting's contents.
    #[serde(rename = "QMP", default, borrow, deserialize_with = "present")]
    pub greeting: Option<&'a RawValue>,
}

/// Appends `s` to `out` as a JSON string.
#[cfg(feature = "client")]
pub(crate) fn push_json_str(out: &mut Vec<u8>, s: &str) {
    // Serializing a `str` into a `Vec` cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

/// A serde_json error's message without its " at line L column C" suffix.
pub(crate) fn error_text(e: &serde_json::Error) -> String {
    let mut s = e.to_string();
    if let Some(i) = s.rfind(" at line ") {
        s.truncate(i);
    }
    s
}

/// The first characters of a message, for error texts and logs.
#[cfg(feature = "client")]
pub(crate) fn preview(s: &[u8]) -> String {
    const MAX: usize = 120;
    let cut = s.len().min(MAX);
    let mut p = String::from_utf8_lossy(&s[..cut]).into_owned();
    if s.len() > MAX {
        p.push_str("...");
    }
    p
}

/// The members of a JSON object in input order, values kept raw, or the
/// information that the value is not an object.
#[cfg(feature = "server")]
pub(crate) enum Members<'a> {
    /// An object.
    Object(Vec<(Cow<'a, str>, &'a RawValue)>),
    /// Any other JSON value.
    NotObject,
}

#[cfg(feature = "server")]
impl<'a> Members<'a> {
    /// Parses `text`, which must be one complete JSON value.
    pub(crate) fn parse(text: &'a str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }
}

#[cfg(feature = "server")]
impl<'de> Deserialize<'de> for Members<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Members<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut members: Vec<(Cow<'de, str>, &'de RawValue)> = Vec::new();
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    if members.iter().any(|(k, _)| *k == key) {
                        return Err(serde::de::Error::custom(DUPLICATE_KEY));
                    }
                    let value = map.next_value::<&'de RawValue>()?;
                    members.push((key, value));
                }
                Ok(Members::Object(members))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Members::NotObject)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Members::NotObject)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Members::NotObject)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Members::NotObject)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Members::NotObject)
            }
            fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
                Ok(Members::NotObject)
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Members::NotObject)
            }
        }
        d.deserialize_any(V)
    }
}

/// The message of the error [`Members::parse`] and [`check_duplicates`]
/// give for a repeated key.
#[cfg(feature = "server")]
pub(crate) const DUPLICATE_KEY: &str = crate::strict::DUPLICATE_KEY;

/// Checks that no object in `text`, at any depth, repeats a key, as
/// QEMU's JSON parser does ("duplicate key").
#[cfg(feature = "server")]
pub(crate) fn check_duplicates(text: &str) -> Result<(), serde_json::Error> {
    serde_json::from_str::<Unique>(text).map(|_| ())
}

/// A JSON value whose objects repeat no key.
#[cfg(feature = "server")]
struct Unique;

#[cfg(feature = "server")]
impl<'de> Deserialize<'de> for Unique {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Unique;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Unique, A::Error> {
                let mut keys: Vec<Cow<'de, str>> = Vec::new();
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    if keys.contains(&key) {
                        return Err(serde::de::Error::custom(DUPLICATE_KEY));
                    }
                    map.next_value::<Unique>()?;
                    keys.push(key);
                }
                Ok(Unique)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Unique, A::Error> {
                while seq.next_element::<Unique>()?.is_some() {}
                Ok(Unique)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Unique, E> {
                Ok(Unique)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Unique, E> {
                Ok(Unique)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Unique, E> {
                Ok(Unique)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Unique, E> {
                Ok(Unique)
            }
            fn visit_str<E>(self, _: &str) -> Result<Unique, E> {
                Ok(Unique)
            }
            fn visit_unit<E>(self) -> Result<Unique, E> {
                Ok(Unique)
            }
        }
        d.deserialize_any(V)
    }
}

/// The members of a QMP event as the server sends them.
#[cfg(feature = "server")]
#[derive(Serialize)]
pub(crate) struct OutgoingEvent<'a, T: Serialize> {
    pub event: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<T>,
    pub timestamp: crate::Timestamp,
}
