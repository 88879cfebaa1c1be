//! The HPC job flow end to end: the hpc contract on the embedded chain, a
//! Waldur emulator on loopback, the relayer between them. A customer's job
//! on chain becomes one Waldur SLURM job; SLURM's states come back as
//! job_status callbacks the contract accepts, with the usage it bills.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use cosmwasm_std::{coin, Addr, Uint128};
use serde_json::json;
use ve_relayer::chain::embedded::{EmbeddedChain, DENOM};
use ve_relayer::chain::signer::Signer;
use ve_relayer::chain::ChainClient;
use ve_relayer::flows::engine::{Engine, StepReport};
use ve_relayer::runtime::outbox::{Outbox, CHECKPOINT};
use ve_relayer::waldur_side::adapter::WaldurAdapter;
use ve_relayer::waldur_side::port::FailureClass;
use ve_types::JobState;
use waldur::{Config, WaldurClient};
use waldur_emulator::{Emulator, EmulatorHandle, Fault, Seeded};

const PRICE: u128 = 1_000;

fn data(res: cw_multi_test::AppResponse) -> String {
    cosmwasm_std::from_json(res.data.unwrap()).unwrap()
}

fn client(base: &str) -> WaldurClient {
    let mut c = Config::new(base.to_string(), "t");
    c.timeout = Duration::from_millis(500);
    c.retry_wait_min = Duration::from_millis(2);
    c.retry_wait_max = Duration::from_millis(10);
    c.max_retries = 3;
    WaldurClient::new(c).unwrap()
}

struct World {
    waldur: EmulatorHandle,
    project: Seeded,
    settings: Seeded,
    db: PathBuf,
    _dir: tempfile::TempDir,
    engine: Option<Engine<EmbeddedChain, WaldurAdapter>>,
    provider: Addr,
    customer: Addr,
    cluster: String,
    offering: String,
}

impl World {
    async fn new() -> Self {
        let waldur = Emulator::start("t").await.unwrap();
        let org = waldur.state.seed_customer("Org");
        let project = waldur.state.seed_project(&org.uuid, "P").unwrap();
        let settings = waldur.state.seed_service_settings("Snellius");
        let mut chain = EmbeddedChain::deploy(&["provider", "customer", "other"]).unwrap();
        let (provider, customer) = (chain.addr("provider"), chain.addr("customer"));
        let signer = signer(&chain);
        let cb = chain.callback.clone();
        chain
            .execute(&provider, &cb, &signer.register_message().unwrap(), &[])
            .unwrap();
        let (cluster, offering) = hpc_offering(&mut chain, &provider);
        let dir = tempfile::tempdir().unwrap();
        let mut world = World {
            db: dir.path().join("relayer.redb"),
            _dir: dir,
            waldur,
            project,
            settings,
            engine: None,
            provider,
            customer,
            cluster,
            offering,
        };
        world.start_relayer(chain);
        world
    }

    /// A relayer process on the database at `self.db`.
    fn start_relayer(&mut self, chain: EmbeddedChain) {
        let outbox = Arc::new(Outbox::open(&self.db, 3).unwrap());
        let adapter = WaldurAdapter::new(
            client(&self.waldur.base_url),
            self.project.url.clone(),
            BTreeMap::new(),
            outbox.clone(),
        )
        .unwrap()
        .with_clusters(BTreeMap::from([(
            self.cluster.clone(),
            self.settings.url.clone(),
        )]));
        self.engine = Some(Engine {
            signer: signer(&chain),
            chain,
            waldur: adapter,
            outbox,
        });
    }

    /// The relayer process ends and a new one opens the same database.
    fn restart(&mut self) {
        let Engine { chain, .. } = self.engine.take().unwrap();
        self.start_relayer(chain);
    }

    fn engine(&mut self) -> &mut Engine<EmbeddedChain, WaldurAdapter> {
        self.engine.as_mut().unwrap()
    }

    fn chain(&mut self) -> &mut EmbeddedChain {
        &mut self.engine().chain
    }

    async fn step(&mut self) -> StepReport {
        let report = self.engine().step().await.unwrap();
        assert_eq!(report.failed, 0, "{report:?}");
        assert_eq!(report.events_failed, 0, "{report:?}");
        report
    }

    /// A job of the customer: `nodes` nodes, 2 h, paid up front.
    fn submit(&mut self, nodes: u32) -> String {
        let (customer, offering) = (self.customer.clone(), self.offering.clone());
        submit(self.chain(), &customer, &offering, nodes)
    }

    fn job(&mut self, job_id: &str) -> hpc::state::Job {
        let hpc = self.chain().hpc.clone();
        let res: hpc::msg::JobResponse = self
            .chain()
            .app
            .wrap()
            .query_wasm_smart(
                hpc,
                &hpc::msg::QueryMsg::Job {
                    job_id: job_id.into(),
                },
            )
            .unwrap();
        res.job
    }

    fn balance(&mut self, who: &Addr) -> u128 {
        let amount = self
            .chain()
            .app
            .wrap()
            .query_balance(who, DENOM)
            .unwrap()
            .amount;
        Uint128::try_from(amount).unwrap().u128()
    }

    /// The Waldur jobs named after `job_id`.
    fn waldur_jobs(&self, job_id: &str) -> Vec<serde_json::Value> {
        self.waldur
            .state
            .slurm_jobs_json()
            .into_iter()
            .filter(|j| j["name"] == job_id)
            .collect()
    }

    fn waldur_job_uuid(&self, job_id: &str) -> String {
        let jobs = self.waldur_jobs(job_id);
        assert_eq!(jobs.len(), 1, "{jobs:#?}");
        jobs[0]["uuid"].as_str().unwrap().to_string()
    }

    fn set_runtime(&self, job_id: &str, state: &str, report: Option<serde_json::Value>) {
        let uuid = self.waldur_job_uuid(job_id);
        assert!(self
            .waldur
            .state
            .set_slurm_job_runtime(&uuid, state, report));
    }

    fn outbox_counts(&mut self) -> (u64, u64, u64) {
        self.engine().outbox.counts().unwrap()
    }
}

fn signer(chain: &EmbeddedChain) -> Signer {
    Signer::new(
        [4; 32],
        "k1",
        chain.addr("provider").as_str(),
        chain.chain_id(),
        chain.callback_contract(),
    )
}

/// A cluster of `provider` with a `batch` queue at `PRICE` per node-hour.
fn hpc_offering(chain: &mut EmbeddedChain, provider: &Addr) -> (String, String) {
    let hpc = chain.hpc.clone();
    let cluster = data(
        chain
            .execute(
                provider,
                &hpc,
                &hpc::msg::ExecuteMsg::RegisterCluster {
                    cluster: hpc::msg::ClusterFields {
                        name: "Snellius".into(),
                        region: "eu-west-1".into(),
                        total_nodes: 16,
                        available_nodes: None,
                        specifications: BTreeMap::new(),
                    },
                },
                &[],
            )
            .unwrap(),
    );
    let offering = data(
        chain
            .execute(
                provider,
                &hpc,
                &hpc::msg::ExecuteMsg::CreateHpcOffering {
                    cluster_id: cluster.clone(),
                    offering: hpc::msg::HpcOfferingFields {
                        name: "batch nodes".into(),
                        description: String::new(),
                        queues: vec![hpc::state::QueueOption {
                            name: "batch".into(),
                            max_nodes: 8,
                            max_runtime_seconds: 86_400,
                        }],
                        max_runtime_seconds: 43_200,
                        min_identity_score: 0,
                        denom: DENOM.into(),
                        price_per_node_hour: Uint128::new(PRICE),
                    },
                },
                &[],
            )
            .unwrap(),
    );
    (cluster, offering)
}

fn submit(chain: &mut EmbeddedChain, customer: &Addr, offering: &str, nodes: u32) -> String {
    let hpc = chain.hpc.clone();
    // 2 h at PRICE per node-hour.
    let cost = PRICE * u128::from(nodes) * 2;
    data(
        chain
            .execute(
                customer,
                &hpc,
                &hpc::msg::ExecuteMsg::SubmitJob {
                    hpc_offering_id: offering.into(),
                    queue: "batch".into(),
                    nodes,
                    max_runtime_seconds: 7_200,
                    script_ref: Some("ipfs://bafy-job".into()),
                },
                &[coin(cost, DENOM)],
            )
            .unwrap(),
    )
}

fn gets_of(waldur: &EmulatorHandle, uuid: &str) -> usize {
    waldur
        .state
        .request_count(&format!("/api/slurm-jobs/{uuid}/"))
}

#[tokio::test(flavor = "current_thread")]
async fn a_job_runs_to_completion_and_is_billed_its_node_seconds() {
    let mut w = World::new().await;
    let job_id = w.submit(2);
    let report = w.step().await;
    assert!(
        report.notes.iter().any(|n| n.contains("created")),
        "{report:?}"
    );
    // Exactly one Waldur job, on the mapped cluster, with the limits paid for.
    let uuid = w.waldur_job_uuid(&job_id);
    let waldur_job = w.waldur.state.slurm_job_json(&uuid).unwrap();
    assert_eq!(
        waldur_job["service_settings_uuid"],
        w.settings.uuid.as_str()
    );
    assert_eq!(waldur_job["project_uuid"], w.project.uuid.as_str());
    let script = String::from_utf8(w.waldur.state.slurm_job_script(&uuid).unwrap()).unwrap();
    assert!(script.contains("#SBATCH --nodes=2\n"), "{script}");
    assert!(script.contains("#SBATCH --time=0-02:00:00\n"), "{script}");
    assert!(script.contains("#SBATCH --partition=batch\n"), "{script}");
    assert_eq!(w.job(&job_id).state, JobState::Queued);

    w.set_runtime(&job_id, "RUNNING", None);
    w.step().await;
    assert_eq!(w.job(&job_id).state, JobState::Running);

    w.chain().advance(5_400);
    w.set_runtime(
        &job_id,
        "COMPLETED",
        Some(json!({"elapsed_seconds": 5_400, "exit_code": 0})),
    );
    w.step().await;
    let job = w.job(&job_id);
    assert_eq!(job.state, JobState::Completed);
    assert_eq!(job.exit_code, Some(0));
    // 2 nodes x 5,400 s.
    assert_eq!(job.node_seconds_used, Some(10_800));
    // 3 node-hours recorded; the settlement's 1 h acknowledgement window
    // keeps the escrow open, as the hpc contract documents.
    assert_eq!(
        job.escrow_outcome,
        Some(hpc::state::EscrowOutcome::UsageRecorded {
            node_hours: Uint128::new(3)
        })
    );
    assert_eq!(w.waldur_jobs(&job_id).len(), 1);
    // queued, running, completed; nothing dead.
    assert_eq!(w.outbox_counts(), (0, 3, 0));

    // A final job is no longer polled.
    let before = gets_of(&w.waldur, &uuid);
    w.step().await;
    assert_eq!(gets_of(&w.waldur, &uuid), before);

    // After the window the provider settles: 3 node-hours less the 2.5% fee.
    let provider = w.provider.clone();
    let start = w.balance(&provider);
    w.chain().advance(3_601);
    let settlement = w.chain().settlement.clone();
    w.chain()
        .execute(
            &provider,
            &settlement,
            &settlement::msg::ExecuteMsg::Settle {
                escrow_id: format!("job:{job_id}"),
                record_ids: None,
                finalize: true,
            },
            &[],
        )
        .unwrap();
    assert_eq!(w.balance(&provider) - start, 3 * PRICE * 975 / 1000);
}

#[tokio::test(flavor = "current_thread")]
async fn a_job_first_seen_finished_still_passes_through_running() {
    let mut w = World::new().await;
    let job_id = w.submit(1);
    w.step().await;
    w.chain().advance(600);
    // SLURM ran and finished it between two polls; the report uses
    // SLURM's own formats.
    w.set_runtime(
        &job_id,
        "COMPLETED",
        Some(json!({"Elapsed": "00:10:00", "ExitCode": "0:0"})),
    );
    // Running alone first: in the same transaction as completed it would
    // leave an empty billing period and the contract would refund all.
    w.step().await;
    assert_eq!(w.job(&job_id).state, JobState::Running);
    w.step().await;
    let job = w.job(&job_id);
    assert_eq!(job.state, JobState::Completed);
    assert_eq!(job.node_seconds_used, Some(600));
    assert_eq!(
        job.escrow_outcome,
        Some(hpc::state::EscrowOutcome::UsageRecorded {
            node_hours: Uint128::new(1)
        })
    );
    assert_eq!(w.outbox_counts(), (0, 3, 0));
}

#[tokio::test(flavor = "current_thread")]
async fn failed_and_cancelled_jobs_end_as_the_contract_allows() {
    let mut w = World::new().await;
    let customer = w.customer.clone();
    let start = w.balance(&customer);
    let failing = w.submit(2);
    let cancelled = w.submit(1);
    let withdrawn = w.submit(1);
    w.step().await;

    // A node failure after 10 minutes: failed, billed for what ran.
    w.set_runtime(&failing, "RUNNING", None);
    w.step().await;
    w.chain().advance(600);
    w.set_runtime(
        &failing,
        "NODE_FAIL",
        Some(json!({"elapsed_seconds": 600, "exit_code": 1})),
    );
    // Cancelled in SLURM before it ran, with no report: refunded whole.
    w.set_runtime(&cancelled, "CANCELLED by 0", None);
    w.step().await;
    let job = w.job(&failing);
    assert_eq!(job.state, JobState::Failed);
    assert_eq!(
        (job.exit_code, job.node_seconds_used),
        (Some(1), Some(1_200))
    );
    assert_eq!(
        job.escrow_outcome,
        Some(hpc::state::EscrowOutcome::UsageRecorded {
            node_hours: Uint128::new(1)
        })
    );
    let job = w.job(&cancelled);
    assert_eq!(job.state, JobState::Cancelled);
    assert_eq!(job.node_seconds_used, None);
    assert_eq!(
        job.escrow_outcome,
        Some(hpc::state::EscrowOutcome::Refunded)
    );

    // The customer cancels on chain; SLURM then starts the job anyway.
    // The contract refuses any change to a cancelled job, so the relayer
    // must report nothing more for it.
    let hpc = w.chain().hpc.clone();
    w.chain()
        .execute(
            &customer,
            &hpc,
            &hpc::msg::ExecuteMsg::CancelJob {
                job_id: withdrawn.clone(),
                reason: None,
            },
            &[],
        )
        .unwrap();
    w.step().await;
    w.set_runtime(&withdrawn, "RUNNING", None);
    let report = w.step().await;
    w.set_runtime(
        &withdrawn,
        "COMPLETED",
        Some(json!({"elapsed_seconds": 60})),
    );
    w.step().await;
    assert_eq!(report.callbacks_queued, 0, "{report:?}");
    assert_eq!(w.job(&withdrawn).state, JobState::Cancelled);
    let uuid = w.waldur_job_uuid(&withdrawn);
    let before = gets_of(&w.waldur, &uuid);
    w.step().await;
    assert_eq!(gets_of(&w.waldur, &uuid), before, "still polled");
    // 3 queued + running + failed + cancelled; no dead letters.
    assert_eq!(w.outbox_counts(), (0, 6, 0));
    // Two jobs were refunded whole; the failed job's escrow (2 nodes x 2 h)
    // stays open until its usage is settled.
    assert_eq!(start - w.balance(&customer), 4 * PRICE);
}

#[tokio::test(flavor = "current_thread")]
async fn a_restart_between_creation_and_completion_doubles_nothing() {
    let mut w = World::new().await;
    let job_id = w.submit(2);
    w.step().await;
    w.set_runtime(&job_id, "RUNNING", None);
    w.step().await;

    // The process dies before its checkpoint moved: the new one reads the
    // job_submitted event again, and its record of the job says only
    // that a create was sent (the crash came before the answer was saved).
    w.restart();
    w.engine().outbox.set_meta(CHECKPOINT, 0).unwrap();
    let record_key = format!("hpcjob:{job_id}");
    let (_, mut record) = w
        .engine()
        .outbox
        .states_with_prefix::<serde_json::Value>(&record_key)
        .unwrap()
        .into_iter()
        .find(|(k, _)| *k == record_key)
        .unwrap();
    record["job_uuid"] = serde_json::Value::Null;
    w.engine().outbox.save_state(&record_key, &record).unwrap();

    let report = w.step().await;
    assert!(
        report.notes.iter().any(|n| n.contains("found")),
        "{report:?}"
    );
    assert_eq!(report.callbacks_queued, 0, "{report:?}");
    assert_eq!(w.waldur_jobs(&job_id).len(), 1);

    w.chain().advance(3_600);
    w.set_runtime(
        &job_id,
        "COMPLETED",
        Some(json!({"elapsed_seconds": 3_000, "exit_code": 0})),
    );
    w.restart();
    w.step().await;
    let job = w.job(&job_id);
    assert_eq!(job.state, JobState::Completed);
    assert_eq!(job.node_seconds_used, Some(6_000));
    assert_eq!(w.waldur_jobs(&job_id).len(), 1);
    // One callback per state, each applied once.
    assert_eq!(w.outbox_counts(), (0, 3, 0));
}

#[tokio::test(flavor = "current_thread")]
async fn a_storm_during_creation_ends_with_one_job() {
    let mut w = World::new().await;
    let job_id = w.submit(1);
    // 503s, which may hide a created job, 429s, and an answer slower than
    // the client waits (the job is made after the client gave up).
    w.waldur
        .state
        .inject_at("slurm-jobs/", Fault::Delay(Duration::from_millis(800), 1));
    let mut passes = 0;
    let mut failures = 0;
    loop {
        passes += 1;
        assert!(passes < 20, "never converged");
        let failed = match w.engine().step().await {
            Ok(report) => {
                assert_eq!(report.events_failed, 0, "{report:?}");
                if w.job(&job_id).state == JobState::Queued {
                    break;
                }
                report.events_retrying > 0
            }
            Err(e) => {
                assert!(e.to_string().contains("Waldur unavailable"), "{e}");
                true
            }
        };
        if !failed {
            continue;
        }
        failures += 1;
        if failures == 1 {
            // The slow create lands while the relayer waits to retry.
            let mut waited = 0;
            while w.waldur.state.slurm_job_count() == 0 {
                waited += 1;
                assert!(waited < 200, "the slow create never took effect");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            w.waldur
                .state
                .inject_at("slurm-jobs/", Fault::Status(503, 6));
            w.waldur
                .state
                .inject_at("slurm-jobs/", Fault::Status(429, 4));
        }
        // The chain's clock moves on to the submission's next attempt.
        let now = w.chain().now();
        let due = w
            .engine()
            .outbox
            .intent_figures()
            .unwrap()
            .next_attempt_at
            .unwrap_or(now);
        w.chain().advance(due.saturating_sub(now).max(1));
    }
    assert!(failures >= 2, "the storm failed no pass");
    assert_eq!(w.waldur.state.pending_faults(), 0);
    assert_eq!(w.waldur_jobs(&job_id).len(), 1, "duplicate Waldur jobs");
    assert_eq!(w.waldur.state.slurm_job_count(), 1);
}

#[tokio::test(flavor = "current_thread")]
async fn jobs_of_other_providers_and_unmapped_clusters() {
    let mut w = World::new().await;
    let other = w.chain().addr("other");
    let (_, other_offering) = hpc_offering(w.chain(), &other);
    let customer = w.customer.clone();
    let foreign = submit(w.chain(), &customer, &other_offering, 1);
    let report = w.step().await;
    assert_eq!(report.events_handled, 0, "{report:?}");
    assert_eq!(report.callbacks_queued, 0);
    assert_eq!(w.waldur.state.slurm_job_count(), 0);
    assert_eq!(w.job(&foreign).state, JobState::Pending);

    // A cluster of this provider that the relayer has no Waldur mapping
    // for: the event waits, its failure recorded (until its attempts run
    // out and it becomes a dead letter); nothing is created.
    let provider = w.provider.clone();
    let (_, unmapped) = hpc_offering(w.chain(), &provider);
    let job = submit(w.chain(), &customer, &unmapped, 1);
    let report = w.engine().step().await.unwrap();
    assert_eq!(report.events_retrying, 1, "{report:?}");
    let waiting = w.engine().outbox.intents(10).unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].subject(), format!("job:{job}"));
    assert_eq!(waiting[0].failure, Some(FailureClass::Refused));
    assert_eq!(w.waldur.state.slurm_job_count(), 0);
    assert_eq!(w.job(&job).state, JobState::Pending);
}

#[tokio::test(flavor = "current_thread")]
async fn a_cancel_read_with_the_submission_drops_the_queued_report() {
    let mut w = World::new().await;
    let customer = w.customer.clone();
    let job_id = w.submit(1);
    // The customer cancels before the relayer has read the submission: both
    // events arrive in one pass. The `queued` report it would send is
    // refused by the contract (the job is final), so it must not be sent
    // and must not end as a dead letter.
    let hpc = w.chain().hpc.clone();
    w.chain()
        .execute(
            &customer,
            &hpc,
            &hpc::msg::ExecuteMsg::CancelJob {
                job_id: job_id.clone(),
                reason: None,
            },
            &[],
        )
        .unwrap();
    let report = w.step().await;
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("1 queued status report(s) dropped")),
        "{report:?}"
    );
    assert_eq!(report.callbacks_confirmed, 0, "{report:?}");
    for _ in 0..3 {
        w.step().await;
    }
    assert_eq!(w.job(&job_id).state, JobState::Cancelled);
    // The dropped report counts with the settled ones; nothing pending,
    // no dead letter.
    assert_eq!(w.outbox_counts(), (0, 1, 0));
}
