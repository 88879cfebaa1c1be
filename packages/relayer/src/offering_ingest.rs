//! Waldur -> chain offering ingest (the mapping spec's VE-3D): offerings
//! created in the provider's Waldur (not by the offering sync) become
//! signed `offering_ingest` callbacks, which the marketplace turns into
//! the provider's offerings. A checksum per Waldur offering, kept in the
//! relayer database, sends only what changed; the callback id carries the
//! checksum, so a re-send of the same version is `already_processed`.

use std::collections::BTreeMap;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use ve_types::callback::OfferingIngestPayload;
use ve_types::price::from_waldur_price;
use ve_types::{ActionType, Category, OfferingFields, OfferingState, Pricing, PricingModel};
use waldur::{Offering, OfferingFilter, WaldurClient};

use crate::outbox::Outbox;
use crate::signer::CallbackDraft;
use crate::waldur_port::WaldurError;

const CHECKSUMS: &str = "ingest:";
const NAME_CHARS: usize = 255;

pub struct OfferingIngest {
    client: WaldurClient,
    /// The provider's Waldur customer (organisation).
    pub customer_uuid: String,
    /// Waldur category UUID -> chain category (unmapped: compute).
    pub categories: BTreeMap<String, Category>,
    pub denom: String,
    pub denom_decimals: u32,
    store: Arc<Outbox>,
}

fn fail(e: impl std::fmt::Display) -> WaldurError {
    WaldurError::Api(e.to_string())
}

fn model_of(waldur_type: &str) -> PricingModel {
    match waldur_type {
        "Support.PerDay" => PricingModel::Daily,
        "Support.Monthly" => PricingModel::Monthly,
        "Support.Usage" => PricingModel::UsageBased,
        "Support.OneTime" => PricingModel::Fixed,
        _ => PricingModel::Hourly,
    }
}

impl OfferingIngest {
    pub fn new(
        client: WaldurClient,
        customer_uuid: String,
        denom: String,
        denom_decimals: u32,
        store: Arc<Outbox>,
    ) -> Self {
        OfferingIngest {
            client,
            customer_uuid,
            categories: BTreeMap::new(),
            denom,
            denom_decimals,
            store,
        }
    }

    /// The chain form of a Waldur offering; `None` for one the chain does
    /// not take (a draft, one the offering sync created from the chain, one
    /// without a usable price).
    pub fn to_chain(&self, o: &Offering) -> Option<(String, OfferingIngestPayload)> {
        let uuid = o.uuid.clone()?;
        // Offerings the relayer's own sync created carry the chain id.
        if o.attributes.get("ve_offering_id").is_some() {
            return None;
        }
        let state = OfferingState::from_waldur(o.state.as_ref()?.as_str())?;
        let price = o
            .plans
            .iter()
            .filter(|p| p.archived != Some(true))
            .find_map(|p| p.unit_price.as_ref())
            .and_then(|d| from_waldur_price(d.as_str(), self.denom_decimals).ok())
            .filter(|p| !p.is_zero())?;
        let name: String = o
            .name
            .clone()
            .unwrap_or_default()
            .chars()
            .take(NAME_CHARS)
            .collect();
        let offering = OfferingFields {
            name,
            description: o.description.clone().unwrap_or_default(),
            category: o
                .category_uuid
                .as_ref()
                .and_then(|c| self.categories.get(c).copied())
                .unwrap_or(Category::Compute),
            pricing: Pricing {
                model: model_of(o.offering_type.as_deref().unwrap_or_default()),
                denom: self.denom.clone(),
                base_price: price,
                components: vec![],
                minimum_commitment_seconds: 0,
            },
            regions: vec![],
            tags: vec![],
            specifications: BTreeMap::new(),
            min_identity_score: 0,
            require_mfa_for_orders: false,
        };
        Some((uuid, OfferingIngestPayload { offering, state }))
    }

    /// Drafts for the Waldur offerings that are new or changed since the
    /// last call. The checksum is saved when the draft is made: the outbox
    /// (written next, same pass) carries it to the chain.
    pub async fn poll(&mut self) -> Result<Vec<CallbackDraft>, WaldurError> {
        let filter = OfferingFilter {
            customer_uuid: Some(self.customer_uuid.clone()),
            ..OfferingFilter::default()
        };
        let offerings = self.client.list_offerings(&filter).await.map_err(fail)?;
        let mut drafts = Vec::new();
        for o in &offerings {
            let Some((uuid, payload)) = self.to_chain(o) else {
                continue;
            };
            let bytes = serde_json::to_vec(&payload).map_err(fail)?;
            let checksum = hex::encode(Sha256::digest(&bytes));
            let key = format!("{CHECKSUMS}{uuid}");
            let known: Option<String> = self
                .store
                .states_with_prefix::<String>(&key)
                .map_err(fail)?
                .into_iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v);
            if known.as_deref() == Some(checksum.as_str()) {
                continue;
            }
            drafts.push(CallbackDraft {
                callback_id: format!("ingest:{uuid}:{}", &checksum[..16]),
                action: ActionType::OfferingIngest,
                waldur_id: uuid.clone(),
                entity_id: uuid,
                payload: bytes,
            });
            self.store.save_state(&key, &checksum).map_err(fail)?;
        }
        Ok(drafts)
    }
}
