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
#[doc(hidden)]
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

/// The `Visitor` methods of one alternate branch taking `$kind`: each
/// hands the value to the branch type's own `Deserialize`.
#[doc(hidden)]
#[macro_export]
macro_rules! __alternate_visit {
    (str $ty:ident::$var:ident) => {
        $crate::__alternate_visit!(@value visit_str(&str) StrDeserializer $ty::$var);
    };
    (bool $ty:ident::$var:ident) => {
        $crate::__alternate_visit!(@value visit_bool(bool) BoolDeserializer $ty::$var);
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
        $crate::__alternate_visit!(@value visit_i64(i64) I64Deserializer $ty::$var);
        $crate::__alternate_visit!(@value visit_u64(u64) U64Deserializer $ty::$var);
    };
    // A number may come as an integer too.
    (number $ty:ident::$var:ident) => {
        $crate::__alternate_visit!(@value visit_f64(f64) F64Deserializer $ty::$var);
        $crate::__alternate_visit!(int $ty::$var);
    };
    (seq $ty:ident::$var:ident) => {
        $crate::__alternate_visit!(@access visit_seq SeqAccess SeqAccessDeserializer $ty::$var);
    };
    (map $ty:ident::$var:ident) => {
        $crate::__alternate_visit!(@access visit_map MapAccess MapAccessDeserializer $ty::$var);
    };
    (@value $method:ident($arg:ty) $de:ident $ty:ident::$var:ident) => {
        fn $method<E: $crate::serde::de::Error>(
            self,
            v: $arg,
        ) -> ::std::result::Result<Self::Value, E> {
            $crate::serde::Deserialize::deserialize($crate::serde::de::value::$de::<E>::new(v))
                .map($ty::$var)
        }
    };
    (@access $method:ident $access:ident $de:ident $ty:ident::$var:ident) => {
        fn $method<A: $crate::serde::de::$access<'de>>(
            self,
            access: A,
        ) -> ::std::result::Result<Self::Value, A::Error> {
            $crate::serde::Deserialize::deserialize($crate::serde::de::value::$de::new(access))
                .map($ty::$var)
        }
    };
}
