//! Serde plumbing shared by generated types, so that each generated type
//! needs only a few lines of code.
//!
//! A generated struct implements [`Object`]: where each member goes while
//! decoding ("slots"), how to finish, how to encode its members.  Its
//! `Serialize` and `Deserialize` impls are one call each
//! ([`serialize`], [`deserialize`]); the [`impl_serde!`](crate::impl_serde)
//! macro writes them.  Unions add [`Variants`] and [`UnionSlots`], which decode
//! the branch members as they stream by once the tag is known, buffering only
//! the members that come before it.
//!
//! Decoding follows QMP's compatibility rules: unknown members are ignored,
//! unknown enum values and union tags are kept in catch-all variants.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

/// A JSON object type: a struct, a union, the arguments of a command or the
/// data of an event.
pub trait Object: Sized {
    /// The type's name, for messages.
    const NAME: &'static str;
    /// Members decoded so far.
    type Slots;
    /// Empty slots.
    fn slots() -> Self::Slots;
    /// Decodes the value of member `key` into its slot.  Returns `false`
    /// (without reading the value) when `key` is no member of this type.
    fn member<'de, A: MapAccess<'de>>(
        slots: &mut Self::Slots,
        key: &str,
        map: &mut A,
    ) -> Result<bool, A::Error>;
    /// Builds the value once all members were seen.
    fn finish<E: de::Error>(slots: Self::Slots) -> Result<Self, E>;
    /// Encodes the members into a map being serialized.
    fn serialize_members<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error>;
}

/// Writes `Serialize` and `Deserialize` for types implementing [`Object`].
#[macro_export]
macro_rules! impl_serde {
    ($($ty:ty),* $(,)?) => {$(
        #[allow(deprecated)]
        impl $crate::serde::Serialize for $ty {
            fn serialize<S: $crate::serde::Serializer>(&self, s: S) -> ::std::result::Result<S::Ok, S::Error> {
                $crate::object::serialize(self, s)
            }
        }
        #[allow(deprecated)]
        impl<'de> $crate::serde::Deserialize<'de> for $ty {
            fn deserialize<D: $crate::serde::Deserializer<'de>>(d: D) -> ::std::result::Result<Self, D::Error> {
                $crate::object::deserialize(d)
            }
        }
    )*};
}

/// Implements [`Object`] (and serde) for a struct from the list of its
/// members: field, slot kind ([`Req`] for a required member, [`Opt`] for an
/// optional one), field type and wire name.  A union adds its branch field:
/// the field holding the [`Variants`] enum and the tag member's wire name.
///
/// ```
/// #[derive(Debug, PartialEq)]
/// pub struct Link {
///     pub name: String,
///     pub mtu: Option<u32>,
/// }
/// qapi_types::object! {
///     Link = "Link" {
///         name: Req<String> = "name",
///         mtu: Opt<u32> = "mtu",
///     }
/// }
/// let link: Link = qapi_types::serde_json::from_str(r#"{"name": "eth0"}"#).unwrap();
/// assert_eq!(link, Link { name: "eth0".into(), mtu: None });
/// ```
#[macro_export]
macro_rules! object {
    ($ty:ident = $name:literal {}) => {
        #[allow(deprecated)]
        impl $crate::object::Object for $ty {
            const NAME: &'static str = $name;
            type Slots = ();
            fn slots() {}
            fn member<'de, A: $crate::serde::de::MapAccess<'de>>(
                _: &mut (),
                _: &str,
                _: &mut A,
            ) -> ::std::result::Result<bool, A::Error> {
                ::std::result::Result::Ok(false)
            }
            fn finish<E: $crate::serde::de::Error>(_: ()) -> ::std::result::Result<Self, E> {
                ::std::result::Result::Ok(Self {})
            }
            fn serialize_members<M: $crate::serde::ser::SerializeMap>(&self, _: &mut M) -> ::std::result::Result<(), M::Error> {
                ::std::result::Result::Ok(())
            }
        }
        $crate::impl_serde!($ty);
    };
    ($ty:ident = $name:literal { $($field:ident: $kind:ident<$fty:ty> = $wire:literal),+ $(,)? }) => {
        #[allow(deprecated)]
        impl $crate::object::Object for $ty {
            const NAME: &'static str = $name;
            type Slots = ($($crate::object::$kind<$fty>,)+);
            fn slots() -> Self::Slots {
                ($($crate::object::$kind::<$fty>::EMPTY,)+)
            }
            fn member<'de, A: $crate::serde::de::MapAccess<'de>>(
                s: &mut Self::Slots,
                key: &str,
                map: &mut A,
            ) -> ::std::result::Result<bool, A::Error> {
                let ($($field,)+) = s;
                match key {
                    $($wire => $field.0 = ::std::option::Option::Some(map.next_value()?),)+
                    _ => return ::std::result::Result::Ok(false),
                }
                ::std::result::Result::Ok(true)
            }
            fn finish<E: $crate::serde::de::Error>(s: Self::Slots) -> ::std::result::Result<Self, E> {
                let ($($field,)+) = s;
                ::std::result::Result::Ok(Self { $($field: $field.finish($wire)?,)+ })
            }
            fn serialize_members<M: $crate::serde::ser::SerializeMap>(&self, map: &mut M) -> ::std::result::Result<(), M::Error> {
                $($crate::object::$kind::<$fty>::serialize(&self.$field, $wire, map)?;)+
                ::std::result::Result::Ok(())
            }
        }
        $crate::impl_serde!($ty);
    };
    ($ty:ident = $name:literal { $($field:ident: $kind:ident<$fty:ty> = $wire:literal),* $(,)? }
     $branch:ident: $bty:ty = $tag:literal) => {
        #[allow(deprecated)]
        impl $crate::object::Object for $ty {
            const NAME: &'static str = $name;
            type Slots = ($($crate::object::$kind<$fty>,)* $crate::object::UnionSlots<$bty>,);
            fn slots() -> Self::Slots {
                ($($crate::object::$kind::<$fty>::EMPTY,)* $crate::object::UnionSlots::<$bty>::default(),)
            }
            fn member<'de, A: $crate::serde::de::MapAccess<'de>>(
                s: &mut Self::Slots,
                key: &str,
                map: &mut A,
            ) -> ::std::result::Result<bool, A::Error> {
                let ($($field,)* $branch,) = s;
                match key {
                    $($wire => $field.0 = ::std::option::Option::Some(map.next_value()?),)*
                    $tag => $branch.tag(map)?,
                    _ => return $branch.member(key, map),
                }
                ::std::result::Result::Ok(true)
            }
            fn finish<E: $crate::serde::de::Error>(s: Self::Slots) -> ::std::result::Result<Self, E> {
                let ($($field,)* $branch,) = s;
                ::std::result::Result::Ok(Self { $($field: $field.finish($wire)?,)* $branch: $branch.finish($tag)? })
            }
            fn serialize_members<M: $crate::serde::ser::SerializeMap>(&self, map: &mut M) -> ::std::result::Result<(), M::Error> {
                $($crate::object::$kind::<$fty>::serialize(&self.$field, $wire, map)?;)*
                map.serialize_entry($tag, &$crate::object::Variants::tag(&self.$branch))?;
                $crate::object::Variants::serialize_members(&self.$branch, map)
            }
        }
        $crate::impl_serde!($ty);
    };
}

/// The slot of a required member: decoding fails without it.
pub struct Req<T>(pub Option<T>);

/// The slot of an optional member: absent on the wire when `None`.
pub struct Opt<T>(pub Option<T>);

impl<T: Serialize> Req<T> {
    /// An empty slot.
    pub const EMPTY: Self = Req(None);

    /// The member's value.
    pub fn finish<E: de::Error>(self, wire: &'static str) -> Result<T, E> {
        required(self.0, wire)
    }

    /// Encodes the member.
    pub fn serialize<M: SerializeMap>(
        value: &T,
        wire: &'static str,
        map: &mut M,
    ) -> Result<(), M::Error> {
        map.serialize_entry(wire, value)
    }
}

impl<T: Serialize> Opt<T> {
    /// An empty slot.
    pub const EMPTY: Self = Opt(None);

    /// The member's value, if it was present.
    pub fn finish<E: de::Error>(self, _wire: &'static str) -> Result<Option<T>, E> {
        Ok(self.0)
    }

    /// Encodes the member unless it is absent.
    pub fn serialize<M: SerializeMap>(
        value: &Option<T>,
        wire: &'static str,
        map: &mut M,
    ) -> Result<(), M::Error> {
        match value {
            Some(v) => map.serialize_entry(wire, v),
            None => Ok(()),
        }
    }
}

/// Implements an enumeration's methods and serde impls: `VALUES`, `as_str`,
/// `from_wire` (unknown strings give the catch-all variant, named last).
///
/// ```
/// #[derive(Debug, PartialEq)]
/// pub enum Status { Running, Paused, Unknown(String) }
/// qapi_types::enumeration! {
///     Status { Running = "running", Paused = "paused" } Unknown
/// }
/// assert_eq!(Status::from_wire("paused"), Status::Paused);
/// assert_eq!(Status::from_wire("new").as_str(), "new");
/// ```
#[macro_export]
macro_rules! enumeration {
    ($ty:ident { $($var:ident = $wire:literal),* $(,)? } $unknown:ident) => {
        #[allow(deprecated)]
        impl $ty {
            /// The values this schema knows, as on the wire.
            pub const VALUES: &'static [&'static str] = &[$($wire),*];

            /// The value as on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$var => $wire,)*
                    Self::$unknown(s) => s,
                }
            }

            /// The value for a wire string; strings this schema does not
            /// know give the catch-all variant.
            pub fn from_wire(s: &str) -> Self {
                match s {
                    $($wire => Self::$var,)*
                    other => Self::$unknown(other.to_owned()),
                }
            }
        }
        impl $crate::serde::Serialize for $ty {
            fn serialize<S: $crate::serde::Serializer>(&self, s: S) -> ::std::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        impl<'de> $crate::serde::Deserialize<'de> for $ty {
            fn deserialize<D: $crate::serde::Deserializer<'de>>(d: D) -> ::std::result::Result<Self, D::Error> {
                $crate::object::deserialize_enum(d, Self::from_wire)
            }
        }
    };
}

/// A boxed object is decoded and encoded like the object (a union branch
/// that contains its union).
impl<T: Object> Object for Box<T> {
    const NAME: &'static str = T::NAME;
    type Slots = T::Slots;
    fn slots() -> Self::Slots {
        T::slots()
    }
    fn member<'de, A: MapAccess<'de>>(
        slots: &mut Self::Slots,
        key: &str,
        map: &mut A,
    ) -> Result<bool, A::Error> {
        T::member(slots, key, map)
    }
    fn finish<E: de::Error>(slots: Self::Slots) -> Result<Self, E> {
        T::finish(slots).map(Box::new)
    }
    fn serialize_members<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        (**self).serialize_members(map)
    }
}

/// `Serialize` for an [`Object`]: a map of its members.
pub fn serialize<T: Object, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(None)?;
    value.serialize_members(&mut map)?;
    map.end()
}

/// `Deserialize` for an [`Object`].
pub fn deserialize<'de, T: Object, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
    d.deserialize_map(ObjectVisitor::<T>(PhantomData))
}

struct ObjectVisitor<T>(PhantomData<T>);

impl<'de, T: Object> Visitor<'de> for ObjectVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an object {}", T::NAME)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut slots = T::slots();
        while let Some(Key(key)) = map.next_key()? {
            if !T::member(&mut slots, &key, &mut map)? {
                map.next_value::<IgnoredAny>()?;
            }
        }
        T::finish(slots)
    }
}

/// A member name, borrowed from the input when possible.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// The value of a required member, or the error for its absence.
pub fn required<T, E: de::Error>(slot: Option<T>, name: &'static str) -> Result<T, E> {
    slot.ok_or_else(|| de::Error::missing_field(name))
}

/// `Deserialize` for an enumeration: `from_wire` maps every string, unknown
/// ones to the catch-all variant.
pub fn deserialize_enum<'de, T, D: Deserializer<'de>>(
    d: D,
    from_wire: fn(&str) -> T,
) -> Result<T, D::Error> {
    struct EnumVisitor<T>(fn(&str) -> T);
    impl<T> Visitor<'_> for EnumVisitor<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
            Ok((self.0)(v))
        }
    }
    d.deserialize_str(EnumVisitor(from_wire))
}

/// Serializes a string: the `Serialize` impl of enumerations.
pub fn serialize_str<S: Serializer>(s: S, value: &str) -> Result<S::Ok, S::Error> {
    s.serialize_str(value)
}

/// The branches of a union: implemented by the generated enum a union keeps
/// its branch in.
pub trait Variants: Sized {
    /// The type of the tag member, an enumeration.
    type Tag: for<'de> Deserialize<'de> + Serialize;
    /// Members of the branch decoded so far.
    type Slots;
    /// Empty slots for the branch `tag` selects.
    fn slots(tag: Self::Tag) -> Self::Slots;
    /// Decodes a member of the branch; `false` when it is none.
    fn member<'de, A: MapAccess<'de>>(
        slots: &mut Self::Slots,
        key: &str,
        map: &mut A,
    ) -> Result<bool, A::Error>;
    /// Builds the branch.
    fn finish<E: de::Error>(slots: Self::Slots) -> Result<Self, E>;
    /// The tag value of this branch.
    fn tag(&self) -> Self::Tag;
    /// Encodes the branch's members.
    fn serialize_members<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error>;
}

/// Decoding state of a union's branch: empty until the tag arrives, then
/// the branch's slots.  Members that come before the tag are buffered and
/// replayed into the branch when it is known.
pub struct UnionSlots<V: Variants> {
    branch: Option<V::Slots>,
    pending: Vec<(String, serde_json::Value)>,
}

impl<V: Variants> Default for UnionSlots<V> {
    fn default() -> Self {
        UnionSlots {
            branch: None,
            pending: Vec::new(),
        }
    }
}

impl<V: Variants> UnionSlots<V> {
    /// Decodes the tag member's value and starts the branch it selects.
    pub fn tag<'de, A: MapAccess<'de>>(&mut self, map: &mut A) -> Result<(), A::Error> {
        let tag: V::Tag = map.next_value()?;
        let mut slots = V::slots(tag);
        for (key, value) in std::mem::take(&mut self.pending) {
            let mut one = OneValue(Some(value));
            // A member no branch has: ignored, as unknown members are.
            V::member(&mut slots, &key, &mut one).map_err(de::Error::custom)?;
        }
        self.branch = Some(slots);
        Ok(())
    }

    /// Decodes a member that is not a member of the union's base: into the
    /// branch if the tag was seen, otherwise into the buffer.
    pub fn member<'de, A: MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
    ) -> Result<bool, A::Error> {
        match &mut self.branch {
            Some(slots) => V::member(slots, key, map),
            None => {
                let value: serde_json::Value = map.next_value()?;
                self.pending.push((key.to_owned(), value));
                Ok(true)
            }
        }
    }

    /// The branch, or the error for a missing tag member `tag_name`.
    pub fn finish<E: de::Error>(self, tag_name: &'static str) -> Result<V, E> {
        match self.branch {
            Some(slots) => V::finish(slots),
            None => Err(de::Error::missing_field(tag_name)),
        }
    }
}

/// A map with one buffered value, read by a branch's `member`.
struct OneValue(Option<serde_json::Value>);

impl<'de> MapAccess<'de> for OneValue {
    type Error = serde_json::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        _seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        let value = self.0.take().unwrap_or(serde_json::Value::Null);
        seed.deserialize(value)
    }
}

/// Members of a union branch the schema does not know (a tag value newer
/// than the schema): kept as JSON.
pub type UnknownMembers = serde_json::Map<String, serde_json::Value>;

/// Decodes a member of an unknown branch into `members`.
pub fn unknown_member<'de, A: MapAccess<'de>>(
    members: &mut UnknownMembers,
    key: &str,
    map: &mut A,
) -> Result<bool, A::Error> {
    let value: serde_json::Value = map.next_value()?;
    members.insert(key.to_owned(), value);
    Ok(true)
}

/// Encodes the members of an unknown branch.
pub fn serialize_unknown<M: SerializeMap>(
    members: &UnknownMembers,
    map: &mut M,
) -> Result<(), M::Error> {
    for (k, v) in members {
        map.serialize_entry(k, v)?;
    }
    Ok(())
}

/// The data of an event: its `data` member, or an empty object when it
/// has none.
pub fn event_data<T: serde::de::DeserializeOwned>(
    data: Option<&serde_json::value::RawValue>,
) -> Result<T, serde_json::Error> {
    serde_json::from_str(data.map_or("{}", |d| d.get()))
}

/// The `data` member of an event with data.
pub fn event_value<T: Serialize>(
    value: &T,
) -> Result<Option<serde_json::Value>, serde_json::Error> {
    serde_json::to_value(value).map(Some)
}
