//! The TOML config file: the same keys as the flags (`waldur_base_url`
//! for `--waldur-base-url`), plus an optional `[rpc]` table handed to the
//! RPC chain client as it is.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::error::ConfigError;

/// Keys that would put a secret in the file. Checked before the file is
/// read as settings, so the error says why rather than "unknown field".
const SECRET_KEYS: [&str; 9] = [
    "token",
    "waldur_token",
    "api_token",
    "admin_token",
    "password",
    "secret",
    "mnemonic",
    "private_key",
    "seed",
];

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub db: Option<PathBuf>,
    pub max_retries: Option<u32>,
    pub key_file: Option<PathBuf>,
    pub key_id: Option<String>,
    pub provider: Option<String>,
    pub chain: Option<String>,
    pub node: Option<String>,
    pub chain_id: Option<String>,
    pub callback_contract: Option<String>,
    pub poll_interval: Option<f64>,
    pub health_intervals: Option<u32>,
    pub metrics_listen: Option<String>,
    pub admin_listen: Option<String>,
    pub admin_token_file: Option<PathBuf>,
    pub log_format: Option<String>,
    pub log_file: Option<PathBuf>,
    pub waldur_base_url: Option<String>,
    pub waldur_token_file: Option<PathBuf>,
    pub waldur_project_uuid: Option<String>,
    pub waldur_customer_uuid: Option<String>,
    pub waldur_offering_map: Option<PathBuf>,
    pub waldur_category_map: Option<PathBuf>,
    pub waldur_category_profiles: Option<PathBuf>,
    pub waldur_accept_terms_of_service: Option<bool>,
    pub waldur_order_plan: Option<String>,
    pub waldur_cluster_map: Option<PathBuf>,
    pub waldur_offering_sync_enabled: Option<bool>,
    pub waldur_offering_sync_interval: Option<f64>,
    pub waldur_offering_sync_max_retries: Option<u32>,
    pub waldur_offering_ingest_enabled: Option<bool>,
    pub waldur_offering_ingest_interval: Option<f64>,
    pub waldur_timeout: Option<f64>,
    pub waldur_rate_limit_per_second: Option<f64>,
    pub waldur_rate_limit_burst: Option<u32>,
    pub denom: Option<String>,
    pub denom_decimals: Option<u32>,
    /// Settings of the RPC chain client, passed through.
    pub rpc: Option<serde_json::Value>,
}

/// The first key (as a dotted path) anywhere in `table` that names a secret.
fn secret_key(table: &toml::Table, at: &str) -> Option<String> {
    for (key, value) in table {
        let path = if at.is_empty() {
            key.clone()
        } else {
            format!("{at}.{key}")
        };
        let lower = key.to_ascii_lowercase();
        let named_secret = SECRET_KEYS.contains(&lower.as_str())
            || (lower.ends_with("_token") && !lower.ends_with("_token_file"))
            || lower.ends_with("_password")
            || lower.ends_with("_secret")
            || lower.ends_with("_mnemonic");
        if named_secret {
            return Some(path);
        }
        if let toml::Value::Table(inner) = value {
            if let Some(found) = secret_key(inner, &path) {
                return Some(found);
            }
        }
    }
    None
}

impl FileConfig {
    pub fn parse(text: &str) -> Result<FileConfig, ConfigError> {
        let table: toml::Table = toml::from_str(text)
            .map_err(|e| ConfigError::new("config", e.to_string().trim_end()))?;
        if let Some(key) = secret_key(&table, "") {
            return Err(ConfigError::new(
                &key,
                "secrets are not read from the config file: give the Waldur token in \
                 VIRTENGINE_WALDUR_TOKEN (or WALDUR_TOKEN) or waldur_token_file, the admin \
                 token in VIRTENGINE_ADMIN_TOKEN or admin_token_file, keys in files",
            ));
        }
        // Parsed again from the text so the error shows the line (and so
        // the key) of an unknown or mistyped setting.
        toml::from_str(text).map_err(|e| ConfigError::new("config", e.to_string().trim_end()))
    }

    pub fn load(path: &Path) -> Result<FileConfig, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::new("config", format!("{}: {e}", path.display())))?;
        FileConfig::parse(&text).map_err(|e| ConfigError {
            message: format!("{} ({})", e.message, path.display()),
            ..e
        })
    }
}
