//! The raw state of a VirtEngine contract as JSON.
//!
//! The contracts keep their records packed (`ve_cw::store`: postcard
//! values under cw-storage-plus keys), so `wasmd query wasm contract-state
//! all` shows opaque bytes. This crate reads that answer and decodes every
//! record with the contracts' own state types: namespace, key parts and
//! value as the contract's JSON would write them (`Uint128` and
//! `Timestamp` as decimal strings, addresses as strings, `Binary` as
//! base64). A record it cannot decode is listed with the reason, never
//! dropped. The layout is described in docs/state-layout.md.

pub mod keys;
pub mod namespaces;

use std::fmt;
use std::str::FromStr;

use cosmwasm_std::Binary;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::namespaces::{Kind, Namespace, CW2_KEY};

/// The four contracts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Contract {
    Marketplace,
    Settlement,
    Hpc,
    WaldurCallback,
}

impl Contract {
    pub const ALL: [Contract; 4] = [
        Contract::Marketplace,
        Contract::Settlement,
        Contract::Hpc,
        Contract::WaldurCallback,
    ];

    /// The short name (the CLI's `--contract`, the artifact's name).
    pub fn name(self) -> &'static str {
        match self {
            Contract::Marketplace => "marketplace",
            Contract::Settlement => "settlement",
            Contract::Hpc => "hpc",
            Contract::WaldurCallback => "waldur-callback",
        }
    }

    /// The name the contract records with cw2.
    pub fn cw2_name(self) -> &'static str {
        match self {
            Contract::Marketplace => marketplace::contract::CONTRACT_NAME,
            Contract::Settlement => settlement::contract::CONTRACT_NAME,
            Contract::Hpc => hpc::contract::CONTRACT_NAME,
            Contract::WaldurCallback => waldur_callback::contract::CONTRACT_NAME,
        }
    }

    pub fn from_cw2_name(name: &str) -> Option<Contract> {
        Contract::ALL.into_iter().find(|c| c.cw2_name() == name)
    }
}

impl fmt::Display for Contract {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Contract {
    type Err = Error;

    fn from_str(name: &str) -> Result<Self, Error> {
        Contract::ALL
            .into_iter()
            .find(|c| c.name() == name || c.cw2_name() == name)
            .ok_or_else(|| Error::UnknownContract(name.to_string()))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not the JSON of `wasmd query wasm contract-state all`: {0}")]
    Dump(String),
    #[error("unknown contract {0:?} (marketplace, settlement, hpc or waldur-callback)")]
    UnknownContract(String),
    #[error("no cw2 contract_info record in the state: name the contract")]
    NoContractInfo,
    #[error("the state's cw2 record names {found:?}, not {expected}")]
    WrongContract { expected: Contract, found: String },
}

/// One key/value pair of the contract's store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawRecord {
    pub key: Vec<u8>,
    pub value: Vec<u8>,
}

/// A model as wasmd prints it: key in hex, value in base64.
#[derive(Deserialize)]
struct Model {
    key: String,
    value: String,
}

#[derive(Deserialize)]
struct Page {
    models: Vec<Model>,
}

fn page_records(page: Value, records: &mut Vec<RawRecord>) -> Result<(), Error> {
    let page: Page = serde_json::from_value(page).map_err(|e| Error::Dump(e.to_string()))?;
    for model in page.models {
        let key = hex::decode(&model.key)
            .map_err(|e| Error::Dump(format!("key {:?} is not hex: {e}", model.key)))?;
        let value = Binary::from_base64(&model.value)
            .map_err(|e| Error::Dump(format!("value of key {}: {e}", model.key)))?;
        records.push(RawRecord {
            key,
            value: value.to_vec(),
        });
    }
    Ok(())
}

/// The records of one or more `contract-state all --output json` answers:
/// pages one after the other (concatenated or one per line), or a JSON
/// array of pages.
pub fn parse_dump(text: &str) -> Result<Vec<RawRecord>, Error> {
    let mut records = Vec::new();
    for document in serde_json::Deserializer::from_str(text).into_iter::<Value>() {
        match document.map_err(|e| Error::Dump(e.to_string()))? {
            Value::Array(pages) => {
                for page in pages {
                    page_records(page, &mut records)?;
                }
            }
            page => page_records(page, &mut records)?,
        }
    }
    Ok(records)
}

/// The records as wasmd prints them (one page, no next key): for tests
/// and for feeding a state dump from elsewhere to the CLI.
pub fn to_dump(records: &[RawRecord]) -> Value {
    let models: Vec<Value> = records
        .iter()
        .map(|r| {
            serde_json::json!({
                "key": hex::encode_upper(&r.key),
                "value": Binary::from(r.value.as_slice()).to_base64(),
            })
        })
        .collect();
    serde_json::json!({
        "models": models,
        "pagination": {"next_key": null, "total": "0"},
    })
}

/// A decoded record.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DecodedRecord {
    pub namespace: &'static str,
    pub kind: Kind,
    /// The key's parts (empty for an item; the index key for an index entry).
    pub key: Vec<Value>,
    /// For an index entry: the key of the record it lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_key: Option<Vec<Value>>,
    pub value_type: &'static str,
    pub value: Value,
}

/// A record that could not be decoded, as wasmd printed it, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Undecoded {
    /// Hex, as wasmd prints keys.
    pub key: String,
    /// Base64, as wasmd prints values.
    pub value: String,
    pub reason: String,
}

/// The decoded state of one contract.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DecodedState {
    pub contract: Contract,
    pub records: Vec<DecodedRecord>,
    pub undecoded: Vec<Undecoded>,
}

impl DecodedState {
    /// The decoded records of `namespace`.
    pub fn in_namespace<'s>(
        &'s self,
        namespace: &'s str,
    ) -> impl Iterator<Item = &'s DecodedRecord> + 's {
        self.records
            .iter()
            .filter(move |r| r.namespace == namespace)
    }
}

/// The contract the state's cw2 record names.
pub fn detect(records: &[RawRecord]) -> Result<Contract, Error> {
    let info = records
        .iter()
        .find(|r| r.key == CW2_KEY.as_bytes())
        .ok_or(Error::NoContractInfo)?;
    let info: cw2::ContractVersion = serde_json::from_slice(&info.value)
        .map_err(|e| Error::Dump(format!("the cw2 record is not a ContractVersion: {e}")))?;
    Contract::from_cw2_name(&info.contract).ok_or(Error::UnknownContract(info.contract))
}

/// The namespace a raw key belongs to and the key's bytes after its name.
fn split_namespace<'k>(
    namespaces: &'k [Namespace],
    key: &'k [u8],
) -> Result<(&'k Namespace, &'k [u8]), String> {
    // Items are stored under their bare name.
    if let Some(item) = namespaces
        .iter()
        .find(|n| n.kind == Kind::Item && n.name.as_bytes() == key)
    {
        return Ok((item, &[]));
    }
    let mut reader = keys::KeyReader::new(key);
    let name = reader
        .prefixed()
        .map_err(|e| format!("neither an item nor a namespaced key: {e}"))?;
    namespaces
        .iter()
        .find(|n| n.kind != Kind::Item && n.name.as_bytes() == name)
        .map(|n| (n, reader.rest()))
        .ok_or_else(|| {
            format!(
                "no namespace {:?} in this contract",
                String::from_utf8_lossy(name)
            )
        })
}

/// Decodes every record of `contract`'s state. With `contract` unset it is
/// taken from the state's cw2 record; when both are there they must agree.
pub fn decode(contract: Option<Contract>, records: &[RawRecord]) -> Result<DecodedState, Error> {
    let contract = match (contract, detect(records)) {
        (Some(expected), Ok(found)) if expected != found => {
            return Err(Error::WrongContract {
                expected,
                found: found.cw2_name().to_string(),
            })
        }
        (Some(expected), Err(Error::UnknownContract(found))) => {
            return Err(Error::WrongContract { expected, found })
        }
        (Some(expected), _) => expected,
        (None, detected) => detected?,
    };
    let namespaces = namespaces::of(contract);
    let mut decoded = DecodedState {
        contract,
        records: Vec::new(),
        undecoded: Vec::new(),
    };
    for record in records {
        let parts = split_namespace(&namespaces, &record.key).and_then(|(namespace, key)| {
            (namespace.decode)(key, &record.value).map(|parts| (namespace, parts))
        });
        match parts {
            Ok((namespace, parts)) => decoded.records.push(DecodedRecord {
                namespace: namespace.name,
                kind: namespace.kind,
                key: parts.key,
                primary_key: parts.primary_key,
                value_type: namespace.value_type,
                value: parts.value,
            }),
            Err(reason) => decoded.undecoded.push(Undecoded {
                key: hex::encode_upper(&record.key),
                value: Binary::from(record.value.as_slice()).to_base64(),
                reason,
            }),
        }
    }
    Ok(decoded)
}
