//! Argument checks worded the way QEMU words them (QEMU 7.2's
//! `qapi/qobject-input-visitor.c` and `qapi/qapi-visit-core.c`).
//!
//! QEMU visits a command's members in schema order and stops at the first
//! one that is missing or has the wrong type; only then does it look for
//! members the command does not have.  [`check_arguments`] does the same
//! with the command's [`ArgInfo`] list.

use std::borrow::Cow;

use serde_json::value::RawValue;

use crate::wire::{self, Members};
use crate::{ArgInfo, JsonKind, QmpError};

/// `QERR_MISSING_PARAMETER`.
pub(crate) fn missing(name: &str) -> QmpError {
    QmpError::generic(format!("Parameter '{name}' is missing"))
}

/// What `qobject_input_check_struct()` says about an extra member.
pub(crate) fn unexpected(name: &str) -> QmpError {
    QmpError::generic(format!("Parameter '{name}' is unexpected"))
}

/// `QERR_INVALID_PARAMETER_TYPE`.
pub(crate) fn invalid_type(name: &str, expected: &str) -> QmpError {
    QmpError::generic(format!(
        "Invalid parameter type for '{name}', expected: {expected}"
    ))
}

/// `QERR_INVALID_PARAMETER_VALUE`.
pub(crate) fn invalid_value(name: &str, expected: &str) -> QmpError {
    QmpError::generic(format!("Parameter '{name}' expects {expected}"))
}

/// What `visit_type_enum()` says about a value the enumeration lacks.
pub(crate) fn bad_enum_value(name: &str, value: &str) -> QmpError {
    QmpError::generic(format!(
        "Parameter '{name}' does not accept value '{value}'"
    ))
}

/// The JSON type of a raw value, from its first character.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Shape {
    Object,
    Array,
    String,
    Bool,
    Null,
    Number,
}

pub(crate) fn shape(v: &RawValue) -> Shape {
    match v.get().trim_start().as_bytes().first() {
        Some(b'{') => Shape::Object,
        Some(b'[') => Shape::Array,
        Some(b'"') => Shape::String,
        Some(b't' | b'f') => Shape::Bool,
        Some(b'n') => Shape::Null,
        _ => Shape::Number,
    }
}

/// Whether a JSON number is written without fraction or exponent and fits
/// an `i64` (QEMU's `qnum_get_try_int()`).
fn is_i64(v: &RawValue) -> bool {
    v.get().trim().parse::<i64>().is_ok()
}

/// Whether a JSON number is what QEMU's `uint64` input takes: an integer
/// that fits a `u64`, or a negative one that fits an `i64` (which QEMU
/// wraps around).
fn is_u64(v: &RawValue) -> bool {
    v.get().trim().parse::<u64>().is_ok() || is_i64(v)
}

/// Checks one member's value against its declared kind.
fn check_kind(name: &str, kind: JsonKind, v: &RawValue) -> Result<(), QmpError> {
    let s = shape(v);
    let ok = match kind {
        JsonKind::Any => true,
        JsonKind::Integer => s == Shape::Number && is_i64(v),
        JsonKind::Unsigned => {
            if s == Shape::Number && is_u64(v) {
                return Ok(());
            }
            return Err(invalid_value(name, "uint64"));
        }
        JsonKind::Number => s == Shape::Number,
        JsonKind::Boolean => s == Shape::Bool,
        JsonKind::String => s == Shape::String,
        JsonKind::Object => s == Shape::Object,
        JsonKind::Array => s == Shape::Array,
        JsonKind::Null => s == Shape::Null,
        JsonKind::Enum(values) => {
            if s != Shape::String {
                return Err(invalid_type(name, "string"));
            }
            let value: Cow<'_, str> =
                serde_json::from_str(v.get()).map_err(|_| invalid_type(name, "string"))?;
            if values.contains(&value.as_ref()) {
                return Ok(());
            }
            return Err(bad_enum_value(name, &value));
        }
    };
    if ok {
        Ok(())
    } else {
        Err(invalid_type(name, expected_word(kind)))
    }
}

/// The word QEMU uses after "expected:" for a kind.
fn expected_word(kind: JsonKind) -> &'static str {
    match kind {
        JsonKind::Integer => "integer",
        JsonKind::Unsigned => "uint64",
        JsonKind::Number => "number",
        JsonKind::Boolean => "boolean",
        JsonKind::String | JsonKind::Enum(_) => "string",
        JsonKind::Object => "object",
        JsonKind::Array => "array",
        JsonKind::Null => "null",
        JsonKind::Any => "any",
    }
}

/// The members of an `arguments` object (`None`: no arguments, as `{}`).
pub(crate) fn members(
    arguments: Option<&RawValue>,
) -> Result<Vec<(Cow<'_, str>, &RawValue)>, QmpError> {
    let Some(arguments) = arguments else {
        return Ok(Vec::new());
    };
    match Members::parse(arguments.get()) {
        Ok(Members::Object(m)) => Ok(m),
        Ok(Members::NotObject) => Err(QmpError::generic(
            "QMP input member 'arguments' must be an object",
        )),
        Err(e) => Err(QmpError::generic(format!(
            "JSON parse error, {}",
            wire::error_text(&e)
        ))),
    }
}

/// Checks `arguments` against a command's members, in schema order, with
/// QEMU's error texts:
///
/// - `Parameter 'x' is missing`
/// - `Invalid parameter type for 'x', expected: integer` (or `number`,
///   `boolean`, `string`, `object`, `array`, `null`)
/// - `Parameter 'x' expects uint64` (unsigned integer types, for a value
///   that is no integer; negative integers are taken and wrapped around,
///   as QEMU does, and decoding checks the range of narrower types)
/// - `Parameter 'x' does not accept value 'v'` (enumerations)
/// - then `Parameter 'x' is unexpected` for a member the command lacks
///   (of several, the one QEMU names: the first in its hash table).
///
/// Only the top level is checked; nested values are left to decoding,
/// which [`decode_arguments`](super::decode_arguments) does in
/// [strict mode](crate::strict) with the same wording.
pub fn check_arguments(spec: &[ArgInfo], arguments: Option<&RawValue>) -> Result<(), QmpError> {
    let members = members(arguments)?;
    let mut visited = Vec::new();
    for arg in spec {
        match members.iter().position(|(k, _)| k == arg.name) {
            Some(i) => {
                check_kind(arg.name, arg.kind, members[i].1)?;
                visited.push(i);
            }
            None if arg.optional => {}
            None => return Err(missing(arg.name)),
        }
    }
    let keys: Vec<&str> = members.iter().map(|(k, _)| k.as_ref()).collect();
    match crate::qemu_order::first_unexpected(&keys, &visited) {
        Some(i) => Err(unexpected(keys[i])),
        None => Ok(()),
    }
}
