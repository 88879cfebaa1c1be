//! The settings of `ve-relayer run` and `reconcile`, from four layers:
//! flag > `VIRTENGINE_*` environment variable > config file > default.
//!
//! One naming rule for all of them: the flag `--waldur-base-url` is the
//! variable `VIRTENGINE_WALDUR_BASE_URL` and the file key
//! `waldur_base_url` (the offering sync guide's flags and variables keep
//! their names). clap merges the flag and the variable; [`Settings::resolve`]
//! lays the file and the defaults under them and checks the result, naming
//! the field at fault.
//!
//! Secrets never come from a flag or the config file: the Waldur token is
//! read from `VIRTENGINE_WALDUR_TOKEN` (or the daemon design's
//! `WALDUR_TOKEN`) or from the file named by `waldur_token_file`; the admin
//! API token from `VIRTENGINE_ADMIN_TOKEN` or `admin_token_file`. A config
//! file that holds a token is refused, so one cannot end up in a repository.

mod error;
mod file;
mod secrets;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::builder::BoolishValueParser;
use clap::Args;
use serde::Serialize;
use ve_types::Category;

pub use error::ConfigError;
pub use file::FileConfig;
pub use secrets::Secrets;

use crate::runtime::audit::LogFormat;
use crate::waldur_side::offering_sync::CategoryProfile;

/// The flags of `run` and `reconcile`. Every one is optional here: a
/// missing flag falls through to the variable, the file, the default.
#[derive(Args, Debug, Clone, Default)]
pub struct RunArgs {
    /// TOML config file (keys are the flag names with `_` for `-`).
    #[arg(long, env = "VIRTENGINE_CONFIG")]
    pub config: Option<PathBuf>,
    /// The relayer's database (outbox, checkpoints, sync records) [default: data/relayer.redb].
    #[arg(long, env = "VIRTENGINE_DB")]
    pub db: Option<PathBuf>,
    /// Failed attempts before a callback goes to the dead letters [default: 5].
    #[arg(long, env = "VIRTENGINE_MAX_RETRIES")]
    pub max_retries: Option<u32>,
    /// The provider's signing key (hex seed, mode 0600) [default: data/signer.key].
    #[arg(long, env = "VIRTENGINE_KEY_FILE")]
    pub key_file: Option<PathBuf>,
    /// The key's id in the waldur-callback contract's registry [default: relayer-1].
    #[arg(long, env = "VIRTENGINE_KEY_ID")]
    pub key_id: Option<String>,
    /// The provider's chain address (embedded chain: its `provider` account).
    #[arg(long, env = "VIRTENGINE_PROVIDER")]
    pub provider: Option<String>,
    /// `embedded` (contracts in process) or `rpc` (a node) [default: embedded].
    #[arg(long, env = "VIRTENGINE_CHAIN")]
    pub chain: Option<String>,
    /// CometBFT RPC endpoint of the node (rpc chain).
    #[arg(long, env = "VIRTENGINE_NODE")]
    pub node: Option<String>,
    /// Chain id (rpc chain).
    #[arg(long, env = "VIRTENGINE_CHAIN_ID")]
    pub chain_id: Option<String>,
    /// The waldur-callback contract's address (rpc chain).
    #[arg(long, env = "VIRTENGINE_CALLBACK_CONTRACT")]
    pub callback_contract: Option<String>,
    /// Seconds between relay steps [default: 6].
    #[arg(long, env = "VIRTENGINE_POLL_INTERVAL")]
    pub poll_interval: Option<f64>,
    /// /healthz fails when no step succeeded within this many poll intervals [default: 3].
    #[arg(long, env = "VIRTENGINE_HEALTH_INTERVALS")]
    pub health_intervals: Option<u32>,
    /// Prometheus `/metrics` listen address [default: 127.0.0.1:9464].
    #[arg(long, env = "VIRTENGINE_METRICS_LISTEN")]
    pub metrics_listen: Option<String>,
    /// Admin API and `/healthz` listen address [default: 127.0.0.1:8080].
    #[arg(long, env = "VIRTENGINE_ADMIN_LISTEN")]
    pub admin_listen: Option<String>,
    /// File holding the admin API bearer token (or VIRTENGINE_ADMIN_TOKEN).
    #[arg(long, env = "VIRTENGINE_ADMIN_TOKEN_FILE")]
    pub admin_token_file: Option<PathBuf>,
    /// `json` (one object per line) or `text` [default: json].
    #[arg(long, env = "VIRTENGINE_LOG_FORMAT")]
    pub log_format: Option<String>,
    /// Append the log here instead of stdout.
    #[arg(long, env = "VIRTENGINE_LOG_FILE")]
    pub log_file: Option<PathBuf>,
    /// Waldur API root, e.g. https://waldur.example.com/api/.
    #[arg(long, env = "VIRTENGINE_WALDUR_BASE_URL")]
    pub waldur_base_url: Option<String>,
    /// File holding the Waldur API token (or VIRTENGINE_WALDUR_TOKEN / WALDUR_TOKEN).
    #[arg(long, env = "VIRTENGINE_WALDUR_TOKEN_FILE")]
    pub waldur_token_file: Option<PathBuf>,
    /// Waldur project the relayer's orders go to.
    #[arg(long, env = "VIRTENGINE_WALDUR_PROJECT_UUID")]
    pub waldur_project_uuid: Option<String>,
    /// Waldur customer (organisation) that owns the provider's offerings.
    #[arg(long, env = "VIRTENGINE_WALDUR_CUSTOMER_UUID")]
    pub waldur_customer_uuid: Option<String>,
    /// JSON file: chain offering id -> Waldur offering UUID.
    #[arg(long, env = "VIRTENGINE_WALDUR_OFFERING_MAP")]
    pub waldur_offering_map: Option<PathBuf>,
    /// JSON file: VirtEngine category -> Waldur category UUID.
    #[arg(long, env = "VIRTENGINE_WALDUR_CATEGORY_MAP")]
    pub waldur_category_map: Option<PathBuf>,
    /// JSON file: VirtEngine category -> offering type and plan [default: Marketplace.Basic, plan "Standard"].
    #[arg(long, env = "VIRTENGINE_WALDUR_CATEGORY_PROFILES")]
    pub waldur_category_profiles: Option<PathBuf>,
    /// Accept an offering's terms of service in orders; without it such orders are refused [default: false].
    #[arg(long, env = "VIRTENGINE_WALDUR_ACCEPT_TERMS_OF_SERVICE", num_args = 0..=1,
          default_missing_value = "true", value_parser = BoolishValueParser::new())]
    pub waldur_accept_terms_of_service: Option<bool>,
    /// Name of the offering plan orders use [default: the offering's first live plan].
    #[arg(long, env = "VIRTENGINE_WALDUR_ORDER_PLAN")]
    pub waldur_order_plan: Option<String>,
    /// JSON file: chain HPC cluster id -> Waldur SLURM service settings UUID.
    #[arg(long, env = "VIRTENGINE_WALDUR_CLUSTER_MAP")]
    pub waldur_cluster_map: Option<PathBuf>,
    /// Sync the provider's chain offerings to Waldur [default: false].
    #[arg(long, env = "VIRTENGINE_WALDUR_OFFERING_SYNC_ENABLED", num_args = 0..=1,
          default_missing_value = "true", value_parser = BoolishValueParser::new())]
    pub waldur_offering_sync_enabled: Option<bool>,
    /// Seconds between offering reconciliations [default: 300].
    #[arg(long, env = "VIRTENGINE_WALDUR_OFFERING_SYNC_INTERVAL")]
    pub waldur_offering_sync_interval: Option<f64>,
    /// Failed offering syncs before dead-lettering [default: 5].
    #[arg(long, env = "VIRTENGINE_WALDUR_OFFERING_SYNC_MAX_RETRIES")]
    pub waldur_offering_sync_max_retries: Option<u32>,
    /// Bring offerings made in Waldur onto the chain [default: false].
    #[arg(long, env = "VIRTENGINE_WALDUR_OFFERING_INGEST_ENABLED", num_args = 0..=1,
          default_missing_value = "true", value_parser = BoolishValueParser::new())]
    pub waldur_offering_ingest_enabled: Option<bool>,
    /// Seconds between Waldur -> chain offering ingest passes [default: 60].
    #[arg(long, env = "VIRTENGINE_WALDUR_OFFERING_INGEST_INTERVAL")]
    pub waldur_offering_ingest_interval: Option<f64>,
    /// Seconds per Waldur request attempt [default: 30].
    #[arg(long, env = "VIRTENGINE_WALDUR_TIMEOUT")]
    pub waldur_timeout: Option<f64>,
    /// Steady Waldur requests per second, all calls together [default: 10].
    #[arg(long, env = "VIRTENGINE_WALDUR_RATE_LIMIT_PER_SECOND")]
    pub waldur_rate_limit_per_second: Option<f64>,
    /// Waldur requests that may go out at once after a quiet spell [default: 10].
    #[arg(long, env = "VIRTENGINE_WALDUR_RATE_LIMIT_BURST")]
    pub waldur_rate_limit_burst: Option<u32>,
    /// Chain denom of ingested prices [default: uvirt].
    #[arg(long, env = "VIRTENGINE_DENOM")]
    pub denom: Option<String>,
    /// Decimals of the denom [default: 6].
    #[arg(long, env = "VIRTENGINE_DENOM_DECIMALS")]
    pub denom_decimals: Option<u32>,
}

/// Which chain the relayer talks to.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum ChainSettings {
    /// The four contracts in process (demo, smoke tests): nobody else can
    /// transact on it, so the relayer only idles against it.
    Embedded,
    /// A node over CometBFT RPC.
    Rpc(RpcSettings),
}

/// What the RPC chain client needs. `options` is the config file's
/// `[rpc]` table, passed on untouched for the client's own settings
/// (gas, fees, websocket, ...).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RpcSettings {
    pub node: String,
    pub chain_id: String,
    pub callback_contract: String,
    pub options: serde_json::Value,
}

impl RpcSettings {
    /// The `[rpc]` table with `node`, `chain_id` and `callback_contract`
    /// written in as the RPC client's config names them (`rpc_url`,
    /// `chain_id`, `contracts.waldur_callback`). These win over the table,
    /// so a flag or variable overrides the file as everywhere else.
    pub fn client_config(&self) -> serde_json::Value {
        let mut table = match &self.options {
            serde_json::Value::Object(map) => map.clone(),
            _ => serde_json::Map::new(),
        };
        table.insert("rpc_url".into(), self.node.clone().into());
        table.insert("chain_id".into(), self.chain_id.clone().into());
        let contracts = table
            .entry("contracts")
            .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()));
        if let serde_json::Value::Object(contracts) = contracts {
            contracts.insert(
                "waldur_callback".into(),
                self.callback_contract.clone().into(),
            );
        }
        serde_json::Value::Object(table)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WaldurSettings {
    pub base_url: String,
    /// Never serialised: `--check-config` prints the settings.
    #[serde(skip)]
    pub token: String,
    pub project_uuid: String,
    pub customer_uuid: Option<String>,
    /// Chain offering id -> Waldur offering UUID.
    pub offering_map: BTreeMap<String, String>,
    pub category_map: BTreeMap<Category, String>,
    /// VirtEngine category -> Waldur offering type and plan (the offering
    /// sync); unlisted categories get the default profile.
    pub category_profiles: BTreeMap<Category, CategoryProfile>,
    /// Whether orders accept an offering's terms of service.
    pub accept_terms_of_service: bool,
    /// Name of the offering plan orders use; `None`: the first live one.
    pub order_plan: Option<String>,
    /// Chain HPC cluster id -> Waldur service settings UUID.
    pub cluster_map: BTreeMap<String, String>,
    pub timeout: Duration,
    /// The token bucket every Waldur request draws from (the daemon
    /// design's 10 a second): what the provider's Waldur is willing to
    /// take, and with ~5 requests an allocation, the provisioning rate.
    pub rate_limit_per_second: f64,
    pub rate_limit_burst: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OfferingSyncSettings {
    pub customer_uuid: String,
    /// The reconcile loop's period (the guide's sync interval).
    pub interval: Duration,
    pub max_retries: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IngestSettings {
    pub customer_uuid: String,
    pub interval: Duration,
    pub denom: String,
    pub denom_decimals: u32,
}

/// Everything `run` needs, checked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Settings {
    pub db: PathBuf,
    pub max_retries: u32,
    pub key_file: PathBuf,
    pub key_id: String,
    pub provider: Option<String>,
    pub chain: ChainSettings,
    pub poll_interval: Duration,
    pub health_intervals: u32,
    pub metrics_listen: SocketAddr,
    pub admin_listen: SocketAddr,
    #[serde(skip)]
    pub admin_token: Option<String>,
    pub log_format: LogFormat,
    pub log_file: Option<PathBuf>,
    pub waldur: WaldurSettings,
    pub offering_sync: Option<OfferingSyncSettings>,
    pub offering_ingest: Option<IngestSettings>,
}

/// Defaults, in one place for the operator guide.
pub mod defaults {
    pub const DB: &str = "data/relayer.redb";
    pub const MAX_RETRIES: u32 = 5;
    pub const KEY_FILE: &str = "data/signer.key";
    pub const KEY_ID: &str = "relayer-1";
    pub const POLL_INTERVAL_SECS: f64 = 6.0;
    pub const HEALTH_INTERVALS: u32 = 3;
    pub const METRICS_LISTEN: &str = "127.0.0.1:9464";
    pub const ADMIN_LISTEN: &str = "127.0.0.1:8080";
    pub const OFFERING_SYNC_INTERVAL_SECS: f64 = 300.0;
    pub const OFFERING_SYNC_MAX_RETRIES: u32 = 5;
    pub const OFFERING_INGEST_INTERVAL_SECS: f64 = 60.0;
    pub const WALDUR_TIMEOUT_SECS: f64 = 30.0;
    pub const WALDUR_RATE_LIMIT_PER_SECOND: f64 = 10.0;
    pub const WALDUR_RATE_LIMIT_BURST: u32 = 10;
    pub const DENOM: &str = "uvirt";
    pub const DENOM_DECIMALS: u32 = 6;
}

fn seconds(field: &str, value: f64) -> Result<Duration, ConfigError> {
    if value.is_nan() || value <= 0.0 {
        return Err(ConfigError::new(
            field,
            format!("{value} is not a positive number of seconds"),
        ));
    }
    Duration::try_from_secs_f64(value).map_err(|e| ConfigError::new(field, format!("{value}: {e}")))
}

/// A positive, finite number of requests per second (an unlimited client
/// is not offered: a provider's Waldur always has some limit).
fn rate(field: &str, value: f64) -> Result<f64, ConfigError> {
    if !value.is_finite() || value <= 0.0 {
        return Err(ConfigError::new(
            field,
            format!("{value} is not a positive number of requests per second"),
        ));
    }
    Ok(value)
}

fn listen(field: &str, value: &str) -> Result<SocketAddr, ConfigError> {
    value.parse().map_err(|_| {
        ConfigError::new(
            field,
            format!("{value:?} is not an address to listen on (ip:port, e.g. 127.0.0.1:8080)"),
        )
    })
}

fn non_empty(field: &str, value: Option<String>) -> Result<Option<String>, ConfigError> {
    match value {
        Some(v) if v.trim().is_empty() => Err(ConfigError::new(field, "is empty")),
        other => Ok(other),
    }
}

fn required(field: &str, value: Option<String>, why: &str) -> Result<String, ConfigError> {
    non_empty(field, value)?.ok_or_else(|| ConfigError::new(field, format!("is required {why}")))
}

fn read_json<T: serde::de::DeserializeOwned>(
    field: &str,
    path: &PathBuf,
) -> Result<T, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::new(field, format!("{}: {e}", path.display())))?;
    serde_json::from_str(&text)
        .map_err(|e| ConfigError::new(field, format!("{}: {e}", path.display())))
}

/// The flag/variable if given, else the file's value.
fn pick<T>(flag: Option<T>, file: Option<T>) -> Option<T> {
    flag.or(file)
}

impl Settings {
    /// Lays `args` (flags and variables) over `file` over the defaults and
    /// checks the result. `secrets` are the tokens from the environment.
    pub fn resolve(
        args: RunArgs,
        file: FileConfig,
        secrets: Secrets,
    ) -> Result<Settings, ConfigError> {
        // First, while `args` and `file` are whole (the rest moves fields out).
        let waldur = Self::waldur(&args_waldur(&args), &file, &secrets)?;
        let chain = match pick(args.chain, file.chain)
            .as_deref()
            .unwrap_or("embedded")
        {
            "embedded" => ChainSettings::Embedded,
            "rpc" => ChainSettings::Rpc(RpcSettings {
                node: required("node", pick(args.node, file.node), "for the rpc chain")?,
                chain_id: required(
                    "chain_id",
                    pick(args.chain_id, file.chain_id),
                    "for the rpc chain",
                )?,
                callback_contract: required(
                    "callback_contract",
                    pick(args.callback_contract, file.callback_contract),
                    "for the rpc chain",
                )?,
                options: file.rpc.unwrap_or(serde_json::Value::Null),
            }),
            other => {
                return Err(ConfigError::new(
                    "chain",
                    format!("{other:?} is neither \"embedded\" nor \"rpc\""),
                ))
            }
        };
        let provider = non_empty("provider", pick(args.provider, file.provider))?;
        if matches!(chain, ChainSettings::Rpc(_)) && provider.is_none() {
            return Err(ConfigError::new(
                "provider",
                "is required for the rpc chain",
            ));
        }
        let metrics_listen = listen(
            "metrics_listen",
            pick(args.metrics_listen, file.metrics_listen)
                .as_deref()
                .unwrap_or(defaults::METRICS_LISTEN),
        )?;
        let admin_listen = listen(
            "admin_listen",
            pick(args.admin_listen, file.admin_listen)
                .as_deref()
                .unwrap_or(defaults::ADMIN_LISTEN),
        )?;
        if metrics_listen == admin_listen && metrics_listen.port() != 0 {
            return Err(ConfigError::new(
                "admin_listen",
                format!(
                    "{admin_listen} is also metrics_listen; the admin API needs its own address"
                ),
            ));
        }
        let log_format = match pick(args.log_format, file.log_format).as_deref() {
            None | Some("json") => LogFormat::Json,
            Some("text") => LogFormat::Text,
            Some(other) => {
                return Err(ConfigError::new(
                    "log_format",
                    format!("{other:?} is neither \"json\" nor \"text\""),
                ))
            }
        };
        let admin_env_token = secrets::env_token(
            "admin_token",
            "VIRTENGINE_ADMIN_TOKEN",
            secrets.admin_token.as_ref(),
        )?;
        let admin_token = match pick(args.admin_token_file, file.admin_token_file) {
            Some(path) => Some(secrets::read_token_file("admin_token_file", &path)?),
            None => admin_env_token,
        };
        // Reprocess and reconcile are open to whoever reaches the admin
        // address when there is no token: only loopback may go without.
        if admin_token.is_none() && !admin_listen.ip().is_loopback() {
            return Err(ConfigError::new(
                "admin_listen",
                format!(
                    "{admin_listen} is not a loopback address and no admin token is set, so \
                     anyone who reaches it could reprocess dead letters; set \
                     VIRTENGINE_ADMIN_TOKEN or admin_token_file (a file of mode 0600 holding \
                     the token), or listen on 127.0.0.1"
                ),
            ));
        }
        let customer = non_empty(
            "waldur_customer_uuid",
            pick(
                args.waldur_customer_uuid.clone(),
                file.waldur_customer_uuid.clone(),
            ),
        )?;
        let offering_sync = if pick(
            args.waldur_offering_sync_enabled,
            file.waldur_offering_sync_enabled,
        )
        .unwrap_or(false)
        {
            Some(OfferingSyncSettings {
                customer_uuid: customer.clone().ok_or_else(|| {
                    ConfigError::new(
                        "waldur_customer_uuid",
                        "is required when the offering sync is enabled",
                    )
                })?,
                interval: seconds(
                    "waldur_offering_sync_interval",
                    pick(
                        args.waldur_offering_sync_interval,
                        file.waldur_offering_sync_interval,
                    )
                    .unwrap_or(defaults::OFFERING_SYNC_INTERVAL_SECS),
                )?,
                max_retries: positive(
                    "waldur_offering_sync_max_retries",
                    pick(
                        args.waldur_offering_sync_max_retries,
                        file.waldur_offering_sync_max_retries,
                    )
                    .unwrap_or(defaults::OFFERING_SYNC_MAX_RETRIES),
                )?,
            })
        } else {
            None
        };
        let offering_ingest = if pick(
            args.waldur_offering_ingest_enabled,
            file.waldur_offering_ingest_enabled,
        )
        .unwrap_or(false)
        {
            Some(IngestSettings {
                customer_uuid: customer.clone().ok_or_else(|| {
                    ConfigError::new(
                        "waldur_customer_uuid",
                        "is required when the offering ingest is enabled",
                    )
                })?,
                interval: seconds(
                    "waldur_offering_ingest_interval",
                    pick(
                        args.waldur_offering_ingest_interval,
                        file.waldur_offering_ingest_interval,
                    )
                    .unwrap_or(defaults::OFFERING_INGEST_INTERVAL_SECS),
                )?,
                denom: required(
                    "denom",
                    Some(pick(args.denom, file.denom).unwrap_or_else(|| defaults::DENOM.into())),
                    "",
                )?,
                denom_decimals: pick(args.denom_decimals, file.denom_decimals)
                    .unwrap_or(defaults::DENOM_DECIMALS),
            })
        } else {
            None
        };
        Ok(Settings {
            db: pick(args.db, file.db).unwrap_or_else(|| defaults::DB.into()),
            max_retries: positive(
                "max_retries",
                pick(args.max_retries, file.max_retries).unwrap_or(defaults::MAX_RETRIES),
            )?,
            key_file: pick(args.key_file, file.key_file)
                .unwrap_or_else(|| defaults::KEY_FILE.into()),
            key_id: required(
                "key_id",
                Some(pick(args.key_id, file.key_id).unwrap_or_else(|| defaults::KEY_ID.into())),
                "",
            )?,
            provider,
            chain,
            poll_interval: seconds(
                "poll_interval",
                pick(args.poll_interval, file.poll_interval)
                    .unwrap_or(defaults::POLL_INTERVAL_SECS),
            )?,
            health_intervals: positive(
                "health_intervals",
                pick(args.health_intervals, file.health_intervals)
                    .unwrap_or(defaults::HEALTH_INTERVALS),
            )?,
            metrics_listen,
            admin_listen,
            admin_token,
            log_format,
            log_file: pick(args.log_file, file.log_file),
            waldur: WaldurSettings {
                customer_uuid: customer,
                ..waldur
            },
            offering_sync,
            offering_ingest,
        })
    }

    fn waldur(
        args: &WaldurArgs,
        file: &FileConfig,
        secrets: &Secrets,
    ) -> Result<WaldurSettings, ConfigError> {
        let base_url = required(
            "waldur_base_url",
            pick(args.base_url.clone(), file.waldur_base_url.clone()),
            "(the provider's Waldur API root)",
        )?;
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(ConfigError::new(
                "waldur_base_url",
                format!("{base_url:?} is not an http(s) URL"),
            ));
        }
        let env_token = secrets::env_token(
            "waldur_token",
            "VIRTENGINE_WALDUR_TOKEN (or WALDUR_TOKEN)",
            secrets.waldur_token.as_ref(),
        )?;
        let token = match pick(args.token_file.clone(), file.waldur_token_file.clone()) {
            Some(path) => secrets::read_token_file("waldur_token_file", &path)?,
            None => env_token.ok_or_else(|| {
                ConfigError::new(
                    "waldur_token_file",
                    "no Waldur token: set VIRTENGINE_WALDUR_TOKEN (or WALDUR_TOKEN), or name a token file",
                )
            })?,
        };
        let offering_map = match pick(args.offering_map.clone(), file.waldur_offering_map.clone()) {
            Some(path) => read_json("waldur_offering_map", &path)?,
            None => BTreeMap::new(),
        };
        let category_map = match pick(args.category_map.clone(), file.waldur_category_map.clone()) {
            Some(path) => read_json("waldur_category_map", &path)?,
            None => BTreeMap::new(),
        };
        let category_profiles = match pick(
            args.category_profiles.clone(),
            file.waldur_category_profiles.clone(),
        ) {
            Some(path) => read_json("waldur_category_profiles", &path)?,
            None => BTreeMap::new(),
        };
        let cluster_map = match pick(args.cluster_map.clone(), file.waldur_cluster_map.clone()) {
            Some(path) => read_json("waldur_cluster_map", &path)?,
            None => BTreeMap::new(),
        };
        Ok(WaldurSettings {
            base_url,
            token,
            project_uuid: required(
                "waldur_project_uuid",
                pick(args.project_uuid.clone(), file.waldur_project_uuid.clone()),
                "(the Waldur project orders go to)",
            )?,
            customer_uuid: None,
            offering_map,
            category_map,
            category_profiles,
            accept_terms_of_service: pick(
                args.accept_terms_of_service,
                file.waldur_accept_terms_of_service,
            )
            .unwrap_or(false),
            order_plan: pick(args.order_plan.clone(), file.waldur_order_plan.clone()),
            cluster_map,
            timeout: seconds(
                "waldur_timeout",
                pick(args.timeout, file.waldur_timeout).unwrap_or(defaults::WALDUR_TIMEOUT_SECS),
            )?,
            rate_limit_per_second: rate(
                "waldur_rate_limit_per_second",
                pick(
                    args.rate_limit_per_second,
                    file.waldur_rate_limit_per_second,
                )
                .unwrap_or(defaults::WALDUR_RATE_LIMIT_PER_SECOND),
            )?,
            rate_limit_burst: positive(
                "waldur_rate_limit_burst",
                pick(args.rate_limit_burst, file.waldur_rate_limit_burst)
                    .unwrap_or(defaults::WALDUR_RATE_LIMIT_BURST),
            )?,
        })
    }

    /// Opens and reads the files the settings name that [`Settings::resolve`]
    /// has not read (it reads the token files and the maps): the signing
    /// key and, on the rpc chain, the `[rpc]` settings and the fee key,
    /// each refused unless private to its owner. `--check-config` calls
    /// it, so a missing or exposed key fails the check, not the start.
    pub fn check_files(&self) -> Result<(), ConfigError> {
        crate::chain::keys::load(&self.key_file)
            .map_err(|e| ConfigError::new("key_file", e.to_string()))?;
        if let ChainSettings::Rpc(rpc) = &self.chain {
            let client: crate::chain::rpc::RpcConfig = serde_json::from_value(rpc.client_config())
                .map_err(|e| ConfigError::new("rpc", e.to_string()))?;
            client
                .validate()
                .map_err(|e| ConfigError::new("rpc", e.to_string()))?;
            crate::chain::rpc::load_fee_key(&client.fee_key_file)
                .map_err(|e| ConfigError::new("rpc.fee_key_file", e.to_string()))?;
        }
        Ok(())
    }

    /// Reads the file named by `--config` (if any) and resolves.
    pub fn load(args: RunArgs, secrets: Secrets) -> Result<Settings, ConfigError> {
        let file = match &args.config {
            Some(path) => FileConfig::load(path)?,
            None => FileConfig::default(),
        };
        Settings::resolve(args, file, secrets)
    }
}

fn positive(field: &str, value: u32) -> Result<u32, ConfigError> {
    if value == 0 {
        return Err(ConfigError::new(field, "must be at least 1"));
    }
    Ok(value)
}

/// The Waldur flags, split off so the Waldur part resolves on its own.
struct WaldurArgs {
    base_url: Option<String>,
    token_file: Option<PathBuf>,
    project_uuid: Option<String>,
    offering_map: Option<PathBuf>,
    category_map: Option<PathBuf>,
    category_profiles: Option<PathBuf>,
    accept_terms_of_service: Option<bool>,
    order_plan: Option<String>,
    cluster_map: Option<PathBuf>,
    timeout: Option<f64>,
    rate_limit_per_second: Option<f64>,
    rate_limit_burst: Option<u32>,
}

fn args_waldur(args: &RunArgs) -> WaldurArgs {
    WaldurArgs {
        base_url: args.waldur_base_url.clone(),
        token_file: args.waldur_token_file.clone(),
        project_uuid: args.waldur_project_uuid.clone(),
        offering_map: args.waldur_offering_map.clone(),
        category_map: args.waldur_category_map.clone(),
        category_profiles: args.waldur_category_profiles.clone(),
        accept_terms_of_service: args.waldur_accept_terms_of_service,
        order_plan: args.waldur_order_plan.clone(),
        cluster_map: args.waldur_cluster_map.clone(),
        timeout: args.waldur_timeout,
        rate_limit_per_second: args.waldur_rate_limit_per_second,
        rate_limit_burst: args.waldur_rate_limit_burst,
    }
}
