//! Where the sync reads offerings: always the chain's current state, never
//! the event (an event says *that* something changed; what Waldur must
//! show is whatever the chain holds when the sync runs).

use serde::de::DeserializeOwned;
use ve_interface::marketplace::msg::{OfferingResponse, OfferingsResponse, QueryMsg};

#[cfg(feature = "demo")]
use crate::chain::embedded::EmbeddedChain;
use crate::chain::ChainError;

/// Page size of the provider listing.
const PAGE: u32 = 30;

/// Async because a node answers over the network (an RPC client makes
/// smart queries); the embedded chain answers at once. Futures need not be
/// `Send`, as for `ChainClient`. A chain implements the one query; the
/// reads are written once on top of it.
#[allow(async_fn_in_trait)]
pub trait OfferingReader {
    /// A smart query of the marketplace; a contract error is `Refused`.
    async fn query_marketplace<T: DeserializeOwned>(
        &self,
        query: &QueryMsg,
    ) -> Result<T, ChainError>;

    /// The offering, or `None` if the chain has no such offering.
    async fn offering(&self, offering_id: &str) -> Result<Option<OfferingResponse>, ChainError> {
        let query = QueryMsg::Offering {
            offering_id: offering_id.to_string(),
        };
        match self.query_marketplace(&query).await {
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

    /// Every offering of `provider`, in ID order.
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
            let page: OfferingsResponse = self.query_marketplace(&query).await?;
            let full = page.offerings.len() == PAGE as usize;
            all.extend(page.offerings);
            // A short page is the last one; `start_after` moves on with
            // every full page, so this ends.
            if !full {
                return Ok(all);
            }
        }
    }
}

#[cfg(feature = "demo")]
impl OfferingReader for EmbeddedChain {
    async fn query_marketplace<T: DeserializeOwned>(
        &self,
        query: &QueryMsg,
    ) -> Result<T, ChainError> {
        self.app
            .wrap()
            .query_wasm_smart(self.marketplace.clone(), query)
            .map_err(|e| ChainError::Refused(e.to_string()))
    }
}
