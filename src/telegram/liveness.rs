//! Dead connections: found within seconds, dropped, and replaced by the next request.
//!
//! grammers 0.11 never notices a connection that went dead without being closed (a laptop
//! that slept, a change of network, a NAT that forgot the connection): its sender sends
//! `ping_delay_disconnect` every 60 s but throws the pong's receiver away and reads without a
//! deadline, so a request on such a connection waits until the kernel gives up on it (about
//! 15 minutes on Linux). Its pool connects (TCP, then `initConnection`) inside the loop that
//! serves every request, with no deadline either: a connect that hangs stalls every request
//! behind it, and even a `disconnect_from_dc` waits behind it.
//!
//! So the facade watches its own requests. When one has had no answer for [`PROBE_AFTER`]
//! and nothing was heard from Telegram since it was sent, a `ping` goes out on the same
//! connection; no pong within [`PING_DEADLINE`] and the connection is dead. A connect that
//! takes that long is dead the same way (the ping waits behind it). A dead connection is
//! dropped with the whole pool — a runner stuck connecting reads no request, so it cannot be
//! asked to drop anything — and a new pool and client are built on the same session: the
//! requests in flight fail at once (their calls answer `retry`) and the next request connects
//! anew. A slow answer on a live connection is left alone: the ping is answered.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use grammers_client::sender::{SenderPool, SenderPoolRunner};
use grammers_client::{Client, InvocationError};
use grammers_tl_types as tl;
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// How long a request may go without an answer, with nothing else heard from Telegram since
/// it was sent, before the connection is pinged. Telegram answers ordinary requests well
/// within a second; the ping costs one small message.
pub const PROBE_AFTER: Duration = Duration::from_secs(3);

/// How long the probing ping may go without a pong before the connection is dead. Generous
/// next to a round trip even on a poor mobile link (the ping may also wait behind an upload
/// part being written); together with [`PROBE_AFTER`], a dead connection is found 8 s after
/// the request that met it, and a connect that has not finished after 8 s is given up.
///
/// For comparison: TDLib, while online, drops a connection that read nothing for 3.5 times
/// its round-trip estimate (at least 7 s); Telegram Desktop restarts one that received
/// nothing within 4 s of a request (doubling up to 64 s) and bounds a connect by 1 s doubling
/// up to 8 s. Both replace the connection without asking; the ping here keeps a slow answer
/// on a live connection from being cut off. 8 s leaves most of the 55 s call deadline.
pub const PING_DEADLINE: Duration = Duration::from_secs(5);

/// Why a request cut off by a dead connection failed (as `InvocationError::Dropped`).
pub const DEAD: &str = "the connection to Telegram stopped answering (not even a ping) and \
                        was dropped; the next call connects anew";

/// Builds a new sender pool on the session (the same parameters every time).
pub type Pools = Box<dyn Fn() -> SenderPool + Send + Sync>;

/// A watched request had no answer within its own deadline (its connection answers pings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimedOut;

/// The client of the current pool, replaced when its connection is found dead. Cheap to
/// clone.
#[derive(Clone)]
pub struct Link {
    inner: Arc<Inner>,
}

struct Inner {
    pools: Pools,
    state: Mutex<State>,
    /// Wakes the monitor when a request starts or ends.
    wake: Notify,
    /// To the task that runs the pools.
    orders: mpsc::UnboundedSender<Order>,
    /// Turns Nagle off on each connection once it has answered (grammers leaves it on).
    nodelay: super::nodelay::NoDelay,
}

struct State {
    client: Client,
    /// Counts the pools: a request belongs to the pool it was sent on.
    generation: u64,
    watch: Watch,
}

enum Order {
    /// Run this pool from now on, dropping the one running (and its connections).
    Run(Box<SenderPoolRunner>),
    Stop,
}

impl Link {
    /// Builds the first pool and starts the task that runs it (the returned handle, which
    /// ends after [`Link::disconnect`]) and the monitor.
    pub fn start(pools: Pools) -> (Link, JoinHandle<()>) {
        let pool = pools();
        let (orders, received) = mpsc::unbounded_channel();
        let inner = Arc::new(Inner {
            pools,
            state: Mutex::new(State {
                client: Client::new(pool.handle),
                generation: 0,
                watch: Watch::new(Instant::now()),
            }),
            wake: Notify::new(),
            orders,
            nodelay: Default::default(),
        });
        let runner = tokio::spawn(run_pools(Arc::clone(&inner), pool.runner, received));
        (Link { inner }, runner)
    }

    /// The current client.
    pub fn client(&self) -> Client {
        self.inner.state().client.clone()
    }

    /// Sends a request (what `send` does with the current client) within `deadline`,
    /// watched. A request cut off because its connection was found dead fails with
    /// `InvocationError::Dropped(DEAD)`.
    pub async fn invoke<T, F, Fut>(
        &self,
        deadline: Duration,
        send: F,
    ) -> Result<Result<T, InvocationError>, TimedOut>
    where
        F: FnOnce(Client) -> Fut,
        Fut: Future<Output = Result<T, InvocationError>>,
    {
        let (client, sent) = self.inner.send();
        match tokio::time::timeout(deadline, send(client)).await {
            Ok(Ok(answer)) => {
                self.inner.nodelay.answered(sent.generation);
                sent.finish(Finish::Heard);
                Ok(Ok(answer))
            }
            Ok(Err(e @ (InvocationError::Rpc(_) | InvocationError::Deserialize(_)))) => {
                self.inner.nodelay.answered(sent.generation);
                sent.finish(Finish::Heard);
                Ok(Err(e))
            }
            Ok(Err(e)) => {
                if sent.finish(Finish::Ended) {
                    Ok(Err(e))
                } else {
                    Ok(Err(InvocationError::Dropped(DEAD)))
                }
            }
            // Given up without an answer: `sent` is dropped, and the monitor checks.
            Err(_) => Err(TimedOut),
        }
    }

    /// Runs `work` (which talks to Telegram through a client of this link) as a watched
    /// request: when it goes unanswered, the connection is probed as for [`Link::invoke`].
    pub async fn watched<F: Future>(self, work: F) -> F::Output {
        let (_, sent) = self.inner.send();
        let output = work.await;
        sent.finish(Finish::Ended);
        output
    }

    /// Drops the pool and its connections, and stops the monitor.
    pub fn disconnect(&self) {
        let _ = self.inner.orders.send(Order::Stop);
    }
}

impl Inner {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a request about to be sent on the current pool.
    fn send(self: &Arc<Self>) -> (Client, Sent) {
        let (client, generation, id) = {
            let mut state = self.state();
            let id = state.watch.sent(Instant::now());
            (state.client.clone(), state.generation, id)
        };
        self.wake.notify_one();
        let sent = Sent {
            inner: Arc::clone(self),
            generation,
            id,
            done: false,
        };
        (client, sent)
    }

    /// Records how a request ended; `false` when its pool was replaced meanwhile.
    fn finish(&self, generation: u64, id: u64, how: Finish) -> bool {
        let current = {
            let mut state = self.state();
            let current = state.generation == generation;
            if current {
                state.watch.finish(id, how, Instant::now());
            }
            current
        };
        self.wake.notify_one();
        current
    }

    /// The pool `generation` answered (or failed on its own): it is not silently dead.
    fn heard(&self, generation: u64) {
        let mut state = self.state();
        if state.generation == generation {
            state.watch.heard(Instant::now());
        }
    }

    /// Replaces pool `generation` (unless that was done already) by a new one.
    fn replace(&self, generation: u64) {
        let runner = {
            let mut state = self.state();
            if state.generation != generation {
                return;
            }
            let pool = (self.pools)();
            state.client = Client::new(pool.handle);
            state.generation += 1;
            state.watch = Watch::new(Instant::now());
            pool.runner
        };
        tracing::warn!(
            "Telegram stopped answering, not even a ping within {} s: dropping the connection; \
             the next request connects anew",
            PING_DEADLINE.as_secs()
        );
        let _ = self.orders.send(Order::Run(Box::new(runner)));
    }
}

/// A request in flight; dropped unfinished, it was given up on without an answer.
struct Sent {
    inner: Arc<Inner>,
    generation: u64,
    id: u64,
    done: bool,
}

impl Sent {
    /// See [`Inner::finish`].
    fn finish(mut self, how: Finish) -> bool {
        self.done = true;
        self.inner.finish(self.generation, self.id, how)
    }
}

impl Drop for Sent {
    fn drop(&mut self) {
        if !self.done {
            self.inner
                .finish(self.generation, self.id, Finish::Abandoned);
        }
    }
}

/// Runs the current pool until [`Link::disconnect`] (or until it quits), switching to each
/// new pool the monitor builds; dropping a pool's runner closes its connections and fails
/// what was in flight on them.
async fn run_pools(
    inner: Arc<Inner>,
    first: SenderPoolRunner,
    mut orders: mpsc::UnboundedReceiver<Order>,
) {
    let monitor = tokio::spawn(monitor(Arc::clone(&inner)));
    let mut running = Box::pin(first.run());
    loop {
        tokio::select! {
            () = &mut running => break,
            order = orders.recv() => match order {
                Some(Order::Run(next)) => running = Box::pin(next.run()),
                Some(Order::Stop) | None => break,
            },
        }
    }
    monitor.abort();
}

/// Pings the connection when a request has gone unanswered for [`PROBE_AFTER`], and replaces
/// the pool when the ping is not answered within [`PING_DEADLINE`].
async fn monitor(inner: Arc<Inner>) {
    loop {
        let due = inner.state().watch.probe_due();
        // `notify_one` keeps a permit when the monitor is not waiting: no wake-up is lost
        // between reading the state and waiting.
        match due {
            None => {
                inner.wake.notified().await;
                continue;
            }
            Some(due) if Instant::now() < due => {
                tokio::select! {
                    () = tokio::time::sleep_until(due) => {}
                    () = inner.wake.notified() => {}
                }
                continue;
            }
            Some(_) => {}
        }
        let (client, generation) = {
            let state = inner.state();
            (state.client.clone(), state.generation)
        };
        tracing::debug!(
            "no answer from Telegram for {} s: pinging the connection",
            PROBE_AFTER.as_secs()
        );
        let ping = tl::functions::Ping { ping_id: ping_id() };
        match tokio::time::timeout(PING_DEADLINE, client.invoke(&ping)).await {
            Ok(answer) => {
                if let Err(e) = answer {
                    tracing::debug!("the ping failed: {e}");
                }
                inner.heard(generation);
            }
            Err(_) => inner.replace(generation),
        }
    }
}

fn ping_id() -> i64 {
    static NEXT: AtomicI64 = AtomicI64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or_default();
    now.wrapping_add(NEXT.fetch_add(1, Ordering::Relaxed))
}

/// How a watched request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Finish {
    /// Telegram answered it (a result or an error).
    Heard,
    /// It failed without an answer, on its own (a closed connection, …).
    Ended,
    /// It was given up on without an answer (its deadline, a cancelled call).
    Abandoned,
}

/// What one pool's requests showed of its connection.
#[derive(Debug)]
struct Watch {
    next_id: u64,
    /// Requests in flight, by id: when each was sent.
    pending: BTreeMap<u64, Instant>,
    /// When the oldest request given up on without an answer was sent, until Telegram is
    /// heard from again.
    abandoned: Option<Instant>,
    /// When Telegram was last heard from (or the pool started).
    heard: Instant,
}

impl Watch {
    fn new(now: Instant) -> Self {
        Self {
            next_id: 0,
            pending: BTreeMap::new(),
            abandoned: None,
            heard: now,
        }
    }

    fn sent(&mut self, now: Instant) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.pending.insert(id, now);
        id
    }

    fn finish(&mut self, id: u64, how: Finish, now: Instant) {
        let Some(sent) = self.pending.remove(&id) else {
            return;
        };
        match how {
            Finish::Heard => self.heard(now),
            Finish::Ended => {}
            Finish::Abandoned => {
                self.abandoned = Some(self.abandoned.map_or(sent, |a| a.min(sent)));
            }
        }
    }

    fn heard(&mut self, now: Instant) {
        self.heard = self.heard.max(now);
        self.abandoned = None;
    }

    /// When the connection is to be pinged: [`PROBE_AFTER`] after the oldest request still
    /// unanswered (in flight or given up on), or after Telegram was last heard from if that
    /// is later. `None` while nothing waits.
    fn probe_due(&self) -> Option<Instant> {
        let oldest = self.pending.values().copied().chain(self.abandoned).min()?;
        Some(oldest.max(self.heard) + PROBE_AFTER)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(start: Instant, seconds: u64) -> Instant {
        start + Duration::from_secs(seconds)
    }

    #[test]
    fn nothing_in_flight_is_never_probed() {
        let t = Instant::now();
        let mut watch = Watch::new(t);
        assert_eq!(watch.probe_due(), None);
        let id = watch.sent(t);
        watch.finish(id, Finish::Heard, at(t, 1));
        assert_eq!(watch.probe_due(), None);
        let id = watch.sent(at(t, 2));
        watch.finish(id, Finish::Ended, at(t, 3));
        assert_eq!(watch.probe_due(), None);
    }

    #[test]
    fn a_request_unanswered_is_probed_after_the_delay() {
        let t = Instant::now();
        let mut watch = Watch::new(t);
        watch.sent(at(t, 10));
        assert_eq!(watch.probe_due(), Some(at(t, 10) + PROBE_AFTER));
        // A later request does not push the probe back.
        watch.sent(at(t, 11));
        assert_eq!(watch.probe_due(), Some(at(t, 10) + PROBE_AFTER));
    }

    #[test]
    fn hearing_from_telegram_restarts_the_wait() {
        let t = Instant::now();
        let mut watch = Watch::new(t);
        watch.sent(at(t, 10));
        let other = watch.sent(at(t, 11));
        watch.finish(other, Finish::Heard, at(t, 12));
        assert_eq!(watch.probe_due(), Some(at(t, 12) + PROBE_AFTER));
        // A pong (the probe answered) does the same.
        watch.heard(at(t, 20));
        assert_eq!(watch.probe_due(), Some(at(t, 20) + PROBE_AFTER));
    }

    #[test]
    fn a_request_given_up_on_keeps_the_connection_suspect_until_telegram_is_heard() {
        let t = Instant::now();
        let mut watch = Watch::new(t);
        let id = watch.sent(at(t, 10));
        watch.finish(id, Finish::Abandoned, at(t, 12));
        assert_eq!(watch.probe_due(), Some(at(t, 10) + PROBE_AFTER));
        watch.heard(at(t, 14));
        assert_eq!(watch.probe_due(), None);
    }

    #[test]
    fn a_request_that_failed_on_its_own_is_no_suspicion() {
        let t = Instant::now();
        let mut watch = Watch::new(t);
        let id = watch.sent(at(t, 10));
        watch.finish(id, Finish::Ended, at(t, 11));
        assert_eq!(watch.probe_due(), None);
        // Finishing twice (or an unknown id) changes nothing.
        watch.finish(id, Finish::Abandoned, at(t, 12));
        assert_eq!(watch.probe_due(), None);
    }
}
