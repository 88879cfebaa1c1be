//! Seeds a VM instance's storage with many records written by the
//! contracts' own storage code (run natively), so scale benchmarks need not
//! execute 100,000 transactions.

use cosmwasm_std::testing::MockStorage as NativeStorage;
use cosmwasm_std::{Addr, Order, Storage, Timestamp, Uint128};
use cosmwasm_vm::{BackendResult, Storage as VmStorage};
use ve_types::{AllocationState, Category, OfferingState, UsageRecordState};

use crate::VmContract;

/// Copies every entry of a native storage into the VM instance.
pub fn copy_into(vm: &mut VmContract, native: &NativeStorage) {
    let entries: Vec<(Vec<u8>, Vec<u8>)> = native.range(None, None, Order::Ascending).collect();
    vm.instance
        .with_storage(|s| {
            for (k, v) in &entries {
                let (res, _gas): BackendResult<()> = s.set(k, v);
                res?;
            }
            Ok(())
        })
        .expect("seeding the VM storage");
}

/// `n` allocations of `customer` with `provider`, and `n` compute offerings
/// of `provider`, as the marketplace stores them.
pub fn marketplace(native: &mut NativeStorage, customer: &Addr, provider: &Addr, n: u64) {
    use marketplace::state::{allocations, offerings, Allocation, Offering};
    let now = Timestamp::from_seconds(1_700_000_000);
    for i in 1..=n {
        let a = Allocation {
            customer: customer.clone(),
            order_sequence: i,
            sequence: 1,
            provider: provider.clone(),
            offering_sequence: 1,
            state: AllocationState::Active,
            quantity: 1,
            price: Uint128::new(1_000),
            denom: "uvirt".into(),
            backend_id: Some(format!("{i:032x}")),
            reason: None,
            suspended_by: None,
            version: 3,
            created_at: now,
            updated_at: now,
        };
        allocations()
            .save(native, a.key(), &a)
            .expect("seed allocation");
        let o = Offering {
            provider: provider.clone(),
            sequence: i,
            state: OfferingState::Active,
            name: format!("Offering {i}"),
            description: "General-purpose compute".into(),
            category: Category::Compute,
            pricing: ve_types::Pricing {
                model: ve_types::PricingModel::Hourly,
                denom: "uvirt".into(),
                base_price: Uint128::new(1_000),
                components: vec![],
                minimum_commitment_seconds: 0,
            },
            regions: vec!["us-east-1".into()],
            tags: vec!["linux".into()],
            specifications: Default::default(),
            min_identity_score: 0,
            require_mfa_for_orders: false,
            state_reason: None,
            version: 1,
            total_order_count: 0,
            created_at: now,
            updated_at: now,
        };
        offerings()
            .save(native, o.key(), &o)
            .expect("seed offering");
    }
}

/// `n` usage records of one allocation (of its order's escrow), as
/// settlement stores them.
pub fn settlement(native: &mut NativeStorage, recorder: &Addr, allocation_id: &str, n: u64) {
    use settlement::state::{records, UsageRecord};
    for i in 1..=n {
        let r = UsageRecord {
            allocation_id: allocation_id.into(),
            usage_type: "hour".into(),
            units: Uint128::one(),
            unit_price: Uint128::new(10),
            cost: Uint128::new(10),
            period_start: Timestamp::from_seconds(1_600_000_000 + i * 3_600),
            period_end: Timestamp::from_seconds(1_600_000_000 + (i + 1) * 3_600),
            state: UsageRecordState::Settled,
            recorded_by: recorder.clone(),
            recorded_at: Timestamp::from_seconds(1_600_000_000 + (i + 1) * 3_600),
            dispute_reason: None,
            settlement: Some(i),
        };
        records().save(native, i, &r).expect("seed record");
    }
}
