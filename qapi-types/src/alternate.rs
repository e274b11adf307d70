//! Serde for alternates: the `alternate!` macro generated code calls.
//!
//! An alternate's value is chosen by its JSON type, as QEMU chooses it: a
//! string, a boolean, `null`, an integer, a number, an array or an object.
//! Each branch says which JSON type it takes; the branch's own type then
//! decodes the value (an enumeration from the string, an integer type
//! checking its range, a struct from the object).

/// Implements `Serialize` and `Deserialize` for an alternate: an enum with
/// one single-value variant per branch, each taking one JSON type (`str`,
/// `bool`, `null`, `int`, `number`, `seq` or `map`).  The literal is what
/// a value of another type is told it should have been.
///
/// ```
/// #[derive(Debug, PartialEq)]
/// pub enum IdOrName {
///     Id(u8),
///     Name(String),
/// }
/// qapi_types::alternate! {
///     IdOrName = "an integer or a string for IdOrName" {
///         Id: int,
///         Name: str,
///     }
/// }
/// use qapi_types::serde_json::{from_str, to_string};
/// assert_eq!(from_str::<IdOrName>("7").unwrap(), IdOrName::Id(7));
/// assert_eq!(from_str::<IdOrName>("\"x\"").unwrap(), IdOrName::Name("x".into()));
/// assert!(from_str::<IdOrName>("300").is_err());
/// assert!(from_str::<IdOrName>("true").is_err());
/// assert_eq!(to_string(&IdOrName::Id(7)).unwrap(), "7");
/// ```
#[macro_export]
macro_rules! alternate {
    ($ty:ident = $expecting:literal { $($var:ident: $kind:ident),* $(,)? }) => {
        #[allow(deprecated)]
        impl $crate::serde::Serialize for $ty {
            fn serialize<S: $crate::serde::Serializer>(&self, _s: S) -> ::std::result::Result<S::Ok, S::Error> {
                match *self {
                    $(Self::$var(ref v) => $crate::serde::Serialize::serialize(v, _s),)*
                }
            }
        }
        #[allow(deprecated)]
        impl<'de> $crate::serde::Deserialize<'de> for $ty {
            fn deserialize<D: $crate::serde::Deserializer<'de>>(d: D) -> ::std::result::Result<Self, D::Error> {
                struct V;
                impl<'de> $crate::serde::de::Visitor<'de> for V {
                    type Value = $ty;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter) -> ::std::fmt::Result {
                        f.write_str($expecting)
                    }
                    $($crate::__alternate_visit!($kind $ty::$var);)*
                }
                d.deserialize_any(V)
            }
        }
    };
}

/// The `Visitor` methods of one alternate branch taking `$kind`.
#[doc(hidden)]
#[macro_export]
macro_rules! __alternate_visit {
    (str $ty:ident::$var:ident) => {
        fn visit_str<E: $crate::serde::de::Error>(
            self,
            v: &str,
        ) -> ::std::result::Result<Self::Value, E> {
            $crate::serde::Deserialize::deserialize(
                $crate::serde::de::value::StrDeserializer::<E>::new(v),
            )
            .map($ty::$var)
        }
    };
    (bool $ty:ident::$var:ident) => {
        fn visit_bool<E: $crate::serde::de::Error>(
            self,
            v: bool,
        ) -> ::std::result::Result<Self::Value, E> {
            $crate::serde::Deserialize::deserialize(
                $crate::serde::de::value::BoolDeserializer::<E>::new(v),
            )
            .map($ty::$var)
        }
    };
    (null $ty:ident::$var:ident) => {
        fn visit_unit<E: $crate::serde::de::Error>(self) -> ::std::result::Result<Self::Value, E> {
            $crate::serde::Deserialize::deserialize(
                $crate::serde::de::value::UnitDeserializer::<E>::new(),
            )
            .map($ty::$var)
        }
    };
    (int $ty:ident::$var:ident) => {
        fn visit_i64<E: $crate::serde::de::Error>(
            self,
            v: i64,
        ) -> ::std::result::Result<Self::Value, E> {
            $crate::serde::Deserialize::deserialize(
                $crate::serde::de::value::I64Deserializer::<E>::new(v),
            )
            .map($ty::$var)
        }
        fn visit_u64<E: $crate::serde::de::Error>(
            self,
            v: u64,
        ) -> ::std::result::Result<Self::Value, E> {
            $crate::serde::Deserialize::deserialize(
                $crate::serde::de::value::U64Deserializer::<E>::new(v),
            )
            .map($ty::$var)
        }
    };
    (number $ty:ident::$var:ident) => {
        fn visit_f64<E: $crate::serde::de::Error>(
            self,
            v: f64,
        ) -> ::std::result::Result<Self::Value, E> {
            $crate::serde::Deserialize::deserialize(
                $crate::serde::de::value::F64Deserializer::<E>::new(v),
            )
            .map($ty::$var)
        }
        fn visit_i64<E: $crate::serde::de::Error>(
            self,
            v: i64,
        ) -> ::std::result::Result<Self::Value, E> {
            $crate::serde::Deserialize::deserialize(
                $crate::serde::de::value::I64Deserializer::<E>::new(v),
            )
            .map($ty::$var)
        }
        fn visit_u64<E: $crate::serde::de::Error>(
            self,
            v: u64,
        ) -> ::std::result::Result<Self::Value, E> {
            $crate::serde::Deserialize::deserialize(
                $crate::serde::de::value::U64Deserializer::<E>::new(v),
            )
            .map($ty::$var)
        }
    };
    (seq $ty:ident::$var:ident) => {
        fn visit_seq<A: $crate::serde::de::SeqAccess<'de>>(
            self,
            seq: A,
        ) -> ::std::result::Result<Self::Value, A::Error> {
            $crate::serde::Deserialize::deserialize(
                $crate::serde::de::value::SeqAccessDeserializer::new(seq),
            )
            .map($ty::$var)
        }
    };
    (map $ty:ident::$var:ident) => {
        fn visit_map<A: $crate::serde::de::MapAccess<'de>>(
            self,
            map: A,
        ) -> ::std::result::Result<Self::Value, A::Error> {
            $crate::serde::Deserialize::deserialize(
                $crate::serde::de::value::MapAccessDeserializer::new(map),
            )
            .map($ty::$var)
        }
    };
}
