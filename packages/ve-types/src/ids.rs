//! Entity IDs and their canonical string forms.
//!
//! | entity     | string form                          |
//! |------------|--------------------------------------|
//! | offering   | `{provider}/{sequence}`              |
//! | order      | `{customer}/{sequence}`              |
//! | allocation | `{customer}/{order_seq}/{alloc_seq}` |
//! | bid        | `{customer}/{order_seq}/{provider}/{bid_seq}` |
//! | cluster, HPC offering | `{provider}/{sequence}`   |
//! | job        | `{customer}/{sequence}`              |
//! | escrow     | `order:{order id}` or `job:{job id}` |
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
    let wrong_shape = || IdError::new(kind, input, format!("expected {shape}"));
    let mut parts = [""; N];
    let mut count = 0;
    for part in input.split('/') {
        *parts.get_mut(count).ok_or_else(wrong_shape)? = part;
        count += 1;
    }
    if count != N {
        return Err(wrong_shape());
    }
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

/// Appends `/` and the decimal digits of `sequence`.
fn push_sequence(out: &mut String, sequence: u64) {
    let mut buf = [0u8; 20];
    out.push('/');
    for &digit in crate::text::decimal_digits(sequence, &mut buf) {
        out.push(char::from(digit));
    }
}

/// Room for an ID's owner(s) and its sequences.
fn id_capacity(owners: usize, sequences: usize) -> usize {
    owners + sequences * 21
}

/// A two-part ID `{owner}/{sequence}` with its own type and error kind.
macro_rules! owner_sequence_id {
    ($(#[$meta:meta])* $name:ident { $owner:ident }, $kind:literal, $shape:literal) => {
        $(#[$meta])*
        #[cw_serde]
        #[derive(Eq, PartialOrd, Ord, Hash)]
        pub struct $name {
            pub $owner: String,
            pub sequence: u64,
        }

        impl $name {
            /// The string form, as `Display` writes it. Built directly:
            /// contracts name IDs in every event and answer, and in the VM
            /// `to_string` through the fmt machinery cost place_bid 0.8-0.9M
            /// per bid ID.
            pub fn text(&self) -> String {
                let mut out = String::with_capacity(id_capacity(self.$owner.len(), 1));
                self.push_text(&mut out);
                out
            }

            fn push_text(&self, out: &mut String) {
                out.push_str(&self.$owner);
                push_sequence(out, self.sequence);
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.text())
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                let [owner, seq] = split_parts::<2>($kind, s, $shape)?;
                check_address($kind, s, owner)?;
                Ok($name {
                    $owner: owner.to_string(),
                    sequence: parse_sequence($kind, s, seq)?,
                })
            }
        }
    };
}

owner_sequence_id!(
    /// A marketplace offering, sequenced per provider.
    OfferingId { provider }, "offering", "{provider}/{sequence}"
);
owner_sequence_id!(
    /// A marketplace order, sequenced per customer.
    OrderId { customer }, "order", "{customer}/{sequence}"
);
owner_sequence_id!(
    /// An HPC cluster, sequenced per provider.
    ClusterId { provider }, "cluster", "{provider}/{sequence}"
);
owner_sequence_id!(
    /// An HPC offering, sequenced per provider.
    HpcOfferingId { provider }, "hpc offering", "{provider}/{sequence}"
);
owner_sequence_id!(
    /// An HPC job, sequenced per customer.
    JobId { customer }, "job", "{customer}/{sequence}"
);

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

impl AllocationId {
    /// The string form, as `Display` writes it, built directly (see
    /// [`OrderId::text`]).
    pub fn text(&self) -> String {
        let mut out = String::with_capacity(id_capacity(self.customer.len(), 2));
        out.push_str(&self.customer);
        push_sequence(&mut out, self.order_sequence);
        push_sequence(&mut out, self.sequence);
        out
    }
}

impl BidId {
    /// The string form, as `Display` writes it, built directly (see
    /// [`OrderId::text`]).
    pub fn text(&self) -> String {
        let owners = self.customer.len() + 1 + self.provider.len();
        let mut out = String::with_capacity(id_capacity(owners, 2));
        out.push_str(&self.customer);
        push_sequence(&mut out, self.order_sequence);
        out.push('/');
        out.push_str(&self.provider);
        push_sequence(&mut out, self.sequence);
        out
    }
}

impl fmt::Display for AllocationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

impl fmt::Display for BidId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
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

/// The escrow of an order or a job: at most one each, so the escrow is
/// named after what it pays for.
#[cw_serde]
#[derive(Eq, PartialOrd, Ord, Hash)]
pub enum EscrowId {
    Order(OrderId),
    Job(JobId),
}

impl EscrowId {
    /// The string form, as `Display` writes it, built directly (see
    /// [`OrderId::text`]).
    pub fn text(&self) -> String {
        // One string for the whole ID: the kind, then the inner ID.
        let mut out = String::with_capacity(id_capacity("order:".len() + self.customer().len(), 1));
        match self {
            EscrowId::Order(id) => {
                out.push_str("order:");
                id.push_text(&mut out);
            }
            EscrowId::Job(id) => {
                out.push_str("job:");
                id.push_text(&mut out);
            }
        }
        out
    }
}

impl fmt::Display for EscrowId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

impl FromStr for EscrowId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        match s.split_once(':') {
            Some(("order", rest)) => Ok(EscrowId::Order(rest.parse()?)),
            Some(("job", rest)) => Ok(EscrowId::Job(rest.parse()?)),
            _ => Err(IdError::new(
                "escrow",
                s,
                "expected order:{order id} or job:{job id}",
            )),
        }
    }
}

impl EscrowId {
    /// The customer whose order or job this escrow pays for.
    pub fn customer(&self) -> &str {
        match self {
            EscrowId::Order(id) => &id.customer,
            EscrowId::Job(id) => &id.customer,
        }
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
    fn hpc_and_escrow_ids() {
        let job: JobId = "ve1cust/7".parse().unwrap();
        assert_eq!(job.to_string(), "ve1cust/7");
        let cluster: ClusterId = "ve1prov/2".parse().unwrap();
        assert_eq!(cluster.provider, "ve1prov");
        assert_eq!(
            "x/0".parse::<HpcOfferingId>().unwrap_err().kind,
            "hpc offering"
        );

        let escrow: EscrowId = "order:ve1cust/101".parse().unwrap();
        assert_eq!(escrow, EscrowId::Order("ve1cust/101".parse().unwrap()));
        assert_eq!(escrow.to_string(), "order:ve1cust/101");
        assert_eq!(escrow.customer(), "ve1cust");
        let escrow: EscrowId = "job:ve1cust/7".parse().unwrap();
        assert_eq!(escrow.to_string(), "job:ve1cust/7");
        for bad in [
            "ve1cust/1",
            "order:",
            "order:ve1cust/0",
            "deal:ve1cust/1",
            "job:a/b",
        ] {
            assert!(bad.parse::<EscrowId>().is_err(), "{bad}");
        }
        assert_eq!("x".parse::<EscrowId>().unwrap_err().kind, "escrow");
    }

    #[test]
    fn largest_sequence_parses() {
        let id: OrderId = format!("c/{}", u64::MAX).parse().unwrap();
        assert_eq!(id.sequence, u64::MAX);
        assert_eq!(id.to_string(), format!("c/{}", u64::MAX));
        for n in [1u64, 9, 10, 99, 100, 1_000_001] {
            let alloc = id.allocation(n);
            assert_eq!(alloc.to_string(), format!("c/{}/{n}", u64::MAX));
            assert_eq!(alloc.to_string().parse::<AllocationId>(), Ok(alloc));
        }
    }

    #[test]
    fn whitespace_anywhere_in_an_address_is_refused_ascii_or_not() {
        let address = "cosmwasm1kmz9scu8tc6ysl9rc92769z7lcf2w3vpufa7lmz65esm3m";
        for space in [
            ' ', '\t', '\n', '\u{b}', '\u{c}', '\r', '\u{85}', '\u{a0}', '\u{3000}',
        ] {
            for at in [0, 5, 8, 30, address.len()] {
                let owner = format!("{}{space}{}", &address[..at], &address[at..]);
                let err = format!("{owner}/1").parse::<OrderId>().unwrap_err();
                assert!(err.reason.contains("whitespace"), "{owner:?}: {err}");
            }
        }
        // Not whitespace, not ASCII: left for addr_validate to refuse.
        let accented: OrderId = "vé1cust/3".parse().unwrap();
        assert_eq!(accented.customer, "vé1cust");
    }
}
