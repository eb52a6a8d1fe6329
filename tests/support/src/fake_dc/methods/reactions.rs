//! Reactions: `messages.sendReaction`, as Telegram answers it. A chat allows the standard
//! reactions ([`STANDARD`]) or the chat's own list (the world's `reactions`, Telegram's
//! `available_reactions`, reported by `getFullChat` / `getFullChannel`); anything else, custom
//! emoji included, is `400 REACTION_INVALID`. The self user has one reaction per message (three
//! with Premium, else `400 REACTIONS_TOO_MANY`): sending replaces it, an empty list removes it.
//! The answer is `updates { updateMessageReactions }` with the message's counts after.

use grammers_tl_types as tl;

use super::{Ctx, RpcError, RpcResult, input_peer};
use crate::world::tl_build::{self, Mentioned};
use crate::world::{Msg, Peer, ReactionSpec, World};

/// Telegram's standard (free) reactions, as `messages.getAvailableReactions` lists them.
pub const STANDARD: &[&str] = &[
    "👍",
    "👎",
    "❤",
    "🔥",
    "🥰",
    "👏",
    "😁",
    "🤔",
    "🤯",
    "😱",
    "🤬",
    "😢",
    "🎉",
    "🤩",
    "🤮",
    "💩",
    "🙏",
    "👌",
    "🕊",
    "🤡",
    "🥱",
    "🥴",
    "😍",
    "🐳",
    "❤‍🔥",
    "🌚",
    "🌭",
    "💯",
    "🤣",
    "⚡",
    "🍌",
    "🏆",
    "💔",
    "🤨",
    "😐",
    "🍓",
    "🍾",
    "💋",
    "🖕",
    "😈",
    "😴",
    "😭",
    "🤓",
    "👻",
    "👨‍💻",
    "👀",
    "🎃",
    "🙈",
    "😇",
    "😨",
    "🤝",
    "✍",
    "🤗",
    "🫡",
    "🎅",
    "🎄",
    "☃",
    "💅",
    "🤪",
    "🗿",
    "🆒",
    "💘",
    "🙉",
    "🦄",
    "😘",
    "💊",
    "🙊",
    "😎",
    "👾",
    "🤷‍♂",
    "🤷",
    "🤷‍♀",
    "😡",
];

/// Reactions per message a user may set (Premium users: [`PREMIUM_REACTIONS_MAX`]).
const REACTIONS_MAX: usize = 1;
const PREMIUM_REACTIONS_MAX: usize = 3;

pub fn route(ctx: &Ctx, id: u32, body: &[u8]) -> Option<RpcResult<Vec<u8>>> {
    fake_dc_routes!(ctx, id, body, {
        tl::functions::messages::SendReaction => send_reaction,
    })
}

/// Whether members of `peer` may react with `emoji`.
pub fn allowed(world: &World, peer: Peer, emoji: &str) -> bool {
    match world.chat(peer).and_then(|c| c.reactions.as_ref()) {
        Some(own) => own.iter().any(|r| r == emoji),
        None => STANDARD.contains(&emoji),
    }
}

/// `available_reactions` of a chat's full profile.
pub fn available(world: &World, peer: Peer) -> tl::enums::ChatReactions {
    match world.chat(peer).and_then(|c| c.reactions.as_ref()) {
        None => tl::types::ChatReactionsAll {
            allow_custom: false,
        }
        .into(),
        Some(own) if own.is_empty() => tl::enums::ChatReactions::None,
        Some(own) => tl::types::ChatReactionsSome {
            reactions: own
                .iter()
                .map(|e| {
                    tl::types::ReactionEmoji {
                        emoticon: e.clone(),
                    }
                    .into()
                })
                .collect(),
        }
        .into(),
    }
}

fn send_reaction(
    ctx: &Ctx,
    request: tl::functions::messages::SendReaction,
) -> RpcResult<tl::enums::Updates> {
    ctx.require_auth()?;
    let mut world = ctx.world();
    let peer = input_peer(&world, &request.peer)?;
    if world.chat(peer).is_some_and(|c| c.left) {
        return Err(RpcError::bad_request("CHANNEL_PRIVATE"));
    }
    let mut wanted = Vec::new();
    for reaction in request.reaction.iter().flatten() {
        match reaction {
            tl::enums::Reaction::Emoji(e) if allowed(&world, peer, &e.emoticon) => {
                wanted.push(e.emoticon.clone());
            }
            tl::enums::Reaction::Empty => {}
            _ => return Err(RpcError::bad_request("REACTION_INVALID")),
        }
    }
    let max = if world.me().premium {
        PREMIUM_REACTIONS_MAX
    } else {
        REACTIONS_MAX
    };
    if wanted.len() > max {
        return Err(RpcError::bad_request("REACTIONS_TOO_MANY"));
    }
    let msg = world
        .messages
        .get_mut(&peer)
        .and_then(|h| h.get_mut(&request.msg_id))
        .filter(|m| m.action.is_none())
        .ok_or(RpcError::bad_request("MESSAGE_ID_INVALID"))?;
    set_own(msg, &wanted);
    let msg = msg.clone();
    Ok(reactions_update(&world, &msg))
}

/// Replaces the self user's reactions on `msg` with `wanted`.
fn set_own(msg: &mut Msg, wanted: &[String]) {
    for r in msg.reactions.iter_mut().filter(|r| r.chosen) {
        r.chosen = false;
        r.count -= 1;
    }
    for emoji in wanted {
        match msg.reactions.iter_mut().find(|r| &r.emoji == emoji) {
            Some(r) => {
                r.chosen = true;
                r.count += 1;
            }
            None => msg.reactions.push(ReactionSpec {
                emoji: emoji.clone(),
                count: 1,
                chosen: true,
            }),
        }
    }
    msg.reactions.retain(|r| r.count > 0);
}

/// `updates { updateMessageReactions }`: the message's reactions after the change.
fn reactions_update(world: &World, msg: &Msg) -> tl::enums::Updates {
    let reactions = tl_build::reactions(msg).unwrap_or_else(|| {
        tl::types::MessageReactions {
            min: false,
            can_see_list: false,
            reactions_as_tags: false,
            results: Vec::new(),
            recent_reactions: None,
            top_reactors: None,
        }
        .into()
    });
    let update = tl::types::UpdateMessageReactions {
        peer: msg.peer.to_tl(),
        msg_id: msg.id,
        top_msg_id: msg.top_id.filter(|_| msg.forum_topic),
        saved_peer_id: None,
        reactions,
    };
    let mut mentioned = Mentioned::default();
    mentioned.peer(msg.peer);
    tl_build::updates(world, vec![update.into()], &mentioned)
}
