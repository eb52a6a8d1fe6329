//! Messages after a given one, oldest first: the page that continues forward from a message
//! (the unread messages are the ones after the read marker), and a bounded wait for the first
//! of them — "send this to the bot and give me its answer". Waiting polls the history, at most
//! one request per two seconds with the last at the end of the wait. Following grammers'
//! update stream instead would mean running it for the whole server (it does not today) and
//! recovering its gaps after every reconnection; a poll is one request whose answer is the
//! truth, and the issue allows its cost.

use std::time::Duration;

use grammers_tl_types as tl;
use tokio::time::Instant;

use super::messages::PAGE_MAX;
use super::peers::Resolved;
use super::types::MessagePage;
use super::{Telegram, TelegramError};

/// The shortest time between two polls of a wait.
pub const POLL_EVERY: Duration = Duration::from_secs(2);

/// How late a poll may go out and still count as sent when planned.
const ON_TIME: Duration = Duration::from_millis(100);

/// What comes after a message.
#[derive(Debug, Clone, Copy)]
pub struct AfterQuery<'a> {
    pub chat: &'a Resolved,
    /// The replies under this message (a forum topic, a thread, a channel post's comments)
    /// instead of the whole chat.
    pub root: Option<i32>,
    /// Only messages from this sender. Filtered here rather than searched (`messages.search`
    /// with `from_id`): the history is current the moment a message arrives, costs the same
    /// one request, and is not held to a search's tighter flood limits.
    pub from: Option<i64>,
    pub after: i32,
    /// Messages to list, 1 to [`PAGE_MAX`].
    pub limit: i32,
    /// Extra pages read when the sender filter leaves a page short.
    pub batches: i32,
}

/// Messages after one, oldest first.
#[derive(Debug, Clone, Default)]
pub struct AfterPage {
    /// Oldest first.
    pub page: MessagePage,
    /// More messages follow `read_up_to`.
    pub has_more: bool,
    /// The last message read, listed or left out by the sender filter: the next page starts
    /// after it.
    pub read_up_to: i32,
}

/// How a wait ended: with what came, or empty when time ran out (`timed_out`: how long it
/// waited).
#[derive(Debug, Clone, Default)]
pub struct Waited {
    pub found: AfterPage,
    pub timed_out: Option<Duration>,
}

/// When a wait of `wait` polls after its first, immediate poll: evenly spaced, at least
/// [`POLL_EVERY`] apart (a wait shorter than that polls once more at its end), the last at the
/// end of the wait — `wait / 2 s + 1` requests at most.
fn later_polls(wait: Duration) -> Vec<Duration> {
    if wait.is_zero() {
        return Vec::new();
    }
    let polls = ((wait.as_secs_f64() / POLL_EVERY.as_secs_f64()) as u32).max(1);
    (1..=polls).map(|poll| wait * poll / polls).collect()
}

impl Telegram {
    /// The oldest `limit` messages after `after` in `chat` (or under `root`), oldest first,
    /// and whether more may follow: one `messages.getHistory` (`messages.getReplies` under a
    /// root) asking one more than needed. Telegram lists newest first, so the window is counted
    /// back from the first message at or before `after` (`offset_id` after + 1, a negative
    /// `add_offset`), with none at or before it (`min_id`), as Telethon's reverse iteration
    /// asks.
    pub(crate) async fn oldest_after(
        &self,
        chat: &Resolved,
        root: Option<i32>,
        after: i32,
        limit: i32,
    ) -> Result<(MessagePage, bool), TelegramError> {
        let ask = (limit + 1).min(PAGE_MAX);
        // Past the largest id nothing can follow; the request stays well-formed all the same.
        let offset_id = after.saturating_add(1);
        // The same window for either request; the braces hold the request's own fields.
        macro_rules! forward {
            ($($request:ident)::+ { $($field:ident: $value:expr),* $(,)? }) => {
                $($request)::+ {
                    $($field: $value,)*
                    offset_id,
                    offset_date: 0,
                    add_offset: -ask,
                    limit: ask,
                    max_id: 0,
                    min_id: after,
                    hash: 0,
                }
            };
        }
        let answer = match root {
            None => {
                self.invoke(&forward!(tl::functions::messages::GetHistory {
                    peer: chat.input.clone()
                }))
                .await?
            }
            Some(root) => {
                self.invoke(&forward!(tl::functions::messages::GetReplies {
                    peer: chat.input.clone(),
                    msg_id: root,
                }))
                .await?
            }
        };
        let mut page = self.page(answer).await;
        page.messages.retain(|m| m.id > after);
        page.messages.sort_by_key(|m| m.id);
        page.messages.dedup_by_key(|m| m.id);
        // A full page may have more behind it (at 100 asked, Telegram's most, it cannot say).
        let more = page.messages.len() as i32 >= ask;
        page.messages.truncate(limit.max(0) as usize);
        Ok((page, more))
    }

    /// The messages after `q.after`, oldest first, at most `q.limit`; with a sender filter,
    /// up to `q.batches` more pages when one leaves the page short.
    pub async fn messages_after(&self, q: &AfterQuery<'_>) -> Result<AfterPage, TelegramError> {
        let mut found = AfterPage {
            read_up_to: q.after,
            ..AfterPage::default()
        };
        let limit = q.limit.max(1) as usize;
        for _ in 0..=q.batches {
            let (page, more) = self
                .oldest_after(q.chat, q.root, found.read_up_to, q.limit)
                .await?;
            found.read_up_to = page.messages.last().map_or(found.read_up_to, |m| m.id);
            found.has_more = more;
            found.page.total = found.page.total.or(page.total);
            found.page.directory.extend(page.directory);
            found.page.messages.extend(
                page.messages
                    .into_iter()
                    .filter(|m| q.from.is_none_or(|from| m.sender_id == Some(from))),
            );
            if found.page.messages.len() > limit {
                found.page.messages.truncate(limit);
                found.has_more = true;
                found.read_up_to = found.page.messages.last().map_or(q.after, |m| m.id);
            }
            if !more || found.page.messages.len() >= limit {
                break;
            }
        }
        Ok(found)
    }

    /// Waits up to `wait` for messages after `q.after`: answers at once when some are there
    /// already, else polls (see [`later_polls`]) until one comes or time is up. The wait is
    /// counted from the first look's answer, so a slow first contact (a cold connection) does
    /// not eat into it, and a wait costs the same requests however long that took. A poll's
    /// messages the sender filter leaves out are not read again. `progress` runs before each
    /// later poll with the time waited so far (the caller's host resets its own timeout on
    /// it). Dropping the future stops the wait: nothing more is sent.
    pub async fn wait_after<F>(
        &self,
        q: &AfterQuery<'_>,
        wait: Duration,
        mut progress: impl FnMut(Duration) -> F,
    ) -> Result<Waited, TelegramError>
    where
        F: Future<Output = ()>,
    {
        let mut q = AfterQuery { batches: 0, ..*q };
        let found = self.messages_after(&q).await?;
        if !found.page.messages.is_empty() {
            return Ok(Waited {
                found,
                timed_out: None,
            });
        }
        q.after = found.read_up_to;
        let start = Instant::now();
        let end = start + wait;
        // The last poll: when it was planned (from the start) and when it was sent.
        let mut last = (Duration::ZERO, start);
        for at in later_polls(wait) {
            // As planned, and never closer to the poll before than planned: a slow answer
            // delays the next poll rather than bunching two together.
            let (planned_before, sent_before) = last;
            let when = (start + at).max(sent_before + (at - planned_before));
            if when > end {
                break;
            }
            tokio::time::sleep_until(when).await;
            // A poll sent on time counts as sent at its plan: waking takes a moment.
            let now = Instant::now();
            let late = now.saturating_duration_since(when) > ON_TIME;
            last = (at, if late { now } else { when });
            progress(start.elapsed()).await;
            let found = self.messages_after(&q).await?;
            if !found.page.messages.is_empty() {
                return Ok(Waited {
                    found,
                    timed_out: None,
                });
            }
            q.after = found.read_up_to;
        }
        Ok(Waited {
            found: AfterPage::default(),
            timed_out: Some(start.elapsed()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polls_are_two_seconds_apart_at_least_and_the_last_ends_the_wait() {
        let secs = |s: &[f64]| -> Vec<Duration> {
            s.iter().map(|s| Duration::from_secs_f64(*s)).collect()
        };
        assert_eq!(later_polls(Duration::ZERO), vec![]);
        assert_eq!(later_polls(Duration::from_secs(1)), secs(&[1.0]));
        assert_eq!(later_polls(Duration::from_secs(4)), secs(&[2.0, 4.0]));
        assert_eq!(later_polls(Duration::from_secs(5)), secs(&[2.5, 5.0]));
        for wait in 1..=50u64 {
            let polls = later_polls(Duration::from_secs(wait));
            assert!(
                polls.len() as u64 <= wait.div_ceil(2),
                "{wait} s: {polls:?}"
            );
            assert_eq!(polls.last(), Some(&Duration::from_secs(wait)));
            let mut before = Duration::ZERO;
            for at in &polls {
                assert!(
                    wait < 2 || *at - before >= POLL_EVERY,
                    "{wait} s: {polls:?}"
                );
                before = *at;
            }
        }
    }
}
