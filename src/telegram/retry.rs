//! When a request is sent again, in one place: grammers' retry policy for every request
//! ([`RetryOnce`]: one flood wait slept through, one repeat after a dropped connection or an
//! internal error), the recognition of a flood wait that policy and the error conversion share
//! ([`is_flood_wait`]), and the resend rules of writes — once more when the connection dropped
//! mid-request ([`Telegram::invoke_once_more_if_dropped`]), and asking again while Telegram is
//! still processing a message it already has ([`Telegram::post`]).
//!
//! A write is never posted twice by any of this: a repeat sends the same bytes, so the message
//! keeps its `random_id` and Telegram de-duplicates it.
//!
//! A send repeated while Telegram still processes the first one (the connection dropped,
//! grammers sent it again) is answered `500 RANDOM_ID_DUPLICATE`: the message *is* being
//! posted, only its id is not known yet. That is no failure to report (the model would send
//! it again, with a new `random_id`: a duplicate post): the same request is asked again a few
//! times, a little later, for the original answer, and if Telegram is still busy the send is
//! reported as sent with its id unknown (`Sent::unconfirmed`).

use std::ops::ControlFlow;
use std::time::Duration;

use grammers_client::InvocationError;
use grammers_client::sender::{RetryContext, RetryPolicy, RpcError};

use super::{Telegram, TelegramError};

/// How long to wait before sending a request again after an I/O error (a dropped connection).
const IO_RETRY_PAUSE: Duration = Duration::from_millis(500);

/// How long to wait before sending a request again after Telegram's internal error.
const INTERNAL_RETRY_PAUSE: Duration = Duration::from_secs(1);

/// The pauses before asking again for a message Telegram is still processing
/// (`RANDOM_ID_DUPLICATE`): 3.5 s in all, then it is reported as sent, its id unknown.
const DUPLICATE_WAITS: [Duration; 3] = [
    Duration::from_millis(500),
    Duration::from_secs(1),
    Duration::from_secs(2),
];

/// What grammers 0.11 fails a request with when the connection it was queued for closed before
/// the request was handed to that connection's sender: the pool routes each request into the
/// connection's own queue, and a connection that ends on a read error fails only the requests
/// its sender holds (`Io`); those still in its queue, or routed to it after it ended, are dropped
/// unsent and their callers see this. It comes with every drop that meets several requests at
/// once — the terms of a search, concurrent calls, anything queued while a new connection is
/// being made — and says nothing more than the `Io` of the requests beside it: the connection
/// went away. The policy is asked only while the pool runs (a replaced or stopped pool fails
/// the retry itself), so a request that failed this way met a dropped connection.
pub const QUEUED_ON_A_DROPPED_CONNECTION: &str = "SenderPoolRunner was dropped during receive";

/// A request cut off by a dropped connection: `Io` when the connection's sender held it,
/// [`QUEUED_ON_A_DROPPED_CONNECTION`] when it was still queued for that connection.
pub fn is_dropped_connection(e: &InvocationError) -> bool {
    match e {
        InvocationError::Io(_) => true,
        InvocationError::Dropped(why) => *why == QUEUED_ON_A_DROPPED_CONNECTION,
        _ => false,
    }
}

/// Whether Telegram asks to wait before the next request (`420 FLOOD_WAIT_X`, and the other
/// 420s such as `FLOOD_PREMIUM_WAIT_X`): the one check the retry policy and the error
/// conversion share.
pub fn is_flood_wait(e: &RpcError) -> bool {
    e.code == 420 || e.name.starts_with("FLOOD_WAIT")
}

/// grammers' retry policy for this server: a request that failed is retried at most once,
/// after sleeping out a flood wait of at most `flood_wait_max` (a longer one goes back to the
/// caller at once, to answer `retry_after_seconds`), after `io_pause` when the connection
/// dropped (whether the request was on it or still queued for it), or after
/// [`INTERNAL_RETRY_PAUSE`] when Telegram had an internal error (`500`, `-503` timeouts, as
/// Telethon retries them). grammers sends the same bytes again, so a message keeps its
/// `random_id`. Anything else is never retried here — nor `500 RANDOM_ID_DUPLICATE`, which
/// says the message is already being sent (see [`Telegram::post`]).
#[derive(Debug, Clone, Copy)]
pub struct RetryOnce {
    pub flood_wait_max: Duration,
    pub io_pause: Duration,
}

impl RetryOnce {
    /// The policy of every request: flood waits up to `flood_wait_max` slept through, a
    /// dropped connection retried after [`IO_RETRY_PAUSE`].
    pub fn new(flood_wait_max: Duration) -> Self {
        RetryOnce {
            flood_wait_max,
            io_pause: IO_RETRY_PAUSE,
        }
    }
}

impl RetryPolicy for RetryOnce {
    fn should_retry(&self, ctx: &RetryContext) -> ControlFlow<(), Duration> {
        if ctx.fail_count.get() > 1 {
            return ControlFlow::Break(());
        }
        match &ctx.error {
            InvocationError::Rpc(e) if is_flood_wait(e) => match e.value {
                Some(seconds) if u64::from(seconds) <= self.flood_wait_max.as_secs() => {
                    ControlFlow::Continue(Duration::from_secs(seconds.into()))
                }
                _ => ControlFlow::Break(()),
            },
            e if is_dropped_connection(e) => ControlFlow::Continue(self.io_pause),
            InvocationError::Rpc(e) if is_internal(e) => {
                ControlFlow::Continue(INTERNAL_RETRY_PAUSE)
            }
            _ => ControlFlow::Break(()),
        }
    }
}

/// Telegram's own trouble, worth one more try: `500` (`INTERNAL`, `RPC_CALL_FAIL`…) and
/// negative codes (`-503 Timeout`), but not the 500s that answer the request itself.
fn is_internal(e: &RpcError) -> bool {
    (e.code == 500 || e.code < 0)
        && !matches!(
            e.name.as_str(),
            "RANDOM_ID_DUPLICATE" | "AUTH_RESTART" | "SIGN_IN_FAILED"
        )
}

/// Telegram's answer to a send repeated while the first is still being processed.
fn is_duplicate(e: &TelegramError) -> bool {
    matches!(e, TelegramError::Rpc { name, .. } if name == "RANDOM_ID_DUPLICATE")
}

impl Telegram {
    /// Sends `request` once more, unchanged (same `random_id`), when the connection dropped
    /// while it was in flight: Telegram de-duplicates, so it is never posted twice.
    pub(super) async fn invoke_once_more_if_dropped<R: grammers_tl_types::RemoteCall>(
        &self,
        request: &R,
    ) -> Result<R::Return, TelegramError> {
        let answer = match self.invoke(request).await {
            Err(TelegramError::Unreachable(why)) => {
                tracing::info!(
                    "connection lost while sending ({why}); sending the same request again"
                );
                self.invoke(request).await
            }
            other => other,
        };
        // A write changes the chat list's order (or what a folder holds): a read of it that
        // began before the write landed is out of date.
        self.chat_list_changed();
        answer
    }

    /// Sends a message-posting `request` ([`Self::invoke_once_more_if_dropped`]); `None` when
    /// Telegram has it but is still processing it (see the module documentation).
    pub(super) async fn post<R: grammers_tl_types::RemoteCall>(
        &self,
        request: &R,
    ) -> Result<Option<R::Return>, TelegramError> {
        let mut answer = self.invoke_once_more_if_dropped(request).await;
        let mut waits = DUPLICATE_WAITS.iter();
        let mut duplicate = false;
        loop {
            match answer {
                Ok(done) => return Ok(Some(done)),
                Err(e) if is_duplicate(&e) => duplicate = true,
                // Telegram said it has the message: whatever comes next, it is sent.
                Err(e) if duplicate => {
                    tracing::warn!("the message is sent, but asking for its id failed: {e}");
                    return Ok(None);
                }
                Err(e) => return Err(e),
            }
            let Some(wait) = waits.next() else {
                tracing::warn!("Telegram is still processing the message; its id is not known yet");
                return Ok(None);
            };
            tracing::info!("Telegram is still processing the message; asking again in {wait:?}");
            tokio::time::sleep(*wait).await;
            answer = self.invoke_once_more_if_dropped(request).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;

    use super::*;

    fn decide(error: InvocationError, fail_count: u32) -> ControlFlow<(), Duration> {
        let policy = RetryOnce {
            flood_wait_max: Duration::from_secs(10),
            io_pause: Duration::from_millis(500),
        };
        policy.should_retry(&RetryContext {
            fail_count: NonZeroU32::new(fail_count).unwrap(),
            slept_so_far: Duration::ZERO,
            error,
        })
    }

    fn flood(seconds: u32) -> InvocationError {
        InvocationError::Rpc(RpcError {
            code: 420,
            name: "FLOOD_WAIT".into(),
            value: Some(seconds),
            caused_by: None,
        })
    }

    #[test]
    fn flood_waits_up_to_the_threshold_are_slept_once() {
        assert_eq!(
            decide(flood(3), 1),
            ControlFlow::Continue(Duration::from_secs(3))
        );
        assert_eq!(
            decide(flood(10), 1),
            ControlFlow::Continue(Duration::from_secs(10))
        );
        assert_eq!(decide(flood(3), 2), ControlFlow::Break(()));
    }

    #[test]
    fn longer_flood_waits_go_back_at_once() {
        assert_eq!(decide(flood(11), 1), ControlFlow::Break(()));
        assert_eq!(decide(flood(3600), 1), ControlFlow::Break(()));
    }

    #[test]
    fn io_errors_are_retried_once_and_other_errors_never() {
        let io = || InvocationError::Io(std::io::Error::other("reset"));
        assert_eq!(
            decide(io(), 1),
            ControlFlow::Continue(Duration::from_millis(500))
        );
        assert_eq!(decide(io(), 2), ControlFlow::Break(()));
        let rpc = InvocationError::Rpc(RpcError {
            code: 400,
            name: "PEER_ID_INVALID".into(),
            value: None,
            caused_by: None,
        });
        assert_eq!(decide(rpc, 1), ControlFlow::Break(()));
    }

    #[test]
    fn a_request_still_queued_for_a_dropped_connection_is_retried_once_like_one_on_it() {
        let queued = || InvocationError::Dropped(QUEUED_ON_A_DROPPED_CONNECTION);
        assert_eq!(
            decide(queued(), 1),
            ControlFlow::Continue(Duration::from_millis(500))
        );
        assert_eq!(decide(queued(), 2), ControlFlow::Break(()));
        // grammers' other reasons for dropping a request are no lost connection.
        let bad_msg = InvocationError::Dropped("response was non-retryable bad msg");
        assert_eq!(decide(bad_msg, 1), ControlFlow::Break(()));
    }

    fn rpc(code: i32, name: &str) -> InvocationError {
        InvocationError::Rpc(RpcError {
            code,
            name: name.into(),
            value: None,
            caused_by: None,
        })
    }

    #[test]
    fn internal_errors_are_retried_once() {
        for (code, name) in [(500, "INTERNAL"), (500, "RPC_CALL_FAIL"), (-503, "TIMEOUT")] {
            assert_eq!(
                decide(rpc(code, name), 1),
                ControlFlow::Continue(INTERNAL_RETRY_PAUSE),
                "{name}"
            );
            assert_eq!(decide(rpc(code, name), 2), ControlFlow::Break(()), "{name}");
        }
    }

    #[test]
    fn a_duplicate_random_id_is_not_retried_blindly() {
        assert_eq!(
            decide(rpc(500, "RANDOM_ID_DUPLICATE"), 1),
            ControlFlow::Break(())
        );
        assert_eq!(decide(rpc(500, "AUTH_RESTART"), 1), ControlFlow::Break(()));
    }

    #[test]
    fn a_flood_wait_is_known_by_its_code_or_its_name() {
        let named = |code, name: &str| RpcError {
            code,
            name: name.into(),
            value: Some(5),
            caused_by: None,
        };
        assert!(is_flood_wait(&named(420, "FLOOD_WAIT")));
        assert!(is_flood_wait(&named(420, "FLOOD_PREMIUM_WAIT")));
        assert!(is_flood_wait(&named(400, "FLOOD_WAIT")));
        assert!(!is_flood_wait(&named(400, "PEER_FLOOD")));
    }
}
