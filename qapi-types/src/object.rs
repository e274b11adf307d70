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
//! unknown enum values and union tags are kept in catch-all variants.  A
//! server decodes its input in [strict mode](crate::strict) instead, where
//! all three are errors worded as QEMU words them.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

/// A JSON object type: a struct, a union, the arguments of a command or the
/// data of an event.
///
/// An implementation says little: the members' names, their slot types
/// ([`Slots`]), how to build the value from the decoded members, and how to
/// encode them.  Decoding itself is done here, once for all types, so that
/// a crate of generated types has little code to check.
pub trait Object: Sized {
    /// The type's name, for messages.
    const NAME: &'static str;
    /// The wire names of the members, in the order of the slots.
    const MEMBERS: &'static [&'static str];
    /// A union's tag member; empty for other objects.
    const TAG: &'static str = "";
    /// Members decoded so far.
    type Slots: Slots;
    /// Builds the value from its decoded members.
    fn build(values: <Self::Slots as Slots>::Values) -> Self;
    /// Encodes the members into a map being serialized.
    fn serialize_members<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error>;

    /// Empty slots.
    fn slots() -> Self::Slots {
        Slots::empty()
    }
    /// Decodes the value of member `key` into its slot.  Returns `false`
    /// (without reading the value) when `key` is no member of this type.
    fn member<'de, A: MapAccess<'de>>(
        slots: &mut Self::Slots,
        key: &str,
        map: &mut A,
    ) -> Result<bool, A::Error> {
        slots.member(Self::MEMBERS, Self::TAG, key, map)
    }
    /// Builds the value once all members were seen.
    fn finish<E: de::Error>(slots: Self::Slots) -> Result<Self, E> {
        slots.finish(Self::MEMBERS, Self::TAG).map(Self::build)
    }
}

/// Writes `Serialize` and `Deserialize` for types implementing [`Object`].
#[doc(hidden)]
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
#[doc(hidden)]
#[macro_export]
macro_rules! object {
    // Every body is a line or two: the work is done by generic code here.
    ($ty:ident = $name:literal { $($field:ident: $kind:ident<$fty:ty> = $wire:literal),* $(,)? }) => {
        #[allow(deprecated)]
        impl $crate::object::Object for $ty {
            const NAME: &'static str = $name;
            const MEMBERS: &'static [&'static str] = &[$($wire),*];
            type Slots = $crate::__slot_list!($($crate::object::$kind<$fty>),*);
            // The schema names the bindings (QEMU's own tests use `foo`).
            #[allow(clippy::disallowed_names)]
            fn build($crate::__member_pat!($($field),*): <Self::Slots as $crate::object::Slots>::Values) -> Self {
                Self { $($field),* }
            }
            fn serialize_members<M: $crate::serde::ser::SerializeMap>(&self, map: &mut M) -> ::std::result::Result<(), M::Error> {
                let v = self;
                <Self::Slots as $crate::object::Slots>::serialize($crate::__member_refs!(v; $($field),*), Self::MEMBERS, "", map)
            }
        }
        $crate::impl_serde!($ty);
    };
    ($ty:ident = $name:literal { $($field:ident: $kind:ident<$fty:ty> = $wire:literal),* $(,)? }
     $branch:ident: $bty:ty = $tag:literal) => {
        #[allow(deprecated)]
        impl $crate::object::Object for $ty {
            const NAME: &'static str = $name;
            const MEMBERS: &'static [&'static str] = &[$($wire),*];
            const TAG: &'static str = $tag;
            type Slots = $crate::object::UnionSlots<$crate::__slot_list!($($crate::object::$kind<$fty>),*), $bty>;
            #[allow(clippy::disallowed_names)]
            fn build(($crate::__member_pat!($($field),*), $branch): <Self::Slots as $crate::object::Slots>::Values) -> Self {
                Self { $($field,)* $branch }
            }
            fn serialize_members<M: $crate::serde::ser::SerializeMap>(&self, map: &mut M) -> ::std::result::Result<(), M::Error> {
                let v = self;
                <Self::Slots as $crate::object::Slots>::serialize(($crate::__member_refs!(v; $($field),*), &v.$branch), Self::MEMBERS, $tag, map)
            }
        }
        $crate::impl_serde!($ty);
    };
}

/// A pattern binding some fields, nested as [`__slot_list!`] nests their
/// slots.
#[doc(hidden)]
#[macro_export]
macro_rules! __member_pat {
    () => { () };
    ($a:ident, $b:ident, $c:ident, $d:ident $(, $rest:ident)*) => {
        ($a, ($b, ($c, ($d, $crate::__member_pat!($($rest),*)))))
    };
    ($a:ident $(, $rest:ident)*) => { ($a, $crate::__member_pat!($($rest),*)) };
}

/// The slot list type of some members, `(S1, (S2, (.., ())))`.
#[doc(hidden)]
#[macro_export]
macro_rules! __slot_list {
    () => { () };
    ($a:ty, $b:ty, $c:ty, $d:ty $(, $rest:ty)*) => {
        ($a, ($b, ($c, ($d, $crate::__slot_list!($($rest),*)))))
    };
    ($a:ty $(, $rest:ty)*) => { ($a, $crate::__slot_list!($($rest),*)) };
}

/// References to some fields of `v`, nested as [`__slot_list!`] nests
/// their slots.
#[doc(hidden)]
#[macro_export]
macro_rules! __member_refs {
    ($v:ident;) => { () };
    ($v:ident; $a:ident, $b:ident, $c:ident, $d:ident $(, $rest:ident)*) => {
        (&$v.$a, (&$v.$b, (&$v.$c, (&$v.$d, $crate::__member_refs!($v; $($rest),*)))))
    };
    ($v:ident; $a:ident $(, $rest:ident)*) => { (&$v.$a, $crate::__member_refs!($v; $($rest),*)) };
}

/// How one member is decoded and encoded: [`Req`] or [`Opt`].
pub trait Slot: Sized {
    /// The field's type.
    type Value;
    /// An empty slot.
    const EMPTY: Self;
    /// Decodes the member's value (a repeated member: the last one counts).
    fn fill<'de, A: MapAccess<'de>>(&mut self, map: &mut A) -> Result<(), A::Error>;
    /// The field's value once all members were seen.
    fn finish<E: de::Error>(self, name: &'static str) -> Result<Self::Value, E>;
    /// Encodes the member.
    fn serialize<M: SerializeMap>(
        value: &Self::Value,
        name: &'static str,
        map: &mut M,
    ) -> Result<(), M::Error>;
    /// Whether the member is required and has not been decoded.
    fn lacks(&self) -> bool {
        false
    }
}

/// The slot of a required member: decoding fails without it.
pub struct Req<T>(pub Option<T>);

/// The slot of an optional member: absent on the wire when `None`.
pub struct Opt<T>(pub Option<T>);

impl<T: DeserializeOwned + Serialize> Slot for Req<T> {
    type Value = T;
    const EMPTY: Self = Req(None);
    fn fill<'de, A: MapAccess<'de>>(&mut self, map: &mut A) -> Result<(), A::Error> {
        self.0 = Some(map.next_value()?);
        Ok(())
    }
    fn finish<E: de::Error>(self, name: &'static str) -> Result<T, E> {
        required(self.0, name)
    }
    fn lacks(&self) -> bool {
        self.0.is_none()
    }
    fn serialize<M: SerializeMap>(
        value: &T,
        name: &'static str,
        map: &mut M,
    ) -> Result<(), M::Error> {
        map.serialize_entry(name, value)
    }
}

impl<T: DeserializeOwned + Serialize> Slot for Opt<T> {
    type Value = Option<T>;
    const EMPTY: Self = Opt(None);
    fn fill<'de, A: MapAccess<'de>>(&mut self, map: &mut A) -> Result<(), A::Error> {
        self.0 = Some(map.next_value()?);
        Ok(())
    }
    fn finish<E: de::Error>(self, _name: &'static str) -> Result<Option<T>, E> {
        Ok(self.0)
    }
    fn serialize<M: SerializeMap>(
        value: &Option<T>,
        name: &'static str,
        map: &mut M,
    ) -> Result<(), M::Error> {
        match value {
            Some(v) => map.serialize_entry(name, v),
            None => Ok(()),
        }
    }
}

/// The slots of an object's members, as nested pairs `(S1, (S2, (.., ())))`
/// of [`Slot`]s, in the order of the members' names.
pub trait SlotList: Sized {
    /// The fields' values, nested the same way.
    type Values;
    /// References to the fields' values, nested the same way.
    type Refs<'a>
    where
        Self: 'a;
    /// Empty slots.
    const EMPTY: Self;
    /// Decodes the member at `index`.
    fn fill<'de, A: MapAccess<'de>>(&mut self, index: usize, map: &mut A) -> Result<(), A::Error>;
    /// The fields' values; `names` are the members' names, for errors.
    fn finish<E: de::Error>(self, names: &[&'static str]) -> Result<Self::Values, E>;
    /// Encodes the members.
    fn serialize<'a, M: SerializeMap>(
        values: Self::Refs<'a>,
        names: &[&'static str],
        map: &mut M,
    ) -> Result<(), M::Error>
    where
        Self: 'a;
    /// Whether the member at `index` is required and has not been decoded.
    fn lacks(&self, index: usize) -> bool {
        let _ = index;
        false
    }
}

impl SlotList for () {
    type Values = ();
    type Refs<'a> = ();
    const EMPTY: Self = ();
    fn fill<'de, A: MapAccess<'de>>(&mut self, _: usize, _: &mut A) -> Result<(), A::Error> {
        Ok(())
    }
    fn finish<E: de::Error>(self, _: &[&'static str]) -> Result<(), E> {
        Ok(())
    }
    fn serialize<'a, M: SerializeMap>(_: (), _: &[&'static str], _: &mut M) -> Result<(), M::Error>
    where
        Self: 'a,
    {
        Ok(())
    }
}

impl<S: Slot, L: SlotList> SlotList for (S, L) {
    type Values = (S::Value, L::Values);
    type Refs<'a>
        = (&'a S::Value, L::Refs<'a>)
    where
        Self: 'a;
    const EMPTY: Self = (S::EMPTY, L::EMPTY);
    fn fill<'de, A: MapAccess<'de>>(&mut self, index: usize, map: &mut A) -> Result<(), A::Error> {
        match index {
            0 => self.0.fill(map),
            _ => self.1.fill(index - 1, map),
        }
    }
    fn lacks(&self, index: usize) -> bool {
        match index {
            0 => self.0.lacks(),
            _ => self.1.lacks(index - 1),
        }
    }
    fn finish<E: de::Error>(self, names: &[&'static str]) -> Result<Self::Values, E> {
        let (name, rest) = names.split_first().unwrap_or((&"", &[]));
        Ok((self.0.finish(name)?, self.1.finish(rest)?))
    }
    fn serialize<'a, M: SerializeMap>(
        values: Self::Refs<'a>,
        names: &[&'static str],
        map: &mut M,
    ) -> Result<(), M::Error>
    where
        Self: 'a,
    {
        let (name, rest) = names.split_first().unwrap_or((&"", &[]));
        S::serialize(values.0, name, map)?;
        L::serialize(values.1, rest, map)
    }
}

/// The decoding state of an object's members: a [`SlotList`] (`()` or a
/// pair), or a union's [`UnionSlots`].
pub trait Slots: Sized {
    /// The decoded members.
    type Values;
    /// References to the members' values, for encoding.
    type Refs<'a>
    where
        Self: 'a;
    /// Empty slots.
    fn empty() -> Self;
    /// Decodes member `key`; `names` are the members' names, `tag` a
    /// union's tag member.  `false` when there is no such member.
    fn member<'de, A: MapAccess<'de>>(
        &mut self,
        names: &[&'static str],
        tag: &'static str,
        key: &str,
        map: &mut A,
    ) -> Result<bool, A::Error>;
    /// The decoded members, or the error for a missing one.
    fn finish<E: de::Error>(
        self,
        names: &[&'static str],
        tag: &'static str,
    ) -> Result<Self::Values, E>;
    /// Encodes the members.
    fn serialize<'a, M: SerializeMap>(
        values: Self::Refs<'a>,
        names: &[&'static str],
        tag: &'static str,
        map: &mut M,
    ) -> Result<(), M::Error>
    where
        Self: 'a;
    /// Whether member `name` (a union's tag included) is required and has
    /// not been decoded: strict decoding reports it where QEMU does.
    fn lacks(&self, names: &[&'static str], tag: &'static str, name: &str) -> bool {
        let _ = (names, tag, name);
        false
    }
}

/// The members of a struct.
fn list_member<'de, L: SlotList, A: MapAccess<'de>>(
    slots: &mut L,
    names: &[&'static str],
    key: &str,
    map: &mut A,
) -> Result<bool, A::Error> {
    match names.iter().position(|n| *n == key) {
        Some(index) => slots.fill(index, map).map(|()| true),
        None => Ok(false),
    }
}

impl Slots for () {
    type Values = ();
    type Refs<'a> = ();
    fn empty() -> Self {}
    fn member<'de, A: MapAccess<'de>>(
        &mut self,
        _: &[&'static str],
        _: &'static str,
        _: &str,
        _: &mut A,
    ) -> Result<bool, A::Error> {
        Ok(false)
    }
    fn finish<E: de::Error>(self, _: &[&'static str], _: &'static str) -> Result<(), E> {
        Ok(())
    }
    fn serialize<'a, M: SerializeMap>(
        _: (),
        _: &[&'static str],
        _: &'static str,
        _: &mut M,
    ) -> Result<(), M::Error>
    where
        Self: 'a,
    {
        Ok(())
    }
}

impl<S: Slot, L: SlotList> Slots for (S, L) {
    type Values = (S::Value, L::Values);
    type Refs<'a>
        = (&'a S::Value, L::Refs<'a>)
    where
        Self: 'a;
    fn empty() -> Self {
        SlotList::EMPTY
    }
    fn member<'de, A: MapAccess<'de>>(
        &mut self,
        names: &[&'static str],
        _: &'static str,
        key: &str,
        map: &mut A,
    ) -> Result<bool, A::Error> {
        list_member(self, names, key, map)
    }
    fn finish<E: de::Error>(
        self,
        names: &[&'static str],
        _: &'static str,
    ) -> Result<Self::Values, E> {
        SlotList::finish(self, names)
    }
    fn lacks(&self, names: &[&'static str], _: &'static str, name: &str) -> bool {
        names
            .iter()
            .position(|n| *n == name)
            .is_some_and(|i| SlotList::lacks(self, i))
    }
    fn serialize<'a, M: SerializeMap>(
        values: Self::Refs<'a>,
        names: &[&'static str],
        _: &'static str,
        map: &mut M,
    ) -> Result<(), M::Error>
    where
        Self: 'a,
    {
        <Self as SlotList>::serialize(values, names, map)
    }
}

/// Implements an enumeration's methods and serde impls: `VALUES`, `as_str`,
/// `from_wire` (unknown strings give the catch-all variant, named last,
/// except in [strict](crate::strict) decoding, which refuses them).
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
#[doc(hidden)]
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
            /// know give the catch-all variant (and are refused while a
            /// server decodes its input: see `qapi_types::strict`).
            pub fn from_wire(s: &str) -> Self {
                match s {
                    $($wire => Self::$var,)*
                    other => Self::$unknown($crate::object::catch_all(other)),
                }
            }
        }
        /// The value as on the wire.
        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
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
    const MEMBERS: &'static [&'static str] = T::MEMBERS;
    const TAG: &'static str = T::TAG;
    type Slots = T::Slots;
    fn build(values: <Self::Slots as Slots>::Values) -> Self {
        Box::new(T::build(values))
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
        if crate::strict::is_active() {
            return visit_strictly(map);
        }
        let mut slots = T::slots();
        while let Some(Key(key)) = map.next_key()? {
            if !T::member(&mut slots, &key, &mut map)? {
                map.next_value::<IgnoredAny>()?;
            }
        }
        T::finish(slots)
    }
}

/// Decodes an object the way QEMU's input visitor does: the members are
/// gathered, then fed to the slots in schema order (a union's tag, its
/// base members, then its branch members in the order they came); a
/// missing base member is reported at its place, a member the type lacks
/// only once the rest decoded.
fn visit_strictly<'de, T: Object, A: MapAccess<'de>>(mut map: A) -> Result<T, A::Error> {
    let mut members: Vec<(String, crate::strict::Json)> = Vec::new();
    while let Some(Key(key)) = map.next_key()? {
        let value = map.next_value()?;
        members.push((key.into_owned(), value));
    }
    build_strictly::<T>(&members).map_err(de::Error::custom)
}

fn build_strictly<T: Object>(
    members: &[(String, crate::strict::Json)],
) -> Result<T, crate::strict::Error> {
    use crate::strict::{self, Replay};
    let mut slots = T::slots();
    // The members QEMU would have visited, in its order.
    let mut visited = Vec::with_capacity(members.len());
    let tag = Some(T::TAG).filter(|t| !t.is_empty());
    for name in tag.into_iter().chain(T::MEMBERS.iter().copied()) {
        match members.iter().position(|(k, _)| k == name) {
            Some(i) => {
                visited.push(i);
                T::member(&mut slots, name, &mut Replay::new(name, &members[i].1))?;
            }
            None if slots.lacks(T::MEMBERS, T::TAG, name) => {
                return Err(strict::Error(strict::missing(name)));
            }
            None => {}
        }
    }
    let mut fed = vec![false; members.len()];
    for &i in &visited {
        fed[i] = true;
    }
    // The branch members, in the order they came; again while some are
    // taken, for a union within the branch, whose members count only once
    // its own tag came.
    let mut progress = true;
    while progress {
        progress = false;
        for (i, (key, value)) in members.iter().enumerate() {
            if !fed[i] && T::member(&mut slots, key, &mut Replay::new(key, value))? {
                fed[i] = true;
                visited.push(i);
                progress = true;
            }
        }
    }
    let value = T::finish(slots)?;
    let keys: Vec<&str> = members.iter().map(|(k, _)| k.as_str()).collect();
    match crate::qemu_order::first_unexpected(&keys, &visited) {
        Some(i) => Err(strict::Error(strict::unexpected(keys[i]))),
        None => Ok(value),
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

/// The string a catch-all variant keeps: `value`, which the enumeration
/// lacks.  While a server decodes its input ([`strict`](crate::strict)),
/// the value is also noted as refused, and decoding fails.
pub fn catch_all(value: &str) -> String {
    crate::strict::reject(value);
    value.to_owned()
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

/// Decoding state of a union: the base's members `L` and the branch `V`.
/// The branch is empty until the tag arrives, then holds the branch's
/// slots; branch members that come before the tag are buffered and
/// replayed into the branch when it is known.
pub struct UnionSlots<L, V: Variants> {
    base: L,
    branch: Option<V::Slots>,
    pending: Vec<(String, serde_json::Value)>,
}

impl<L: SlotList, V: Variants> Slots for UnionSlots<L, V> {
    type Values = (L::Values, V);
    type Refs<'a>
        = (L::Refs<'a>, &'a V)
    where
        Self: 'a;
    fn empty() -> Self {
        UnionSlots {
            base: L::EMPTY,
            branch: None,
            pending: Vec::new(),
        }
    }
    fn member<'de, A: MapAccess<'de>>(
        &mut self,
        names: &[&'static str],
        tag: &'static str,
        key: &str,
        map: &mut A,
    ) -> Result<bool, A::Error> {
        if key == tag {
            return self.tag(map).map(|()| true);
        }
        if list_member(&mut self.base, names, key, map)? {
            return Ok(true);
        }
        match &mut self.branch {
            Some(slots) => V::member(slots, key, map),
            // Strict decoding offers the member again once the tag came.
            None if crate::strict::is_active() => Ok(false),
            None => {
                let value: serde_json::Value = map.next_value()?;
                self.pending.push((key.to_owned(), value));
                Ok(true)
            }
        }
    }
    fn finish<E: de::Error>(
        self,
        names: &[&'static str],
        tag: &'static str,
    ) -> Result<Self::Values, E> {
        let base = self.base.finish(names)?;
        match self.branch {
            Some(slots) => Ok((base, V::finish(slots)?)),
            None => Err(de::Error::missing_field(tag)),
        }
    }
    fn lacks(&self, names: &[&'static str], tag: &'static str, name: &str) -> bool {
        if name == tag {
            return self.branch.is_none();
        }
        names
            .iter()
            .position(|n| *n == name)
            .is_some_and(|i| self.base.lacks(i))
    }
    fn serialize<'a, M: SerializeMap>(
        (base, branch): Self::Refs<'a>,
        names: &[&'static str],
        tag: &'static str,
        map: &mut M,
    ) -> Result<(), M::Error>
    where
        Self: 'a,
    {
        L::serialize(base, names, map)?;
        map.serialize_entry(tag, &branch.tag())?;
        branch.serialize_members(map)
    }
}

impl<L, V: Variants> UnionSlots<L, V> {
    /// Decodes the tag member's value and starts the branch it selects.
    fn tag<'de, A: MapAccess<'de>>(&mut self, map: &mut A) -> Result<(), A::Error> {
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
