//! Contract smart queries over `abci_query`
//! (`/cosmwasm.wasm.v1.Query/SmartContractState`), and the offering reads
//! the offering sync makes through them.

use cosmrs::proto::cosmwasm::wasm::v1::{
    QuerySmartContractStateRequest, QuerySmartContractStateResponse,
};
use cosmrs::proto::prost::Message;
use marketplace::msg::{OfferingResponse, OfferingsResponse, QueryMsg};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::node::base64_field;
use super::{unavailable, RpcChain};
use crate::chain::ChainError;
use crate::offering_sync::OfferingReader;

pub const SMART_QUERY_PATH: &str = "/cosmwasm.wasm.v1.Query/SmartContractState";

/// Page size of the provider listing (the contract's maximum is 100).
const PAGE: u32 = 50;

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
        if answer.code != 0 {
            return Err(ChainError::Refused(format!(
                "query of {contract} failed ({} {}): {}",
                answer.codespace, answer.code, answer.log
            )));
        }
        let value = base64_field(&answer.value).map_err(ChainError::Unavailable)?;
        let response = QuerySmartContractStateResponse::decode(value.as_slice())
            .map_err(|e| ChainError::Unavailable(format!("smart query answer: {e}")))?;
        serde_json::from_slice(&response.data).map_err(|e| {
            ChainError::Unavailable(format!("{contract} answered unexpected JSON: {e}"))
        })
    }

    fn marketplace(&self) -> &str {
        &self.config.contracts.marketplace
    }
}

impl OfferingReader for RpcChain {
    async fn offering(&self, offering_id: &str) -> Result<Option<OfferingResponse>, ChainError> {
        let query = QueryMsg::Offering {
            offering_id: offering_id.to_string(),
        };
        match self.smart_query(self.marketplace(), &query).await {
            Ok(found) => Ok(Some(found)),
            // "Not found" is a contract error like any other: tell them
            // apart by listing the provider's offerings, not by the text.
            Err(ChainError::Refused(error)) => {
                let provider = offering_id.rsplit_once('/').map_or("", |(p, _)| p);
                let listed = self.provider_offerings(provider).await?;
                if listed.iter().any(|o| o.id == offering_id) {
                    Err(ChainError::Refused(error))
                } else {
                    Ok(None)
                }
            }
            Err(other) => Err(other),
        }
    }

    async fn provider_offerings(
        &self,
        provider: &str,
    ) -> Result<Vec<OfferingResponse>, ChainError> {
        let mut all: Vec<OfferingResponse> = Vec::new();
        loop {
            let query = QueryMsg::OfferingsByProvider {
                provider: provider.to_string(),
                state: None,
                start_after: all.last().map(|o| o.id.clone()),
                limit: Some(PAGE),
            };
            let page: OfferingsResponse = self.smart_query(self.marketplace(), &query).await?;
            let full = page.offerings.len() == PAGE as usize;
            all.extend(page.offerings);
            // A short page is the last; `start_after` moves on with every
            // full page, so this ends.
            if !full {
                return Ok(all);
            }
        }
    }
}
