//! Contract smart queries over `abci_query`
//! (`/cosmwasm.wasm.v1.Query/SmartContractState`); the offering sync's
//! reads go through them.

use cosmrs::proto::cosmwasm::wasm::v1::{
    QuerySmartContractStateRequest, QuerySmartContractStateResponse,
};
use cosmrs::proto::prost::Message;
use serde::de::DeserializeOwned;
use serde::Serialize;
use ve_interface::marketplace::msg::QueryMsg;

use super::{unavailable, RpcChain};
use crate::chain::ChainError;
use crate::waldur_side::offering_sync::OfferingReader;

pub const SMART_QUERY_PATH: &str = "/cosmwasm.wasm.v1.Query/SmartContractState";

impl RpcChain {
    /// A smart query of `contract`; a contract error is `Refused` with the
    /// node's log, a node that cannot answer is `Unavailable`.
    pub async fn smart_query<T: DeserializeOwned>(
        &self,
        contract: &str,
        msg: &impl Serialize,
    ) -> Result<T, ChainError> {
        let query_data = serde_json::to_vec(msg)
            .map_err(|e| ChainError::Refused(format!("query does not serialise: {e}")))?;
        let request = QuerySmartContractStateRequest {
            address: contract.to_string(),
            query_data,
        };
        let answer = self
            .node
            .abci_query(SMART_QUERY_PATH, &request.encode_to_vec())
            .await
            .map_err(unavailable)?;
        if answer.code.is_err() {
            return Err(ChainError::Refused(format!(
                "query of {contract} failed ({} {}): {}",
                answer.codespace,
                answer.code.value(),
                answer.log
            )));
        }
        let response = QuerySmartContractStateResponse::decode(answer.value.as_slice())
            .map_err(|e| ChainError::Unavailable(format!("smart query answer: {e}")))?;
        serde_json::from_slice(&response.data).map_err(|e| {
            ChainError::Unavailable(format!("{contract} answered unexpected JSON: {e}"))
        })
    }
}

impl OfferingReader for RpcChain {
    async fn query_marketplace<T: DeserializeOwned>(
        &self,
        query: &QueryMsg,
    ) -> Result<T, ChainError> {
        self.smart_query(&self.config.contracts.marketplace, query)
            .await
    }
}
