//! The health report in Prometheus' text exposition format (version 0.0.4), for `GET
//! /metrics`. Every sample carries a `session` label; the counters of a server that is not
//! running are left out (its `up` is 0).

use std::fmt::Write;

use super::check::{HealthReport, SessionHealth, Status};

/// The exposition format's content type.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

const PREFIX: &str = "fast_mcp_telegram";

/// One metric family: its samples are written under a single HELP and TYPE.
struct Family<'a> {
    name: &'a str,
    kind: &'a str,
    help: &'a str,
    samples: Vec<String>,
}

impl<'a> Family<'a> {
    fn new(name: &'a str, kind: &'a str, help: &'a str) -> Self {
        Family {
            name,
            kind,
            help,
            samples: Vec::new(),
        }
    }

    /// Adds `<prefix>_<name><suffix>{labels} value`.
    fn sample(&mut self, suffix: &str, labels: &[(&str, &str)], value: impl std::fmt::Display) {
        let labels: Vec<String> = labels
            .iter()
            .map(|(k, v)| format!("{k}=\"{}\"", escape_label(v)))
            .collect();
        let labels = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{}}}", labels.join(","))
        };
        self.samples
            .push(format!("{PREFIX}_{}{suffix}{labels} {value}", self.name));
    }

    fn write(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "# HELP {PREFIX}_{} {}",
            self.name,
            escape_help(self.help)
        );
        let _ = writeln!(out, "# TYPE {PREFIX}_{} {}", self.name, self.kind);
        for sample in &self.samples {
            let _ = writeln!(out, "{sample}");
        }
    }
}

/// Escapes a label value: backslash, double quote and line feed.
pub fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn escape_help(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\n', "\\n")
}

fn flag(value: bool) -> u8 {
    u8::from(value)
}

/// Renders the report.
pub fn render(report: &HealthReport) -> String {
    let mut up = Family::new(
        "up",
        "gauge",
        "Whether a server is running for the session (1) or not (0).",
    );
    let mut connected = Family::new(
        "connected",
        "gauge",
        "Whether the session's server is connected to Telegram.",
    );
    let mut signed_in = Family::new(
        "signed_in",
        "gauge",
        "Whether the session file is signed in.",
    );
    let mut healthy = Family::new(
        "healthy",
        "gauge",
        "Whether the health check finds the session healthy.",
    );
    let mut calls = Family::new(
        "tool_calls_total",
        "counter",
        "Tool calls since the server started.",
    );
    let mut errors = Family::new(
        "tool_errors_total",
        "counter",
        "Tool calls that failed, flood waits included.",
    );
    let mut latency = Family::new(
        "tool_latency_ms",
        "summary",
        "Tool call duration in milliseconds (quantiles over the last 256 calls).",
    );
    let mut reconnects = Family::new(
        "reconnects_total",
        "counter",
        "Times the connection to Telegram came back after it was lost.",
    );
    let mut flood_waits = Family::new(
        "flood_waits_total",
        "counter",
        "Tool calls that ended in a Telegram FLOOD_WAIT.",
    );
    let mut memory = Family::new(
        "resident_memory_bytes",
        "gauge",
        "Resident memory of the server process.",
    );
    let mut cpu = Family::new(
        "cpu_seconds_total",
        "counter",
        "CPU time used by the server process, user and system.",
    );
    let mut files = Family::new(
        "session_files",
        "gauge",
        "Session files in the session directory.",
    );
    files.sample("", &[], report.session_files);
    for s in &report.sessions {
        let session = [("session", s.name.as_str())];
        up.sample("", &session, flag(s.server_running));
        connected.sample("", &session, flag(s.is_connected));
        signed_in.sample("", &session, flag(s.signed_in));
        healthy.sample("", &session, flag(s.status == Status::Healthy));
        if s.server_running {
            running_samples(s, &mut calls, &mut errors, &mut latency);
            reconnects.sample("", &session, s.reconnects);
            flood_waits.sample("", &session, s.flood_waits);
            if let Some(rss) = s.rss_bytes {
                memory.sample("", &session, rss);
            }
            if let Some(seconds) = s.cpu_seconds {
                cpu.sample("", &session, seconds);
            }
        }
    }
    let mut out = String::new();
    for family in [
        &up,
        &connected,
        &signed_in,
        &healthy,
        &calls,
        &errors,
        &latency,
        &reconnects,
        &flood_waits,
        &memory,
        &cpu,
        &files,
    ] {
        family.write(&mut out);
    }
    out
}

fn running_samples(
    s: &SessionHealth,
    calls: &mut Family,
    errors: &mut Family,
    latency: &mut Family,
) {
    for (tool, stats) in &s.tools {
        let labels = [("session", s.name.as_str()), ("tool", tool.as_str())];
        calls.sample("", &labels, stats.calls);
        errors.sample("", &labels, stats.errors);
        for (quantile, value) in [("0.5", stats.p50_ms), ("0.95", stats.p95_ms)] {
            if let Some(value) = value {
                let labels = [labels[0], labels[1], ("quantile", quantile)];
                latency.sample("", &labels, value);
            }
        }
        latency.sample("_sum", &labels, stats.latency_sum_ms);
        latency.sample("_count", &labels, stats.calls);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn families_have_help_and_type_before_their_samples() {
        let mut family = Family::new("up", "gauge", "Up.");
        family.sample("", &[("session", "we\"ird")], 1);
        let mut out = String::new();
        family.write(&mut out);
        assert_eq!(
            out,
            "# HELP fast_mcp_telegram_up Up.\n# TYPE fast_mcp_telegram_up gauge\n\
             fast_mcp_telegram_up{session=\"we\\\"ird\"} 1\n"
        );
    }
}
