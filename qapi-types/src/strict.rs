//! Strict decoding: reading a request's arguments the way QEMU's input
//! visitor (`qapi/qobject-input-visitor.c`) reads them.
//!
//! Generated types decode leniently by default, as a client must: unknown
//! members are ignored, unknown enumeration values and union tags land in
//! catch-all variants.  A server must not be lenient: [`from_value`] and
//! [`from_str`] decode in a *strict mode* in which
//!
//! - an enumeration value or union tag the schema lacks is an error
//!   ("Parameter 'type' does not accept value 'warp'"), so a handler never
//!   sees a catch-all variant;
//! - a member the type lacks is an error ("Parameter 'addr.bogus' is
//!   unexpected");
//! - members are visited in schema order (a union's tag first, then its
//!   base, then its branch), each missing or mistyped one reported where
//!   QEMU reports it, and unexpected members last;
//! - every error names the member by its path and in QEMU's words (those of
//!   QEMU 7.2, checked against `qemu-storage-daemon`):
//!
//! | problem | text |
//! |---|---|
//! | wrong JSON type | `Invalid parameter type for 'addr.data.path', expected: string` (or `integer`, `number`, `boolean`, `object`, `array`, `null`) |
//! | missing member | `Parameter 'addr.data.path' is missing` |
//! | extra member | `Parameter 'addr.bogus' is unexpected` |
//! | not an unsigned integer | `Parameter 'max-connections' expects uint64` |
//! | integer out of range | `Parameter 'max-connections' expects uint32_t` (`int8_t` ... `uint32_t`) |
//! | unknown enumeration value | `Parameter 'type' does not accept value 'warp'` |
//! | no alternative fits | `Invalid parameter type for 'file', expected: BlockdevRef` |
//!
//! As in QEMU, the last three name the member alone, not its path, and a
//! list element is then called `null`; a path names list elements by
//! index (`actions[0].data.node`).  Integers follow QEMU too: `int64`
//! takes what fits an `i64` and is written without fraction or exponent;
//! unsigned types take any integer from `-2^63` to `2^64-1`, negative ones
//! wrapped around as QEMU wraps them, and then check their range.
//!
//! Strict mode is a thread-local setting, on only while [`from_value`]
//! runs (decoding is synchronous), so clients decoding on the same thread
//! at other times keep their catch-alls.  Types with their own
//! `Deserialize` impls (serde derives) decode as usual, except that the
//! values they read get the checks and texts above.
//!
//! Of several unexpected members, the one named is the one QEMU names: the
//! first in the order of its hash tables, which this module models.  One
//! thing may differ from QEMU when a request has several errors at once:
//! inside a union's branch, members are visited in the order they came,
//! not in the branch's schema order (the runtime does not know that
//! order).

use std::cell::RefCell;
use std::fmt::{self, Display, Write as _};

use serde::Deserialize;
use serde::de::value::BorrowedStrDeserializer;
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, Expected, IntoDeserializer, MapAccess,
    SeqAccess, Unexpected, Visitor,
};
use serde_json::{Number, Value};

use crate::QmpError;

/// One step of a member's path.
#[derive(Clone, Debug)]
enum Step {
    /// A member of an object.
    Member(String),
    /// An element of a list.
    Element(usize),
}

/// The state of a strict decoding in progress on this thread.
#[derive(Default)]
struct State {
    /// Where the value being decoded sits.
    path: Vec<Step>,
    /// An enumeration value a catch-all variant took while strict: the
    /// decoder turns it into an error once the visitor returns.
    rejected: Option<String>,
}

thread_local! {
    static STATE: RefCell<Option<State>> = const { RefCell::new(None) };
}

/// Whether strict decoding is under way on this thread.
///
/// Generated code asks through [`object`](mod@crate::object); a hand-written
/// `Deserialize` impl with a catch-all may ask too, and refuse unknown
/// values when it is.
pub fn is_active() -> bool {
    STATE.with(|s| s.borrow().is_some())
}

/// Notes that a catch-all variant took `value` (a string the enumeration
/// lacks).  While strict decoding is under way the value is refused.
pub(crate) fn reject(value: &str) {
    STATE.with(|s| {
        if let Some(state) = s.borrow_mut().as_mut() {
            state.rejected.get_or_insert_with(|| value.to_owned());
        }
    });
}

fn take_rejected() -> Option<String> {
    STATE.with(|s| s.borrow_mut().as_mut().and_then(|st| st.rejected.take()))
}

fn with_path<R>(f: impl FnOnce(&[Step]) -> R) -> R {
    STATE.with(|s| match s.borrow().as_ref() {
        Some(state) => f(&state.path),
        None => f(&[]),
    })
}

/// Runs `f` with `step` appended to the path.
fn at<R>(step: Step, f: impl FnOnce() -> R) -> R {
    STATE.with(|s| {
        if let Some(state) = s.borrow_mut().as_mut() {
            state.path.push(step);
        }
    });
    let r = f();
    STATE.with(|s| {
        if let Some(state) = s.borrow_mut().as_mut() {
            state.path.pop();
        }
    });
    r
}

/// The full path, as QEMU's `full_name()` writes it (`a.b[2].c`), with
/// member `extra` appended.
fn full_name(extra: Option<&str>) -> String {
    fn member(out: &mut String, name: &str) {
        if !out.is_empty() {
            out.push('.');
        }
        out.push_str(name);
    }
    with_path(|path| {
        let mut out = String::new();
        for step in path {
            match step {
                Step::Member(m) => member(&mut out, m),
                Step::Element(i) => {
                    let _ = write!(out, "[{i}]");
                }
            }
        }
        if let Some(extra) = extra {
            member(&mut out, extra);
        }
        out
    })
}

/// The member's own name, as QEMU's range, enumeration and alternate
/// checks use it: `null` for a list element.
fn own_name() -> String {
    with_path(|path| match path.last() {
        Some(Step::Member(m)) => m.clone(),
        _ => "null".to_owned(),
    })
}

/// Turns strict decoding on for the duration of `f`, restoring what was
/// there before (strict decodings may nest).
fn strictly<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(Option<State>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            STATE.with(|s| *s.borrow_mut() = previous);
        }
    }
    let previous = STATE.with(|s| s.borrow_mut().replace(State::default()));
    let _restore = Restore(previous);
    f()
}

/// Decodes `T` from `value` strictly (see the [module](self) docs).  The
/// members of `value`'s objects are taken in the order `serde_json` keeps
/// them (sorted, unless its `preserve_order` feature is on); [`from_str`]
/// keeps the order they came in, which QEMU's messages can depend on.
pub fn from_value<T: DeserializeOwned>(value: &Value) -> Result<T, QmpError> {
    decode(&Json::from(value))
}

/// Decodes `T` strictly from JSON text; text that is not JSON gets QEMU's
/// "JSON parse error, ..." wording.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, QmpError> {
    let value: Json = serde_json::from_str(text).map_err(|e| {
        let mut msg = e.to_string();
        if let Some(i) = msg.rfind(" at line ") {
            msg.truncate(i);
        }
        QmpError::generic(format!("JSON parse error, {msg}"))
    })?;
    decode(&value)
}

fn decode<T: DeserializeOwned>(value: &Json) -> Result<T, QmpError> {
    strictly(|| T::deserialize(ValueDeserializer(value)).map_err(|e| e.0))
}

/// The message of the parse error for an object that repeats a key.
pub(crate) const DUPLICATE_KEY: &str = "duplicate key";

/// A parsed JSON value that keeps the members of its objects in the order
/// they came (QEMU's messages can depend on it), and refuses repeated
/// keys.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl From<&Value> for Json {
    fn from(value: &Value) -> Self {
        match value {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Number(n) => Json::Number(n.clone()),
            Value::String(s) => Json::String(s.clone()),
            Value::Array(a) => Json::Array(a.iter().map(Json::from).collect()),
            Value::Object(m) => {
                Json::Object(m.iter().map(|(k, v)| (k.clone(), v.into())).collect())
            }
        }
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Json;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_unit<E>(self) -> Result<Json, E> {
                Ok(Json::Null)
            }
            fn visit_bool<E>(self, b: bool) -> Result<Json, E> {
                Ok(Json::Bool(b))
            }
            fn visit_i64<E>(self, i: i64) -> Result<Json, E> {
                Ok(Json::Number(i.into()))
            }
            fn visit_u64<E>(self, u: u64) -> Result<Json, E> {
                Ok(Json::Number(u.into()))
            }
            fn visit_f64<E>(self, f: f64) -> Result<Json, E> {
                Ok(Number::from_f64(f).map_or(Json::Null, Json::Number))
            }
            fn visit_str<E>(self, s: &str) -> Result<Json, E> {
                Ok(Json::String(s.to_owned()))
            }
            fn visit_string<E>(self, s: String) -> Result<Json, E> {
                Ok(Json::String(s))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Json::Array(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
                let mut members: Vec<(String, Json)> = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    if members.iter().any(|(k, _)| *k == key) {
                        return Err(de::Error::custom(DUPLICATE_KEY));
                    }
                    let value = map.next_value()?;
                    members.push((key, value));
                }
                Ok(Json::Object(members))
            }
        }
        d.deserialize_any(V)
    }
}

// ------------------------------------------------------------- errors

/// A strict decoding error: QEMU's error, already worded.
#[derive(Debug)]
pub struct Error(pub QmpError);

impl Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.desc)
    }
}

impl std::error::Error for Error {}

impl Error {
    fn generic(desc: String) -> Self {
        Error(QmpError::generic(desc))
    }
}

/// `QERR_INVALID_PARAMETER_TYPE` for the value being decoded.
fn wrong_type(expected: &str) -> Error {
    Error::generic(format!(
        "Invalid parameter type for '{}', expected: {expected}",
        full_name(None)
    ))
}

/// `QERR_INVALID_PARAMETER_VALUE` with the full path (`uint64`).
fn not_unsigned() -> Error {
    Error::generic(format!("Parameter '{}' expects uint64", full_name(None)))
}

/// `QERR_INVALID_PARAMETER_VALUE` for an integer out of its type's range.
fn out_of_range(c_type: &str) -> Error {
    Error::generic(format!("Parameter '{}' expects {c_type}", own_name()))
}

/// What `visit_type_enum()` says about a value the enumeration lacks.
fn not_accepted(value: &str) -> Error {
    Error::generic(format!(
        "Parameter '{}' does not accept value '{value}'",
        own_name()
    ))
}

/// The member `name` of the object being decoded is missing.
pub(crate) fn missing(name: &str) -> QmpError {
    QmpError::generic(format!("Parameter '{}' is missing", full_name(Some(name))))
}

/// The object being decoded has a member `name` it does not define.
pub(crate) fn unexpected(name: &str) -> QmpError {
    QmpError::generic(format!(
        "Parameter '{}' is unexpected",
        full_name(Some(name))
    ))
}

/// The C type QEMU names for a Rust integer type's range.
fn c_type(rust: &str) -> Option<&'static str> {
    Some(match rust {
        "i8" => "int8_t",
        "i16" => "int16_t",
        "i32" => "int32_t",
        "u8" => "uint8_t",
        "u16" => "uint16_t",
        "u32" => "uint32_t",
        _ => return None,
    })
}

impl de::Error for Error {
    fn custom<T: Display>(msg: T) -> Self {
        Error::generic(msg.to_string())
    }

    fn invalid_type(_: Unexpected<'_>, expected: &dyn Expected) -> Self {
        // Only an alternate's visitor refuses a type the decoder offered:
        // its text ends with "for NAME", the alternate's name.
        let expected = expected.to_string();
        match expected.rsplit_once(" for ") {
            Some((_, name)) => Error::generic(format!(
                "Invalid parameter type for '{}', expected: {name}",
                own_name()
            )),
            None => wrong_type(&expected),
        }
    }

    fn invalid_value(_: Unexpected<'_>, expected: &dyn Expected) -> Self {
        let expected = expected.to_string();
        match c_type(&expected) {
            Some(c) => out_of_range(c),
            None => Error::generic(format!(
                "Parameter '{}' expects {expected}",
                full_name(None)
            )),
        }
    }

    fn unknown_variant(variant: &str, _: &'static [&'static str]) -> Self {
        not_accepted(variant)
    }

    fn unknown_field(field: &str, _: &'static [&'static str]) -> Self {
        Error(unexpected(field))
    }

    fn missing_field(field: &'static str) -> Self {
        Error(missing(field))
    }
}

// -------------------------------------------------------- the decoder

/// A strict deserializer over a parsed JSON value.
#[derive(Clone, Copy)]
struct ValueDeserializer<'a>(&'a Json);

impl<'a> ValueDeserializer<'a> {
    /// An integer that fits an `i64`, written without fraction
    /// (`qnum_get_try_int()`).
    fn int(self) -> Option<i64> {
        match self.0 {
            Json::Number(n) => n.as_i64(),
            _ => None,
        }
    }

    /// QEMU's `uint64` input: an integer that fits a `u64`, or a negative
    /// one that fits an `i64`, wrapped around.
    fn uint(self) -> Result<u64, Error> {
        match self.0 {
            Json::Number(n) => n
                .as_u64()
                .or_else(|| n.as_i64().map(|i| i as u64))
                .ok_or_else(not_unsigned),
            _ => Err(not_unsigned()),
        }
    }

    fn signed<V: Visitor<'a>>(
        self,
        min: i64,
        max: i64,
        c: &str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        let i = self.int().ok_or_else(|| wrong_type("integer"))?;
        if i < min || i > max {
            return Err(out_of_range(c));
        }
        visitor.visit_i64(i)
    }

    fn unsigned<V: Visitor<'a>>(self, max: u64, c: &str, visitor: V) -> Result<V::Value, Error> {
        let u = self.uint()?;
        if u > max {
            return Err(out_of_range(c));
        }
        visitor.visit_u64(u)
    }

    fn string<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Json::String(s) => visit_str(s, visitor),
            _ => Err(wrong_type("string")),
        }
    }

    fn object<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Json::Object(m) => visitor.visit_map(Members::new(m)),
            _ => Err(wrong_type("object")),
        }
    }

    fn array<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Json::Array(a) => visitor.visit_seq(Elements {
                items: a.iter().enumerate(),
            }),
            _ => Err(wrong_type("array")),
        }
    }
}

/// Offers a string to `visitor`, then refuses it if a catch-all variant
/// took it.
fn visit_str<'a, V: Visitor<'a>>(s: &'a str, visitor: V) -> Result<V::Value, Error> {
    let value = visitor.visit_borrowed_str(s)?;
    match take_rejected() {
        Some(v) => Err(not_accepted(&v)),
        None => Ok(value),
    }
}

fn visit_number<'a, V: Visitor<'a>>(n: &Number, visitor: V) -> Result<V::Value, Error> {
    if let Some(u) = n.as_u64() {
        visitor.visit_u64(u)
    } else if let Some(i) = n.as_i64() {
        visitor.visit_i64(i)
    } else {
        visitor.visit_f64(n.as_f64().unwrap_or(f64::NAN))
    }
}

impl<'a> de::Deserializer<'a> for ValueDeserializer<'a> {
    type Error = Error;

    /// Alternates and `any` values: whatever the value is.
    fn deserialize_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Json::Null => visitor.visit_unit(),
            Json::Bool(b) => visitor.visit_bool(*b),
            Json::Number(n) => visit_number(n, visitor),
            Json::String(s) => visit_str(s, visitor),
            Json::Array(_) => self.array(visitor),
            Json::Object(_) => self.object(visitor),
        }
    }

    fn deserialize_bool<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Json::Bool(b) => visitor.visit_bool(*b),
            _ => Err(wrong_type("boolean")),
        }
    }

    fn deserialize_i8<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.signed(i8::MIN.into(), i8::MAX.into(), "int8_t", visitor)
    }

    fn deserialize_i16<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.signed(i16::MIN.into(), i16::MAX.into(), "int16_t", visitor)
    }

    fn deserialize_i32<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.signed(i32::MIN.into(), i32::MAX.into(), "int32_t", visitor)
    }

    fn deserialize_i64<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.signed(i64::MIN, i64::MAX, "int64_t", visitor)
    }

    fn deserialize_u8<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.unsigned(u8::MAX.into(), "uint8_t", visitor)
    }

    fn deserialize_u16<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.unsigned(u16::MAX.into(), "uint16_t", visitor)
    }

    fn deserialize_u32<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.unsigned(u32::MAX.into(), "uint32_t", visitor)
    }

    fn deserialize_u64<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.unsigned(u64::MAX, "uint64_t", visitor)
    }

    fn deserialize_f32<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Json::Number(n) => visitor.visit_f64(n.as_f64().unwrap_or(f64::NAN)),
            _ => Err(wrong_type("number")),
        }
    }

    fn deserialize_char<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.string(visitor)
    }

    fn deserialize_str<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.string(visitor)
    }

    fn deserialize_string<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.string(visitor)
    }

    fn deserialize_bytes<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.string(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.string(visitor)
    }

    /// QMP has no "null for absent": a present member has a value.
    fn deserialize_option<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_unit<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Json::Null => visitor.visit_unit(),
            _ => Err(wrong_type("null")),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.array(visitor)
    }

    fn deserialize_tuple<V: Visitor<'a>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        self.array(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.array(visitor)
    }

    fn deserialize_map<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.object(visitor)
    }

    fn deserialize_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.object(visitor)
    }

    fn deserialize_enum<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            Json::String(s) => visitor.visit_enum(s.as_str().into_deserializer()),
            _ => Err(wrong_type("string")),
        }
    }

    fn deserialize_identifier<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.string(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }
}

/// The members of an object, each value decoded with its name on the path.
struct Members<'a> {
    iter: std::slice::Iter<'a, (String, Json)>,
    value: Option<&'a (String, Json)>,
}

impl<'a> Members<'a> {
    fn new(members: &'a [(String, Json)]) -> Self {
        Members {
            iter: members.iter(),
            value: None,
        }
    }
}

impl<'a> MapAccess<'a> for Members<'a> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'a>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.iter.next() {
            Some(member) => {
                self.value = Some(member);
                seed.deserialize(BorrowedStrDeserializer::new(&member.0))
                    .map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'a>>(&mut self, seed: V) -> Result<V::Value, Error> {
        match self.value.take() {
            Some((key, value)) => at(Step::Member(key.clone()), || {
                seed.deserialize(ValueDeserializer(value))
            }),
            None => seed.deserialize(ValueDeserializer(&Json::Null)),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

/// The elements of a list, each decoded with its index on the path.
struct Elements<'a> {
    items: std::iter::Enumerate<std::slice::Iter<'a, Json>>,
}

impl<'a> SeqAccess<'a> for Elements<'a> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'a>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        match self.items.next() {
            Some((i, v)) => at(Step::Element(i), || {
                seed.deserialize(ValueDeserializer(v)).map(Some)
            }),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

/// One member, replayed: how a generated object feeds its members to its
/// slots in schema order while strict.
pub(crate) struct Replay<'v> {
    key: &'v str,
    value: Option<&'v Json>,
}

impl<'v> Replay<'v> {
    pub(crate) fn new(key: &'v str, value: &'v Json) -> Self {
        Replay {
            key,
            value: Some(value),
        }
    }
}

impl<'v> MapAccess<'v> for Replay<'v> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'v>>(&mut self, _: K) -> Result<Option<K::Value>, Error> {
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'v>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let value = self.value.take().unwrap_or(&Json::Null);
        at(Step::Member(self.key.to_owned()), || {
            seed.deserialize(ValueDeserializer(value))
        })
    }
}
