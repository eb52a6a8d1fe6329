//! Reading messages: `messages.getHistory`, `messages.search` (in one chat, with filters and
//! threads), `messages.searchGlobal`, and messages by id. Ordering, offsets, `add_offset`,
//! `count` and the answer variant follow Telegram: newest first, `messages.messages` when the
//! whole result fits, `messages.messagesSlice` (with `count`) when it does not, and
//! `messages.channelMessages` for channels.

use grammers_tl_types as tl;

use super::{Ctx, RpcError, RpcResult, input_channel, input_peer};
use crate::world::tl_build::{self, Mentioned};
use crate::world::{ChatKind, Msg, Peer, World};

/// Telegram never returns more than this many messages per call.
pub const MAX_LIMIT: i32 = 100;

pub fn route(ctx: &Ctx, id: u32, body: &[u8]) -> Option<RpcResult<Vec<u8>>> {
    fake_dc_routes!(ctx, id, body, {
        tl::functions::messages::GetHistory => get_history,
        tl::functions::messages::Search => search,
        tl::functions::messages::SearchGlobal => search_global,
        tl::functions::messages::GetMessages => get_messages,
        tl::functions::channels::GetMessages => get_channel_messages,
    })
}

/// The window Telegram's offset parameters select from a newest-first list.
pub struct Window {
    pub offset_id: i32,
    pub offset_date: i32,
    pub add_offset: i32,
    pub limit: i32,
    pub max_id: i32,
    pub min_id: i32,
}

impl Window {
    /// Applies the window; returns the page and the offset of its first element. The page
    /// has the world's holes (see [`holey`]).
    pub fn apply<'m>(&self, world: &World, newest_first: &[&'m Msg]) -> (Vec<&'m Msg>, usize) {
        let bounded: Vec<&Msg> = newest_first
            .iter()
            .copied()
            .filter(|m| self.max_id <= 0 || m.id < self.max_id)
            .filter(|m| self.min_id <= 0 || m.id > self.min_id)
            .collect();
        let start = if self.offset_id > 0 {
            bounded
                .iter()
                .position(|m| m.id < self.offset_id)
                .unwrap_or(bounded.len())
        } else if self.offset_date > 0 {
            bounded
                .iter()
                .position(|m| m.date < self.offset_date)
                .unwrap_or(bounded.len())
        } else {
            0
        } as i64;
        let start = (start + self.add_offset as i64).max(0) as usize;
        let limit = self.limit.clamp(0, MAX_LIMIT) as usize;
        let limit = if self.limit <= 0 { 20 } else { limit };
        (holey(world, &bounded, start, limit), start)
    }
}

/// The page of `limit` messages from `start` of `list` as a real account sees it: messages
/// Telegram will not show are left out (they stay in `count`), and with `short_pages` the page
/// holds fewer than asked. Telegram answers at least one message while more exist, so a window
/// of hidden messages only reaches on to the next one shown.
pub fn holey<'m>(world: &World, list: &[&'m Msg], start: usize, limit: usize) -> Vec<&'m Msg> {
    let window = list.iter().skip(start).take(limit);
    let mut page: Vec<&Msg> = window.copied().filter(|m| !world.is_hidden(m)).collect();
    if page.is_empty() && limit > 0 {
        page.extend(
            list.iter()
                .skip(start + limit)
                .copied()
                .find(|m| !world.is_hidden(m)),
        );
    }
    page.truncate(world.page_size(limit));
    page
}

/// Builds the `messages.Messages` answer for `page`, out of `total` results.
pub fn answer(
    world: &World,
    peer: Option<Peer>,
    page: &[&Msg],
    total: usize,
    offset: Option<usize>,
    next_rate: Option<i32>,
) -> tl::enums::messages::Messages {
    let mut mentioned = Mentioned::default();
    for msg in page {
        mentioned.message(msg);
    }
    let messages = page.iter().map(|m| tl_build::message(world, m)).collect();
    let users = mentioned.users(world);
    let chats = mentioned.chats(world);
    if let Some(Peer::Channel(id)) = peer {
        return tl::types::messages::ChannelMessages {
            inexact: false,
            pts: world.channel_pts.get(&id).copied().unwrap_or(1),
            count: total as i32,
            offset_id_offset: offset.map(|o| o as i32),
            messages,
            topics: Vec::new(),
            chats,
            users,
        }
        .into();
    }
    if total == page.len() && next_rate.is_none() {
        return tl::types::messages::Messages {
            messages,
            topics: Vec::new(),
            chats,
            users,
        }
        .into();
    }
    tl::types::messages::MessagesSlice {
        inexact: false,
        count: total as i32,
        next_rate,
        offset_id_offset: offset.map(|o| o as i32),
        search_flood: None,
        messages,
        topics: Vec::new(),
        chats,
        users,
    }
    .into()
}

fn readable(world: &World, peer: Peer) -> RpcResult<()> {
    match world.chat(peer) {
        Some(chat) if chat.left && chat.username.is_none() => {
            Err(RpcError::bad_request(if peer.is_channel() {
                "CHANNEL_PRIVATE"
            } else {
                "CHAT_ID_INVALID"
            }))
        }
        _ => Ok(()),
    }
}

fn get_history(
    ctx: &Ctx,
    request: tl::functions::messages::GetHistory,
) -> RpcResult<tl::enums::messages::Messages> {
    ctx.require_auth()?;
    let world = ctx.world();
    let peer = input_peer(&world, &request.peer)?;
    readable(&world, peer)?;
    let all: Vec<&Msg> = world.history(peer).collect();
    let window = Window {
        offset_id: request.offset_id,
        offset_date: request.offset_date,
        add_offset: request.add_offset,
        limit: request.limit,
        max_id: request.max_id,
        min_id: request.min_id,
    };
    let (page, offset) = window.apply(&world, &all);
    Ok(answer(
        &world,
        Some(peer),
        &page,
        all.len(),
        Some(offset),
        None,
    ))
}

/// Case-insensitive match of every word of the query, as Telegram's search behaves for
/// simple queries.
pub fn text_matches(text: &str, query: &str) -> bool {
    let text = text.to_lowercase();
    query
        .to_lowercase()
        .split_whitespace()
        .all(|word| text.contains(word))
}

pub fn filter_matches(msg: &Msg, filter: &tl::enums::MessagesFilter) -> bool {
    use tl::enums::MessagesFilter as F;
    let document = match &msg.media {
        Some(tl::enums::MessageMedia::Document(d)) => Some(d),
        _ => None,
    };
    let photo = matches!(msg.media, Some(tl::enums::MessageMedia::Photo(_)));
    let video = document.is_some_and(|d| d.video);
    let voice = document.is_some_and(|d| d.voice);
    let music = document.is_some_and(|d| !d.voice && is_audio(d));
    match filter {
        F::InputMessagesFilterEmpty => true,
        F::InputMessagesFilterPhotos => photo,
        F::InputMessagesFilterVideo => video,
        F::InputMessagesFilterPhotoVideo => photo || video,
        F::InputMessagesFilterDocument => {
            document.is_some_and(|d| !d.voice && !d.video && !is_audio(d))
        }
        F::InputMessagesFilterUrl => msg.entities.iter().any(|e| {
            matches!(
                e,
                tl::enums::MessageEntity::Url(_) | tl::enums::MessageEntity::TextUrl(_)
            )
        }),
        F::InputMessagesFilterVoice | F::InputMessagesFilterRoundVoice => voice,
        F::InputMessagesFilterMusic => music,
        F::InputMessagesFilterGeo => matches!(msg.media, Some(tl::enums::MessageMedia::Geo(_))),
        F::InputMessagesFilterContacts => {
            matches!(msg.media, Some(tl::enums::MessageMedia::Contact(_)))
        }
        F::InputMessagesFilterPinned => msg.pinned,
        _ => false,
    }
}

fn is_audio(document: &tl::types::MessageMediaDocument) -> bool {
    match &document.document {
        Some(tl::enums::Document::Document(d)) => d
            .attributes
            .iter()
            .any(|a| matches!(a, tl::enums::DocumentAttribute::Audio(_))),
        _ => false,
    }
}

fn in_date_range(msg: &Msg, min_date: i32, max_date: i32) -> bool {
    (min_date <= 0 || msg.date >= min_date) && (max_date <= 0 || msg.date <= max_date)
}

fn search(
    ctx: &Ctx,
    request: tl::functions::messages::Search,
) -> RpcResult<tl::enums::messages::Messages> {
    ctx.require_auth()?;
    let world = ctx.world();
    let peer = input_peer(&world, &request.peer)?;
    readable(&world, peer)?;
    let from = request
        .from_id
        .as_ref()
        .map(|p| input_peer(&world, p))
        .transpose()?;
    if let Some(top) = request.top_msg_id
        && world.message(peer, top).is_none()
    {
        return Err(RpcError::bad_request("MSG_ID_INVALID"));
    }
    let matches: Vec<&Msg> = world
        .history(peer)
        .filter(|m| m.action.is_none())
        .filter(|m| request.q.is_empty() || text_matches(&m.text, &request.q))
        .filter(|m| from.is_none() || m.from == from)
        .filter(|m| match request.top_msg_id {
            None => true,
            Some(top) => m.id == top || m.top_id == Some(top) || m.reply_to_msg_id == Some(top),
        })
        .filter(|m| filter_matches(m, &request.filter))
        .filter(|m| in_date_range(m, request.min_date, request.max_date))
        .collect();
    let window = Window {
        offset_id: request.offset_id,
        offset_date: 0,
        add_offset: request.add_offset,
        limit: request.limit,
        max_id: request.max_id,
        min_id: request.min_id,
    };
    let (page, offset) = window.apply(&world, &matches);
    // Searches always answer with a slice (or channel messages) carrying the total count.
    let mut answer = answer(&world, Some(peer), &page, matches.len(), Some(offset), None);
    if let tl::enums::messages::Messages::Messages(m) = answer {
        answer = tl::types::messages::MessagesSlice {
            inexact: false,
            count: matches.len() as i32,
            next_rate: None,
            offset_id_offset: Some(offset as i32),
            search_flood: None,
            messages: m.messages,
            topics: m.topics,
            chats: m.chats,
            users: m.users,
        }
        .into();
    }
    Ok(answer)
}

fn search_global(
    ctx: &Ctx,
    request: tl::functions::messages::SearchGlobal,
) -> RpcResult<tl::enums::messages::Messages> {
    ctx.require_auth()?;
    let world = ctx.world();
    if request.q.trim().is_empty()
        && matches!(
            request.filter,
            tl::enums::MessagesFilter::InputMessagesFilterEmpty
        )
    {
        return Err(RpcError::bad_request("SEARCH_QUERY_EMPTY"));
    }
    let offset_peer = match &request.offset_peer {
        tl::enums::InputPeer::Empty => None,
        other => Some(input_peer(&world, other)?),
    };
    let kind_ok = |peer: Peer| -> bool {
        let chat_kind = world.chat(peer).map(|c| c.kind);
        let is_bot = matches!(peer, Peer::User(id) if world.user(id).is_some_and(|u| u.bot));
        if request.users_only {
            matches!(peer, Peer::User(_)) && !is_bot
        } else if request.groups_only {
            matches!(chat_kind, Some(ChatKind::Group | ChatKind::Supergroup))
        } else if request.broadcasts_only {
            chat_kind == Some(ChatKind::Channel)
        } else {
            true
        }
    };
    let mut matches: Vec<&Msg> = world
        .messages
        .iter()
        .filter(|(peer, _)| world.is_member(**peer) && kind_ok(**peer))
        .flat_map(|(_, msgs)| msgs.values())
        .filter(|m| m.action.is_none())
        .filter(|m| request.q.trim().is_empty() || text_matches(&m.text, &request.q))
        .filter(|m| filter_matches(m, &request.filter))
        .filter(|m| in_date_range(m, request.min_date, request.max_date))
        .collect();
    // Newest first; ties broken by peer and id so the order is total and pages are stable.
    matches.sort_by_key(|m| std::cmp::Reverse((m.date, m.peer.bot_api(), m.id)));
    let total = matches.len();
    let start = if request.offset_rate > 0 {
        let key = (
            request.offset_rate,
            offset_peer.map(|p| p.bot_api()).unwrap_or(i64::MAX),
            request.offset_id,
        );
        matches
            .iter()
            .position(|m| (m.date, m.peer.bot_api(), m.id) < key)
            .unwrap_or(matches.len())
    } else {
        0
    };
    let limit = if request.limit <= 0 {
        20
    } else {
        request.limit.min(MAX_LIMIT)
    } as usize;
    let page = holey(&world, &matches, start, limit);
    // `next_rate` is there while messages it would show remain after the page: only the
    // real end comes without one.
    let after = page
        .last()
        .and_then(|last| matches.iter().position(|m| std::ptr::eq(*m, *last)))
        .map_or(matches.len(), |i| i + 1);
    let more = matches[after..].iter().any(|m| !world.is_hidden(m));
    let next_rate = if more && !world.omit_next_rate {
        page.last().map(|m| m.date)
    } else {
        None
    };
    let mut answer = answer(&world, None, &page, total, None, next_rate);
    if let tl::enums::messages::Messages::Messages(m) = answer {
        answer = tl::types::messages::MessagesSlice {
            inexact: false,
            count: total as i32,
            next_rate,
            offset_id_offset: None,
            search_flood: None,
            messages: m.messages,
            topics: m.topics,
            chats: m.chats,
            users: m.users,
        }
        .into();
    }
    Ok(answer)
}

/// Finds what an `InputMessage` points at inside `peer`'s messages.
fn pick<'w>(world: &'w World, peer: Peer, input: &tl::enums::InputMessage) -> Option<&'w Msg> {
    use tl::enums::InputMessage as I;
    let shown = |m: &&Msg| !world.is_hidden(m);
    match input {
        I::Id(m) => world.message(peer, m.id).filter(shown),
        I::ReplyTo(m) => world
            .message(peer, m.id)
            .and_then(|msg| msg.reply_to_msg_id)
            .and_then(|id| world.message(peer, id)),
        I::Pinned => world.history(peer).find(|m| m.pinned),
        I::CallbackQuery(_) => None,
    }
}

fn input_id(input: &tl::enums::InputMessage) -> i32 {
    match input {
        tl::enums::InputMessage::Id(m) => m.id,
        tl::enums::InputMessage::ReplyTo(m) => m.id,
        _ => 0,
    }
}

/// Answers by-id lookups; ids that do not exist come back as `messageEmpty`, as Telegram does.
fn by_ids(
    world: &World,
    peers: &[Peer],
    ids: &[tl::enums::InputMessage],
    channel: Option<Peer>,
) -> tl::enums::messages::Messages {
    let mut found: Vec<Result<&Msg, i32>> = Vec::new();
    for input in ids {
        let hit = peers.iter().find_map(|p| pick(world, *p, input));
        found.push(hit.ok_or(input_id(input)));
    }
    let hits: Vec<&Msg> = found
        .iter()
        .filter_map(|f| f.as_ref().ok().copied())
        .collect();
    let mut answer = answer(world, channel, &hits, hits.len(), None, None);
    let messages: Vec<tl::enums::Message> = found
        .iter()
        .map(|f| match f {
            Ok(m) => tl_build::message(world, m),
            Err(id) => tl::types::MessageEmpty {
                id: *id,
                peer_id: channel.map(Peer::to_tl),
            }
            .into(),
        })
        .collect();
    match &mut answer {
        tl::enums::messages::Messages::Messages(m) => m.messages = messages,
        tl::enums::messages::Messages::ChannelMessages(m) => {
            m.count = messages.len() as i32;
            m.messages = messages;
        }
        tl::enums::messages::Messages::Slice(m) => m.messages = messages,
        tl::enums::messages::Messages::NotModified(_) => {}
    }
    answer
}

fn get_messages(
    ctx: &Ctx,
    request: tl::functions::messages::GetMessages,
) -> RpcResult<tl::enums::messages::Messages> {
    ctx.require_auth()?;
    let world = ctx.world();
    let peers: Vec<Peer> = world
        .messages
        .keys()
        .copied()
        .filter(|p| !p.is_channel())
        .collect();
    Ok(by_ids(&world, &peers, &request.id, None))
}

fn get_channel_messages(
    ctx: &Ctx,
    request: tl::functions::channels::GetMessages,
) -> RpcResult<tl::enums::messages::Messages> {
    ctx.require_auth()?;
    let world = ctx.world();
    let channel = input_channel(&world, &request.channel)?;
    readable(&world, channel)?;
    Ok(by_ids(&world, &[channel], &request.id, Some(channel)))
}
