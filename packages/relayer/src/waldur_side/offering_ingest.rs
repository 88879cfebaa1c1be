//! Waldur -> chain offering ingest (the mapping spec's VE-3D): offerings
//! created in the provider's Waldur (not by the offering sync) become
//! signed `offering_ingest` callbacks, which the marketplace turns into
//! the provider's offerings. A checksum per Waldur offering, kept in the
//! relayer database, sends only what changed; the callback id carries the
//! checksum, so a re-send of the same version is `already_processed`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use ve_types::callback::OfferingIngestPayload;
use ve_types::price::from_waldur_price;
use ve_types::{ActionType, Category, OfferingFields, OfferingState, Pricing, PricingModel};
use waldur::Offering;

use crate::chain::signer::CallbackDraft;
use crate::runtime::outbox::{EntryState, Outbox, OutboxError};
use crate::waldur_side::offering_sync::DurationHistogram;
use crate::waldur_side::port::offerings::OfferingListing;
use crate::waldur_side::port::WaldurError;

/// Per Waldur offering, what was last queued for the chain.
const SENT: &str = "ingest_sent:";

/// The last version of a Waldur offering queued for the chain. `version`
/// counts the changes sent, so content that returns to an earlier state
/// (A -> B -> A) is a new callback, not a repeat of the first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct SentVersion {
    checksum: String,
    version: u64,
}
const NAME_CHARS: usize = 255;

/// The ingest's figures for `/metrics` (the specification's "Prometheus
/// Metrics" table). One ingestion attempt is one offering version sent:
/// an `offering_ingest` callback queued for a new or changed Waldur
/// offering. Its end is read from the outbox after each pass.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IngestStats {
    /// `waldur_ingests_total`: ingest callbacks queued.
    pub total: u64,
    /// `waldur_ingests_successful`: ingest callbacks the chain confirmed.
    pub successful: u64,
    /// `waldur_ingests_failed`: refusals of ingest callbacks by the chain,
    /// each one (the outbox retries until the dead letters).
    pub failed: u64,
    /// `waldur_ingests_dead_lettered`: ingest callbacks given up on.
    pub dead_lettered: u64,
    /// `waldur_offerings_created`: confirmed first ingests of a Waldur
    /// offering (no checksum of it was recorded before).
    pub created: u64,
    /// `waldur_offerings_updated`: confirmed later ingests.
    pub updated: u64,
    /// `waldur_drift_detected`: polls that found an offering's Waldur
    /// content changed since it was last sent.
    pub drift_detected: u64,
    /// `waldur_ingest_duration_seconds`: whole polls, failed ones included.
    pub duration: DurationHistogram,
}

/// An ingest callback the chain has not settled yet.
#[derive(Debug, Clone, Copy)]
struct Unsettled {
    first_ingest: bool,
    /// Refusals (the entry's `attempts`) already counted.
    refusals_counted: u32,
}

/// Generic over its Waldur port: the adapter's client, or a scripted one.
pub struct OfferingIngest<W> {
    waldur: W,
    /// The provider's Waldur customer (organisation).
    pub customer_uuid: String,
    /// Waldur category UUID -> chain category (unmapped: compute).
    pub categories: BTreeMap<String, Category>,
    pub denom: String,
    pub denom_decimals: u32,
    store: Arc<Outbox>,
    stats: IngestStats,
    /// By callback id; in memory only, like the counters it feeds.
    unsettled: BTreeMap<String, Unsettled>,
    /// Versions drafted by the last poll, recorded by `commit`.
    uncommitted: Vec<(String, SentVersion)>,
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

impl<W: OfferingListing> OfferingIngest<W> {
    pub fn new(
        waldur: W,
        customer_uuid: String,
        denom: String,
        denom_decimals: u32,
        store: Arc<Outbox>,
    ) -> Self {
        OfferingIngest {
            waldur,
            customer_uuid,
            categories: BTreeMap::new(),
            denom,
            denom_decimals,
            store,
            stats: IngestStats::default(),
            unsettled: BTreeMap::new(),
            uncommitted: Vec::new(),
        }
    }

    pub fn stats(&self) -> &IngestStats {
        &self.stats
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
        let category = o
            .category_uuid
            .as_ref()
            .and_then(|c| self.categories.get(c).copied())
            .unwrap_or(Category::Compute);
        let model = model_of(o.offering_type.as_deref().unwrap_or_default());
        let offering = OfferingFields::new(
            name,
            o.description.clone().unwrap_or_default(),
            category,
            Pricing::new(model, self.denom.clone(), price, vec![]),
        );
        Some((uuid, OfferingIngestPayload { offering, state }))
    }

    /// Drafts for the Waldur offerings that are new or changed since the
    /// last call. Nothing is recorded until [`OfferingIngest::commit`],
    /// called once the drafts are in the outbox: a crash in between drafts
    /// the same callbacks (same ids) again.
    pub async fn poll(&mut self) -> Result<Vec<CallbackDraft>, WaldurError> {
        let started = Instant::now();
        let result = self.changed_offerings().await;
        self.stats.duration.observe(started.elapsed());
        result
    }

    async fn changed_offerings(&mut self) -> Result<Vec<CallbackDraft>, WaldurError> {
        let offerings = self
            .waldur
            .customer_offerings(&self.customer_uuid)
            .await
            .map_err(fail)?;
        let mut drafts = Vec::new();
        for o in &offerings {
            let Some((uuid, payload)) = self.to_chain(o) else {
                continue;
            };
            let bytes = serde_json::to_vec(&payload).map_err(fail)?;
            let checksum = hex::encode(Sha256::digest(&bytes));
            let key = format!("{SENT}{uuid}");
            let known: Option<SentVersion> = self.store.state(&key).map_err(fail)?;
            if known.as_ref().map(|k| k.checksum.as_str()) == Some(checksum.as_str()) {
                continue;
            }
            let version = known.as_ref().map_or(Some(1), |k| k.version.checked_add(1));
            let version = version.ok_or_else(|| fail("ingest version overflow"))?;
            let callback_id = format!("ingest:{uuid}:v{version}:{}", &checksum[..16]);
            if known.is_some() {
                self.stats.drift_detected += 1;
            }
            // An id already in the outbox (drafted before a crash that came
            // before `commit`) is not queued again: no new attempt.
            if self.store.get(&callback_id).map_err(fail)?.is_none() {
                self.stats.total += 1;
                self.unsettled.insert(
                    callback_id.clone(),
                    Unsettled {
                        first_ingest: known.is_none(),
                        refusals_counted: 0,
                    },
                );
            }
            drafts.push(CallbackDraft {
                callback_id,
                action: ActionType::OfferingIngest,
                waldur_id: uuid.clone(),
                entity_id: uuid,
                payload: bytes,
            });
            self.uncommitted
                .push((key, SentVersion { checksum, version }));
        }
        Ok(drafts)
    }

    /// Records the drafts of the last poll as sent: call once they are in
    /// the outbox.
    pub fn commit(&mut self) -> Result<(), WaldurError> {
        for (key, sent) in self.uncommitted.drain(..) {
            self.store.save_state(&key, &sent).map_err(fail)?;
        }
        Ok(())
    }

    /// Reads the outbox for the ingest callbacks not settled yet and counts
    /// refusals, confirmations (created or updated) and dead letters. Run
    /// after each pass; a callback settles once, so a dead letter an
    /// operator reprocesses later is not counted again.
    pub fn settle(&mut self) -> Result<(), OutboxError> {
        let mut settled = Vec::new();
        for (id, sent) in self.unsettled.iter_mut() {
            let Some(entry) = self.store.get(id)? else {
                settled.push(id.clone());
                continue;
            };
            let refusals = entry.attempts.saturating_sub(sent.refusals_counted);
            self.stats.failed += u64::from(refusals);
            sent.refusals_counted = entry.attempts;
            match entry.state {
                EntryState::Pending => continue,
                EntryState::Done => {
                    self.stats.successful += 1;
                    if sent.first_ingest {
                        self.stats.created += 1;
                    } else {
                        self.stats.updated += 1;
                    }
                }
                EntryState::DeadLetter => self.stats.dead_lettered += 1,
                EntryState::Superseded => {}
            }
            settled.push(id.clone());
        }
        for id in settled {
            self.unsettled.remove(&id);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::signer::Signer;

    /// A Waldur that is never asked: `settle` reads only the outbox.
    struct Unused;

    impl OfferingListing for Unused {
        async fn customer_offerings(&self, _: &str) -> Result<Vec<Offering>, waldur::Error> {
            Err(waldur::Error::InvalidArgument(
                "not asked in this test".into(),
            ))
        }
    }

    fn ingest_with(store: Arc<Outbox>) -> OfferingIngest<Unused> {
        OfferingIngest::new(Unused, "c".into(), "uvirt".into(), 6, store)
    }

    /// Queues a callback as `poll` and the engine would.
    fn queue(ingest: &mut OfferingIngest<Unused>, id: &str, first_ingest: bool) {
        let draft = CallbackDraft {
            callback_id: id.into(),
            action: ActionType::OfferingIngest,
            waldur_id: "w".into(),
            entity_id: "w".into(),
            payload: b"{}".to_vec(),
        };
        let signed = Signer::new([4; 32], "k", "p", "chain", "contract")
            .sign(&draft, 1)
            .expect("sign");
        assert!(ingest.store.enqueue(signed, 1).expect("enqueue"));
        ingest.stats.total += 1;
        ingest.unsettled.insert(
            id.into(),
            Unsettled {
                first_ingest,
                refusals_counted: 0,
            },
        );
    }

    #[test]
    fn settle_counts_refusals_once_and_each_callback_end_once() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Arc::new(Outbox::open(&dir.path().join("o.redb"), 3).expect("outbox"));
        let mut ingest = ingest_with(store.clone());
        queue(&mut ingest, "ingest:a:1", true);
        queue(&mut ingest, "ingest:b:1", false);

        store.mark_failed("ingest:a:1", "refused", 2).expect("fail");
        store.mark_failed("ingest:b:1", "refused", 2).expect("fail");
        ingest.settle().expect("settle");
        ingest.settle().expect("settle again: nothing new");
        assert_eq!(ingest.stats().failed, 2);
        assert_eq!(ingest.stats().successful, 0);

        // a: two more refusals, the last one makes it a dead letter;
        // b: confirmed on its second try, an update.
        store.mark_failed("ingest:a:1", "refused", 3).expect("fail");
        assert_eq!(
            store.mark_failed("ingest:a:1", "refused", 3).expect("fail"),
            EntryState::DeadLetter
        );
        store.mark_done("ingest:b:1", 3).expect("done");
        ingest.settle().expect("settle");
        let s = ingest.stats();
        assert_eq!(
            (s.total, s.successful, s.failed, s.dead_lettered),
            (2, 1, 4, 1)
        );
        assert_eq!((s.created, s.updated), (0, 1));
        assert!(ingest.unsettled.is_empty());

        // A reprocessed dead letter confirmed later is not counted again.
        let dead = store.get("ingest:a:1").expect("get").expect("entry");
        store
            .reprocess("ingest:a:1", dead.callback, 4)
            .expect("reprocess");
        store.mark_done("ingest:a:1", 5).expect("done");
        ingest.settle().expect("settle");
        assert_eq!((ingest.stats().successful, ingest.stats().created), (1, 0));
    }
}
