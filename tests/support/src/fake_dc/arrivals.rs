//! Messages that arrive while a client waits: a test's [`FakeDc::arrive`](super::FakeDc::arrive)
//! stores an incoming message now, and the world's `auto_replies` answer what the client sends
//! after a delay, as a bot or a friend does. A scripted reply is stored the first time the DC
//! handles a request at or after its time — the only way a client that polls can see it, so no
//! timer thread is needed and nothing depends on when the test looks.
//!
//! As on Telegram, an arrival is unread: a dialog whose unread messages were counted from the
//! newest (`unread_count`) keeps its read marker where it was.

use std::time::{Duration, Instant};

use super::methods::dialogs::read_state;
use crate::world::tl_build::now;
use crate::world::{Msg, Peer, World};

/// Stores an incoming message from `from` in `peer`, with the next id of that chat and the
/// current date; `fill` sets the text and where it replies. Returns the stored message.
pub fn arrive(world: &mut World, peer: Peer, from: Peer, fill: impl FnOnce(&mut Msg)) -> Msg {
    let (_, marker) = read_state(world, peer);
    if let Some(dialog) = world.dialogs.get_mut(&peer) {
        dialog.read_inbox_max_id.get_or_insert(marker);
    }
    let id = world.allocate_id(peer);
    let mut msg = Msg::new(peer, id, Some(from), now());
    fill(&mut msg);
    world.bump_pts(peer);
    world.insert(msg.clone());
    msg
}

/// Queues the world's scripted answers to `sent`, a message the client just sent.
pub fn answer_later(world: &mut World, sent: &Msg) {
    let answers: Vec<(Instant, Msg)> = world
        .auto_replies
        .iter()
        .filter(|reply| Peer::from_bot_api(reply.chat) == Some(sent.peer))
        .filter_map(|reply| {
            let from = Peer::from_bot_api(reply.from.unwrap_or(reply.chat))?;
            // The id is given when it arrives; the template keeps where it goes.
            let mut msg = Msg::new(sent.peer, 0, Some(from), 0);
            msg.text = reply.text.clone();
            msg.top_id = sent.top_id;
            msg.forum_topic = sent.forum_topic;
            msg.reply_to_msg_id = if reply.reply {
                Some(sent.id)
            } else {
                sent.top_id
            };
            Some((Instant::now() + Duration::from_millis(reply.after_ms), msg))
        })
        .collect();
    world.arriving.extend(answers);
}

/// Stores every queued answer whose time has come, oldest first.
pub fn deliver_due(world: &mut World) {
    if world.arriving.is_empty() {
        return;
    }
    let now = Instant::now();
    let mut due: Vec<(Instant, Msg)> = Vec::new();
    let mut later = Vec::new();
    for (at, msg) in world.arriving.drain(..) {
        if at <= now {
            due.push((at, msg));
        } else {
            later.push((at, msg));
        }
    }
    world.arriving = later;
    due.sort_by_key(|(at, _)| *at);
    for (_, template) in due {
        let Some(from) = template.from else { continue };
        arrive(world, template.peer, from, |m| {
            m.text = template.text.clone();
            m.reply_to_msg_id = template.reply_to_msg_id;
            m.top_id = template.top_id;
            m.forum_topic = template.forum_topic;
        });
    }
}
