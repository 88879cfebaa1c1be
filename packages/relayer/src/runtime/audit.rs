//! The audit log: one line per action the relayer takes (a Waldur call, a
//! callback sent and its outcome, a dead letter, an offering sync, a
//! reconcile), as JSON (one object per line, for log shippers) or text.
//!
//! Hand-written rather than a `tracing` subscriber: every line is an
//! audit record with a fixed shape (`timestamp`, `level`, `event`, then
//! the event's ids), which is easier to promise and to test this way.

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Json,
    Text,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Info,
    Warn,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }
}

type Sink = Box<dyn Write + Send>;

/// Cheap to clone; all clones write to the same sink, a line at a time.
#[derive(Clone)]
pub struct AuditLog {
    format: LogFormat,
    sink: Arc<Mutex<Sink>>,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog")
            .field("format", &self.format)
            .finish()
    }
}

/// A buffer the tests read the log from.
#[derive(Clone, Default)]
pub struct MemorySink(Arc<Mutex<Vec<u8>>>);

impl MemorySink {
    pub fn contents(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(|p| p.into_inner());
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for MemorySink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl AuditLog {
    pub fn new(format: LogFormat, sink: Box<dyn Write + Send>) -> Self {
        AuditLog {
            format,
            sink: Arc::new(Mutex::new(sink)),
        }
    }

    pub fn stdout(format: LogFormat) -> Self {
        AuditLog::new(format, Box::new(std::io::stdout()))
    }

    /// Appends to `path` (created if missing).
    pub fn file(format: LogFormat, path: &Path) -> std::io::Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Ok(AuditLog::new(format, Box::new(file)))
    }

    /// A log kept in memory, for tests.
    pub fn memory(format: LogFormat) -> (Self, MemorySink) {
        let sink = MemorySink::default();
        (AuditLog::new(format, Box::new(sink.clone())), sink)
    }

    /// Writes one record. `fields` should be a JSON object (anything else
    /// is logged under `detail`). A failed write is dropped: the relayer
    /// must not stop because its log's disk is full.
    pub fn record(&self, level: Level, event: &str, fields: Value) {
        let line = self.render(level, event, fields, SystemTime::now());
        let mut sink = self.sink.lock().unwrap_or_else(|p| p.into_inner());
        let _ = writeln!(sink, "{line}").and_then(|()| sink.flush());
    }

    pub fn info(&self, event: &str, fields: Value) {
        self.record(Level::Info, event, fields);
    }

    pub fn warn(&self, event: &str, fields: Value) {
        self.record(Level::Warn, event, fields);
    }

    pub fn error(&self, event: &str, fields: Value) {
        self.record(Level::Error, event, fields);
    }

    fn render(&self, level: Level, event: &str, fields: Value, at: SystemTime) -> String {
        let fields = match fields {
            Value::Object(map) => map,
            Value::Null => Map::new(),
            other => Map::from_iter([("detail".to_string(), other)]),
        };
        let timestamp = rfc3339(at);
        match self.format {
            LogFormat::Json => {
                let mut line = Map::new();
                line.insert("timestamp".into(), timestamp.into());
                line.insert("level".into(), level.as_str().into());
                line.insert("event".into(), event.into());
                for (key, value) in fields {
                    // The three fixed keys cannot be overwritten by a field.
                    line.entry(key).or_insert(value);
                }
                Value::Object(line).to_string()
            }
            LogFormat::Text => {
                let mut line = format!("{timestamp} {:<5} {event}", level.as_str().to_uppercase());
                for (key, value) in fields {
                    match value {
                        Value::String(s) => line.push_str(&format!(" {key}={s:?}")),
                        other => line.push_str(&format!(" {key}={other}")),
                    }
                }
                line
            }
        }
    }
}

/// Seconds since the epoch, now.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `2024-01-15T10:30:00.123Z` (UTC, milliseconds).
pub fn rfc3339(at: SystemTime) -> String {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rest / 3_600,
        rest % 3_600 / 60,
        rest % 60,
        since.subsec_millis()
    )
}

/// Days since 1970-01-01 -> (year, month, day), proleptic Gregorian
/// (Howard Hinnant's algorithm), for times after the epoch.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps_are_utc_rfc3339() {
        let at = UNIX_EPOCH + Duration::from_millis(1_705_314_600_250);
        assert_eq!(rfc3339(at), "2024-01-15T10:30:00.250Z");
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        // A leap day.
        let leap = UNIX_EPOCH + Duration::from_secs(1_709_164_800);
        assert_eq!(rfc3339(leap), "2024-02-29T00:00:00.000Z");
    }

    #[test]
    fn json_lines_carry_the_fixed_keys_and_cannot_be_spoofed() {
        let (log, sink) = AuditLog::memory(LogFormat::Json);
        log.warn(
            "callback.outcome",
            serde_json::json!({ "callback_id": "a:b", "event": "spoofed" }),
        );
        let line: Value = serde_json::from_str(sink.contents().trim()).unwrap();
        assert_eq!(line["event"], "callback.outcome");
        assert_eq!(line["level"], "warn");
        assert_eq!(line["callback_id"], "a:b");
        assert!(line["timestamp"].as_str().unwrap().ends_with('Z'));
    }

    #[test]
    fn text_lines_are_readable() {
        let (log, sink) = AuditLog::memory(LogFormat::Text);
        log.info(
            "engine.step",
            serde_json::json!({ "blocks_read": 3, "note": "x y" }),
        );
        let text = sink.contents();
        assert!(
            text.contains("INFO  engine.step blocks_read=3 note=\"x y\""),
            "{text}"
        );
    }
}
