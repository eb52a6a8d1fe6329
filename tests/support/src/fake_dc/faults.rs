//! Fault injection: rules a test switches on to make the DC misbehave the way Telegram and
//! networks do. Rules are checked in order for every RPC request; the first that matches acts.

use std::cell::Cell;
use std::time::Duration;

thread_local! {
    static ANSWER_DELAY: Cell<Duration> = const { Cell::new(Duration::ZERO) };
}

/// How long the answer to the request being dispatched on this thread is held back: the DC's
/// latency plus a `Delay` fault. [`Faults::check`] sets it, and the connection dispatches the
/// request right after, on the same thread: a method "takes" this long, so a send is still
/// being processed until then (see `methods::send`).
pub fn answer_delay() -> Duration {
    ANSWER_DELAY.with(Cell::get)
}

#[derive(Debug, Clone, PartialEq)]
pub enum FaultAction {
    /// Answer `rpc_error` with this code and message.
    Error { code: i32, message: String },
    /// Answer `420 FLOOD_WAIT_<seconds>`.
    FloodWait(u32),
    /// Answer normally, but only after this long.
    Delay(Duration),
    /// Close the TCP connection instead of answering.
    Drop,
    /// Answer at once, then close the TCP connection: a connection that ends right after a
    /// request succeeded. On `help.getConfig` (the `initConnection` a new connection starts
    /// with) it closes the connection the requests waiting for it were about to be sent on.
    DropAfterAnswer,
    /// Never answer (the connection stays open).
    Silent,
    /// Never answer, and from then on neither read nor write on that connection nor close it:
    /// a connection gone dead under the client (a laptop that slept, a NAT that forgot it).
    BlackHole,
}

#[derive(Debug, Clone)]
pub struct FaultRule {
    /// TL method name (`messages.getHistory`), or every method when `None`.
    pub method: Option<String>,
    pub action: FaultAction,
    /// Let this many matching requests through before acting.
    pub skip: u32,
    /// Act this many times, then retire; forever when `None`.
    pub times: Option<u32>,
}

impl FaultRule {
    /// A rule for one method (`"messages.getHistory"`).
    pub fn on(method: &str, action: FaultAction) -> Self {
        Self {
            method: Some(method.to_string()),
            action,
            skip: 0,
            times: None,
        }
    }

    /// A rule for every method.
    pub fn any(action: FaultAction) -> Self {
        Self {
            method: None,
            action,
            skip: 0,
            times: None,
        }
    }

    pub fn skip(mut self, n: u32) -> Self {
        self.skip = n;
        self
    }

    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }

    pub fn error(code: i32, message: &str) -> FaultAction {
        FaultAction::Error {
            code,
            message: message.to_string(),
        }
    }
}

#[derive(Debug, Default)]
pub struct Faults {
    rules: Vec<FaultRule>,
    /// Added before every answer (network latency).
    pub latency: Duration,
}

impl Faults {
    pub fn push(&mut self, rule: FaultRule) {
        self.rules.push(rule);
    }

    pub fn clear(&mut self) {
        self.rules.clear();
        self.latency = Duration::ZERO;
    }

    /// The action for this request, if a rule fires; consumes the rule's budget.
    pub fn check(&mut self, method: &str) -> Option<FaultAction> {
        ANSWER_DELAY.with(|d| d.set(self.latency));
        let index = self.rules.iter_mut().position(|rule| {
            if rule.method.as_deref().is_some_and(|m| m != method) {
                return false;
            }
            if rule.skip > 0 {
                rule.skip -= 1;
                return false;
            }
            true
        })?;
        let rule = &mut self.rules[index];
        let action = rule.action.clone();
        if let FaultAction::Delay(extra) = &action {
            ANSWER_DELAY.with(|d| d.set(self.latency + *extra));
        }
        if let Some(times) = &mut rule.times {
            *times -= 1;
            if *times == 0 {
                self.rules.remove(index);
            }
        }
        Some(action)
    }
}
