//! Storage keys as cw-storage-plus writes them, read back into JSON parts.
//!
//! A map key is its namespace (two-byte big-endian length, then the name),
//! then the key's elements: every element but the last behind its own
//! two-byte length, the last one raw. A `MultiIndex` entry's key is the
//! index namespace, every index key element behind its length, then the
//! primary key as the map writes it. Elements: strings and addresses are
//! their UTF-8 bytes, unsigned integers big-endian at their full width,
//! byte slices as they are.
//!
//! The element types come from the contracts' own declarations
//! (`Map<(&Addr, u64), _>` and so on) through [`KeyLayout`], so this file
//! names no contract's key.

use cosmwasm_std::{Addr, Binary};
use serde_json::Value;

/// Reads `length`-prefixed or trailing elements off the front of a key.
pub struct KeyReader<'k> {
    rest: &'k [u8],
}

impl<'k> KeyReader<'k> {
    pub fn new(key: &'k [u8]) -> Self {
        KeyReader { rest: key }
    }

    /// The bytes not read yet.
    pub fn rest(&self) -> &'k [u8] {
        self.rest
    }

    /// One element behind its two-byte big-endian length.
    pub fn prefixed(&mut self) -> Result<&'k [u8], String> {
        let (length, rest) = self
            .rest
            .split_first_chunk::<2>()
            .ok_or_else(|| format!("{} byte(s) left where a length was due", self.rest.len()))?;
        let length = usize::from(u16::from_be_bytes(*length));
        if rest.len() < length {
            return Err(format!(
                "an element of {length} bytes, but only {} left",
                rest.len()
            ));
        }
        let (element, rest) = rest.split_at(length);
        self.rest = rest;
        Ok(element)
    }

    /// The rest of the key: the last element.
    pub fn trailing(&mut self) -> &'k [u8] {
        std::mem::take(&mut self.rest)
    }
}

/// One key element type and its JSON.
pub trait KeyElement {
    fn to_json(bytes: &[u8]) -> Result<Value, String>;
}

fn utf8(bytes: &[u8]) -> Result<String, String> {
    String::from_utf8(bytes.to_vec()).map_err(|e| format!("not UTF-8: {e}"))
}

macro_rules! text_elements {
    ($($ty:ty),*) => {$(
        impl KeyElement for $ty {
            fn to_json(bytes: &[u8]) -> Result<Value, String> {
                utf8(bytes).map(Value::String)
            }
        }
    )*};
}
text_elements!(Addr, &Addr, String, &str);

macro_rules! integer_elements {
    ($($ty:ty),*) => {$(
        impl KeyElement for $ty {
            fn to_json(bytes: &[u8]) -> Result<Value, String> {
                let array = bytes.try_into().map_err(|_| {
                    format!("{} bytes for a {}", bytes.len(), stringify!($ty))
                })?;
                Ok(Value::from(<$ty>::from_be_bytes(array)))
            }
        }
    )*};
}
integer_elements!(u8, u16, u32, u64);

/// Bytes as cosmwasm-std writes `Binary`: base64.
impl KeyElement for &[u8] {
    fn to_json(bytes: &[u8]) -> Result<Value, String> {
        Ok(Value::String(Binary::from(bytes).to_base64()))
    }
}

/// A whole key type: a single element or a tuple of elements.
pub trait KeyLayout {
    /// Reads the key's parts into `parts`. With `last_raw` the last element
    /// is the rest of the key (a map key); without, every element carries
    /// its length (an index key, followed by the primary key).
    fn read(
        reader: &mut KeyReader<'_>,
        last_raw: bool,
        parts: &mut Vec<Value>,
    ) -> Result<(), String>;
}

fn element<E: KeyElement>(
    reader: &mut KeyReader<'_>,
    last: bool,
    parts: &mut Vec<Value>,
) -> Result<(), String> {
    let bytes = if last {
        reader.trailing()
    } else {
        reader.prefixed()?
    };
    parts.push(E::to_json(bytes)?);
    Ok(())
}

macro_rules! single_keys {
    ($($ty:ty),*) => {$(
        impl KeyLayout for $ty {
            fn read(
                reader: &mut KeyReader<'_>,
                last_raw: bool,
                parts: &mut Vec<Value>,
            ) -> Result<(), String> {
                element::<$ty>(reader, last_raw, parts)
            }
        }
    )*};
}
single_keys!(Addr, &Addr, String, &str, u8, u16, u32, u64, &[u8]);

impl<A: KeyElement, B: KeyElement> KeyLayout for (A, B) {
    fn read(
        reader: &mut KeyReader<'_>,
        last_raw: bool,
        parts: &mut Vec<Value>,
    ) -> Result<(), String> {
        element::<A>(reader, false, parts)?;
        element::<B>(reader, last_raw, parts)
    }
}

impl<A: KeyElement, B: KeyElement, C: KeyElement> KeyLayout for (A, B, C) {
    fn read(
        reader: &mut KeyReader<'_>,
        last_raw: bool,
        parts: &mut Vec<Value>,
    ) -> Result<(), String> {
        element::<A>(reader, false, parts)?;
        element::<B>(reader, false, parts)?;
        element::<C>(reader, last_raw, parts)
    }
}

/// The parts of a map key (after the namespace).
pub fn map_key<K: KeyLayout>(bytes: &[u8]) -> Result<Vec<Value>, String> {
    let mut parts = Vec::new();
    K::read(&mut KeyReader::new(bytes), true, &mut parts)?;
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use cw_storage_plus::PrimaryKey;
    use serde_json::json;

    use super::*;

    #[test]
    fn map_keys_read_back_what_cw_storage_plus_joins() {
        let owner = Addr::unchecked("owner");
        let key = (&owner, "uuid", 7u64).joined_key();
        assert_eq!(
            map_key::<(&Addr, &str, u64)>(&key).unwrap(),
            vec![json!("owner"), json!("uuid"), json!(7)]
        );
        let key = (9u64, 1u64).joined_key();
        assert_eq!(
            map_key::<(u64, u64)>(&key).unwrap(),
            vec![json!(9), json!(1)]
        );
        assert_eq!(map_key::<&[u8]>(b"\x01\x02").unwrap(), vec![json!("AQI=")]);
    }

    #[test]
    fn index_keys_carry_every_length_then_the_primary_key() {
        let pk = (Addr::unchecked("cust"), 3u64).joined_key();
        let entry = ("compute".to_string(), 2u8).joined_extra_key(&pk);
        let mut reader = KeyReader::new(&entry);
        let mut parts = Vec::new();
        <(String, u8)>::read(&mut reader, false, &mut parts).unwrap();
        assert_eq!(parts, vec![json!("compute"), json!(2)]);
        assert_eq!(reader.rest(), pk.as_slice());
    }

    #[test]
    fn short_or_malformed_keys_are_errors_not_panics() {
        assert!(map_key::<(u64, u64)>(b"").is_err());
        assert!(map_key::<(u64, u64)>(b"\x00").is_err());
        assert!(map_key::<(u64, u64)>(b"\x00\x09abc").is_err());
        assert!(map_key::<u64>(b"\x00\x01").is_err());
        assert!(map_key::<String>(b"\xff").is_err());
    }
}
