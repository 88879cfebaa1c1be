//! Entity IDs and their canonical string forms.
//!
//! | entity     | string form                          |
//! |------------|--------------------------------------|
//! | offering   | `{provider}/{sequence}`              |
//! | order      | `{customer}/{sequence}`              |
//! | allocation | `{customer}/{order_seq}/{alloc_seq}` |
//! | bid        | `{customer}/{order_seq}/{provider}/{bid_seq}` |
//!
//! Sequences start at 1 and are written in decimal without sign or leading
//! zeros, so every ID has exactly one string form (no `a/01` beside `a/1`).
//! Addresses are kept as strings here; contracts validate them with
//! `addr_validate` before use.

use std::fmt;
use std::str::FromStr;

use cosmwasm_schema::cw_serde;
use thiserror::Error;

#[derive(Error, Debug, Clone, PartialEq, Eq)]
#[error("invalid {kind} id {input:?}: {reason}")]
pub struct IdError {
    pub kind: &'static str,
    pub input: String,
    pub reason: String,
}

impl IdError {
    fn new(kind: &'static str, input: &str, reason: impl Into<String>) -> Self {
        IdError {
            kind,
            input: input.to_string(),
            reason: reason.into(),
        }
    }
}

/// Splits `input` into exactly `N` non-empty parts separated by `/`.
fn split_parts<'a, const N: usize>(
    kind: &'static str,
    input: &'a str,
    shape: &str,
) -> Result<[&'a str; N], IdError> {
    let parts: Vec<&str> = input.split('/').collect();
    let parts: [&str; N] = parts
        .try_into()
        .map_err(|_| IdError::new(kind, input, format!("expected {shape}")))?;
    if parts.iter().any(|p| p.is_empty()) {
        return Err(IdError::new(
            kind,
            input,
            format!("empty part, expected {shape}"),
        ));
    }
    Ok(parts)
}

/// Parses a canonical sequence: decimal digits, no leading zero, >= 1.
fn parse_sequence(kind: &'static str, input: &str, part: &str) -> Result<u64, IdError> {
    if !part.bytes().all(|b| b.is_ascii_digit()) {
        return Err(IdError::new(
            kind,
            input,
            format!("sequence {part:?} is not a decimal number"),
        ));
    }
    if part.starts_with('0') {
        return Err(IdError::new(
            kind,
            input,
            "sequences start at 1 and have no leading zeros",
        ));
    }
    part.parse::<u64>().map_err(|_| {
        IdError::new(
            kind,
            input,
            format!("sequence {part:?} does not fit in u64"),
        )
    })
}

/// An address part must be non-empty and free of whitespace; the contract
/// validates it properly with `addr_validate`.
fn check_address(kind: &'static str, input: &str, part: &str) -> Result<(), IdError> {
    if part.chars().any(char::is_whitespace) {
        return Err(IdError::new(kind, input, "address contains whitespace"));
    }
    Ok(())
}

#[cw_serde]
#[derive(Eq, PartialOrd, Ord, Hash)]
pub struct OfferingId {
    pub provider: String,
    pub sequence: u64,
}

#[cw_serde]
#[derive(Eq, PartialOrd, Ord, Hash)]
pub struct OrderId {
    pub customer: String,
    pub sequence: u64,
}

#[cw_serde]
#[derive(Eq, PartialOrd, Ord, Hash)]
pub struct AllocationId {
    pub customer: String,
    pub order_sequence: u64,
    pub sequence: u64,
}

/// A bid on an order. The sequence counts the order's bids; the provider
/// is part of the string form so a relayer can tell its own bids at a glance.
#[cw_serde]
#[derive(Eq, PartialOrd, Ord, Hash)]
pub struct BidId {
    pub customer: String,
    pub order_sequence: u64,
    pub provider: String,
    pub sequence: u64,
}

impl OrderId {
    pub fn allocation(&self, sequence: u64) -> AllocationId {
        AllocationId {
            customer: self.customer.clone(),
            order_sequence: self.sequence,
            sequence,
        }
    }

    pub fn bid(&self, provider: &str, sequence: u64) -> BidId {
        BidId {
            customer: self.customer.clone(),
            order_sequence: self.sequence,
            provider: provider.to_string(),
            sequence,
        }
    }
}

impl AllocationId {
    pub fn order_id(&self) -> OrderId {
        OrderId {
            customer: self.customer.clone(),
            sequence: self.order_sequence,
        }
    }
}

impl BidId {
    pub fn order_id(&self) -> OrderId {
        OrderId {
            customer: self.customer.clone(),
            sequence: self.order_sequence,
        }
    }
}

impl fmt::Display for OfferingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.provider, self.sequence)
    }
}

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.customer, self.sequence)
    }
}

impl fmt::Display for AllocationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{}",
            self.customer, self.order_sequence, self.sequence
        )
    }
}

impl fmt::Display for BidId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{}/{}",
            self.customer, self.order_sequence, self.provider, self.sequence
        )
    }
}

impl FromStr for OfferingId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        const KIND: &str = "offering";
        let [provider, seq] = split_parts::<2>(KIND, s, "{provider}/{sequence}")?;
        check_address(KIND, s, provider)?;
        Ok(OfferingId {
            provider: provider.to_string(),
            sequence: parse_sequence(KIND, s, seq)?,
        })
    }
}

impl FromStr for OrderId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        const KIND: &str = "order";
        let [customer, seq] = split_parts::<2>(KIND, s, "{customer}/{sequence}")?;
        check_address(KIND, s, customer)?;
        Ok(OrderId {
            customer: customer.to_string(),
            sequence: parse_sequence(KIND, s, seq)?,
        })
    }
}

impl FromStr for AllocationId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        const KIND: &str = "allocation";
        let [customer, order_seq, seq] =
            split_parts::<3>(KIND, s, "{customer}/{order_seq}/{alloc_seq}")?;
        check_address(KIND, s, customer)?;
        Ok(AllocationId {
            customer: customer.to_string(),
            order_sequence: parse_sequence(KIND, s, order_seq)?,
            sequence: parse_sequence(KIND, s, seq)?,
        })
    }
}

impl FromStr for BidId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        const KIND: &str = "bid";
        let [customer, order_seq, provider, seq] =
            split_parts::<4>(KIND, s, "{customer}/{order_seq}/{provider}/{bid_seq}")?;
        check_address(KIND, s, customer)?;
        check_address(KIND, s, provider)?;
        Ok(BidId {
            customer: customer.to_string(),
            order_sequence: parse_sequence(KIND, s, order_seq)?,
            provider: provider.to_string(),
            sequence: parse_sequence(KIND, s, seq)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_forms_round_trip() {
        let offering: OfferingId = "ve1prov/42".parse().unwrap();
        assert_eq!(
            offering,
            OfferingId {
                provider: "ve1prov".into(),
                sequence: 42
            }
        );
        assert_eq!(offering.to_string(), "ve1prov/42");

        let order: OrderId = "ve1cust/101".parse().unwrap();
        assert_eq!(order.to_string(), "ve1cust/101");

        let alloc = order.allocation(1);
        assert_eq!(alloc.to_string(), "ve1cust/101/1");
        assert_eq!(alloc.to_string().parse::<AllocationId>().unwrap(), alloc);
        assert_eq!(alloc.order_id(), order);

        let bid = order.bid("ve1prov", 3);
        assert_eq!(bid.to_string(), "ve1cust/101/ve1prov/3");
        assert_eq!(bid.to_string().parse::<BidId>().unwrap(), bid);
        assert_eq!(bid.order_id(), order);
    }

    #[test]
    fn rejects_malformed_ids() {
        for bad in [
            "",
            "ve1prov",
            "ve1prov/",
            "/1",
            "ve1prov/1/2",
            "ve1prov/0",
            "ve1prov/01",
            "ve1prov/+1",
            "ve1prov/-1",
            "ve1prov/1a",
            "ve 1/1",
            "ve1prov/18446744073709551616",
        ] {
            let err = bad.parse::<OfferingId>().unwrap_err();
            assert_eq!(err.kind, "offering", "{bad}");
            assert_eq!(err.input, bad);
        }
        assert!("a/1".parse::<AllocationId>().is_err());
        assert!("a/1/0".parse::<AllocationId>().is_err());
        assert!("a/1/b".parse::<BidId>().is_err());
        assert!("a/1/b/c".parse::<BidId>().is_err());
        assert!("a/1/b/0".parse::<BidId>().is_err());
        let err = "ve1prov/01".parse::<OfferingId>().unwrap_err();
        assert!(err.to_string().contains("leading zeros"), "{err}");
    }

    #[test]
    fn largest_sequence_parses() {
        let id: OrderId = format!("c/{}", u64::MAX).parse().unwrap();
        assert_eq!(id.sequence, u64::MAX);
    }
}
