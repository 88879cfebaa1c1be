//! The off-chain processes beside the devnet: the Waldur emulator
//! (`waldur-emulator`) and the relayer (`ve-relayer run`), each its own
//! process, as an operator runs them.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

/// Builds `ve-relayer` and `waldur-emulator` (a no-op when current) and
/// returns the directory that holds them. They get a target directory of
/// their own (`target/devnet-bins`): built inside the workspace's, with the
/// feature set of these two packages alone, they would replace libraries
/// that a running `cargo test --workspace` has yet to link its doc tests
/// against.
pub fn build_binaries() -> Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let workspace_target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::repo_root().join("target"));
    let target = workspace_target.join("devnet-bins");
    let status = Command::new(cargo)
        .current_dir(crate::repo_root())
        .args(["build", "--quiet", "--locked"])
        .args(["-p", "ve-relayer", "--bin", "ve-relayer"])
        .args(["-p", "waldur-emulator", "--bin", "waldur-emulator"])
        .arg("--target-dir")
        .arg(&target)
        .status()
        .context("running cargo build")?;
    if !status.success() {
        bail!("building ve-relayer and waldur-emulator failed");
    }
    Ok(target.join("debug"))
}

/// Sends SIGTERM (the operator's stop) to a child.
fn terminate(child: &Child) -> Result<()> {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .context("running kill")?;
    if !status.success() {
        bail!("kill -TERM {} failed", child.id());
    }
    Ok(())
}

/// Waits for a child to exit, at most `timeout`.
fn wait_exit(child: &mut Child, timeout: Duration) -> Result<std::process::ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        if Instant::now() >= deadline {
            bail!("process {} did not exit within {timeout:?}", child.id());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// What `waldur-emulator` seeded, from its first stdout line.
#[derive(Debug, Clone, Deserialize)]
pub struct EmulatorInfo {
    pub base_url: String,
    pub customer_uuid: String,
    pub project_uuid: String,
    pub offering_uuid: String,
    pub offering_url: String,
    pub service_settings_uuid: String,
    pub service_settings_url: String,
}

/// A `waldur-emulator` process, stopped on drop.
pub struct EmulatorProcess {
    child: Child,
    pub info: EmulatorInfo,
    pub token: String,
}

impl EmulatorProcess {
    pub fn start(bin_dir: &Path, token: &str) -> Result<EmulatorProcess> {
        let mut child = Command::new(bin_dir.join("waldur-emulator"))
            .args(["--listen", "127.0.0.1:0", "--token", token])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("starting waldur-emulator")?;
        let stdout = child.stdout.take().context("emulator stdout")?;
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .context("reading the emulator's first line")?;
        let info = serde_json::from_str(&line)
            .with_context(|| format!("the emulator's first line {line:?}"))?;
        Ok(EmulatorProcess {
            child,
            info,
            token: token.to_string(),
        })
    }

    fn http(&self) -> Result<reqwest::blocking::Client> {
        reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .context("http client")
    }

    fn origin(&self) -> &str {
        self.info.base_url.trim_end_matches("api/")
    }

    /// `GET` of an API path (below `/api/`), as JSON.
    pub fn get(&self, path: &str) -> Result<serde_json::Value> {
        let url = format!("{}{}", self.info.base_url, path);
        let response = self
            .http()?
            .get(&url)
            .header("Authorization", format!("Token {}", self.token))
            .send()
            .with_context(|| format!("GET {url}"))?;
        if !response.status().is_success() {
            bail!("GET {url}: {}", response.status());
        }
        response.json().context("emulator answer")
    }

    /// `POST` of an API path (below `/api/`) with a JSON body.
    pub fn post(&self, path: &str, body: &serde_json::Value) -> Result<serde_json::Value> {
        let url = format!("{}{}", self.info.base_url, path);
        let response = self
            .http()?
            .post(&url)
            .header("Authorization", format!("Token {}", self.token))
            .json(body)
            .send()
            .with_context(|| format!("POST {url}"))?;
        let status = response.status();
        let text = response.text().unwrap_or_default();
        if !status.is_success() {
            bail!("POST {url}: {status}: {text}");
        }
        Ok(serde_json::from_str(&text).unwrap_or(serde_json::Value::Null))
    }

    /// Counts of orders, resources, SLURM jobs and usages
    /// (`GET /control/summary/`).
    pub fn summary(&self) -> Result<serde_json::Value> {
        let url = format!("{}control/summary/", self.origin());
        self.http()?
            .get(&url)
            .header("Authorization", format!("Token {}", self.token))
            .send()
            .and_then(|r| r.error_for_status())
            .with_context(|| format!("GET {url}"))?
            .json()
            .context("summary")
    }

    /// What SLURM does to a job: its `runtime_state` and report.
    pub fn set_slurm_job_runtime(
        &self,
        uuid: &str,
        state: &str,
        report: Option<serde_json::Value>,
    ) -> Result<()> {
        let url = format!("{}control/slurm-jobs/{uuid}/runtime/", self.origin());
        let mut body = serde_json::json!({ "state": state });
        if let Some(report) = report {
            body["report"] = report;
        }
        self.http()?
            .post(&url)
            .header("Authorization", format!("Token {}", self.token))
            .json(&body)
            .send()
            .and_then(|r| r.error_for_status())
            .with_context(|| format!("POST {url}"))?;
        Ok(())
    }
}

impl Drop for EmulatorProcess {
    fn drop(&mut self) {
        if terminate(&self.child).is_err()
            || wait_exit(&mut self.child, Duration::from_secs(10)).is_err()
        {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A `ve-relayer run` process; its audit log (JSON lines) goes to a file.
/// Killed on drop if still running.
pub struct RelayerProcess {
    child: Child,
    pub log: PathBuf,
    /// `/healthz` and `/admin/*` (from the `relayer.started` line).
    pub admin_url: String,
    pub metrics_url: String,
}

impl RelayerProcess {
    /// Starts `ve-relayer run --config CONFIG` with the Waldur token in its
    /// environment and waits until it has bound its listeners.
    pub fn start(
        bin_dir: &Path,
        config: &Path,
        waldur_token: &str,
        log: &Path,
    ) -> Result<RelayerProcess> {
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .with_context(|| format!("opening {}", log.display()))?;
        let start_offset = log_file.metadata()?.len();
        let mut child = Command::new(bin_dir.join("ve-relayer"))
            .args(["run", "--config", &config.to_string_lossy()])
            .env("VIRTENGINE_WALDUR_TOKEN", waldur_token)
            .stdout(log_file.try_clone()?)
            .stderr(log_file)
            .spawn()
            .context("starting ve-relayer run")?;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            let fresh = text
                .get(usize::try_from(start_offset)?..)
                .unwrap_or_default();
            if let Some(started) = fresh
                .lines()
                .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                .find(|v| v["event"] == "relayer.started")
            {
                let field = |k: &str| started[k].as_str().map(str::to_owned).context(k.to_owned());
                return Ok(RelayerProcess {
                    child,
                    log: log.to_path_buf(),
                    admin_url: format!("http://{}", field("admin_listen")?),
                    metrics_url: format!("http://{}/metrics", field("metrics_listen")?),
                });
            }
            if let Some(status) = child.try_wait()? {
                bail!("ve-relayer run exited ({status}) before starting:\n{fresh}");
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                bail!("ve-relayer run did not start within 30 s:\n{fresh}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The operator's stop (SIGTERM); the exit status.
    pub fn stop(mut self) -> Result<std::process::ExitStatus> {
        terminate(&self.child)?;
        wait_exit(&mut self.child, Duration::from_secs(30))
    }

    /// A crash: SIGKILL, no chance to flush anything.
    pub fn kill9(mut self) -> Result<()> {
        self.child.kill().context("SIGKILL")?;
        self.child.wait()?;
        Ok(())
    }

    /// `GET /healthz`: the HTTP status (0 when it does not answer).
    pub fn health(&self) -> u16 {
        reqwest::blocking::Client::new()
            .get(format!("{}/healthz", self.admin_url))
            .timeout(Duration::from_secs(5))
            .send()
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
    }

    /// The audit lines with this `event`.
    pub fn audit(&self, event: &str) -> Vec<serde_json::Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["event"] == event)
            .collect()
    }
}

impl Drop for RelayerProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Polls `check` until it answers `Some`, at most `timeout`; the error
/// names what was awaited and the last state seen.
pub fn wait_until<T>(
    what: &str,
    timeout: Duration,
    mut check: impl FnMut() -> Result<Option<T>>,
) -> Result<T> {
    let deadline = Instant::now() + timeout;
    loop {
        let last = match check() {
            Ok(Some(value)) => return Ok(value),
            Ok(None) => String::from("not yet"),
            Err(e) => format!("{e:#}"),
        };
        if Instant::now() >= deadline {
            bail!("{what}: not reached within {timeout:?} (last: {last})");
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}
