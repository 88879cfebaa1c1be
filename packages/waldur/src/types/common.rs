//! Small value types shared by several endpoints.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Turns an explicit JSON `null` into the type's default.
///
/// `#[serde(default)]` covers a missing field only; Waldur also sends `null`
/// for many list and map fields, which must not fail the response.
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// A decimal kept as the exact text the server sent.
///
/// Waldur writes money and usage as JSON strings (`"10.00"`), but some
/// fields are declared as numbers in the schema and the server has changed
/// its mind between releases, so both forms are accepted. Keeping the text
/// avoids any binary floating-point rounding of amounts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Decimal(String);

impl Decimal {
    /// Wraps a decimal text as is; the server validates the format.
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The decimal as text, exactly as received.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A lossy float view, for display or thresholds only.
    pub fn to_f64(&self) -> Option<f64> {
        self.0.trim().parse().ok()
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Decimal {
    fn from(text: &str) -> Self {
        Self(text.to_owned())
    }
}

impl From<String> for Decimal {
    fn from(text: String) -> Self {
        Self(text)
    }
}

impl Serialize for Decimal {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Decimal {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DecimalVisitor;

        impl Visitor<'_> for DecimalVisitor {
            type Value = Decimal;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal as a string or a number")
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<Decimal, E> {
                Ok(Decimal(value.to_owned()))
            }

            fn visit_i64<E: de::Error>(self, value: i64) -> Result<Decimal, E> {
                Ok(Decimal(value.to_string()))
            }

            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Decimal, E> {
                Ok(Decimal(value.to_string()))
            }

            fn visit_f64<E: de::Error>(self, value: f64) -> Result<Decimal, E> {
                Ok(Decimal(value.to_string()))
            }
        }

        deserializer.deserialize_any(DecimalVisitor)
    }
}

/// `DetailState`: the answer of the offering state actions.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DetailState {
    pub detail: Option<String>,
    pub state: Option<String>,
}

/// `{"detail": "..."}`, e.g. `OrderInfoResponse` of `approve_by_provider`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DetailResponse {
    pub detail: Option<String>,
}

/// `{"status": "..."}`, e.g. `ResourceResponseStatus` or the answer of the
/// order `set_backend_id` action.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct StatusResponse {
    pub status: Option<String>,
}

/// `OrderUUID`: the order that a resource action (terminate) created.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct OrderUuid {
    pub order_uuid: Option<String>,
}

/// `ReportSection` of a resource report.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ReportSection {
    pub header: Option<String>,
    pub body: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_accepts_strings_and_numbers() {
        let text: Decimal = serde_json::from_str("\"120.50\"").unwrap();
        assert_eq!(text.as_str(), "120.50");
        let integer: Decimal = serde_json::from_str("12").unwrap();
        assert_eq!(integer.as_str(), "12");
        let float: Decimal = serde_json::from_str("1.5").unwrap();
        assert_eq!(float.to_f64(), Some(1.5));
        assert_eq!(serde_json::to_string(&text).unwrap(), "\"120.50\"");
    }

    #[test]
    fn null_lists_become_empty() {
        #[derive(Deserialize)]
        struct Holder {
            #[serde(default, deserialize_with = "null_as_default")]
            items: Vec<u8>,
        }
        let holder: Holder = serde_json::from_str(r#"{"items": null}"#).unwrap();
        assert!(holder.items.is_empty());
        let holder: Holder = serde_json::from_str("{}").unwrap();
        assert!(holder.items.is_empty());
    }
}
