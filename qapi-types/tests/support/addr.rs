//! Types shaped as qapi-gen emits them (`object!`, `enumeration!`, a flat
//! union's `Variants`, an alternate's visitor), for the tests of strict
//! decoding and the server's fuzz target, which include this file.

use std::fmt;

use qapi_types::object::{self, Object, UnknownMembers, Variants};
use qapi_types::serde::de::{self, MapAccess, Visitor};
use qapi_types::serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    Unix,
    Inet,
    Unknown(String),
}
qapi_types::enumeration! { Kind { Unix = "unix", Inet = "inet" } Unknown }

#[derive(Clone, Debug, PartialEq)]
pub struct UnixAddr {
    pub path: String,
    pub r#abstract: Option<bool>,
}
qapi_types::object! {
    UnixAddr = "UnixAddr" {
        path: Req<String> = "path",
        r#abstract: Opt<bool> = "abstract",
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct InetAddr {
    pub host: String,
    pub port: String,
    pub to: Option<u16>,
    pub nested: Option<Vec<Addr>>,
}
qapi_types::object! {
    InetAddr = "InetAddr" {
        host: Req<String> = "host",
        port: Req<String> = "port",
        to: Opt<u16> = "to",
        nested: Opt<Vec<Addr>> = "nested",
    }
}

/// A flat union with a base member besides its tag.
#[derive(Clone, Debug, PartialEq)]
pub struct Addr {
    pub id: String,
    pub r#type: AddrBranch,
}
qapi_types::object! {
    Addr = "Addr" { id: Req<String> = "id" }
    r#type: AddrBranch = "type"
}

#[derive(Clone, Debug, PartialEq)]
pub enum AddrBranch {
    Unix(UnixAddr),
    Inet(InetAddr),
    Unknown {
        tag: String,
        members: UnknownMembers,
    },
}

pub enum AddrSlots {
    Unix(<UnixAddr as Object>::Slots),
    Inet(<InetAddr as Object>::Slots),
    Unknown(String, UnknownMembers),
}

impl Variants for AddrBranch {
    type Tag = Kind;
    type Slots = AddrSlots;
    fn slots(tag: Kind) -> AddrSlots {
        match tag {
            Kind::Unix => AddrSlots::Unix(UnixAddr::slots()),
            Kind::Inet => AddrSlots::Inet(InetAddr::slots()),
            Kind::Unknown(t) => AddrSlots::Unknown(t, UnknownMembers::new()),
        }
    }
    fn member<'de, A: MapAccess<'de>>(
        slots: &mut AddrSlots,
        key: &str,
        map: &mut A,
    ) -> Result<bool, A::Error> {
        match slots {
            AddrSlots::Unix(s) => UnixAddr::member(s, key, map),
            AddrSlots::Inet(s) => InetAddr::member(s, key, map),
            AddrSlots::Unknown(_, m) => object::unknown_member(m, key, map),
        }
    }
    fn finish<E: de::Error>(slots: AddrSlots) -> Result<Self, E> {
        Ok(match slots {
            AddrSlots::Unix(s) => Self::Unix(UnixAddr::finish(s)?),
            AddrSlots::Inet(s) => Self::Inet(InetAddr::finish(s)?),
            AddrSlots::Unknown(tag, members) => Self::Unknown { tag, members },
        })
    }
    fn tag(&self) -> Kind {
        match self {
            Self::Unix(_) => Kind::Unix,
            Self::Inet(_) => Kind::Inet,
            Self::Unknown { tag, .. } => Kind::from_wire(tag),
        }
    }
    fn serialize_members<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        match self {
            Self::Unix(v) => v.serialize_members(map),
            Self::Inet(v) => v.serialize_members(map),
            Self::Unknown { members, .. } => object::serialize_unknown(members, map),
        }
    }
}

/// An alternate, as generated: an enumeration or an object.
#[derive(Clone, Debug, PartialEq)]
pub enum KindOrAddr {
    Kind(Kind),
    Addr(InetAddr),
}

impl Serialize for KindOrAddr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Kind(v) => v.serialize(s),
            Self::Addr(v) => v.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for KindOrAddr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KindOrAddr;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or an object for KindOrAddr")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<KindOrAddr, E> {
                Ok(KindOrAddr::Kind(Kind::from_wire(v)))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<KindOrAddr, A::Error> {
                InetAddr::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(KindOrAddr::Addr)
            }
        }
        d.deserialize_any(V)
    }
}
