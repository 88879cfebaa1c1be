//! What wasmd would charge for an execute, in SDK gas, besides the VM gas
//! the benches measure: the contract setup (instance) cost, the store's
//! read/write gas, and the event gas. The VM figure alone leaves out the
//! storage, which on a chain is most of the bill.
//!
//! Constants are wasmd's and the Cosmos SDK's defaults:
//! - `x/wasm/types/gas_register.go` (wasmd 0.5x, wasmvm 3): instance cost
//!   60,000 (2,000 when the code is pinned), 10 per event attribute, 20 per
//!   custom event, 1 per attribute byte after a free 100 bytes per execute,
//!   1 per byte of custom event type, 0 per message byte.
//! - `store/types/gas.go` `KVGasConfig` and `store/gaskv`: read 1,000 + 3 per
//!   key and value byte, write 2,000 + 30 per key and value byte, has 1,000,
//!   delete 1,000, each iterator step 30 + 3 per key and value byte.
//! - A contract's keys reach that store behind wasmd's prefix: one byte
//!   (`ContractStorePrefix`) and the 32-byte contract address.
//! - x/auth `DefaultTxSizeCostPerByte`: 10 per byte of the transaction.

use cosmwasm_std::{Order, Record, Response};
use cosmwasm_vm::testing::MockStorage;
use cosmwasm_vm::{BackendResult, Storage};

pub const INSTANCE_COST: u64 = 60_000;
pub const INSTANCE_COST_PINNED: u64 = 2_000;
pub const PER_ATTRIBUTE: u64 = 10;
pub const PER_CUSTOM_EVENT: u64 = 20;
pub const PER_ATTRIBUTE_BYTE: u64 = 1;
pub const ATTRIBUTE_FREE_BYTES: u64 = 100;

pub const READ_FLAT: u64 = 1_000;
pub const READ_PER_BYTE: u64 = 3;
pub const WRITE_FLAT: u64 = 2_000;
pub const WRITE_PER_BYTE: u64 = 30;
pub const HAS: u64 = 1_000;
pub const DELETE: u64 = 1_000;
pub const ITER_STEP: u64 = 30;

/// `0x03` + a 32-byte contract address, in front of every contract key.
pub const CONTRACT_KEY_PREFIX: u64 = 33;

/// x/auth's default `TxSizeCostPerByte`: the ante handler charges every byte
/// of the signed transaction, so a message's JSON costs this per byte
/// before the contract runs (the envelope, signature and fee come on top).
pub const TX_SIZE_PER_BYTE: u64 = 10;

/// The ante handler's gas for `bytes` of message in the transaction.
pub fn tx_size_gas(bytes: usize) -> u64 {
    bytes as u64 * TX_SIZE_PER_BYTE
}

/// The SDK gas of one execute (or query) apart from its VM gas.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Charges {
    pub storage: u64,
    pub events: u64,
}

impl Charges {
    /// Everything wasmd charges the transaction for this call:
    /// setup + storage + events + VM gas / 140,000.
    pub fn total(&self, vm_gas: u64, pinned: bool) -> u64 {
        let setup = if pinned {
            INSTANCE_COST_PINNED
        } else {
            INSTANCE_COST
        };
        setup + self.storage + self.events + vm_gas / crate::VM_GAS_PER_SDK_GAS
    }
}

/// wasmd's event gas for a response: its `wasm` attributes and its custom
/// events, with the free bytes taken from the attributes first.
pub fn event_gas(res: &Response) -> u64 {
    let mut free = ATTRIBUTE_FREE_BYTES;
    let mut attribute_gas = |attrs: &[cosmwasm_std::Attribute]| -> u64 {
        if attrs.is_empty() {
            return 0;
        }
        let bytes: u64 = attrs
            .iter()
            .map(|a| (a.key.len() + a.value.len()) as u64)
            .sum();
        let charged = bytes.saturating_sub(free);
        free = free.saturating_sub(bytes);
        charged * PER_ATTRIBUTE_BYTE + attrs.len() as u64 * PER_ATTRIBUTE
    };
    let mut gas = attribute_gas(&res.attributes);
    for event in &res.events {
        gas += PER_CUSTOM_EVENT + event.ty.len() as u64 * PER_ATTRIBUTE_BYTE;
        gas += attribute_gas(&event.attributes);
    }
    gas
}

/// The VM's mock storage, tallying the SDK store gas of every access.
#[derive(Default)]
pub struct MeteredStorage {
    inner: MockStorage,
    gas: std::cell::Cell<u64>,
    /// Iterators whose first item has been charged by `scan` (the SDK
    /// charges it when the iterator is made and again when stepping off it).
    seeked: std::collections::HashSet<u32>,
}

impl MeteredStorage {
    /// Store gas since the last call.
    pub fn take_gas(&mut self) -> u64 {
        self.gas.take()
    }

    fn charge(&self, gas: u64) {
        self.gas.set(self.gas.get() + gas);
    }

    fn key_bytes(key: &[u8]) -> u64 {
        CONTRACT_KEY_PREFIX + key.len() as u64
    }

    fn charge_step(&self, record: &Record) {
        self.charge(
            ITER_STEP + READ_PER_BYTE * (Self::key_bytes(&record.0) + record.1.len() as u64),
        );
    }
}

impl Storage for MeteredStorage {
    fn get(&self, key: &[u8]) -> BackendResult<Option<Vec<u8>>> {
        let (res, gas) = self.inner.get(key);
        let value_len = match &res {
            Ok(Some(v)) => v.len() as u64,
            _ => 0,
        };
        self.charge(READ_FLAT + READ_PER_BYTE * (Self::key_bytes(key) + value_len));
        (res, gas)
    }

    fn scan(
        &mut self,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
    ) -> BackendResult<u32> {
        let (res, gas) = self.inner.scan(start, end, order);
        if let Ok(id) = res {
            // Making the iterator seeks to (and charges) its first item.
            self.seeked.insert(id);
        }
        (res, gas)
    }

    fn next(&mut self, iterator_id: u32) -> BackendResult<Option<Record>> {
        let (res, gas) = self.inner.next(iterator_id);
        if let Ok(Some(record)) = &res {
            if self.seeked.remove(&iterator_id) {
                self.charge_step(record);
            }
            self.charge_step(record);
        } else {
            self.seeked.remove(&iterator_id);
        }
        (res, gas)
    }

    fn set(&mut self, key: &[u8], value: &[u8]) -> BackendResult<()> {
        self.charge(WRITE_FLAT + WRITE_PER_BYTE * (Self::key_bytes(key) + value.len() as u64));
        self.inner.set(key, value)
    }

    fn remove(&mut self, key: &[u8]) -> BackendResult<()> {
        self.charge(DELETE);
        self.inner.remove(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::Event;

    #[test]
    fn reads_and_writes_are_charged_with_the_contract_prefix() {
        let mut s = MeteredStorage::default();
        s.set(b"key", b"value").0.unwrap();
        assert_eq!(s.take_gas(), 2_000 + 30 * (33 + 3 + 5));
        assert_eq!(s.get(b"key").0.unwrap(), Some(b"value".to_vec()));
        assert_eq!(s.take_gas(), 1_000 + 3 * (33 + 3 + 5));
        assert_eq!(s.get(b"missing").0.unwrap(), None);
        assert_eq!(s.take_gas(), 1_000 + 3 * (33 + 7));
        s.remove(b"key").0.unwrap();
        assert_eq!(s.take_gas(), 1_000);
        assert_eq!(s.take_gas(), 0, "take_gas resets the tally");
    }

    #[test]
    fn iteration_charges_each_item_and_the_first_twice() {
        let mut s = MeteredStorage::default();
        for k in [b"a1", b"a2", b"a3"] {
            s.set(k, b"vv").0.unwrap();
        }
        s.take_gas();
        let id = s.scan(Some(b"a"), Some(b"b"), Order::Ascending).0.unwrap();
        let step = 30 + 3 * (33 + 2 + 2);
        let mut items = 0;
        while s.next(id).0.unwrap().is_some() {
            items += 1;
        }
        assert_eq!(items, 3);
        assert_eq!(s.take_gas(), 4 * step);
        let empty = s.scan(Some(b"x"), Some(b"y"), Order::Ascending).0.unwrap();
        assert_eq!(s.next(empty).0.unwrap(), None);
        assert_eq!(s.take_gas(), 0, "an empty range reads nothing");
    }

    #[test]
    fn event_gas_spends_the_free_bytes_once_per_execute() {
        // 9 + 91 = 100 attribute bytes: exactly the free tier.
        let free = Response::new().add_attribute("123456789", "x".repeat(91));
        assert_eq!(event_gas(&free), 10);
        // 10 bytes over the free tier in a custom event "ve.t" (4 bytes).
        let over = free
            .clone()
            .add_event(Event::new("ve.t").add_attribute("k", "123456789"));
        assert_eq!(event_gas(&over), 10 + 20 + 4 + 10 + 10);
        assert_eq!(event_gas(&Response::new()), 0);
    }

    #[test]
    fn total_adds_setup_and_vm_gas() {
        let c = Charges {
            storage: 5_000,
            events: 300,
        };
        assert_eq!(c.total(1_400_000, false), 60_000 + 5_300 + 10);
        assert_eq!(c.total(1_400_000, true), 2_000 + 5_300 + 10);
    }
}
