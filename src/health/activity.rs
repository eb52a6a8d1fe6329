//! What the server has done, counted in memory: calls, failures, flood waits and latencies per
//! tool, and the connection state over time (with the reconnections it implies). Tool calls
//! update it through `TelegramServer::run_tool`, the state record writer reads it.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::record::{StateRecord, ToolRecord, iso};
use crate::telegram::LinkState;
use crate::tools::ToolError;

/// Latencies kept per tool for the percentiles.
pub const LATENCY_WINDOW: usize = 256;
/// Calls kept (all tools together) for the recent error rate.
pub const RECENT_WINDOW: usize = 50;

/// How a tool call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallOutcome {
    Ok,
    Error,
    /// Failed because Telegram asked to wait (FLOOD_WAIT).
    FloodWait,
}

impl CallOutcome {
    /// Classifies a tool's result; a flood wait is recognised by the Telegram error it reports.
    pub fn of<T>(result: &Result<T, ToolError>) -> CallOutcome {
        match result {
            Ok(_) => CallOutcome::Ok,
            Err(error) if error.is_flood_wait() => CallOutcome::FloodWait,
            Err(_) => CallOutcome::Error,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CallOutcome::Ok => "ok",
            CallOutcome::Error => "error",
            CallOutcome::FloodWait => "flood_wait",
        }
    }
}

/// The record's spelling of a connection state.
pub fn state_name(state: &LinkState) -> &'static str {
    match state {
        LinkState::Connecting => "connecting",
        LinkState::Connected => "connected",
        LinkState::Reconnecting => "reconnecting",
        LinkState::Unauthorized => "unauthorized",
        LinkState::Offline => "offline",
        LinkState::NoSession => "no_session",
    }
}

/// Whether a state says the session is signed in (`None`: it does not tell).
pub fn signed_in(state: &LinkState) -> Option<bool> {
    match state {
        LinkState::Connected | LinkState::Reconnecting => Some(true),
        LinkState::Unauthorized | LinkState::NoSession => Some(false),
        LinkState::Connecting | LinkState::Offline => None,
    }
}

#[derive(Default)]
struct ToolStats {
    calls: u64,
    errors: u64,
    flood_waits: u64,
    latency_sum_ms: u64,
    latencies: VecDeque<u64>,
}

struct Inner {
    tools: BTreeMap<String, ToolStats>,
    /// The last calls' failures, oldest first.
    recent: VecDeque<bool>,
    last_call_at: Option<DateTime<Utc>>,
    flood_waits: u64,
    state: LinkState,
    state_since: DateTime<Utc>,
    ever_connected: bool,
    reconnects: u64,
    /// Something changed since the record was last written.
    dirty: bool,
}

/// The counters; shared between the tool calls and the record writer.
pub struct Activity {
    started_at: DateTime<Utc>,
    inner: Mutex<Inner>,
}

impl Default for Activity {
    fn default() -> Self {
        Self::new()
    }
}

impl Activity {
    pub fn new() -> Activity {
        let now = Utc::now();
        Activity {
            started_at: now,
            inner: Mutex::new(Inner {
                tools: BTreeMap::new(),
                recent: VecDeque::new(),
                last_call_at: None,
                flood_waits: 0,
                state: LinkState::Connecting,
                state_since: now,
                ever_connected: false,
                reconnects: 0,
                dirty: true,
            }),
        }
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn started_at(&self) -> DateTime<Utc> {
        self.started_at
    }

    /// Counts one finished tool call.
    pub fn record_call(&self, tool: &str, elapsed: Duration, outcome: CallOutcome) {
        let millis = elapsed.as_millis().min(u64::MAX as u128) as u64;
        let failed = outcome != CallOutcome::Ok;
        let mut inner = self.inner();
        let stats = inner.tools.entry(tool.to_string()).or_default();
        stats.calls += 1;
        stats.errors += u64::from(failed);
        stats.latency_sum_ms = stats.latency_sum_ms.saturating_add(millis);
        if stats.latencies.len() == LATENCY_WINDOW {
            stats.latencies.pop_front();
        }
        stats.latencies.push_back(millis);
        if outcome == CallOutcome::FloodWait {
            stats.flood_waits += 1;
            inner.flood_waits += 1;
        }
        if inner.recent.len() == RECENT_WINDOW {
            inner.recent.pop_front();
        }
        inner.recent.push_back(failed);
        inner.last_call_at = Some(Utc::now());
        inner.dirty = true;
    }

    /// Takes in a connection state from the facade's watch channel. `again` says the channel
    /// changed even though the value is the one seen last (it went away and came back between
    /// two looks). Returns whether the state is a new one.
    pub fn set_state(&self, state: &LinkState, again: bool) -> bool {
        let mut inner = self.inner();
        let lost_and_back = state == &LinkState::Connected
            && inner.ever_connected
            && (inner.state != LinkState::Connected || again);
        if lost_and_back {
            inner.reconnects += 1;
            inner.dirty = true;
        }
        if state == &LinkState::Connected {
            inner.ever_connected = true;
        }
        if &inner.state == state {
            return false;
        }
        inner.state = state.clone();
        inner.state_since = Utc::now();
        inner.dirty = true;
        true
    }

    /// Whether anything changed since the last call (and forgets it).
    pub fn take_dirty(&self) -> bool {
        std::mem::take(&mut self.inner().dirty)
    }

    /// The counters as a state record; the caller fills in the process and session fields.
    pub fn to_record(&self) -> StateRecord {
        let inner = self.inner();
        let tools = inner
            .tools
            .iter()
            .map(|(name, s)| {
                let mut sorted: Vec<u64> = s.latencies.iter().copied().collect();
                sorted.sort_unstable();
                let record = ToolRecord {
                    calls: s.calls,
                    errors: s.errors,
                    flood_waits: s.flood_waits,
                    p50_ms: percentile(&sorted, 0.50),
                    p95_ms: percentile(&sorted, 0.95),
                    latency_sum_ms: s.latency_sum_ms,
                };
                (name.clone(), record)
            })
            .collect::<BTreeMap<_, _>>();
        StateRecord {
            started_at: iso(self.started_at),
            state: state_name(&inner.state).to_string(),
            state_since: iso(inner.state_since),
            last_call_at: inner.last_call_at.map(iso),
            calls: tools.values().map(|t| t.calls).sum(),
            errors: tools.values().map(|t| t.errors).sum(),
            recent_calls: inner.recent.len() as u64,
            recent_errors: inner.recent.iter().filter(|f| **f).count() as u64,
            tools,
            reconnects: inner.reconnects,
            flood_waits: inner.flood_waits,
            ..Default::default()
        }
    }
}

/// The nearest-rank percentile of sorted values.
fn percentile(sorted: &[u64], q: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let values: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&values, 0.5), Some(50));
        assert_eq!(percentile(&values, 0.95), Some(95));
        assert_eq!(percentile(&[7], 0.95), Some(7));
        assert_eq!(percentile(&[], 0.5), None);
    }

    #[test]
    fn calls_are_counted_per_tool_with_a_bounded_latency_window() {
        let activity = Activity::new();
        for ms in 0..300 {
            activity.record_call("get_messages", Duration::from_millis(ms), CallOutcome::Ok);
        }
        activity.record_call("find_chats", Duration::from_millis(5), CallOutcome::Error);
        activity.record_call(
            "find_chats",
            Duration::from_millis(5),
            CallOutcome::FloodWait,
        );
        let record = activity.to_record();
        assert_eq!(record.calls, 302);
        assert_eq!(record.errors, 2);
        assert_eq!(record.flood_waits, 1);
        assert_eq!(record.recent_calls, RECENT_WINDOW as u64);
        assert_eq!(record.recent_errors, 2);
        let messages = &record.tools["get_messages"];
        // Only the last 256 latencies (44..=299) count for the percentiles.
        assert_eq!(messages.p50_ms, Some(44 + 127));
        assert_eq!(messages.latency_sum_ms, (0..300).sum::<u64>());
        assert_eq!(record.tools["find_chats"].errors, 2);
        assert!(record.last_call_at.is_some());
    }

    #[test]
    fn reconnections_are_counted_when_a_lost_connection_comes_back() {
        let activity = Activity::new();
        assert!(activity.set_state(&LinkState::Connected, false));
        assert_eq!(
            activity.to_record().reconnects,
            0,
            "the first connection is no reconnection"
        );
        activity.set_state(&LinkState::Reconnecting, false);
        assert_eq!(activity.to_record().state, "reconnecting");
        activity.set_state(&LinkState::Connected, false);
        assert_eq!(activity.to_record().reconnects, 1);
        // Lost and back between two looks at the channel.
        assert!(!activity.set_state(&LinkState::Connected, true));
        assert_eq!(activity.to_record().reconnects, 2);
    }

    #[test]
    fn flood_waits_are_told_apart_by_their_cause() {
        use crate::telegram::TelegramError;
        let flood: Result<(), _> = Err(ToolError::from(TelegramError::FloodWait { seconds: 3 }));
        assert_eq!(CallOutcome::of(&flood), CallOutcome::FloodWait);
        let other: Result<(), _> = Err(ToolError::new("no"));
        assert_eq!(CallOutcome::of(&other), CallOutcome::Error);
        assert_eq!(CallOutcome::of(&Ok::<_, ToolError>(())), CallOutcome::Ok);
    }
}
