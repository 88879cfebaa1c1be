//! The interface of the four VirtEngine contracts: what each one accepts
//! (instantiate, execute, query and migrate messages), what its queries
//! answer, and the records those answers carry. Clients (the relayer) and
//! the contracts that call each other depend on this crate instead of on
//! the contracts. The contracts keep their storage (maps, indexes) and
//! re-export these types from their `msg` and `state` modules.

pub mod admin;
pub mod hpc;
pub mod marketplace;
pub mod settlement;
pub mod waldur_callback;

#[cfg(test)]
mod tests {
    use cosmwasm_std::{from_json, to_json_string};

    use crate::hpc::msg::{ConfigUpdate, ExecuteMsg};

    /// A payload variant (`UpdateConfig(ConfigUpdate)`) speaks the JSON of
    /// the struct variant it replaced.
    #[test]
    fn a_payload_variant_keeps_the_struct_variants_json() {
        let msg: ExecuteMsg =
            from_json(r#"{"update_config":{"escrow_grace_seconds":7200}}"#).unwrap();
        let update = ConfigUpdate {
            admin: None,
            settlement_contract: None,
            callback_contract: None,
            escrow_grace_seconds: Some(7200),
        };
        assert_eq!(msg, ExecuteMsg::UpdateConfig(update));
        assert_eq!(
            to_json_string(&msg).unwrap(),
            r#"{"update_config":{"admin":null,"settlement_contract":null,"callback_contract":null,"escrow_grace_seconds":7200}}"#
        );
        // Unknown fields are ignored (cosmwasm-std 3's from_json), as they
        // were in the struct variant (`timeout_job` still is one).
        assert!(from_json::<ExecuteMsg>(r#"{"update_config":{"unknown":1}}"#).is_ok());
        assert!(from_json::<ExecuteMsg>(r#"{"timeout_job":{"job_id":"a","unknown":1}}"#).is_ok());
    }
}
