//! The chat list: `messages.getDialogs`, `messages.getPeerDialogs`, `messages.getPinnedDialogs`
//! and the folders of `messages.getDialogFilters`.
//!
//! A dialog exists for every user with messages (or listed in the world's `dialogs`) and for
//! every chat the self user has not left. Lists are ordered as Telegram orders them: pinned
//! dialogs first (in the order the world lists them), then by the date of the top message,
//! newest first. Paging uses the `(offset_date, offset_id, offset_peer)` of the last dialog of
//! the previous page; pinned dialogs come only on the first page (no offset) and never with
//! `exclude_pinned`. `folder_id` absent lists every dialog, `0` the main list, `1` the archive.
//! With the world's `short_pages` a page holds fewer dialogs than asked, and a dialog's
//! `top_missing` leaves its top message out of the answer's `messages` (its `top_message` id
//! stays): a client must continue from a dialog whose top it has.

use grammers_tl_types as tl;

use super::{Ctx, RpcError, RpcResult, input_peer};
use crate::world::tl_build::{self, Mentioned, now};
use crate::world::{DialogSpec, FolderSpec, Msg, Peer, World, parse_date};

/// Telegram never returns more than this many dialogs per call.
pub const MAX_LIMIT: i32 = 100;

/// The peer-folder id of the Archive.
pub const ARCHIVE_FOLDER: i32 = 1;

/// `mute_until` Telegram reports for a chat muted forever.
pub const MUTED_FOREVER: i32 = i32::MAX;

pub fn route(ctx: &Ctx, id: u32, body: &[u8]) -> Option<RpcResult<Vec<u8>>> {
    fake_dc_routes!(ctx, id, body, {
        tl::functions::messages::GetDialogs => get_dialogs,
        tl::functions::messages::GetPeerDialogs => get_peer_dialogs,
        tl::functions::messages::GetPinnedDialogs => get_pinned_dialogs,
        tl::functions::messages::GetDialogFilters => get_dialog_filters,
    })
}

/// One dialog of the self user's chat list.
#[derive(Clone, Copy)]
pub struct Entry<'w> {
    pub peer: Peer,
    pub spec: Option<&'w DialogSpec>,
    /// The newest message, if the chat has any.
    pub top: Option<&'w Msg>,
    /// When the dialog was last active: its top message's date, else the chat's creation.
    pub date: i32,
}

impl Entry<'_> {
    /// Peer folder: 0 (main list) or 1 (archive).
    pub fn folder(&self) -> i32 {
        if self.spec.is_some_and(|d| d.archived) {
            ARCHIVE_FOLDER
        } else {
            0
        }
    }

    pub fn pinned(&self) -> bool {
        self.spec.is_some_and(|d| d.pinned)
    }

    pub fn top_id(&self) -> i32 {
        self.top.map_or(0, |m| m.id)
    }

    /// The sort key of the list (descending): date, then top message, then peer.
    pub fn key(&self) -> (i32, i32, i64) {
        (self.date, self.top_id(), self.peer.bot_api())
    }
}

/// Whether `peer` is in the self user's chat list.
pub fn has_dialog(world: &World, peer: Peer) -> bool {
    match peer {
        Peer::User(id) => {
            world.user(id).is_some()
                && (world.dialogs.contains_key(&peer)
                    || world.messages.get(&peer).is_some_and(|m| !m.is_empty()))
        }
        _ => world.chat(peer).is_some_and(|c| !c.left),
    }
}

/// The dialog state of any peer (whether or not it is in the chat list).
pub fn entry(world: &World, peer: Peer) -> Entry<'_> {
    let top = world.history(peer).next();
    let created = world
        .chat(peer)
        .and_then(|c| c.date.as_ref())
        .and_then(|d| parse_date(d).ok())
        .unwrap_or(0);
    Entry {
        peer,
        spec: world.dialogs.get(&peer),
        top,
        date: top.map_or(created, |m| m.date),
    }
}

/// Every dialog, newest first (pinned ones are not moved to the front here).
pub fn entries(world: &World) -> Vec<Entry<'_>> {
    let mut peers: Vec<Peer> = world
        .messages
        .keys()
        .chain(world.dialogs.keys())
        .chain(world.chats.keys())
        .copied()
        .filter(|p| has_dialog(world, *p))
        .collect();
    peers.sort();
    peers.dedup();
    let mut list: Vec<Entry> = peers.into_iter().map(|p| entry(world, p)).collect();
    list.sort_by_key(|e| std::cmp::Reverse(e.key()));
    list
}

/// Pinned dialogs of a peer folder, in pin order.
pub fn pinned_entries(world: &World, folder: i32) -> Vec<Entry<'_>> {
    world
        .dialog_order
        .iter()
        .filter(|p| has_dialog(world, **p))
        .map(|p| entry(world, *p))
        .filter(|e| e.pinned() && e.folder() == folder)
        .collect()
}

pub fn is_muted(world: &World, peer: Peer) -> bool {
    world.dialogs.get(&peer).is_some_and(|d| d.muted)
}

/// The chat's notification settings: muted chats are muted forever, the others use defaults.
pub fn notify_settings(world: &World, peer: Peer) -> tl::enums::PeerNotifySettings {
    tl::types::PeerNotifySettings {
        show_previews: Some(true),
        silent: Some(false),
        mute_until: is_muted(world, peer).then_some(MUTED_FOREVER),
        ios_sound: None,
        android_sound: None,
        other_sound: None,
        stories_muted: None,
        stories_hide_sender: None,
        stories_ios_sound: None,
        stories_android_sound: None,
        stories_other_sound: None,
    }
    .into()
}

/// `unread_count` and `read_inbox_max_id` of a dialog (see [`unread_of`]).
pub fn read_state(world: &World, peer: Peer) -> (i32, i32) {
    let spec = world.dialogs.get(&peer);
    unread_of(
        world.history(peer),
        spec.map_or(0, |d| d.unread_count),
        spec.and_then(|d| d.read_inbox_max_id),
    )
}

/// `(unread_count, read_inbox_max_id)` of a list of messages (newest first): with a read
/// marker, the incoming messages after it; without, the newest `unread_count` incoming ones
/// are unread and the marker is the incoming message before them.
pub fn unread_of<'m>(
    messages: impl Iterator<Item = &'m Msg>,
    unread_count: i32,
    marker: Option<i32>,
) -> (i32, i32) {
    let incoming: Vec<&Msg> = messages.filter(|m| !m.out).collect();
    if let Some(marker) = marker {
        let unread = incoming.iter().filter(|m| m.id > marker).count();
        return (unread as i32, marker);
    }
    let unread = unread_count.clamp(0, incoming.len() as i32);
    let read_inbox_max_id = incoming.get(unread as usize).map_or(0, |m| m.id);
    (unread, read_inbox_max_id)
}

pub fn dialog(world: &World, e: &Entry) -> tl::enums::Dialog {
    let (unread_count, read_inbox_max_id) = read_state(world, e.peer);
    let read_outbox_max_id = world.history(e.peer).find(|m| m.out).map_or(0, |m| m.id);
    tl::types::Dialog {
        pinned: e.pinned(),
        unread_mark: e.spec.is_some_and(|d| d.unread_mark),
        view_forum_as_messages: false,
        peer: e.peer.to_tl(),
        top_message: e.top_id(),
        read_inbox_max_id,
        read_outbox_max_id,
        unread_count,
        unread_mentions_count: e.spec.map_or(0, |d| d.unread_mentions_count),
        unread_reactions_count: e.spec.map_or(0, |d| d.unread_reactions_count),
        unread_poll_votes_count: 0,
        notify_settings: notify_settings(world, e.peer),
        pts: match e.peer {
            Peer::Channel(id) => Some(world.channel_pts.get(&id).copied().unwrap_or(1)),
            _ => None,
        },
        draft: None,
        folder_id: (e.folder() != 0).then_some(e.folder()),
        ttl_period: None,
    }
    .into()
}

/// The dialogs, their top messages and every user and chat they mention.
pub struct DialogPage {
    pub dialogs: Vec<tl::enums::Dialog>,
    pub messages: Vec<tl::enums::Message>,
    pub chats: Vec<tl::enums::Chat>,
    pub users: Vec<tl::enums::User>,
}

pub fn page(world: &World, list: &[Entry]) -> DialogPage {
    let mut mentioned = Mentioned::default();
    for e in list {
        mentioned.peer(e.peer);
        if let Some(top) = e.top {
            mentioned.message(top);
        }
    }
    DialogPage {
        dialogs: list.iter().map(|e| dialog(world, e)).collect(),
        messages: list
            .iter()
            .filter(|e| !e.spec.is_some_and(|d| d.top_missing))
            .filter_map(|e| e.top)
            .map(|m| tl_build::message(world, m))
            .collect(),
        chats: mentioned.chats(world),
        users: mentioned.users(world),
    }
}

/// The `InputPeer` Telegram hands out for `peer`, with its access hash.
pub fn input_peer_of(world: &World, peer: Peer) -> tl::enums::InputPeer {
    match peer {
        Peer::User(user_id) => tl::types::InputPeerUser {
            user_id,
            access_hash: world.access_hash(peer),
        }
        .into(),
        Peer::Chat(chat_id) => tl::types::InputPeerChat { chat_id }.into(),
        Peer::Channel(channel_id) => tl::types::InputPeerChannel {
            channel_id,
            access_hash: world.access_hash(peer),
        }
        .into(),
    }
}

fn state(world: &World) -> tl::enums::updates::State {
    tl::types::updates::State {
        pts: world.pts,
        qts: 0,
        date: now(),
        seq: 1,
        unread_count: 0,
    }
    .into()
}

fn get_dialogs(
    ctx: &Ctx,
    request: tl::functions::messages::GetDialogs,
) -> RpcResult<tl::enums::messages::Dialogs> {
    ctx.require_auth()?;
    let world = ctx.world();
    if let Some(folder) = request.folder_id
        && folder != 0
        && folder != ARCHIVE_FOLDER
    {
        return Err(RpcError::bad_request("FOLDER_ID_INVALID"));
    }
    let offset_peer = match &request.offset_peer {
        tl::enums::InputPeer::Empty => None,
        other => Some(
            input_peer(&world, other)
                .map_err(|_| RpcError::bad_request("OFFSET_PEER_ID_INVALID"))?,
        ),
    };
    let in_folder = |e: &Entry| request.folder_id.is_none_or(|f| e.folder() == f);
    // Pinned dialogs float to the top of their own folder's list (of the main list when
    // every folder is listed at once).
    let pin_folder = request.folder_id.unwrap_or(0);
    let floats = |e: &Entry| e.pinned() && e.folder() == pin_folder;
    let all: Vec<Entry> = entries(&world).into_iter().filter(in_folder).collect();
    let total = all.len();
    let has_offset = request.offset_date != 0 || request.offset_id != 0 || offset_peer.is_some();
    let offset_key = (
        if request.offset_date > 0 {
            request.offset_date
        } else {
            i32::MAX
        },
        request.offset_id,
        offset_peer.map_or(i64::MAX, Peer::bot_api),
    );
    let mut list: Vec<Entry> = if request.exclude_pinned || has_offset {
        Vec::new()
    } else {
        pinned_entries(&world, pin_folder)
            .into_iter()
            .filter(in_folder)
            .collect()
    };
    list.extend(
        all.iter()
            .filter(|e| !floats(e))
            .filter(|e| !has_offset || e.key() < offset_key)
            .copied(),
    );
    let limit = if request.limit <= 0 {
        MAX_LIMIT
    } else {
        request.limit.min(MAX_LIMIT)
    };
    list.truncate(world.page_size(limit as usize));
    let DialogPage {
        dialogs,
        messages,
        chats,
        users,
    } = page(&world, &list);
    if dialogs.len() == total {
        return Ok(tl::types::messages::Dialogs {
            dialogs,
            messages,
            chats,
            users,
        }
        .into());
    }
    Ok(tl::types::messages::DialogsSlice {
        count: total as i32,
        dialogs,
        messages,
        chats,
        users,
    }
    .into())
}

fn peer_dialogs(world: &World, list: &[Entry]) -> tl::enums::messages::PeerDialogs {
    let DialogPage {
        dialogs,
        messages,
        chats,
        users,
    } = page(world, list);
    tl::types::messages::PeerDialogs {
        dialogs,
        messages,
        chats,
        users,
        state: state(world),
    }
    .into()
}

fn get_peer_dialogs(
    ctx: &Ctx,
    request: tl::functions::messages::GetPeerDialogs,
) -> RpcResult<tl::enums::messages::PeerDialogs> {
    ctx.require_auth()?;
    let world = ctx.world();
    let mut list = Vec::new();
    for peer in &request.peers {
        // Peer folders (`dialogFolder`) and communities are not modelled.
        if let tl::enums::InputDialogPeer::Peer(p) = peer {
            let peer = input_peer(&world, &p.peer)?;
            check_member(&world, peer)?;
            list.push(entry(&world, peer));
        }
    }
    Ok(peer_dialogs(&world, &list))
}

/// A chat the self user left is refused unless it is public, as Telegram refuses it.
pub fn check_member(world: &World, peer: Peer) -> RpcResult<()> {
    if let Some(chat) = world.chat(peer)
        && chat.left
        && chat.username.is_none()
    {
        return Err(RpcError::bad_request(if peer.is_channel() {
            "CHANNEL_PRIVATE"
        } else {
            "CHAT_ID_INVALID"
        }));
    }
    Ok(())
}

fn get_pinned_dialogs(
    ctx: &Ctx,
    request: tl::functions::messages::GetPinnedDialogs,
) -> RpcResult<tl::enums::messages::PeerDialogs> {
    ctx.require_auth()?;
    let world = ctx.world();
    if request.folder_id != 0 && request.folder_id != ARCHIVE_FOLDER {
        return Err(RpcError::bad_request("FOLDER_ID_INVALID"));
    }
    let list = pinned_entries(&world, request.folder_id);
    Ok(peer_dialogs(&world, &list))
}

fn input_peers(world: &World, ids: &[i64]) -> Vec<tl::enums::InputPeer> {
    ids.iter()
        .filter_map(|id| Peer::from_bot_api(*id))
        .map(|p| input_peer_of(world, p))
        .collect()
}

pub fn dialog_filter(world: &World, folder: &FolderSpec) -> tl::enums::DialogFilter {
    let title = tl::types::TextWithEntities {
        text: folder.title.clone(),
        entities: Vec::new(),
    }
    .into();
    let pinned_peers = input_peers(world, &folder.pinned);
    // Telegram keeps pinned and included chats disjoint: a pinned chat is included anyway.
    let include: Vec<i64> = folder
        .include
        .iter()
        .copied()
        .filter(|id| !folder.pinned.contains(id))
        .collect();
    let include_peers = input_peers(world, &include);
    if folder.chatlist {
        return tl::types::DialogFilterChatlist {
            has_my_invites: false,
            title_noanimate: false,
            id: folder.id,
            title,
            emoticon: folder.emoticon.clone(),
            color: None,
            pinned_peers,
            include_peers,
        }
        .into();
    }
    tl::types::DialogFilter {
        contacts: folder.contacts,
        non_contacts: folder.non_contacts,
        groups: folder.groups,
        broadcasts: folder.broadcasts,
        bots: folder.bots,
        exclude_muted: folder.exclude_muted,
        exclude_read: folder.exclude_read,
        exclude_archived: folder.exclude_archived,
        title_noanimate: false,
        id: folder.id,
        title,
        emoticon: folder.emoticon.clone(),
        color: None,
        pinned_peers,
        include_peers,
        exclude_peers: input_peers(world, &folder.exclude),
    }
    .into()
}

fn get_dialog_filters(
    ctx: &Ctx,
    _: tl::functions::messages::GetDialogFilters,
) -> RpcResult<tl::enums::messages::DialogFilters> {
    ctx.require_auth()?;
    let world = ctx.world();
    let filters = std::iter::once(tl::enums::DialogFilter::Default)
        .chain(world.folders.iter().map(|f| dialog_filter(&world, f)))
        .collect();
    Ok(tl::types::messages::DialogFilters {
        tags_enabled: false,
        filters,
    }
    .into())
}
