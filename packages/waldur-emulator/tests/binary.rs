//! The `waldur-emulator` binary as a separate process: the ready line, the
//! token, the control endpoints, the loopback-only rule and shutdown on
//! SIGTERM/SIGINT.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const BINARY: &str = env!("CARGO_BIN_EXE_waldur-emulator");
const TOKEN: &str = "abcdefabcdefabcdefabcdefabcdefabcdefabcd";
const TOKEN_ENV: &str = "WALDUR_EMULATOR_TOKEN";
/// Generous: the first start in a loaded CI job can be slow.
const STARTUP: Duration = Duration::from_secs(60);
/// How long a signalled emulator may take to exit.
const SHUTDOWN: Duration = Duration::from_secs(10);

const READY_KEYS: [&str; 10] = [
    "base_url",
    "customer_uuid",
    "project_uuid",
    "project_url",
    "category_uuid",
    "offering_uuid",
    "offering_url",
    "service_settings_uuid",
    "service_settings_url",
    "public_offering_url",
];

/// A running emulator process, killed if a test ends without stopping it.
struct Running {
    child: Child,
    line: String,
    ready: Value,
    /// `http://127.0.0.1:<port>`
    origin: String,
    /// Whatever stdout carries after the ready line, sent when it closes.
    stdout_rest: mpsc::Receiver<std::io::Result<String>>,
}

impl Running {
    fn api(&self, path: &str) -> String {
        format!("{}/api/{path}", self.origin)
    }

    fn control(&self, path: &str) -> String {
        format!("{}/control/{path}", self.origin)
    }

    fn ready_str(&self, key: &str) -> String {
        self.ready[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key} is not a string in {}", self.line))
            .to_owned()
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name} failed: {status}");
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn command() -> Command {
    let mut command = Command::new(BINARY);
    command
        .env_remove(TOKEN_ENV)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Starts the binary and waits for its ready line.
fn start(mut command: Command) -> Running {
    let mut child = command.spawn().expect("spawn waldur-emulator");
    let stdout = child.stdout.take().expect("piped stdout");
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let read = reader.read_line(&mut line).map(|_| line);
        let _ = sender.send(read);
        // Anything after the ready line would break the contract.
        let mut rest = String::new();
        let read = reader.read_to_string(&mut rest).map(|_| rest);
        let _ = sender.send(read);
    });
    let line = match receiver.recv_timeout(STARTUP) {
        Ok(Ok(line)) if !line.is_empty() => line,
        outcome => {
            let _ = child.kill();
            let output = child.wait_with_output().expect("collect output");
            panic!(
                "no ready line ({outcome:?}); status {}, stderr: {}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
        }
    };
    assert!(line.ends_with('\n'), "ready line not terminated: {line:?}");
    let ready: Value = serde_json::from_str(line.trim_end()).expect("ready line is JSON");
    let base_url = ready["base_url"].as_str().expect("base_url").to_owned();
    let origin = base_url
        .strip_suffix("/api/")
        .expect("base_url ends with /api/")
        .to_owned();
    Running {
        child,
        line,
        ready,
        origin,
        stdout_rest: receiver,
    }
}

fn start_with_token() -> Running {
    let mut command = command();
    command.args(["--token", TOKEN]);
    start(command)
}

/// Polls until the process exits, failing after `limit`.
fn wait_for_exit(child: &mut Child, limit: Duration) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "the emulator did not exit within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Runs the binary to completion (it is expected to exit by itself).
fn run_to_exit(mut command: Command) -> (ExitStatus, String, String) {
    let mut child = command.spawn().expect("spawn waldur-emulator");
    let status = wait_for_exit(&mut child, STARTUP);
    let mut stdout = String::new();
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stdout.take() {
        pipe.read_to_string(&mut stdout).expect("read stdout");
    }
    if let Some(mut pipe) = child.stderr.take() {
        pipe.read_to_string(&mut stderr).expect("read stderr");
    }
    (status, stdout, stderr)
}

fn auth() -> String {
    format!("Token {TOKEN}")
}

async fn get(http: &reqwest::Client, url: &str, token: bool) -> (u16, Value) {
    let mut request = http.get(url);
    if token {
        request = request.header("Authorization", auth());
    }
    let response = request.send().await.expect("GET");
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

async fn post_runtime(
    http: &reqwest::Client,
    emulator: &Running,
    job_uuid: &str,
    body: &str,
) -> (u16, Value) {
    let response = http
        .post(emulator.control(&format!("slurm-jobs/{job_uuid}/runtime/")))
        .header("Authorization", auth())
        .header("Content-Type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .expect("POST runtime");
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

#[tokio::test]
async fn prints_one_ready_line_and_serves_the_seeded_api() {
    let emulator = start_with_token();
    let http = reqwest::Client::new();

    // Exactly these keys, in this order, all non-empty strings.
    let object = emulator.ready.as_object().expect("an object");
    assert_eq!(object.len(), READY_KEYS.len(), "{}", emulator.line);
    let mut last = 0;
    for key in READY_KEYS {
        assert!(!emulator.ready_str(key).is_empty(), "{key} is empty");
        let at = emulator
            .line
            .find(&format!("\"{key}\":"))
            .unwrap_or_else(|| panic!("{key} missing"));
        assert!(at >= last, "{key} out of order in {}", emulator.line);
        last = at;
    }
    assert!(emulator.origin.starts_with("http://127.0.0.1:"));
    let base_url = emulator.ready_str("base_url");
    for (url_key, uuid_key, collection) in [
        ("project_url", "project_uuid", "projects/"),
        (
            "offering_url",
            "offering_uuid",
            "marketplace-provider-offerings/",
        ),
        (
            "service_settings_url",
            "service_settings_uuid",
            "service-settings/",
        ),
        (
            "public_offering_url",
            "offering_uuid",
            "marketplace-public-offerings/",
        ),
    ] {
        assert_eq!(
            emulator.ready_str(url_key),
            format!("{base_url}{collection}{}/", emulator.ready_str(uuid_key))
        );
    }

    let (status, customers) = get(&http, &emulator.api("customers/"), true).await;
    assert_eq!(status, 200, "{customers}");
    let customers = customers.as_array().expect("a list");
    assert_eq!(customers.len(), 1);
    assert_eq!(customers[0]["name"], "Provider Org");
    assert_eq!(customers[0]["uuid"], emulator.ready["customer_uuid"]);

    let (status, body) = get(&http, &emulator.api("customers/"), false).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(
        body["detail"],
        "Authentication credentials were not provided."
    );

    let (status, offering) = get(&http, &emulator.ready_str("offering_url"), true).await;
    assert_eq!(status, 200, "{offering}");
    assert_eq!(offering["state"], "Active");
    assert_eq!(offering["customer_uuid"], emulator.ready["customer_uuid"]);
    let (status, project) = get(&http, &emulator.ready_str("project_url"), true).await;
    assert_eq!(status, 200, "{project}");
    let (status, category) = get(
        &http,
        &emulator.api(&format!(
            "marketplace-categories/{}/",
            emulator.ready_str("category_uuid")
        )),
        true,
    )
    .await;
    assert_eq!(status, 200, "{category}");
    assert_eq!(category["title"], "HPC");
}

#[tokio::test]
async fn takes_the_token_from_the_environment() {
    let mut command = command();
    command.env(TOKEN_ENV, TOKEN);
    let emulator = start(command);
    let http = reqwest::Client::new();
    let (status, _) = get(&http, &emulator.api("customers/"), true).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn control_endpoints_need_the_token_and_move_jobs() {
    let emulator = start_with_token();
    let http = reqwest::Client::new();

    let (status, summary) = get(&http, &emulator.control("summary/"), true).await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(
        summary,
        json!({"orders": 0, "resources": 0, "slurm_jobs": 0, "component_usages": 0})
    );
    let (status, _) = get(&http, &emulator.control("summary/"), false).await;
    assert_eq!(status, 401);

    let unknown = "0123456789abcdef0123456789abcdef";
    let (status, body) = post_runtime(&http, &emulator, unknown, r#"{"state": "RUNNING"}"#).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["detail"], "Not found.");
    for malformed in [
        "{",
        "[]",
        "{}",
        r#"{"state": ""}"#,
        r#"{"state": 3}"#,
        r#"{"stat": "RUNNING"}"#,
        r#"{"state": "RUNNING", "runtime_state": "RUNNING"}"#,
    ] {
        let (status, body) = post_runtime(&http, &emulator, unknown, malformed).await;
        assert_eq!(status, 400, "{malformed}: {body}");
    }
    let response = http
        .post(emulator.control(&format!("slurm-jobs/{unknown}/runtime/")))
        .body(r#"{"state": "RUNNING"}"#)
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status().as_u16(), 401);

    // A job submitted through the API, as the relayer does, on the seeded
    // cluster and project.
    let boundary = "emulator-test-boundary";
    let mut form = String::new();
    for (name, value) in [
        ("name", "demo job".to_owned()),
        (
            "service_settings",
            emulator.ready_str("service_settings_url"),
        ),
        ("project", emulator.ready_str("project_url")),
    ] {
        form.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    form.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"job.sh\"\r\n\
         Content-Type: application/x-sh\r\n\r\n#!/bin/sh\necho hi\n\r\n--{boundary}--\r\n"
    ));
    let response = http
        .post(emulator.api("slurm-jobs/"))
        .header("Authorization", auth())
        .header(
            "Content-Type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(form)
        .send()
        .await
        .expect("POST slurm-jobs");
    assert_eq!(response.status().as_u16(), 201);
    let job: Value = response.json().await.expect("job JSON");
    let job_uuid = job["uuid"].as_str().expect("uuid").to_owned();
    assert_eq!(job["runtime_state"], "PENDING");

    let (status, moved) =
        post_runtime(&http, &emulator, &job_uuid, r#"{"state": "RUNNING"}"#).await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["runtime_state"], "RUNNING");
    let (status, moved) = post_runtime(
        &http,
        &emulator,
        &job_uuid,
        r#"{"runtime_state": "COMPLETED", "report": {"elapsed_seconds": 5400, "exit_code": 0}}"#,
    )
    .await;
    assert_eq!(status, 200, "{moved}");
    let (status, seen) = get(
        &http,
        &emulator.api(&format!("slurm-jobs/{job_uuid}/")),
        true,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(seen["runtime_state"], "COMPLETED");
    assert_eq!(
        seen["report"],
        json!({"elapsed_seconds": 5400, "exit_code": 0})
    );
    assert_eq!(seen, moved);

    let (_, summary) = get(&http, &emulator.control("summary/"), true).await;
    assert_eq!(summary["slurm_jobs"], 1);
}

#[test]
fn refuses_a_non_loopback_listen_address() {
    for address in ["0.0.0.0:0", "192.0.2.1:8000", "[::]:0"] {
        let mut command = command();
        command.args(["--token", TOKEN, "--listen", address]);
        let (status, stdout, stderr) = run_to_exit(command);
        assert!(!status.success(), "{address}: {status}");
        assert!(stdout.is_empty(), "{address}: stdout {stdout:?}");
        assert!(
            stderr.contains("refusing to listen on") && stderr.contains("loopback"),
            "{address}: {stderr}"
        );
    }
}

#[test]
fn refuses_a_missing_or_empty_token() {
    for args in [&[][..], &["--token", ""][..], &["--token", "two words"][..]] {
        let mut command = command();
        command.args(args);
        let (status, stdout, stderr) = run_to_exit(command);
        assert!(!status.success(), "{args:?}: {status}");
        assert!(stdout.is_empty(), "{args:?}: stdout {stdout:?}");
        assert!(stderr.contains("--token"), "{args:?}: {stderr}");
    }
}

#[test]
fn exits_0_on_sigterm() {
    let mut emulator = start_with_token();
    emulator.signal("TERM");
    let status = wait_for_exit(&mut emulator.child, SHUTDOWN);
    assert!(status.success(), "{status}");
    // The ready line was the only thing on stdout.
    let rest = emulator
        .stdout_rest
        .recv_timeout(SHUTDOWN)
        .expect("stdout closed")
        .expect("stdout read");
    assert_eq!(rest, "");
}

#[test]
fn exits_0_on_sigint() {
    let mut emulator = start_with_token();
    emulator.signal("INT");
    let status = wait_for_exit(&mut emulator.child, SHUTDOWN);
    assert!(status.success(), "{status}");
}
