//! Samples the relayer process and the chain every 250 ms on a thread of
//! its own: the process's memory (`/proc/<pid>/status`: VmRSS, VmHWM) and
//! CPU time (`/proc/<pid>/stat`), the relayer's `/metrics`, and the chain's
//! height.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use super::node::Node;

/// The relayer's figures from one `/metrics` answer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metrics {
    pub callbacks_confirmed: u64,
    pub callbacks_already_processed: u64,
    pub callbacks_queued: u64,
    pub callback_failures: u64,
    pub events_handled: u64,
    pub checkpoint_height: u64,
    pub outbox_pending: u64,
    pub outbox_dead_letters: u64,
    pub steps_failed: u64,
    pub steps_succeeded: u64,
}

impl Metrics {
    /// Reads the Prometheus text exposition.
    pub fn parse(text: &str) -> Metrics {
        let values: BTreeMap<&str, f64> = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| {
                let (name, value) = l.rsplit_once(' ')?;
                Some((name.trim(), value.trim().parse().ok()?))
            })
            .collect();
        let get = |k: &str| values.get(k).copied().unwrap_or(0.0) as u64;
        Metrics {
            callbacks_confirmed: get("ve_relayer_callbacks_confirmed_total"),
            callbacks_already_processed: get("ve_relayer_callbacks_already_processed_total"),
            callbacks_queued: get("ve_relayer_callbacks_queued_total"),
            callback_failures: get("ve_relayer_callback_failures_total"),
            events_handled: get("ve_relayer_events_handled_total"),
            checkpoint_height: get("ve_relayer_checkpoint_height"),
            outbox_pending: get("ve_relayer_outbox_pending"),
            outbox_dead_letters: get("ve_relayer_outbox_dead_letters"),
            steps_failed: get("ve_relayer_steps_total{result=\"failure\"}"),
            steps_succeeded: get("ve_relayer_steps_total{result=\"success\"}"),
        }
    }
}

/// One look at the process and the chain.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    /// Seconds since the sampler's origin (the relayer's start).
    pub at: f64,
    /// kB (KiB), from `/proc/<pid>/status`; 0 when the process is gone.
    pub vm_rss_kb: u64,
    pub vm_hwm_kb: u64,
    /// utime + stime, seconds.
    pub cpu_seconds: f64,
    pub height: Option<u64>,
    pub metrics: Option<Metrics>,
}

/// `VmRSS` and `VmHWM` of a process, kB.
pub fn memory_kb(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// The clock ticks per second of `/proc/<pid>/stat` (`getconf CLK_TCK`,
/// 100 when that is not there).
fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// utime + stime of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command's closing parenthesis: state is field 3,
    // utime 14 and stime 15.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

pub struct Sampler {
    stop: Arc<AtomicBool>,
    latest: Arc<Mutex<Option<Sample>>>,
    handle: Option<JoinHandle<Vec<Sample>>>,
}

impl Sampler {
    /// Samples `pid`, its `/metrics` and the node every `every`, with times
    /// counted from `origin`.
    pub fn start(
        pid: u32,
        metrics_url: &str,
        rpc_url: &str,
        origin: Instant,
        every: Duration,
    ) -> Result<Sampler> {
        let stop = Arc::new(AtomicBool::new(false));
        let latest = Arc::new(Mutex::new(None));
        let metrics_url = metrics_url.to_string();
        let node = Node::new(rpc_url, Duration::from_secs(2))?;
        let (stop_flag, latest_slot) = (stop.clone(), latest.clone());
        let handle = std::thread::Builder::new()
            .name("relayer-sampler".into())
            .spawn(move || {
                let http = reqwest::blocking::Client::builder()
                    .timeout(Duration::from_secs(2))
                    .build()
                    .ok();
                let ticks = clock_ticks();
                let mut samples = Vec::new();
                let mut next = Instant::now();
                while !stop_flag.load(Ordering::Relaxed) {
                    let (vm_rss_kb, vm_hwm_kb) = memory_kb(pid).unwrap_or((0, 0));
                    let cpu_seconds = cpu_ticks(pid).map_or(0.0, |t| t as f64 / ticks);
                    let metrics = http.as_ref().and_then(|h| {
                        h.get(&metrics_url)
                            .send()
                            .and_then(|r| r.error_for_status())
                            .and_then(|r| r.text())
                            .ok()
                            .map(|t| Metrics::parse(&t))
                    });
                    let height = node.height().ok();
                    let sample = Sample {
                        at: origin.elapsed().as_secs_f64(),
                        vm_rss_kb,
                        vm_hwm_kb,
                        cpu_seconds,
                        height,
                        metrics,
                    };
                    if let Ok(mut slot) = latest_slot.lock() {
                        *slot = Some(sample.clone());
                    }
                    samples.push(sample);
                    next += every;
                    let now = Instant::now();
                    if next > now {
                        std::thread::sleep(next - now);
                    } else {
                        next = now;
                    }
                }
                samples
            })
            .context("starting the sampler thread")?;
        Ok(Sampler {
            stop,
            latest,
            handle: Some(handle),
        })
    }

    /// The newest sample, if any was taken.
    pub fn latest(&self) -> Option<Sample> {
        self.latest.lock().ok().and_then(|s| s.clone())
    }

    /// Stops sampling; every sample, oldest first.
    pub fn finish(mut self) -> Vec<Sample> {
        self.stop.store(true, Ordering::Relaxed);
        self.handle
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default()
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_relayers_exposition() {
        let text = "# HELP ve_relayer_steps_total Relay passes\n\
            # TYPE ve_relayer_steps_total counter\n\
            ve_relayer_steps_total{result=\"success\"} 12\n\
            ve_relayer_steps_total{result=\"failure\"} 1\n\
            ve_relayer_callbacks_confirmed_total 100\n\
            ve_relayer_checkpoint_height 345\n\
            ve_relayer_outbox_pending 7\n";
        let m = Metrics::parse(text);
        assert_eq!(m.callbacks_confirmed, 100);
        assert_eq!(m.checkpoint_height, 345);
        assert_eq!(m.outbox_pending, 7);
        assert_eq!(m.steps_succeeded, 12);
        assert_eq!(m.steps_failed, 1);
        assert_eq!(m.outbox_dead_letters, 0);
    }

    #[test]
    fn reads_its_own_memory() {
        let (rss, hwm) = memory_kb(std::process::id()).expect("/proc of this process");
        assert!(rss > 0 && hwm >= rss);
        assert!(cpu_ticks(std::process::id()).is_some());
    }
}
