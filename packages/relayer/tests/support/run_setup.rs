//! What `ve-relayer run` with `chain = "rpc"` needs beside the fake node: a
//! Waldur emulator with the provider's offering mapped, the two key files
//! and a config file, written into a temporary folder.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use waldur_emulator::{Emulator, EmulatorHandle, OfferingSeed};

use super::{World, FEE_SECRET, SIGNER_SEED};

pub struct RunSetup {
    pub waldur: EmulatorHandle,
    pub config_text: String,
    pub config: PathBuf,
    pub db: PathBuf,
    pub dir: tempfile::TempDir,
}

/// A key file as `keys generate` writes it: hex, owner-only.
pub fn write_private(path: &Path, secret: &[u8; 32]) {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).expect("key file");
    file.write_all(hex::encode(secret).as_bytes())
        .expect("write key");
}

/// The emulator (accepting `token`) and a config for `world`'s provider,
/// its first offering mapped to a Waldur offering; `poll_interval` in
/// seconds.
pub async fn run_setup(world: &World, token: &str, poll_interval: f64) -> RunSetup {
    let dir = tempfile::tempdir().expect("tempdir");
    let waldur = Emulator::start(token).await.expect("emulator");
    let org = waldur.state.seed_customer("Provider Org");
    let project = waldur.state.seed_project(&org.uuid, "P").expect("project");
    let category = waldur.state.seed_category("Compute");
    let offering = waldur
        .state
        .seed_offering(OfferingSeed::new(&org.uuid, &category.uuid))
        .expect("offering");

    let (signer_key, fee_key) = (dir.path().join("signer.key"), dir.path().join("fee.key"));
    write_private(&signer_key, &SIGNER_SEED);
    write_private(&fee_key, &FEE_SECRET);
    let offering_map = dir.path().join("offerings.json");
    std::fs::write(
        &offering_map,
        serde_json::json!({ format!("{}/1", world.provider): offering.uuid }).to_string(),
    )
    .expect("offering map");
    let db = dir.path().join("relayer.redb");
    let config_text = format!(
        r#"db = "{db}"
key_file = "{signer_key}"
key_id = "relayer-1"
provider = "{provider}"
chain = "rpc"
node = "{node}"
chain_id = "{chain_id}"
callback_contract = "{callback}"
poll_interval = {poll_interval}
metrics_listen = "127.0.0.1:0"
admin_listen = "127.0.0.1:0"
waldur_base_url = "{waldur}"
waldur_project_uuid = "{project}"
waldur_offering_map = "{offering_map}"

[rpc]
fee_key_file = "{fee_key}"
start_height = {start}
tx_poll_interval_ms = 2
request_timeout_ms = 2000
tx_inclusion_timeout_ms = 2000

[rpc.contracts]
marketplace = "{marketplace}"
"#,
        db = db.display(),
        signer_key = signer_key.display(),
        provider = world.provider,
        node = world.node.url,
        chain_id = world.chain_id,
        callback = world.callback,
        waldur = waldur.base_url,
        project = project.uuid,
        offering_map = offering_map.display(),
        fee_key = fee_key.display(),
        start = world.deployed_at,
        marketplace = world.marketplace,
    );
    let config = dir.path().join("relayer.toml");
    std::fs::write(&config, &config_text).expect("config");
    RunSetup {
        waldur,
        config_text,
        config,
        db,
        dir,
    }
}
