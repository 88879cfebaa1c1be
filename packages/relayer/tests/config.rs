//! The config layers (flag > file > default; the variables are checked
//! through the binary in tests/cli.rs) and the checks that name the field
//! at fault.

use std::path::Path;
use std::time::Duration;

use clap::Parser;
use ve_relayer::runtime::audit::LogFormat;
use ve_relayer::runtime::config::{
    ChainSettings, ConfigError, FileConfig, RunArgs, Secrets, Settings,
};

#[derive(Parser)]
struct Flags {
    #[command(flatten)]
    args: RunArgs,
}

fn flags(argv: &[&str]) -> RunArgs {
    let mut full = vec!["ve-relayer"];
    full.extend_from_slice(argv);
    Flags::try_parse_from(full).expect("flags").args
}

fn token() -> Secrets {
    Secrets {
        waldur_token: Some("t0k3n".into()),
        admin_token: None,
    }
}

const MINIMAL: &str = r#"
waldur_base_url = "http://127.0.0.1:9/api/"
waldur_project_uuid = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
"#;

fn resolve(argv: &[&str], file: &str, secrets: Secrets) -> Result<Settings, ConfigError> {
    let file = FileConfig::parse(file)?;
    Settings::resolve(flags(argv), file, secrets)
}

/// A secret file as an operator should leave it: mode 0600.
fn write_secret(path: &Path, text: &str) {
    std::fs::write(path, text).expect("write");
    set_mode(path, 0o600);
}

fn set_mode(path: &Path, mode: u32) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
}

fn error_of(result: Result<Settings, ConfigError>) -> ConfigError {
    match result {
        Ok(s) => panic!("accepted: {s:?}"),
        Err(e) => e,
    }
}

fn field_of(result: Result<Settings, ConfigError>) -> String {
    match result {
        Ok(s) => panic!("accepted: {s:?}"),
        Err(e) => e.field,
    }
}

#[test]
fn defaults_fill_what_nobody_set() {
    let s = resolve(&[], MINIMAL, token()).expect("settings");
    assert_eq!(s.poll_interval, Duration::from_secs(6));
    assert_eq!(s.health_intervals, 3);
    assert_eq!(s.metrics_listen.to_string(), "127.0.0.1:9464");
    assert_eq!(s.admin_listen.to_string(), "127.0.0.1:8080");
    assert_eq!(s.db.to_str(), Some("data/relayer.redb"));
    assert_eq!(s.max_retries, 5);
    assert_eq!(s.log_format, LogFormat::Json);
    assert_eq!(s.chain, ChainSettings::Embedded);
    assert_eq!(s.waldur.token, "t0k3n");
    assert_eq!(
        (s.waldur.rate_limit_per_second, s.waldur.rate_limit_burst),
        (10.0, 10)
    );
    assert!(s.offering_sync.is_none());
}

#[test]
fn the_waldur_rate_limit_is_the_operators() {
    let file =
        format!("{MINIMAL}waldur_rate_limit_per_second = 200\nwaldur_rate_limit_burst = 50\n");
    let s = resolve(&[], &file, token()).expect("settings");
    assert_eq!(
        (s.waldur.rate_limit_per_second, s.waldur.rate_limit_burst),
        (200.0, 50)
    );
    let s = resolve(&["--waldur-rate-limit-per-second", "2.5"], &file, token()).expect("settings");
    assert_eq!(s.waldur.rate_limit_per_second, 2.5);
}

#[test]
fn the_file_beats_the_default_and_a_flag_beats_the_file() {
    let file = format!(
        "{MINIMAL}poll_interval = 2.5\nadmin_listen = \"127.0.0.1:7001\"\nlog_format = \"text\"\n\
         waldur_offering_sync_enabled = true\nwaldur_customer_uuid = \"c1\"\n\
         waldur_offering_sync_interval = 120\n"
    );
    let s = resolve(&[], &file, token()).expect("settings");
    assert_eq!(s.poll_interval, Duration::from_millis(2_500));
    assert_eq!(s.admin_listen.to_string(), "127.0.0.1:7001");
    assert_eq!(s.log_format, LogFormat::Text);
    let sync = s.offering_sync.expect("sync on");
    assert_eq!(sync.interval, Duration::from_secs(120));
    assert_eq!(sync.customer_uuid, "c1");

    let s = resolve(
        &[
            "--poll-interval",
            "1",
            "--admin-listen",
            "127.0.0.1:7002",
            "--log-format",
            "json",
            "--waldur-offering-sync-enabled=false",
        ],
        &file,
        token(),
    )
    .expect("settings");
    assert_eq!(s.poll_interval, Duration::from_secs(1));
    assert_eq!(s.admin_listen.to_string(), "127.0.0.1:7002");
    assert_eq!(s.log_format, LogFormat::Json);
    assert!(s.offering_sync.is_none(), "the flag turned the sync off");
    // A bare boolean flag means true (the guide's `--waldur-offering-sync-enabled`).
    let s = resolve(
        &["--waldur-offering-sync-enabled"],
        &format!("{MINIMAL}waldur_customer_uuid = \"c\"\n"),
        token(),
    )
    .expect("settings");
    assert!(s.offering_sync.is_some());
}

#[test]
fn a_token_in_the_config_file_is_refused() {
    for (key, field) in [
        ("waldur_token = \"s3cret\"", "waldur_token"),
        ("token = \"s3cret\"", "token"),
        ("[rpc]\napi_token = \"s3cret\"", "rpc.api_token"),
        (
            "[rpc]\nfee_payer_mnemonic = \"s3cret\"",
            "rpc.fee_payer_mnemonic",
        ),
    ] {
        let err = FileConfig::parse(&format!("{MINIMAL}{key}\n")).expect_err(key);
        assert_eq!(err.field, field, "{err}");
        assert!(err.message.contains("VIRTENGINE_WALDUR_TOKEN"), "{err}");
        assert!(
            !err.to_string().contains("s3cret"),
            "the error must not echo the secret: {err}"
        );
    }
    // A token *file* is fine.
    FileConfig::parse(&format!(
        "{MINIMAL}waldur_token_file = \"/run/secrets/waldur\"\n"
    ))
    .expect("token file");
}

#[test]
fn the_token_comes_from_the_environment_or_a_file() {
    assert_eq!(
        field_of(resolve(&[], MINIMAL, Secrets::default())),
        "waldur_token_file"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("token");
    write_secret(&path, "  from-file\n");
    let file = format!("{MINIMAL}waldur_token_file = \"{}\"\n", path.display());
    let s = resolve(&[], &file, token()).expect("settings");
    assert_eq!(
        s.waldur.token, "from-file",
        "a named file wins over the variable"
    );
    std::fs::write(&path, "\n").expect("write");
    assert_eq!(field_of(resolve(&[], &file, token())), "waldur_token_file");
    // And the token never appears in the printed settings.
    let s = resolve(&[], MINIMAL, token()).expect("settings");
    let shown = serde_json::to_string(&s).expect("json");
    assert!(!shown.contains("t0k3n"), "{shown}");
}

#[test]
fn bad_values_are_refused_naming_the_field() {
    let cases = [
        ("admin_listen = \"localhost\"", "admin_listen"),
        ("metrics_listen = \"127.0.0.1:99999\"", "metrics_listen"),
        ("metrics_listen = \"127.0.0.1:8080\"", "admin_listen"),
        ("poll_interval = 0", "poll_interval"),
        ("poll_interval = -1.5", "poll_interval"),
        ("health_intervals = 0", "health_intervals"),
        (
            "waldur_rate_limit_per_second = 0",
            "waldur_rate_limit_per_second",
        ),
        (
            "waldur_rate_limit_per_second = -3",
            "waldur_rate_limit_per_second",
        ),
        ("waldur_rate_limit_burst = 0", "waldur_rate_limit_burst"),
        ("log_format = \"xml\"", "log_format"),
        ("chain = \"cosmos\"", "chain"),
        ("chain = \"rpc\"", "node"),
        (
            "waldur_offering_sync_enabled = true",
            "waldur_customer_uuid",
        ),
        (
            "waldur_offering_map = \"/nonexistent/map.json\"",
            "waldur_offering_map",
        ),
    ];
    for (line, field) in cases {
        assert_eq!(
            field_of(resolve(&[], &format!("{MINIMAL}{line}\n"), token())),
            field,
            "{line}"
        );
    }
    assert_eq!(
        field_of(resolve(&[], "waldur_project_uuid = \"p\"\n", token())),
        "waldur_base_url"
    );
    assert_eq!(
        field_of(resolve(
            &[],
            "waldur_base_url = \"ftp://x/\"\nwaldur_project_uuid = \"p\"\n",
            token()
        )),
        "waldur_base_url"
    );
    assert_eq!(
        field_of(resolve(&["--admin-listen", "nowhere"], MINIMAL, token())),
        "admin_listen"
    );
}

#[test]
fn unknown_and_mistyped_keys_are_named() {
    let err = FileConfig::parse(&format!("{MINIMAL}pol_interval = 5\n")).expect_err("typo");
    assert!(err.message.contains("pol_interval"), "{err}");
    let err = FileConfig::parse(&format!("{MINIMAL}max_retries = \"five\"\n")).expect_err("type");
    assert!(err.message.contains("max_retries"), "{err}");
}

#[test]
fn the_rpc_chain_takes_its_table_through() {
    let file = format!(
        "{MINIMAL}chain = \"rpc\"\nnode = \"http://localhost:26657\"\nchain_id = \"virtengine-1\"\n\
         callback_contract = \"ve1cb\"\nprovider = \"ve1provider\"\n[rpc]\ngas_price = \"0.025uvirt\"\n[rpc.contracts]\nmarketplace = \"ve1market\"\n"
    );
    let s = resolve(&[], &file, token()).expect("settings");
    match s.chain {
        ChainSettings::Rpc(rpc) => {
            assert_eq!(rpc.node, "http://localhost:26657");
            assert_eq!(rpc.options["gas_price"], "0.025uvirt");
            // What the RPC client deserialises its config from.
            let client = rpc.client_config();
            assert_eq!(client["rpc_url"], "http://localhost:26657");
            assert_eq!(client["chain_id"], "virtengine-1");
            assert_eq!(client["contracts"]["waldur_callback"], "ve1cb");
            assert_eq!(client["contracts"]["marketplace"], "ve1market");
            assert_eq!(client["gas_price"], "0.025uvirt");
        }
        other => panic!("{other:?}"),
    }
    let no_provider = file.replace("provider = \"ve1provider\"\n", "");
    assert_eq!(field_of(resolve(&[], &no_provider, token())), "provider");
}

/// The operator guide's example is what an operator copies: it must parse,
/// and its `[rpc]` table must be a valid RPC client configuration.
#[test]
fn the_operator_guide_example_config_is_valid() {
    let guide = include_str!("../../../docs/operator-guide.md");
    let start = guide
        .find("```toml\n# relayer.toml")
        .expect("example in the operator guide")
        + 8;
    let end = start + guide[start..].find("```").expect("end of example");
    let file = FileConfig::parse(&guide[start..end]).expect("operator guide example parses");
    assert_eq!(file.chain.as_deref(), Some("rpc"));
    let rpc = ve_relayer::runtime::config::RpcSettings {
        node: file.node.clone().expect("node"),
        chain_id: file.chain_id.clone().expect("chain_id"),
        callback_contract: file.callback_contract.clone().expect("callback_contract"),
        options: file.rpc.clone().expect("[rpc]"),
    };
    let client: ve_relayer::chain::rpc::RpcConfig =
        serde_json::from_value(rpc.client_config()).expect("[rpc] is an RpcConfig");
    client.validate().expect("valid RPC settings");
    assert_eq!(client.contracts.waldur_callback, rpc.callback_contract);
}

#[test]
fn the_cluster_map_is_read_from_its_json_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let map = dir.path().join("clusters.json");
    std::fs::write(&map, r#"{"prov1/1": "5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e"}"#).expect("write");
    let file = format!(
        "{MINIMAL}waldur_cluster_map = {:?}\n",
        map.display().to_string()
    );
    let s = resolve(&[], &file, token()).expect("settings");
    assert_eq!(
        s.waldur.cluster_map.get("prov1/1").map(String::as_str),
        Some("5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e")
    );
    std::fs::write(&map, "[1, 2]").expect("write");
    assert_eq!(field_of(resolve(&[], &file, token())), "waldur_cluster_map");
}

#[test]
fn the_admin_api_off_loopback_needs_a_token() {
    for address in ["0.0.0.0:8080", "192.0.2.7:8080", "[::]:8080"] {
        let err = error_of(resolve(&["--admin-listen", address], MINIMAL, token()));
        assert_eq!(err.field, "admin_listen", "{err}");
        assert!(err.message.contains(address), "names the address: {err}");
        assert!(
            err.message.contains("VIRTENGINE_ADMIN_TOKEN")
                && err.message.contains("admin_token_file"),
            "says how to set a token: {err}"
        );
    }
    // Loopback may go without (the default); with a token anything goes.
    for address in ["127.0.0.1:8080", "[::1]:8080"] {
        resolve(&["--admin-listen", address], MINIMAL, token()).expect("loopback");
    }
    let with_admin = Secrets {
        admin_token: Some("adm1n".into()),
        ..token()
    };
    let s = resolve(&["--admin-listen", "0.0.0.0:8080"], MINIMAL, with_admin).expect("token");
    assert_eq!(s.admin_token.as_deref(), Some("adm1n"));
}

#[test]
fn an_empty_token_is_an_error_not_no_token() {
    for blank in ["", "  "] {
        let secrets = Secrets {
            admin_token: Some(blank.into()),
            ..token()
        };
        let err = error_of(resolve(&[], MINIMAL, secrets));
        assert_eq!(err.field, "admin_token", "{err}");
        assert!(
            err.message
                .contains("VIRTENGINE_ADMIN_TOKEN is set but empty"),
            "{err}"
        );
        let secrets = Secrets {
            waldur_token: Some(blank.into()),
            admin_token: None,
        };
        assert_eq!(field_of(resolve(&[], MINIMAL, secrets)), "waldur_token");
    }
    // An empty token file too.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("admin-token");
    write_secret(&path, " \n");
    let file = format!(
        "{MINIMAL}admin_token_file = {:?}\n",
        path.display().to_string()
    );
    let err = error_of(resolve(&[], &file, token()));
    assert_eq!(err.field, "admin_token_file", "{err}");
    assert!(err.message.contains("is empty"), "{err}");
}

#[cfg(unix)]
#[test]
fn token_files_others_can_read_are_refused_with_the_fix() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (key, name) in [
        ("admin_token_file", "admin-token"),
        ("waldur_token_file", "waldur-token"),
    ] {
        let path = dir.path().join(name);
        write_secret(&path, "s3cret\n");
        let file = format!("{MINIMAL}{key} = {:?}\n", path.display().to_string());
        resolve(&[], &file, token()).expect("a private token file");
        for mode in [0o644, 0o640, 0o606] {
            set_mode(&path, mode);
            let err = error_of(resolve(&[], &file, token()));
            assert_eq!(err.field, key, "{err}");
            for part in [
                path.display().to_string(),
                format!("{mode:04o}"),
                "chmod 600".to_string(),
            ] {
                assert!(err.message.contains(&part), "{part:?} missing: {err}");
            }
            assert!(!err.to_string().contains("s3cret"), "{err}");
        }
    }
}

#[test]
fn checking_the_files_reads_the_keys_the_settings_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = dir.path().join("signer.key");
    let fee_key = dir.path().join("fee.key");
    let embedded = format!("{MINIMAL}key_file = {:?}\n", key.display().to_string());
    let s = resolve(&[], &embedded, token()).expect("settings");
    let err = s.check_files().expect_err("no key file yet");
    assert_eq!(err.field, "key_file", "{err}");
    assert!(err.message.contains(&key.display().to_string()), "{err}");

    ve_relayer::chain::keys::generate(&key).expect("key");
    s.check_files().expect("the key is there and private");
    set_mode(&key, 0o644);
    #[cfg(unix)]
    {
        let err = s.check_files().expect_err("readable by others");
        assert_eq!(err.field, "key_file", "{err}");
        assert!(
            err.message.contains("0644") && err.message.contains("chmod 600"),
            "{err}"
        );
    }
    set_mode(&key, 0o600);

    let rpc = format!(
        "{embedded}chain = \"rpc\"\nnode = \"http://localhost:26657\"\nchain_id = \"virtengine-1\"\n\
         callback_contract = \"ve1cb\"\nprovider = \"ve1provider\"\n[rpc]\nfee_key_file = {:?}\n\
         [rpc.contracts]\nmarketplace = \"ve1market\"\n",
        fee_key.display().to_string()
    );
    let s = resolve(&[], &rpc, token()).expect("settings");
    let err = s.check_files().expect_err("no fee key yet");
    assert_eq!(err.field, "rpc.fee_key_file", "{err}");
    assert!(
        err.message.contains(&fee_key.display().to_string()),
        "{err}"
    );
    ve_relayer::chain::keys::generate(&fee_key).expect("fee key");
    s.check_files().expect("both keys there");
}

#[test]
fn category_profiles_and_terms_acceptance_are_read_with_safe_defaults() {
    // Nobody set them: no profiles (every category gets Marketplace.Basic)
    // and terms of service are not accepted on the operator's behalf.
    let s = resolve(&[], MINIMAL, token()).expect("settings");
    assert!(s.waldur.category_profiles.is_empty());
    assert!(!s.waldur.accept_terms_of_service);
    assert_eq!(s.waldur.order_plan, None);
    let s = resolve(&["--waldur-order-plan", "Gold"], MINIMAL, token()).expect("settings");
    assert_eq!(s.waldur.order_plan.as_deref(), Some("Gold"));

    let dir = tempfile::tempdir().expect("tempdir");
    let profiles = dir.path().join("profiles.json");
    std::fs::write(
        &profiles,
        r#"{"hpc": {"type": "Marketplace.Slurm", "plan_name": "Hourly", "plan_unit": "hour"}}"#,
    )
    .expect("write");
    let file = format!(
        "{MINIMAL}waldur_category_profiles = {:?}\nwaldur_accept_terms_of_service = true\n",
        profiles.display().to_string()
    );
    let s = resolve(&[], &file, token()).expect("settings");
    let hpc = &s.waldur.category_profiles[&ve_types::Category::Hpc];
    assert_eq!(hpc.offering_type, "Marketplace.Slurm");
    assert_eq!(hpc.plan_name, "Hourly");
    assert!(s.waldur.accept_terms_of_service);
    // The flag wins over the file.
    let s = resolve(
        &["--waldur-accept-terms-of-service", "false"],
        &file,
        token(),
    )
    .expect("settings");
    assert!(!s.waldur.accept_terms_of_service);

    // A misspelt key in the file names the setting, not a silent default.
    std::fs::write(&profiles, r#"{"hpc": {"typ": "Marketplace.Slurm"}}"#).expect("write");
    let err = error_of(resolve(&[], &file, token()));
    assert_eq!(err.field, "waldur_category_profiles", "{err}");
    assert!(err.message.contains("typ"), "{err}");
}
