//! `get_messages` forward: the messages after `after_id`, oldest first, and with `wait_seconds`
//! a wait for the first of them within the call ("send this to the bot and give me its
//! answer": send_message answers the new message's id, this waits for what follows it).

use std::time::Duration;

use rmcp::RoleServer;
use rmcp::model::ProgressNotificationParam;
use rmcp::service::RequestContext;

use super::ToolError;
use super::get_messages::{GetMessagesParams, MessagesOut, ThreadScope, answer, plain_read};
use super::listing;
use crate::server::TelegramServer;
use crate::telegram::after::{AfterQuery, Waited};
use crate::telegram::reading::{ChatRead, CommentsAt};

/// The longest wait asked for.
const WAIT_MAX_SECONDS: i64 = 50;
/// Time kept from the call deadline for the last poll and the answer: a longer wait is cut to
/// the deadline less this.
const ANSWER_MARGIN: Duration = Duration::from_secs(5);

/// A forward listing's arguments, checked.
#[derive(Debug, Clone, Copy)]
pub(crate) struct After {
    pub after: i32,
    pub limit: i32,
    pub batches: i32,
    /// How long to wait for the first message (cut to the call deadline); none: list only.
    pub wait: Option<Duration>,
}

/// The first argument given among `others`, for an error naming it.
pub(crate) fn first_given<'a>(others: &[(&'a str, bool)]) -> Option<&'a str> {
    others
        .iter()
        .find(|(_, given)| *given)
        .map(|(name, _)| *name)
}

/// `after_id` and `wait_seconds`, checked against the call deadline `deadline`: a forward
/// listing of one chat, topic or thread, by itself, so it takes no search, ids, dates, context
/// or replies, and continues with `after_id` (not `offset_id`).
pub(crate) fn validate_after(
    p: &GetMessagesParams,
    linked: bool,
    deadline: Duration,
) -> Result<After, String> {
    let Some(after) = p.after_id else {
        return Err("wait_seconds waits for messages after after_id: give after_id too".into());
    };
    if after < 0 {
        return Err("after_id must not be negative".into());
    }
    let others = [
        ("query", p.query.is_some()),
        ("message_ids", p.message_ids.is_some()),
        ("unread", p.unread),
        ("min_date", p.min_date.is_some()),
        ("max_date", p.max_date.is_some()),
        ("context", p.context != 0),
        ("include_replies", p.include_replies),
        ("include_total_count", p.include_total_count),
        ("thread_scope", p.thread_scope != ThreadScope::Auto),
        ("a message link as chat_id", linked),
    ];
    if let Some(name) = first_given(&others) {
        return Err(format!("after_id cannot be combined with {name}"));
    }
    if p.offset_id.is_some() {
        return Err(
            "after_id cannot be combined with offset_id: to continue, give the \
                    previous answer's next_offset_id as after_id"
                .into(),
        );
    }
    if p.reply_to_id.is_some_and(|id| id <= 0) {
        return Err("reply_to_id must be a positive message id".into());
    }
    let wait = match p.wait_seconds {
        None => None,
        Some(secs) if (1..=WAIT_MAX_SECONDS).contains(&secs) => {
            Some(Duration::from_secs(secs as u64).min(deadline.saturating_sub(ANSWER_MARGIN)))
        }
        Some(secs) => {
            return Err(format!(
                "wait_seconds must be between 1 and {WAIT_MAX_SECONDS}, got {secs}"
            ));
        }
    };
    Ok(After {
        after,
        limit: listing::limit(p.limit)?,
        batches: listing::batches(p.auto_expand_batches)?,
        wait,
    })
}

impl TelegramServer {
    /// The messages after `a.after` (waited for when asked), as `get_messages` answers them.
    pub(crate) async fn after_answer(
        &self,
        p: &GetMessagesParams,
        a: After,
        ctx: &RequestContext<RoleServer>,
    ) -> Result<MessagesOut, ToolError> {
        let tg = &self.telegram;
        let chat = tg.resolve(&p.chat_id).await?;
        let from = match &p.from_user {
            Some(sender) => Some(tg.resolve(sender).await?.id),
            None => None,
        };
        let q = AfterQuery {
            chat: &chat,
            root: p.reply_to_id,
            from,
            after: a.after,
            limit: a.limit,
            batches: a.batches,
        };
        let Waited { found, timed_out } = match a.wait {
            None => Waited {
                found: tg.messages_after(&q).await?,
                timed_out: None,
            },
            Some(wait) => {
                let token = ctx.meta.get_progress_token();
                let total = wait.as_secs_f64();
                let progress = |waited: Duration| {
                    let (token, peer) = (token.clone(), ctx.peer.clone());
                    async move {
                        if let Some(token) = token {
                            let param = ProgressNotificationParam::new(
                                token,
                                waited.as_secs_f64().min(total),
                            )
                            .with_total(total)
                            .with_message("waiting for a new message");
                            let _ = peer.notify_progress(param).await;
                        }
                    }
                };
                tg.wait_after(&q, wait, progress).await?
            }
        };
        // A post's comments live in its discussion group, which the messages name.
        let discussion = found
            .page
            .messages
            .first()
            .map(|m| m.chat_id)
            .filter(|id| *id != chat.id)
            .map(|chat_id| CommentsAt {
                chat_id,
                total: None,
            });
        let read = ChatRead {
            discussion,
            ..plain_read(found.page, found.has_more, chat.info.clone())
        };
        let mut out = answer(read, p);
        out.next_offset_id = found.has_more.then_some(found.read_up_to);
        out.waited_seconds = timed_out.map(|t| t.as_secs_f64().round() as i32);
        Ok(out)
    }
}
