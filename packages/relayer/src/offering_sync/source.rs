//! Where the sync reads offerings: always the chain's current state, never
//! the event (an event says *that* something changed; what Waldur must
//! show is whatever the chain holds when the sync runs).

use marketplace::msg::{OfferingResponse, OfferingsResponse, QueryMsg};

use crate::chain::embedded::EmbeddedChain;
use crate::chain::ChainError;

/// Page size of the provider listing.
const PAGE: u32 = 30;

/// Async because a node answers over the network (an RPC client makes
/// smart queries); the embedded chain answers at once. Futures need not be
/// `Send`, as for `ChainClient`.
#[allow(async_fn_in_trait)]
pub trait OfferingReader {
    /// The offering, or `None` if the chain has no such offering.
    async fn offering(&self, offering_id: &str) -> Result<Option<OfferingResponse>, ChainError>;
    /// Every offering of `provider`, in ID order.
    async fn provider_offerings(&self, provider: &str)
        -> Result<Vec<OfferingResponse>, ChainError>;
}

impl OfferingReader for EmbeddedChain {
    async fn offering(&self, offering_id: &str) -> Result<Option<OfferingResponse>, ChainError> {
        let query = QueryMsg::Offering {
            offering_id: offering_id.to_string(),
        };
        match self
            .app
            .wrap()
            .query_wasm_smart::<OfferingResponse>(self.marketplace.clone(), &query)
        {
            Ok(found) => Ok(Some(found)),
            // The contract answers "not found" with an error; tell it from
            // other errors by listing the provider's offerings rather than
            // by matching the message text.
            Err(error) => {
                let provider = offering_id.rsplit_once('/').map_or("", |(p, _)| p);
                let listed = self.provider_offerings(provider).await.unwrap_or_default();
                if listed.iter().any(|o| o.id == offering_id) {
                    Err(ChainError::Refused(error.to_string()))
                } else {
                    Ok(None)
                }
            }
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
            let page: OfferingsResponse = self
                .app
                .wrap()
                .query_wasm_smart(self.marketplace.clone(), &query)
                .map_err(|e| ChainError::Refused(e.to_string()))?;
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
