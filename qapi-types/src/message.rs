//! The schema-independent parts of QMP messages.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The reply of a command that returns nothing: `{}` on the wire.  Any
/// members a newer server adds are ignored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Empty {}

impl Serialize for Empty {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        s.serialize_map(Some(0))?.end()
    }
}

impl<'de> Deserialize<'de> for Empty {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(d)?;
        Ok(Empty {})
    }
}

/// The QAPI built-in type `null`: JSON `null`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Null;

impl Serialize for Null {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_unit()
    }
}

impl<'de> Deserialize<'de> for Null {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <()>::deserialize(d).map(|()| Null)
    }
}

/// When an event happened: `{"seconds": S, "microseconds": US}`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Timestamp {
    /// Seconds since the epoch.
    pub seconds: i64,
    /// Microseconds within the second.
    pub microseconds: i64,
}

/// The class of a QMP error.  Classes this crate does not know are kept as
/// sent.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// `GenericError`: most errors.
    GenericError,
    /// `CommandNotFound`.
    CommandNotFound,
    /// `DeviceNotActive`.
    DeviceNotActive,
    /// `DeviceNotFound`.
    DeviceNotFound,
    /// `KVMMissingCap`.
    KvmMissingCap,
    /// A class newer than this crate.
    Other(String),
}

impl ErrorClass {
    /// The class as on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            ErrorClass::GenericError => "GenericError",
            ErrorClass::CommandNotFound => "CommandNotFound",
            ErrorClass::DeviceNotActive => "DeviceNotActive",
            ErrorClass::DeviceNotFound => "DeviceNotFound",
            ErrorClass::KvmMissingCap => "KVMMissingCap",
            ErrorClass::Other(s) => s,
        }
    }

    fn from_wire(s: &str) -> Self {
        match s {
            "GenericError" => ErrorClass::GenericError,
            "CommandNotFound" => ErrorClass::CommandNotFound,
            "DeviceNotActive" => ErrorClass::DeviceNotActive,
            "DeviceNotFound" => ErrorClass::DeviceNotFound,
            "KVMMissingCap" => ErrorClass::KvmMissingCap,
            other => ErrorClass::Other(other.to_string()),
        }
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorClass {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorClass {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Ok(ErrorClass::from_wire(&s))
    }
}

/// A QMP error reply: `{"error": {"class": ..., "desc": ...}}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct QmpError {
    /// The class.
    pub class: ErrorClass,
    /// A human-readable description.
    pub desc: String,
}

impl QmpError {
    /// A `GenericError`.
    pub fn generic(desc: impl Into<String>) -> Self {
        QmpError {
            class: ErrorClass::GenericError,
            desc: desc.into(),
        }
    }

    /// The error QEMU gives for a command it does not have.
    pub fn command_not_found(name: &str) -> Self {
        QmpError {
            class: ErrorClass::CommandNotFound,
            desc: format!("The command {name} has not been found"),
        }
    }
}

impl fmt::Display for QmpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.class, self.desc)
    }
}

impl std::error::Error for QmpError {}

/// A QEMU version: `{"major": 7, "minor": 2, "micro": 22}`.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
pub struct VersionTriple {
    /// Major version.
    pub major: i64,
    /// Minor version.
    pub minor: i64,
    /// Micro version.
    pub micro: i64,
}

impl fmt::Display for VersionTriple {
    /// `7.2.0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.micro)
    }
}

/// The `version` member of the greeting.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct VersionInfo {
    /// QEMU's version.
    pub qemu: VersionTriple,
    /// The distribution's package version, often empty.
    #[serde(default)]
    pub package: String,
}

/// The greeting a QMP server sends first: `{"QMP": {"version": ...,
/// "capabilities": [...]}}` (the contents of the `QMP` member).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Greeting {
    /// The server's version.
    pub version: VersionInfo,
    /// Capabilities the client may enable, such as `oob`.
    #[serde(default)]
    pub capabilities: Vec<String>,
}
