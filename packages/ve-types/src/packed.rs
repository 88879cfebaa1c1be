//! Numbers of stored records as integers, and as the usual strings in JSON.
//!
//! cosmwasm-std writes `Uint128` and `Timestamp` as decimal strings in
//! every format, so a record kept with postcard formatted and parsed each
//! number in decimal on every save and load: in the VM that was most of
//! the cost of a record (about 1.5M gas to encode an escrow's nine
//! numbers). These `serde(with)` modules keep JSON exactly as before (they
//! hand human-readable formats to the type's own impl) and give a binary
//! format (postcard says it is not human-readable) the integer itself.
//!
//! Use on a field together with `#[schemars(with = "...")]` naming the
//! field's own type, so the JSON schema stays the type's:
//!
//! ```ignore
//! #[serde(with = "ve_types::packed::uint128")]
//! #[schemars(with = "Uint128")]
//! pub deposited: Uint128,
//! ```

use cosmwasm_std::{Timestamp, Uint128};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A cosmwasm-std number and the integer it packs to.
trait Number: Copy + Serialize + DeserializeOwned {
    type Raw: Serialize + DeserializeOwned;
    fn to_raw(self) -> Self::Raw;
    fn from_raw(raw: Self::Raw) -> Self;
}

impl Number for Uint128 {
    type Raw = u128;
    fn to_raw(self) -> u128 {
        self.u128()
    }
    fn from_raw(raw: u128) -> Self {
        Uint128::new(raw)
    }
}

/// Nanoseconds, as `Timestamp` counts them.
impl Number for Timestamp {
    type Raw = u64;
    fn to_raw(self) -> u64 {
        self.nanos()
    }
    fn from_raw(raw: u64) -> Self {
        Timestamp::from_nanos(raw)
    }
}

fn serialize_number<T: Number, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
    if s.is_human_readable() {
        value.serialize(s)
    } else {
        value.to_raw().serialize(s)
    }
}

fn deserialize_number<'de, T: Number, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
    if d.is_human_readable() {
        T::deserialize(d)
    } else {
        T::Raw::deserialize(d).map(T::from_raw)
    }
}

/// A number inside an `Option`, packed the same way.
struct Packed<T>(T);

impl<T: Number> Serialize for Packed<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_number(&self.0, s)
    }
}

impl<'de, T: Number> Deserialize<'de> for Packed<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize_number(d).map(Packed)
    }
}

/// The `serde(with)` modules of a number type and of its `Option`.
macro_rules! packed_modules {
    ($ty:ty, $plain:ident, $optional:ident) => {
        #[doc = concat!("A `", stringify!($ty), "` field.")]
        pub mod $plain {
            use super::*;

            pub fn serialize<S: Serializer>(value: &$ty, s: S) -> Result<S::Ok, S::Error> {
                serialize_number(value, s)
            }

            pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<$ty, D::Error> {
                deserialize_number(d)
            }
        }

        #[doc = concat!("An `Option<", stringify!($ty), ">` field.")]
        pub mod $optional {
            use super::*;

            pub fn serialize<S: Serializer>(value: &Option<$ty>, s: S) -> Result<S::Ok, S::Error> {
                value.map(Packed).serialize(s)
            }

            pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<$ty>, D::Error> {
                Ok(Option::<Packed<$ty>>::deserialize(d)?.map(|p| p.0))
            }
        }
    };
}

packed_modules!(Uint128, uint128, opt_uint128);
packed_modules!(Timestamp, timestamp, opt_timestamp);

#[cfg(test)]
mod tests {
    use cosmwasm_std::{from_json, to_json_vec};

    use super::*;

    /// A record with each kind of packed field, next to the same fields
    /// left to cosmwasm-std.
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Packed {
        #[serde(with = "uint128")]
        amount: Uint128,
        #[serde(with = "timestamp")]
        at: Timestamp,
        #[serde(default, with = "opt_uint128")]
        maybe_amount: Option<Uint128>,
        #[serde(default, with = "opt_timestamp")]
        maybe_at: Option<Timestamp>,
    }

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Plain {
        amount: Uint128,
        at: Timestamp,
        maybe_amount: Option<Uint128>,
        maybe_at: Option<Timestamp>,
    }

    fn pairs() -> Vec<(Packed, Plain)> {
        let values = [
            (0u128, 0u64, None, None),
            (1, 1, Some(0u128), Some(0u64)),
            (1_000_000, 1_700_000_000_000_000_000, Some(42), None),
            (u128::MAX, u64::MAX, Some(u128::MAX), Some(u64::MAX)),
        ];
        values
            .into_iter()
            .map(|(amount, at, maybe_amount, maybe_at)| {
                let packed = Packed {
                    amount: Uint128::new(amount),
                    at: Timestamp::from_nanos(at),
                    maybe_amount: maybe_amount.map(Uint128::new),
                    maybe_at: maybe_at.map(Timestamp::from_nanos),
                };
                let plain = Plain {
                    amount: packed.amount,
                    at: packed.at,
                    maybe_amount: packed.maybe_amount,
                    maybe_at: packed.maybe_at,
                };
                (packed, plain)
            })
            .collect()
    }

    #[test]
    fn json_is_what_cosmwasm_std_writes_and_reads() {
        for (packed, plain) in pairs() {
            let json = to_json_vec(&plain).unwrap();
            assert_eq!(to_json_vec(&packed).unwrap(), json);
            assert_eq!(from_json::<Packed>(&json).unwrap(), packed);
        }
        // Amounts stay strings in JSON: a bare number is refused, as before.
        let err = from_json::<Packed>(r#"{"amount":5,"at":"0"}"#).unwrap_err();
        assert!(err.to_string().contains("string-encoded integer"), "{err}");
        // An absent optional field still reads as none.
        let read: Packed = from_json(r#"{"amount":"5","at":"7"}"#).unwrap();
        assert_eq!(read.maybe_amount, None);
        assert_eq!(read.maybe_at, None);
    }

    #[test]
    fn binary_formats_get_integers() {
        for (packed, _) in pairs() {
            let bytes = postcard::to_allocvec(&packed).unwrap();
            assert_eq!(postcard::from_bytes::<Packed>(&bytes).unwrap(), packed);
        }
        // 1,000,000 is three varint bytes, not a length and seven digits.
        let (small, _) = pairs().remove(2);
        let bytes = postcard::to_allocvec(&small.amount.u128()).unwrap();
        let record = postcard::to_allocvec(&small).unwrap();
        assert_eq!(&record[..bytes.len()], &bytes[..]);
        assert_eq!(bytes.len(), 3);
    }
}
