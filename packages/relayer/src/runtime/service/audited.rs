//! Wrappers that put every call the engine makes to the chain and to
//! Waldur in the audit log (and Waldur failures in the metrics) without
//! touching the engine: it sees an ordinary `ChainClient` and `WaldurPort`.

use std::sync::Arc;
use std::time::Instant;

use serde::de::DeserializeOwned;
use serde_json::json;
use ve_interface::marketplace::msg::QueryMsg;
use ve_interface::waldur_callback::msg::{CallbackOutcome, SignedCallback};

use crate::chain::{BilledUsage, ChainClient, ChainError, ContractEvent};
use crate::runtime::audit::AuditLog;
use crate::runtime::telemetry::Telemetry;
use crate::waldur_side::offering_sync::OfferingReader;
use crate::waldur_side::port::{
    ChainUsage, JobSubmission, JobUpdate, ProvisionedOrder, ResourceUpdate, SubmittedJob,
    UsageUpdate, WaldurError, WaldurPort,
};
use ve_types::JobState;

/// The chain, with each callback submission logged (ids and outcome).
pub struct AuditedChain<C> {
    pub inner: C,
    audit: AuditLog,
}

impl<C> AuditedChain<C> {
    pub fn new(inner: C, audit: AuditLog) -> Self {
        AuditedChain { inner, audit }
    }
}

fn callback_fields(cb: &SignedCallback) -> serde_json::Value {
    json!({
        "callback_id": cb.callback_id,
        "action_type": cb.action_type.as_str(),
        "entity_id": cb.entity_id,
        "waldur_id": cb.waldur_id,
        "nonce": cb.nonce,
        "provider_address": cb.provider,
    })
}

impl<C: ChainClient> ChainClient for AuditedChain<C> {
    fn chain_id(&self) -> String {
        self.inner.chain_id()
    }

    fn callback_contract(&self) -> String {
        self.inner.callback_contract()
    }

    async fn latest_height(&self) -> Result<u64, ChainError> {
        self.inner.latest_height().await
    }

    fn first_height(&self) -> u64 {
        self.inner.first_height()
    }
    fn max_callbacks_per_tx(&self) -> usize {
        self.inner.max_callbacks_per_tx()
    }

    async fn events(&self, from: u64, to: u64) -> Result<Vec<ContractEvent>, ChainError> {
        self.inner.events(from, to).await
    }

    async fn submit_callbacks(
        &mut self,
        callbacks: &[SignedCallback],
    ) -> Result<Vec<CallbackOutcome>, ChainError> {
        let result = self.inner.submit_callbacks(callbacks).await;
        match &result {
            Ok(outcomes) => {
                for (cb, outcome) in callbacks.iter().zip(outcomes) {
                    let mut fields = callback_fields(cb);
                    fields["outcome"] = match outcome {
                        CallbackOutcome::Processed => "processed",
                        CallbackOutcome::AlreadyProcessed => "already_processed",
                    }
                    .into();
                    fields["batch_size"] = callbacks.len().into();
                    self.audit.info("callback.sent", fields);
                }
            }
            Err(error) => {
                for cb in callbacks {
                    let mut fields = callback_fields(cb);
                    fields["outcome"] = match error {
                        ChainError::Refused(_) => "refused",
                        ChainError::Unavailable(_) => "unknown",
                    }
                    .into();
                    fields["batch_size"] = callbacks.len().into();
                    fields["error"] = error.to_string().into();
                    self.audit.warn("callback.sent", fields);
                }
            }
        }
        result
    }

    fn now(&self) -> u64 {
        self.inner.now()
    }

    async fn usage_summary(&self, allocation_id: &str) -> Result<Vec<BilledUsage>, ChainError> {
        self.inner.usage_summary(allocation_id).await
    }

    fn probe(&self) -> Option<crate::chain::probe::SharedProbe> {
        self.inner.probe()
    }
}

impl<C: OfferingReader> OfferingReader for AuditedChain<C> {
    async fn query_marketplace<T: DeserializeOwned>(
        &self,
        query: &QueryMsg,
    ) -> Result<T, ChainError> {
        self.inner.query_marketplace(query).await
    }
}

/// The engine's Waldur, with each call logged and failures counted.
///
/// Every `WaldurPort` method must be delegated here, including any added
/// later: a method the trait gives a default body would otherwise run that
/// default instead of the adapter's implementation, silently.
pub struct AuditedWaldur<W> {
    pub inner: W,
    audit: AuditLog,
    telemetry: Arc<Telemetry>,
}

impl<W> AuditedWaldur<W> {
    pub fn new(inner: W, audit: AuditLog, telemetry: Arc<Telemetry>) -> Self {
        AuditedWaldur {
            inner,
            audit,
            telemetry,
        }
    }

    /// Counts one call for the Waldur error metrics, whether or not it is
    /// logged. Only a request Waldur failed counts as a Waldur error; an
    /// unmapped offering, an unknown allocation or terms not accepted are
    /// the relayer's own refusal, which says nothing about Waldur, so it is
    /// left out.
    fn account<T>(&self, result: &Result<T, WaldurError>) {
        match result {
            Ok(_) => self.telemetry.waldur_call_succeeded(),
            Err(
                WaldurError::UnmappedOffering(_)
                | WaldurError::UnknownAllocation(_)
                | WaldurError::TermsNotAccepted { .. },
            ) => {}
            Err(_) => self.telemetry.waldur_error("engine"),
        }
    }

    /// Logs one call: `fields` plus its result and duration.
    fn log<T>(
        &self,
        event: &str,
        mut fields: serde_json::Value,
        started: Instant,
        result: &Result<T, WaldurError>,
        ok_fields: impl FnOnce(&T) -> serde_json::Value,
    ) {
        fields["duration_ms"] = (started.elapsed().as_secs_f64() * 1_000.0).into();
        match result {
            Ok(value) => {
                fields["success"] = true.into();
                if let (Some(target), serde_json::Value::Object(extra)) =
                    (fields.as_object_mut(), ok_fields(value))
                {
                    target.extend(extra);
                }
                self.audit.info(event, fields);
            }
            Err(error) => {
                fields["success"] = false.into();
                fields["error"] = error.to_string().into();
                self.audit.warn(event, fields);
            }
        }
    }
}

impl<W: WaldurPort> WaldurPort for AuditedWaldur<W> {
    async fn provision(
        &mut self,
        allocation_id: &str,
        offering_id: &str,
        quantity: u32,
    ) -> Result<ProvisionedOrder, WaldurError> {
        let started = Instant::now();
        let result = self
            .inner
            .provision(allocation_id, offering_id, quantity)
            .await;
        self.account(&result);
        let fields = json!({
            "allocation_id": allocation_id,
            "offering_id": offering_id,
            "quantity": quantity,
        });
        self.log(
            "waldur.provision",
            fields,
            started,
            &result,
            |o| json!({ "order_uuid": o.order_uuid, "waldur_uuid": o.resource_uuid }),
        );
        result
    }

    async fn terminate(&mut self, allocation_id: &str) -> Result<String, WaldurError> {
        let started = Instant::now();
        let result = self.inner.terminate(allocation_id).await;
        self.account(&result);
        let fields = json!({ "allocation_id": allocation_id });
        self.log(
            "waldur.terminate",
            fields,
            started,
            &result,
            |uuid| json!({ "waldur_uuid": uuid }),
        );
        result
    }

    async fn set_paused(&mut self, allocation_id: &str, paused: bool) -> Result<bool, WaldurError> {
        let started = Instant::now();
        let result = self.inner.set_paused(allocation_id, paused).await;
        self.account(&result);
        let fields = json!({ "allocation_id": allocation_id, "paused": paused });
        self.log(
            "waldur.set_paused",
            fields,
            started,
            &result,
            |flagged| json!({ "waldur_flag_set": flagged }),
        );
        result
    }

    async fn resize(&mut self, allocation_id: &str, quantity: u32) -> Result<(), WaldurError> {
        let started = Instant::now();
        let result = self.inner.resize(allocation_id, quantity).await;
        self.account(&result);
        let fields = json!({ "allocation_id": allocation_id, "quantity": quantity });
        self.log("waldur.resize", fields, started, &result, |_| json!({}));
        result
    }

    async fn resource_updates(&mut self, now: u64) -> Result<Vec<ResourceUpdate>, WaldurError> {
        let started = Instant::now();
        let result = self.inner.resource_updates(now).await;
        self.account(&result);
        // Polled every step: logged only when it found something or failed.
        if result.as_ref().map_or(true, |found| !found.is_empty()) {
            self.log(
                "waldur.resource_updates",
                json!({}),
                started,
                &result,
                |found| {
                    json!({ "updates": found.iter().map(|u| json!({
                        "allocation_id": u.allocation_id,
                        "waldur_uuid": u.resource_uuid,
                        "state": format!("{:?}", u.state),
                    })).collect::<Vec<_>>() })
                },
            );
        }
        result
    }

    async fn usage_updates(
        &mut self,
        now: u64,
        chain: &mut impl ChainUsage,
    ) -> Result<Vec<UsageUpdate>, WaldurError> {
        let started = Instant::now();
        let result = self.inner.usage_updates(now, chain).await;
        self.account(&result);
        if result.as_ref().map_or(true, |found| !found.is_empty()) {
            self.log(
                "waldur.usage_updates",
                json!({}),
                started,
                &result,
                |found| {
                    json!({ "usages": found.iter().map(|u| json!({
                    "allocation_id": u.allocation_id,
                    "waldur_uuid": u.resource_uuid,
                    "usage_type": u.usage_type,
                    "units": u.units.to_string(),
                    "period_start": u.period_start,
                    "period_end": u.period_end,
                })).collect::<Vec<_>>() })
                },
            );
        }
        result
    }

    async fn submit_job(&mut self, job: &JobSubmission) -> Result<SubmittedJob, WaldurError> {
        let started = Instant::now();
        let result = self.inner.submit_job(job).await;
        self.account(&result);
        let fields = json!({
            "job_id": job.job_id,
            "cluster_id": job.cluster_id,
            "nodes": job.nodes,
        });
        self.log(
            "waldur.submit_job",
            fields,
            started,
            &result,
            |j| json!({ "waldur_uuid": j.job_uuid, "created": j.created }),
        );
        result
    }

    async fn job_updates(&mut self, now: u64) -> Result<Vec<JobUpdate>, WaldurError> {
        let started = Instant::now();
        let result = self.inner.job_updates(now).await;
        self.account(&result);
        if result.as_ref().map_or(true, |found| !found.is_empty()) {
            self.log("waldur.job_updates", json!({}), started, &result, |found| {
                json!({ "jobs": found.iter().map(|u| json!({
                    "job_id": u.job_id,
                    "waldur_uuid": u.job_uuid,
                    "runtime_state": u.runtime_state,
                })).collect::<Vec<_>>() })
            });
        }
        result
    }

    async fn job_closed_on_chain(
        &mut self,
        job_id: &str,
        state: JobState,
    ) -> Result<(), WaldurError> {
        let started = Instant::now();
        let result = self.inner.job_closed_on_chain(job_id, state).await;
        self.account(&result);
        let fields = json!({ "job_id": job_id, "state": state.as_str() });
        self.log(
            "waldur.job_closed_on_chain",
            fields,
            started,
            &result,
            |_| json!({}),
        );
        result
    }
}
