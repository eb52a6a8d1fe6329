//! Telegram's per-method request budgets: N calls of a method in a sliding window, then
//! `420 FLOOD_WAIT_X` with X the seconds until the oldest call in the window leaves it.
//!
//! Telegram publishes no figures, and they vary by account and load. What clients report:
//! `contacts.resolveUsername` is the method limited hardest (Telethon #494: a 12,167 s wait
//! after a burst; axisrow/tg_content_factory#551: "about 30 a minute" believed safe, then waits
//! of 15–18 h after 160 resolutions in a row); other methods answer `FLOOD_WAIT` of tens to
//! hundreds of seconds when called in tight loops (tnjd/telegram-export#40: 27 s on
//! `users.getFullUser`; sochix/TLSharp#12: about ten calls, then 270 s). The defaults are our
//! choice from that, not a measurement: `resolveUsername` at the reported 30 a minute,
//! `getDialogs` 30 and `search` 60 pages a minute (a full 2,000-chat scan fits, a loop does
//! not), `searchGlobal` 20 and `importContacts` 10 (`contact_import_limit` also caps imports
//! per number). A world replaces a default by
//! naming the method in `rate_limits`. Tests run under the defaults too, so a tool that starts
//! spending more than its common case needs fails them.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// A method's budget: at most `calls` in any `window_seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    pub calls: u32,
    pub window_seconds: u32,
}

/// The budgets every world starts with (see the module's sources).
pub const DEFAULT_RATE_LIMITS: [(&str, RateLimit); 5] = [
    ("contacts.resolveUsername", limit(30, 60)),
    ("messages.getDialogs", limit(30, 60)),
    ("messages.search", limit(60, 60)),
    ("messages.searchGlobal", limit(20, 60)),
    ("contacts.importContacts", limit(10, 60)),
];

pub const fn limit(calls: u32, window_seconds: u32) -> RateLimit {
    RateLimit {
        calls,
        window_seconds,
    }
}

/// The budgets in force and the calls each has admitted lately.
#[derive(Debug, Default)]
pub struct RateLimiter {
    limits: BTreeMap<String, RateLimit>,
    admitted: HashMap<String, VecDeque<Instant>>,
}

impl RateLimiter {
    /// The defaults, each replaced by the world's own entry for its method.
    pub fn new(overrides: &BTreeMap<String, RateLimit>) -> Self {
        let mut limits: BTreeMap<String, RateLimit> = DEFAULT_RATE_LIMITS
            .iter()
            .map(|(method, limit)| (method.to_string(), *limit))
            .collect();
        limits.extend(overrides.iter().map(|(m, l)| (m.clone(), *l)));
        Self {
            limits,
            admitted: HashMap::new(),
        }
    }

    /// Replaces `method`'s budget (for a test that legitimately spends more).
    pub fn set(&mut self, method: &str, limit: RateLimit) {
        self.limits.insert(method.to_string(), limit);
    }

    /// Admits a call of `method` now, or says how many seconds the caller must wait (a
    /// refused call does not count against the budget, as on Telegram).
    pub fn admit(&mut self, method: &str) -> Result<(), u32> {
        self.admit_at(method, Instant::now())
    }

    fn admit_at(&mut self, method: &str, now: Instant) -> Result<(), u32> {
        let Some(limit) = self.limits.get(method) else {
            return Ok(());
        };
        let window = Duration::from_secs(limit.window_seconds.into());
        let calls = self.admitted.entry(method.to_string()).or_default();
        while calls
            .front()
            .is_some_and(|t| now.duration_since(*t) >= window)
        {
            calls.pop_front();
        }
        if calls.len() < limit.calls as usize {
            calls.push_back(now);
            return Ok(());
        }
        let frees_in = calls
            .front()
            .map_or(window, |oldest| window - now.duration_since(*oldest));
        // Telegram counts whole seconds and never answers FLOOD_WAIT_0.
        Err((frees_in.as_secs_f64().ceil() as u32).max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_method_past_its_budget_waits_until_the_oldest_call_leaves_the_window() {
        let overrides = BTreeMap::from([("messages.search".to_string(), limit(2, 10))]);
        let mut limiter = RateLimiter::new(&overrides);
        let start = Instant::now();
        assert_eq!(limiter.admit_at("messages.search", start), Ok(()));
        let later = start + Duration::from_secs(4);
        assert_eq!(limiter.admit_at("messages.search", later), Ok(()));
        assert_eq!(limiter.admit_at("messages.search", later), Err(6));
        assert_eq!(
            limiter.admit_at("messages.search", start + Duration::from_secs(10)),
            Ok(()),
            "the first call left the window"
        );
        assert_eq!(limiter.admit_at("messages.getHistory", later), Ok(()));
    }

    #[test]
    fn the_defaults_hold_unless_the_world_names_the_method() {
        let limiter = RateLimiter::new(&BTreeMap::new());
        assert_eq!(limiter.limits["contacts.resolveUsername"], limit(30, 60));
        assert_eq!(limiter.limits.len(), DEFAULT_RATE_LIMITS.len());
    }
}
