//! Forwarding: `messages.forwardMessages`, several messages of one chat at once, keeping their
//! author or not (`drop_author`: sent as copies), into a target chosen as for any send (a forum
//! topic, a reply, a comment). One `random_id` per message, kept across resends as for every
//! send; the ids Telegram's answer leaves out were not forwarded.

use grammers_tl_types as tl;

use super::peers::Resolved;
use super::send::{Sent, random_id};
use super::target::Target;
use super::updates::reported_random_ids;
use super::{Telegram, TelegramError};
use crate::format::{Formatted, Parsed};

/// The forum topic every forum has, posted in without a header.
const GENERAL_TOPIC: i32 = 1;

/// What a forward did.
#[derive(Debug, Clone, Default)]
pub struct Forwarded {
    /// The new messages, in the order asked.
    pub sent: Sent,
    /// Asked ids Telegram did not forward (missing, or not forwardable).
    pub not_forwarded: Vec<i32>,
}

impl Telegram {
    /// Forwards messages `ids` of `from` to `target` (scheduled when `schedule_date` is set).
    pub async fn forward(
        &self,
        from: &Resolved,
        ids: &[i32],
        target: &Target,
        drop_author: bool,
        schedule_date: Option<i32>,
    ) -> Result<Forwarded, TelegramError> {
        let random_ids: Vec<i64> = ids.iter().map(|_| random_id()).collect();
        let topic = target.topic_id.filter(|t| *t != GENERAL_TOPIC);
        let request = tl::functions::messages::ForwardMessages {
            silent: false,
            background: false,
            with_my_score: false,
            drop_author,
            drop_media_captions: false,
            noforwards: false,
            allow_paid_floodskip: false,
            from_ephemeral: false,
            from_peer: from.input.clone(),
            id: ids.to_vec(),
            random_id: random_ids.clone(),
            to_peer: target.chat.input.clone(),
            top_msg_id: topic,
            reply_to: if topic.is_some() {
                None
            } else {
                target.reply_to.clone()
            },
            schedule_date,
            schedule_repeat_period: None,
            send_as: None,
            quick_reply_shortcut: None,
            effect: None,
            video_timestamp: None,
            allow_paid_stars: None,
            suggested_post: None,
        };
        let Some(updates) = self.post(&request).await? else {
            return Ok(Forwarded {
                sent: Sent {
                    scheduled: schedule_date.is_some(),
                    unconfirmed: true,
                    ..Sent::default()
                },
                not_forwarded: Vec::new(),
            });
        };
        let reported = reported_random_ids(&updates);
        let not_forwarded = ids
            .iter()
            .zip(&random_ids)
            .filter(|(_, r)| !reported.contains(r))
            .map(|(id, _)| *id)
            .collect();
        let no_text = Formatted {
            text: String::new(),
            entities: Vec::new(),
            parsed_as: Parsed::Plain,
        };
        let sent = self
            .sent(updates, target, &random_ids, None, &no_text)
            .await;
        Ok(Forwarded {
            sent,
            not_forwarded,
        })
    }
}
