//! Peers in full and threads: `users.getFullUser`, `messages.getFullChat`,
//! `channels.getFullChannel`, `channels.getChannels`, `messages.getChats`,
//! `messages.getCommonChats`, forum topics (`messages.getForumTopics`,
//! `messages.getForumTopicsByID`), comments and reply threads (`messages.getDiscussionMessage`,
//! `messages.getReplies`) and `channels.exportMessageLink`.

use grammers_tl_types as tl;

use super::history::{Window, answer};
use super::{Ctx, RpcError, RpcResult, dialogs, input_channel, input_peer, input_user};
use crate::world::tl_build::{self, Mentioned};
use crate::world::{ChatKind, ChatSpec, Msg, Peer, TopicSpec, World, parse_date};

/// Telegram's cap on forum topics and common chats per call.
pub const MAX_LIMIT: i32 = 100;

/// The id of a forum's "General" topic.
pub const GENERAL_TOPIC: i32 = 1;

/// Colour of topic icons (the one the creation service messages carry).
pub const TOPIC_ICON_COLOR: i32 = 0x6FB9F0;

pub fn route(ctx: &Ctx, id: u32, body: &[u8]) -> Option<RpcResult<Vec<u8>>> {
    fake_dc_routes!(ctx, id, body, {
        tl::functions::users::GetFullUser => get_full_user,
        tl::functions::messages::GetFullChat => get_full_chat,
        tl::functions::channels::GetFullChannel => get_full_channel,
        tl::functions::channels::GetChannels => get_channels,
        tl::functions::messages::GetChats => get_chats,
        tl::functions::messages::GetCommonChats => get_common_chats,
        tl::functions::messages::GetForumTopics => get_forum_topics,
        tl::functions::messages::GetForumTopicsById => get_forum_topics_by_id,
        tl::functions::messages::GetDiscussionMessage => get_discussion_message,
        tl::functions::messages::GetReplies => get_replies,
        tl::functions::channels::ExportMessageLink => export_message_link,
    })
}

/// A chat the self user left is unreadable unless it is public, as in `history`.
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

fn date_of(spec: &ChatSpec) -> i32 {
    spec.date
        .as_ref()
        .and_then(|d| parse_date(d).ok())
        .unwrap_or(0)
}

/// The newest pinned message of a chat.
fn pinned_msg_id(world: &World, peer: Peer) -> Option<i32> {
    world.history(peer).find(|m| m.pinned).map(|m| m.id)
}

fn folder_id(world: &World, peer: Peer) -> Option<i32> {
    world
        .dialogs
        .get(&peer)
        .filter(|d| d.archived)
        .map(|_| dialogs::ARCHIVE_FOLDER)
}

/// Groups (basic and super) the self user and `user_id` are both in.
pub fn common_chats(world: &World, user_id: i64) -> Vec<Peer> {
    if user_id == world.self_id {
        return Vec::new();
    }
    world
        .chats
        .iter()
        .filter(|(_, c)| c.kind != ChatKind::Channel && !c.left && c.members.contains(&user_id))
        .map(|(p, _)| *p)
        .collect()
}

fn no_peer_settings() -> tl::enums::PeerSettings {
    tl::types::PeerSettings {
        report_spam: false,
        add_contact: false,
        block_contact: false,
        share_contact: false,
        need_contacts_exception: false,
        report_geo: false,
        autoarchived: false,
        invite_members: false,
        request_chat_broadcast: false,
        business_bot_paused: false,
        business_bot_can_reply: false,
        geo_distance: None,
        request_chat_title: None,
        request_chat_date: None,
        business_bot_id: None,
        business_bot_manage_url: None,
        charge_paid_message_stars: None,
        registration_month: None,
        phone_country: None,
        name_change_date: None,
        photo_change_date: None,
    }
    .into()
}

fn get_full_user(
    ctx: &Ctx,
    request: tl::functions::users::GetFullUser,
) -> RpcResult<tl::enums::users::UserFull> {
    ctx.require_auth()?;
    let world = ctx.world();
    let id = input_user(&world, &request.id)?;
    let user = world
        .user(id)
        .ok_or_else(|| RpcError::bad_request("USER_ID_INVALID"))?;
    let peer = Peer::User(id);
    let bot_info = user.bot.then(|| {
        tl::types::BotInfo {
            has_preview_medias: false,
            user_id: Some(id),
            description: user.about.clone(),
            description_photo: None,
            description_document: None,
            commands: Some(Vec::new()),
            menu_button: None,
            privacy_policy_url: None,
            app_settings: None,
            verifier_settings: None,
        }
        .into()
    });
    let full = tl::types::UserFull {
        blocked: false,
        phone_calls_available: !user.bot,
        phone_calls_private: false,
        can_pin_message: true,
        has_scheduled: false,
        video_calls_available: !user.bot,
        voice_messages_forbidden: false,
        translations_disabled: false,
        stories_pinned_available: false,
        blocked_my_stories_from: false,
        wallpaper_overridden: false,
        contact_require_premium: false,
        read_dates_private: false,
        sponsored_enabled: false,
        can_view_revenue: false,
        bot_can_manage_emoji_status: false,
        display_gifts_button: false,
        noforwards_my_enabled: false,
        noforwards_peer_enabled: false,
        unofficial_security_risk: false,
        id,
        about: user.about.clone().filter(|_| !user.deleted),
        settings: no_peer_settings(),
        personal_photo: None,
        profile_photo: None,
        fallback_photo: None,
        notify_settings: dialogs::notify_settings(&world, peer),
        bot_info,
        pinned_msg_id: pinned_msg_id(&world, peer),
        common_chats_count: common_chats(&world, id).len() as i32,
        folder_id: folder_id(&world, peer),
        ttl_period: None,
        theme: None,
        private_forward_name: None,
        bot_group_admin_rights: None,
        bot_broadcast_admin_rights: None,
        wallpaper: None,
        stories: None,
        business_work_hours: None,
        business_location: None,
        business_greeting_message: None,
        business_away_message: None,
        business_intro: None,
        birthday: None,
        personal_channel_id: None,
        personal_channel_message: None,
        stargifts_count: None,
        starref_program: None,
        bot_verification: None,
        send_paid_messages_stars: None,
        disallowed_gifts: None,
        stars_rating: None,
        stars_my_pending_rating: None,
        stars_my_pending_rating_date: None,
        main_tab: None,
        saved_music: None,
        note: None,
        bot_manager_id: None,
    };
    Ok(tl::types::users::UserFull {
        full_user: full.into(),
        chats: Vec::new(),
        users: vec![tl_build::user(&world, user)],
    }
    .into())
}

/// Members of a basic group as Telegram lists them: the creator, then everyone else invited
/// by the creator.
fn chat_participants(world: &World, peer: Peer, spec: &ChatSpec) -> tl::enums::ChatParticipants {
    let chat_id = peer.bare_id();
    if spec.left {
        return tl::types::ChatParticipantsForbidden {
            chat_id,
            self_participant: None,
        }
        .into();
    }
    let date = date_of(spec);
    let mut everyone = vec![world.self_id];
    everyone.extend(
        spec.members
            .iter()
            .copied()
            .filter(|id| *id != world.self_id),
    );
    let creator = if spec.creator {
        world.self_id
    } else {
        spec.members.first().copied().unwrap_or(world.self_id)
    };
    let participants = everyone
        .iter()
        .map(|&user_id| {
            if user_id == creator {
                tl::types::ChatParticipantCreator {
                    user_id,
                    rank: None,
                }
                .into()
            } else {
                tl::types::ChatParticipant {
                    user_id,
                    inviter_id: creator,
                    date,
                    rank: None,
                }
                .into()
            }
        })
        .collect();
    tl::types::ChatParticipants {
        chat_id,
        participants,
        version: 1,
    }
    .into()
}

fn get_full_chat(
    ctx: &Ctx,
    request: tl::functions::messages::GetFullChat,
) -> RpcResult<tl::enums::messages::ChatFull> {
    ctx.require_auth()?;
    let world = ctx.world();
    let peer = Peer::Chat(request.chat_id);
    let spec = world
        .chat(peer)
        .ok_or_else(|| RpcError::bad_request("CHAT_ID_INVALID"))?;
    let full = tl::types::ChatFull {
        can_set_username: spec.creator,
        has_scheduled: false,
        translations_disabled: false,
        has_welcome_messages: false,
        id: request.chat_id,
        about: spec.about.clone().unwrap_or_default(),
        participants: chat_participants(&world, peer, spec),
        chat_photo: None,
        notify_settings: dialogs::notify_settings(&world, peer),
        exported_invite: None,
        bot_info: Some(Vec::new()),
        pinned_msg_id: pinned_msg_id(&world, peer),
        folder_id: folder_id(&world, peer),
        call: None,
        ttl_period: None,
        groupcall_default_join_as: None,
        theme_emoticon: None,
        requests_pending: None,
        recent_requesters: None,
        available_reactions: Some(super::reactions::available(&world, peer)),
        reactions_limit: None,
    };
    let mut mentioned = Mentioned::default();
    mentioned.peer(peer);
    if !spec.left {
        mentioned.peer(Peer::User(world.self_id));
        for member in &spec.members {
            mentioned.peer(Peer::User(*member));
        }
    }
    Ok(tl::types::messages::ChatFull {
        full_chat: full.into(),
        chats: mentioned.chats(&world),
        users: mentioned.users(&world),
    }
    .into())
}

fn linked(spec: &ChatSpec) -> Option<Peer> {
    spec.linked_chat.and_then(Peer::from_bot_api)
}

fn get_full_channel(
    ctx: &Ctx,
    request: tl::functions::channels::GetFullChannel,
) -> RpcResult<tl::enums::messages::ChatFull> {
    ctx.require_auth()?;
    let world = ctx.world();
    let peer = input_channel(&world, &request.channel)?;
    readable(&world, peer)?;
    let spec = world
        .chat(peer)
        .ok_or_else(|| RpcError::bad_request("CHANNEL_INVALID"))?;
    let megagroup = spec.kind == ChatKind::Supergroup;
    let (unread_count, read_inbox_max_id) = dialogs::read_state(&world, peer);
    let read_outbox_max_id = world.history(peer).find(|m| m.out).map_or(0, |m| m.id);
    let full = tl::types::ChannelFull {
        can_view_participants: megagroup || spec.creator,
        can_set_username: spec.creator,
        can_set_stickers: false,
        hidden_prehistory: false,
        can_set_location: false,
        has_scheduled: false,
        can_view_stats: spec.creator,
        blocked: false,
        can_delete_channel: spec.creator,
        antispam: false,
        participants_hidden: false,
        translations_disabled: false,
        stories_pinned_available: false,
        view_forum_as_messages: false,
        restricted_sponsored: false,
        can_view_revenue: false,
        paid_media_allowed: false,
        can_view_stars_revenue: false,
        paid_reactions_available: false,
        stargifts_available: false,
        paid_messages_available: false,
        has_welcome_messages: false,
        id: peer.bare_id(),
        about: spec.about.clone().unwrap_or_default(),
        participants_count: Some(tl_build::participants_count(spec)),
        admins_count: spec.creator.then_some(1),
        kicked_count: None,
        banned_count: None,
        online_count: None,
        read_inbox_max_id,
        read_outbox_max_id,
        unread_count,
        chat_photo: tl::types::PhotoEmpty { id: 0 }.into(),
        notify_settings: dialogs::notify_settings(&world, peer),
        exported_invite: None,
        bot_info: Vec::new(),
        migrated_from_chat_id: None,
        migrated_from_max_id: None,
        pinned_msg_id: pinned_msg_id(&world, peer),
        stickerset: None,
        available_min_id: None,
        folder_id: folder_id(&world, peer),
        linked_chat_id: linked(spec).map(Peer::bare_id),
        location: None,
        slowmode_seconds: None,
        slowmode_next_send_date: None,
        stats_dc: None,
        pts: world.channel_pts.get(&peer.bare_id()).copied().unwrap_or(1),
        call: None,
        ttl_period: None,
        pending_suggestions: None,
        groupcall_default_join_as: None,
        theme_emoticon: None,
        requests_pending: None,
        recent_requesters: None,
        default_send_as: None,
        available_reactions: Some(super::reactions::available(&world, peer)),
        reactions_limit: None,
        stories: None,
        wallpaper: None,
        boosts_applied: None,
        boosts_unrestrict: None,
        emojiset: None,
        bot_verification: None,
        stargifts_count: None,
        send_paid_messages_stars: None,
        main_tab: None,
        guard_bot_id: None,
    };
    // The linked channel or discussion group comes along, as Telegram sends it.
    let mut mentioned = Mentioned::default();
    mentioned.peer(peer);
    if let Some(other) = linked(spec) {
        mentioned.peer(other);
    }
    Ok(tl::types::messages::ChatFull {
        full_chat: full.into(),
        chats: mentioned.chats(&world),
        users: Vec::new(),
    }
    .into())
}

fn chats_answer(world: &World, peers: &[Peer]) -> tl::enums::messages::Chats {
    tl::types::messages::Chats {
        chats: peers
            .iter()
            .filter_map(|p| world.chat(*p).map(|c| tl_build::chat(world, *p, c)))
            .collect(),
    }
    .into()
}

fn get_channels(
    ctx: &Ctx,
    request: tl::functions::channels::GetChannels,
) -> RpcResult<tl::enums::messages::Chats> {
    ctx.require_auth()?;
    let world = ctx.world();
    let peers = request
        .id
        .iter()
        .map(|c| input_channel(&world, c))
        .collect::<RpcResult<Vec<Peer>>>()?;
    Ok(chats_answer(&world, &peers))
}

fn get_chats(
    ctx: &Ctx,
    request: tl::functions::messages::GetChats,
) -> RpcResult<tl::enums::messages::Chats> {
    ctx.require_auth()?;
    let world = ctx.world();
    let peers: Vec<Peer> = request.id.iter().map(|id| Peer::Chat(*id)).collect();
    if peers.iter().any(|p| world.chat(*p).is_none()) {
        return Err(RpcError::bad_request("CHAT_ID_INVALID"));
    }
    Ok(chats_answer(&world, &peers))
}

fn get_common_chats(
    ctx: &Ctx,
    request: tl::functions::messages::GetCommonChats,
) -> RpcResult<tl::enums::messages::Chats> {
    ctx.require_auth()?;
    let world = ctx.world();
    let user_id = input_user(&world, &request.user_id)?;
    // Newest chats (highest ids) first; `max_id` continues below the last one seen.
    let mut common = common_chats(&world, user_id);
    common.sort_by_key(|p| std::cmp::Reverse(p.bare_id()));
    let total = common.len();
    let limit = if request.limit <= 0 {
        MAX_LIMIT
    } else {
        request.limit.min(MAX_LIMIT)
    } as usize;
    let page: Vec<Peer> = common
        .into_iter()
        .filter(|p| request.max_id <= 0 || p.bare_id() < request.max_id)
        .take(limit)
        .collect();
    let tl::enums::messages::Chats::Chats(chats) = chats_answer(&world, &page) else {
        unreachable!("chats_answer answers messages.chats");
    };
    if page.len() == total {
        return Ok(chats.into());
    }
    Ok(tl::types::messages::ChatsSlice {
        count: total as i32,
        chats: chats.chats,
    }
    .into())
}

// ---- Forum topics ----

fn forum(world: &World, peer: Peer) -> RpcResult<&ChatSpec> {
    readable(world, peer)?;
    world
        .chat(peer)
        .filter(|c| c.forum)
        .ok_or_else(|| RpcError::bad_request("CHANNEL_FORUM_MISSING"))
}

/// Messages of a forum topic, newest first: for "General", those outside every other topic;
/// else the topic's creation message and everything posted in it.
pub fn topic_messages(world: &World, peer: Peer, topic: i32) -> impl Iterator<Item = &Msg> {
    world.history(peer).filter(move |m| {
        if topic == GENERAL_TOPIC {
            !m.forum_topic && !matches!(m.action, Some(tl::enums::MessageAction::TopicCreate(_)))
        } else {
            m.id == topic || (m.forum_topic && m.top_id == Some(topic))
        }
    })
}

struct Topic<'w> {
    spec: &'w TopicSpec,
    top: Option<&'w Msg>,
    /// Last activity: the top message's date, else the topic's creation.
    date: i32,
}

impl Topic<'_> {
    fn key(&self) -> (i32, i32, i32) {
        (self.date, self.top.map_or(0, |m| m.id), self.spec.id)
    }
}

fn topic<'w>(world: &'w World, peer: Peer, chat: &ChatSpec, spec: &'w TopicSpec) -> Topic<'w> {
    let top = topic_messages(world, peer, spec.id).next();
    let created = spec
        .date
        .as_ref()
        .and_then(|d| parse_date(d).ok())
        .unwrap_or_else(|| date_of(chat));
    Topic {
        spec,
        top,
        date: top.map_or(created, |m| m.date),
    }
}

fn topic_tl(world: &World, peer: Peer, topic: &Topic) -> tl::enums::ForumTopic {
    let creation = (topic.spec.id != GENERAL_TOPIC)
        .then(|| world.message(peer, topic.spec.id))
        .flatten();
    let creator = creation.and_then(|m| m.from);
    let top_message = topic.top.map_or(0, |m| m.id);
    let spec = topic.spec;
    let (unread_count, read_inbox_max_id) = dialogs::unread_of(
        topic_messages(world, peer, spec.id),
        spec.unread_count,
        spec.read_inbox_max_id,
    );
    let created = topic
        .spec
        .date
        .as_ref()
        .and_then(|d| parse_date(d).ok())
        .or(creation.map(|m| m.date))
        .unwrap_or(0);
    tl::types::ForumTopic {
        my: creator == Some(Peer::User(world.self_id)),
        closed: topic.spec.closed,
        pinned: topic.spec.pinned,
        short: false,
        hidden: false,
        title_missing: false,
        id: topic.spec.id,
        date: created,
        peer: peer.to_tl(),
        title: topic.spec.title.clone(),
        icon_color: TOPIC_ICON_COLOR,
        icon_emoji_id: None,
        top_message,
        read_inbox_max_id,
        read_outbox_max_id: top_message,
        unread_count,
        unread_mentions_count: spec.unread_mentions_count,
        unread_reactions_count: spec.unread_reactions_count,
        unread_poll_votes_count: 0,
        from_id: creator.unwrap_or(peer).to_tl(),
        notify_settings: dialogs::notify_settings(world, peer),
        draft: None,
    }
    .into()
}

fn topics_answer(
    world: &World,
    peer: Peer,
    topics: Vec<tl::enums::ForumTopic>,
    tops: &[&Msg],
    count: usize,
) -> tl::enums::messages::ForumTopics {
    let mut mentioned = Mentioned::default();
    mentioned.peer(peer);
    for topic in &topics {
        if let tl::enums::ForumTopic::Topic(t) = topic {
            mentioned.tl_peer(&t.from_id);
        }
    }
    for msg in tops {
        mentioned.message(msg);
    }
    tl::types::messages::ForumTopics {
        order_by_create_date: false,
        count: count as i32,
        topics,
        messages: tops.iter().map(|m| tl_build::message(world, m)).collect(),
        chats: mentioned.chats(world),
        users: mentioned.users(world),
        pts: world.channel_pts.get(&peer.bare_id()).copied().unwrap_or(1),
    }
    .into()
}

fn get_forum_topics(
    ctx: &Ctx,
    request: tl::functions::messages::GetForumTopics,
) -> RpcResult<tl::enums::messages::ForumTopics> {
    ctx.require_auth()?;
    let world = ctx.world();
    let peer = input_peer(&world, &request.peer)?;
    let chat = forum(&world, peer)?;
    let q = request.q.as_deref().unwrap_or("").trim();
    let all: Vec<Topic> = chat
        .topics
        .iter()
        .filter(|t| q.is_empty() || super::history::text_matches(&t.title, q))
        .map(|t| topic(&world, peer, chat, t))
        .collect();
    let count = all.len();
    let has_offset =
        request.offset_date != 0 || request.offset_id != 0 || request.offset_topic != 0;
    let offset_key = (
        if request.offset_date > 0 {
            request.offset_date
        } else {
            i32::MAX
        },
        request.offset_id,
        if request.offset_topic > 0 {
            request.offset_topic
        } else {
            i32::MAX
        },
    );
    // Pinned topics first (in the world's order), on the first page only; then the most
    // recently active.
    let mut list: Vec<&Topic> = if has_offset {
        Vec::new()
    } else {
        all.iter().filter(|t| t.spec.pinned).collect()
    };
    let mut rest: Vec<&Topic> = all
        .iter()
        .filter(|t| !t.spec.pinned)
        .filter(|t| !has_offset || t.key() < offset_key)
        .collect();
    rest.sort_by_key(|t| std::cmp::Reverse(t.key()));
    list.extend(rest);
    let limit = if request.limit <= 0 {
        MAX_LIMIT
    } else {
        request.limit.min(MAX_LIMIT)
    };
    list.truncate(limit as usize);
    let topics = list.iter().map(|t| topic_tl(&world, peer, t)).collect();
    let tops: Vec<&Msg> = list.iter().filter_map(|t| t.top).collect();
    Ok(topics_answer(&world, peer, topics, &tops, count))
}

fn get_forum_topics_by_id(
    ctx: &Ctx,
    request: tl::functions::messages::GetForumTopicsById,
) -> RpcResult<tl::enums::messages::ForumTopics> {
    ctx.require_auth()?;
    let world = ctx.world();
    let peer = input_peer(&world, &request.peer)?;
    let chat = forum(&world, peer)?;
    let mut topics = Vec::new();
    let mut tops = Vec::new();
    for id in &request.topics {
        match chat.topics.iter().find(|t| t.id == *id) {
            Some(spec) => {
                let t = topic(&world, peer, chat, spec);
                topics.push(topic_tl(&world, peer, &t));
                tops.extend(t.top);
            }
            None => topics.push(tl::types::ForumTopicDeleted { id: *id }.into()),
        }
    }
    let count = topics.len();
    Ok(topics_answer(&world, peer, topics, &tops, count))
}

// ---- Comments and reply threads ----

/// The root of the thread a reply belongs to (a direct reply's root is the message it answers).
pub fn thread_root(msg: &Msg) -> Option<i32> {
    msg.top_id.or(msg.reply_to_msg_id)
}

/// For a broadcast channel post: the discussion group and the post's automatic copy in it.
pub fn discussion(world: &World, channel: Peer, post: i32) -> Option<(Peer, &Msg)> {
    let spec = world
        .chat(channel)
        .filter(|c| c.kind == ChatKind::Channel)?;
    world.message(channel, post)?;
    let group = linked(spec)?;
    let copy = world
        .history(group)
        .find(|m| m.comments_for == Some(post))?;
    Some((group, copy))
}

fn get_discussion_message(
    ctx: &Ctx,
    request: tl::functions::messages::GetDiscussionMessage,
) -> RpcResult<tl::enums::messages::DiscussionMessage> {
    ctx.require_auth()?;
    let world = ctx.world();
    let peer = input_peer(&world, &request.peer)?;
    readable(&world, peer)?;
    let invalid = || RpcError::bad_request("MSG_ID_INVALID");
    let kind = world
        .chat(peer)
        .map(|c| c.kind)
        .ok_or_else(|| RpcError::bad_request("PEER_ID_INVALID"))?;
    let (group, root) = match kind {
        ChatKind::Channel => discussion(&world, peer, request.msg_id).ok_or_else(invalid)?,
        // In a supergroup, the thread a message starts (or belongs to).
        ChatKind::Supergroup => {
            let msg = world.message(peer, request.msg_id).ok_or_else(invalid)?;
            let root = match thread_root(msg).filter(|_| !msg.forum_topic) {
                Some(top) => world.message(peer, top).ok_or_else(invalid)?,
                None => msg,
            };
            (peer, root)
        }
        ChatKind::Group => return Err(invalid()),
    };
    let thread: Vec<&Msg> = world.thread(group, root.id).collect();
    let max_id = thread.iter().map(|m| m.id).max();
    // Every thread starts read; `messages.readDiscussion` moves its marker.
    let read_inbox_max_id = world
        .thread_reads
        .get(&(group, root.id))
        .copied()
        .or(max_id);
    let unread_count = thread
        .iter()
        .filter(|m| !m.out && read_inbox_max_id.is_some_and(|r| m.id > r))
        .count() as i32;
    let mut mentioned = Mentioned::default();
    mentioned.peer(peer);
    mentioned.message(root);
    Ok(tl::types::messages::DiscussionMessage {
        messages: vec![tl_build::message(&world, root)],
        max_id,
        read_inbox_max_id,
        read_outbox_max_id: None,
        unread_count,
        chats: mentioned.chats(&world),
        users: mentioned.users(&world),
    }
    .into())
}

fn get_replies(
    ctx: &Ctx,
    request: tl::functions::messages::GetReplies,
) -> RpcResult<tl::enums::messages::Messages> {
    ctx.require_auth()?;
    let world = ctx.world();
    let peer = input_peer(&world, &request.peer)?;
    readable(&world, peer)?;
    let invalid = || RpcError::bad_request("MSG_ID_INVALID");
    let chat = world
        .chat(peer)
        .ok_or_else(|| RpcError::bad_request("PEER_ID_INVALID"))?;
    // In a supergroup a reply starts no thread of its own: it belongs to its root's thread (or
    // its forum topic), and Telegram answers that thread, as `getDiscussionMessage` names it.
    let root = match world.message(peer, request.msg_id) {
        Some(msg) if chat.kind == ChatKind::Supergroup => thread_root(msg).unwrap_or(msg.id),
        _ => request.msg_id,
    };
    let is_topic = chat.forum && chat.topics.iter().any(|t| t.id == root);
    let (thread_peer, messages): (Peer, Vec<&Msg>) = if chat.kind == ChatKind::Channel {
        // A post's comments live in the discussion group.
        let (group, copy) = discussion(&world, peer, request.msg_id).ok_or_else(invalid)?;
        (group, world.thread(group, copy.id).collect())
    } else if is_topic {
        (peer, topic_messages(&world, peer, root).collect())
    } else {
        world.message(peer, root).ok_or_else(invalid)?;
        (peer, world.thread(peer, root).collect())
    };
    let window = Window {
        offset_id: request.offset_id,
        offset_date: request.offset_date,
        add_offset: request.add_offset,
        limit: request.limit,
        max_id: request.max_id,
        min_id: request.min_id,
    };
    let (page, offset) = window.apply(&world, &messages);
    Ok(answer(
        &world,
        Some(thread_peer),
        &page,
        messages.len(),
        Some(offset),
        None,
    ))
}

// ---- Links ----

fn link_base(world: &World, peer: Peer) -> String {
    match world.chat(peer).and_then(|c| c.username.as_deref()) {
        Some(username) => format!("https://t.me/{username}"),
        None => format!("https://t.me/c/{}", peer.bare_id()),
    }
}

fn export_message_link(
    ctx: &Ctx,
    request: tl::functions::channels::ExportMessageLink,
) -> RpcResult<tl::enums::ExportedMessageLink> {
    ctx.require_auth()?;
    let world = ctx.world();
    let peer = input_channel(&world, &request.channel)?;
    readable(&world, peer)?;
    let msg = world
        .message(peer, request.id)
        .ok_or_else(|| RpcError::bad_request("MSG_ID_INVALID"))?;
    let chat = world
        .chat(peer)
        .ok_or_else(|| RpcError::bad_request("CHANNEL_INVALID"))?;
    let base = link_base(&world, peer);
    let mut query = Vec::new();
    let mut link = format!("{base}/{}", msg.id);
    if request.thread
        && let Some(top) = thread_root(msg)
    {
        let post = world.message(peer, top).and_then(|m| m.comments_for);
        let channel = linked(chat).filter(|c| c.is_channel());
        match (post, channel) {
            // A comment: linked through the channel post it comments.
            (Some(post), Some(channel)) => {
                link = format!("{}/{post}", link_base(&world, channel));
                query.push(format!("comment={}", msg.id));
            }
            // A message in a forum topic: /<topic>/<id>.
            _ if msg.forum_topic => link = format!("{base}/{top}/{}", msg.id),
            _ => query.push(format!("thread={top}")),
        }
    }
    if msg.grouped_id.is_some() && !request.grouped {
        query.push("single".into());
    }
    if !query.is_empty() {
        link = format!("{link}?{}", query.join("&"));
    }
    // Public posts can be embedded; private ones cannot.
    let html = match &chat.username {
        Some(username) => format!(
            "<script async src=\"https://telegram.org/js/telegram-widget.js?22\" \
             data-telegram-post=\"{username}/{}\" data-width=\"100%\"></script>",
            msg.id
        ),
        None => String::new(),
    };
    Ok(tl::types::ExportedMessageLink { link, html }.into())
}
