//! Listings on a DC that pages as a large real account does: pages shorter than asked although
//! more exist, messages Telegram counts but will not show, dialogs whose top message the answer
//! leaves out, hundreds of chats (pinned, archived, in folders). Every listing gives each item
//! exactly once, says `has_more` while more exist, and its cursor continues to the rest.

use std::collections::HashSet;

use grammers_tl_types as tl;
use serde_json::{Value, json};

use testkit::fake_dc::methods::dialogs;
use testkit::harness::{Client, Harness, call, sample_world};
use testkit::world::{ChatKind, ChatSpec, Crowd, FolderSpec, Msg, Peer, World};

/// A channel of the test world: 40 posts, `post 1` … `post 40`, a minute apart.
const CHANNEL: i64 = -1001000000010;
/// A supergroup whose message 1 has 30 replies (ids 2–31).
const GROUP: i64 = -1001000000011;
/// Posts Telegram will not show (as if not displayable in the user's region).
const HIDDEN: [i32; 11] = [3, 9, 10, 11, 17, 25, 26, 27, 28, 29, 38];

fn peer(id: i64) -> Peer {
    Peer::from_bot_api(id).unwrap()
}

fn add_chat(world: &mut World, id: i64, kind: &str, title: &str) {
    let chat: ChatSpec = serde_json::from_value(json!({
        "id": id, "kind": kind, "title": title, "members": [world.self_id],
    }))
    .unwrap();
    world.chats.insert(peer(id), chat);
}

/// The sample world with a holey channel and thread: hidden posts and replies, and pages two
/// short of what is asked.
fn holey_world() -> World {
    let mut world = sample_world();
    add_chat(&mut world, CHANNEL, "channel", "Holey News");
    add_chat(&mut world, GROUP, "supergroup", "Holey Group");
    let base = 1_790_000_000;
    for id in 1..=40 {
        let mut post = Msg::new(peer(CHANNEL), id, None, base + 60 * id);
        post.text = format!("post {id} holeword");
        post.post = true;
        world.insert(post);
        if HIDDEN.contains(&id) {
            world.hidden.insert((peer(CHANNEL), id));
        }
    }
    let me = Peer::User(world.self_id);
    for id in 1..=31 {
        let mut msg = Msg::new(peer(GROUP), id, Some(me), base + 60 * id);
        msg.text = format!("reply {id}");
        msg.out = true;
        if id > 1 {
            msg.reply_to_msg_id = Some(1);
        }
        world.insert(msg);
        if id > 1 && HIDDEN.contains(&id) {
            world.hidden.insert((peer(GROUP), id));
        }
    }
    world.short_pages = 2;
    world
}

/// The shown ids of `ids`, newest first.
fn shown(ids: impl DoubleEndedIterator<Item = i32>) -> Vec<i64> {
    ids.rev()
        .filter(|id| !HIDDEN.contains(id))
        .map(i64::from)
        .collect()
}

/// A listing read through its cursor: the items of every page, and each page's `has_more`.
struct Read {
    items: Vec<Value>,
    more: Vec<bool>,
}

impl Read {
    fn ids(&self) -> Vec<i64> {
        self.items
            .iter()
            .map(|m| m["id"].as_i64().unwrap())
            .collect()
    }
}

/// Pages `tool` with `args` through its cursor: the answer's `cursor` field, passed back as
/// the `cursor_arg` argument, until an answer has none. `items` names the answer's list.
async fn follow(
    client: &Client,
    tool: &str,
    mut args: Value,
    items: &str,
    (cursor, cursor_arg): (&str, &str),
) -> Read {
    let mut read = Read {
        items: Vec::new(),
        more: Vec::new(),
    };
    for _ in 0..20 {
        let (err, v) = call(client, tool, args.clone()).await;
        assert!(!err, "{v}");
        assert!(v.get("note").is_none(), "{}", v["note"]);
        let page = v[items]
            .as_array()
            .unwrap_or_else(|| panic!("no {items} in {v}"));
        read.items.extend(page.iter().cloned());
        read.more.push(v["has_more"].as_bool().unwrap());
        match v.get(cursor) {
            Some(next) => args[cursor_arg] = next.clone(),
            None => return read,
        }
    }
    panic!("the listing never ended: {} {items}", read.items.len());
}

/// `get_messages` with `args`, through `next_offset_id`.
async fn browse(client: &Client, args: Value) -> (Vec<i64>, Vec<bool>) {
    let read = follow(
        client,
        "get_messages",
        args,
        "messages",
        ("next_offset_id", "offset_id"),
    )
    .await;
    (read.ids(), read.more)
}

/// `find_chats` with `args`, through `next_offset`.
async fn list_chats(client: &Client, args: Value) -> (Vec<i64>, Vec<bool>) {
    let read = follow(
        client,
        "find_chats",
        args,
        "chats",
        ("next_offset", "offset"),
    )
    .await;
    (read.ids(), read.more)
}

/// Every page but the last says more exist; the last does not.
fn more_until_the_last(more: &[bool]) {
    let (last, before) = more.split_last().unwrap();
    assert!(before.iter().all(|m| *m), "{more:?}");
    assert!(!last, "{more:?}");
}

#[tokio::test]
async fn a_channel_history_with_hidden_posts_and_short_pages_lists_every_shown_post_once() {
    let h = Harness::with(holey_world(), true).await;
    let client = h.client().await;
    let (ids, more) = browse(&client, json!({"chat_id": CHANNEL.to_string(), "limit": 7})).await;
    assert_eq!(ids, shown(1..=40));
    more_until_the_last(&more);
    assert_eq!(more.len(), 5, "29 shown posts, 7 a page");
    // Pages of 6 (8 asked, 2 short), fewer where posts are hidden: an extra request on most
    // calls, never more than 1 + auto_expand_batches (2) per call.
    let history = h.dc.requests_of::<tl::functions::messages::GetHistory>();
    assert_eq!(history.len(), 10);
    // Asked for by id (`channels.getMessages`), a hidden post is missing too.
    let (err, v) = call(
        &client,
        "get_messages",
        json!({"chat_id": CHANNEL.to_string(), "message_ids": [3, 4]}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(v["messages"][0]["id"], 4, "{v}");
    assert_eq!(v["missing_ids"], json!([3]), "{v}");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_search_in_a_chat_with_hidden_posts_and_short_pages_finds_every_shown_post_once() {
    let h = Harness::with(holey_world(), true).await;
    let client = h.client().await;
    let (ids, more) = browse(
        &client,
        json!({"chat_id": CHANNEL.to_string(), "query": "holeword", "limit": 5}),
    )
    .await;
    assert_eq!(ids, shown(1..=40));
    more_until_the_last(&more);
    let searches = h.dc.requests_of::<tl::functions::messages::Search>();
    assert_eq!((more.len(), searches.len()), (6, 14));
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_thread_with_hidden_replies_and_short_pages_lists_every_shown_reply_once() {
    let h = Harness::with(holey_world(), true).await;
    let client = h.client().await;
    let (ids, more) = browse(
        &client,
        json!({"chat_id": GROUP.to_string(), "reply_to_id": 1, "limit": 6}),
    )
    .await;
    assert_eq!(ids, shown(2..=31));
    more_until_the_last(&more);
    let replies = h.dc.requests_of::<tl::functions::messages::GetReplies>();
    assert_eq!((more.len(), replies.len()), (4, 9));
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_global_search_with_hidden_posts_and_short_pages_finds_every_shown_post_once() {
    let h = Harness::with(holey_world(), true).await;
    let client = h.client().await;
    let read = follow(
        &client,
        "search_messages_globally",
        json!({"query": "holeword", "limit": 4}),
        "messages",
        ("next_cursor", "cursor"),
    )
    .await;
    assert!(read.items.iter().all(|m| m["chat"]["id"] == CHANNEL));
    let (ids, more) = (read.ids(), read.more);
    assert_eq!(ids, shown(1..=40));
    more_until_the_last(&more);
    // The last page comes without `next_rate` while the count (hidden posts included) says
    // more: one more request, empty, ends the listing.
    let searches = h.dc.requests_of::<tl::functions::messages::SearchGlobal>();
    assert_eq!((more.len(), searches.len()), (8, 18));
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_global_search_without_next_rate_reads_on_while_the_count_says_more() {
    let mut world = holey_world();
    world.omit_next_rate = true;
    let h = Harness::with(world, true).await;
    let client = h.client().await;
    let read = follow(
        &client,
        "search_messages_globally",
        json!({"query": "holeword", "limit": 4}),
        "messages",
        ("next_cursor", "cursor"),
    )
    .await;
    assert_eq!(read.ids(), shown(1..=40));
    more_until_the_last(&read.more);
    // Each page continues after its last post; only the calls reaching the end ask once more
    // (hidden posts keep the count above what was shown).
    let searches = h.dc.requests_of::<tl::functions::messages::SearchGlobal>();
    assert!(
        searches
            .iter()
            .all(|s| s.offset_rate == 0 || s.offset_id != 0),
        "every later page continues after a message"
    );
    assert_eq!((read.more.len(), searches.len()), (8, 18));
    client.cancel().await.unwrap();
}

/// The sample world with 350 generated chats: three pinned, every 7th archived, every 5th
/// without its top message in dialog answers; pages three short of what is asked.
fn crowded_world() -> (World, Vec<Peer>) {
    let mut world = sample_world();
    let crowd = world.add_crowd(&Crowd {
        users: 250,
        groups: 60,
        channels: 40,
        pinned: 3,
        archive_every: 7,
        top_missing_every: 5,
    });
    world.short_pages = 3;
    (world, crowd)
}

/// The chat list as Telegram orders it (every folder at once): the main list's pinned chats,
/// then the rest by last activity.
fn chat_list_order(world: &World) -> Vec<i64> {
    let pinned = dialogs::pinned_entries(world, 0);
    let floats: HashSet<Peer> = pinned.iter().map(|e| e.peer).collect();
    pinned
        .iter()
        .chain(
            dialogs::entries(world)
                .iter()
                .filter(|e| !floats.contains(&e.peer)),
        )
        .map(|e| e.peer.bot_api())
        .collect()
}

/// Every dialog walk asks for the pinned chats once, then continues from a dialog whose top
/// message it has: never from the top again.
fn walks_continue_from_known_tops(h: &Harness) {
    let walks = h.dc.requests_of::<tl::functions::messages::GetDialogs>();
    for request in &walks {
        let first =
            matches!(request.offset_peer, tl::enums::InputPeer::Empty) && request.offset_id == 0;
        if !first {
            assert!(request.exclude_pinned, "{request:?}");
            assert_ne!(request.offset_date, 0, "{request:?}");
        }
    }
}

#[tokio::test]
async fn the_chat_list_of_hundreds_of_chats_lists_each_once_in_order() {
    let (world, crowd) = crowded_world();
    let expected = chat_list_order(&world);
    assert!(expected.len() > 350, "{}", expected.len());
    let h = Harness::with(world, true).await;
    let client = h.client().await;
    let (ids, more) = list_chats(&client, json!({"limit": 100})).await;
    assert_eq!(ids.len(), expected.len());
    assert_eq!(ids, expected);
    more_until_the_last(&more);
    for peer in crowd {
        assert!(ids.contains(&peer.bot_api()), "{peer:?} missing");
    }
    walks_continue_from_known_tops(&h);
    // Each call walks as far as its page, in pages of 97 (100 asked, 3 short), some
    // dialogs twice (after a missing top): 1 + 2 + 4 + 4 pages, never more than 40 a call.
    let walks = h.dc.requests_of::<tl::functions::messages::GetDialogs>();
    assert_eq!((more.len(), walks.len()), (4, 13));
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_folder_of_categories_over_hundreds_of_chats_lists_each_member_once() {
    let (mut world, crowd) = crowded_world();
    world.folders.push(FolderSpec {
        id: 9,
        title: "Every group".into(),
        groups: true,
        ..Default::default()
    });
    let groups: HashSet<i64> = dialogs::entries(&world)
        .iter()
        .map(|e| e.peer)
        .filter(|p| world.chat(*p).is_some_and(|c| c.kind != ChatKind::Channel))
        .map(|p| p.bot_api())
        .collect();
    let crowd_groups = crowd.iter().filter(|p| groups.contains(&p.bot_api()));
    assert_eq!(crowd_groups.count(), 60);
    let h = Harness::with(world, true).await;
    let client = h.client().await;
    let (ids, more) = list_chats(&client, json!({"folder": "Every group", "limit": 50})).await;
    let listed: HashSet<i64> = ids.iter().copied().collect();
    assert_eq!(listed.len(), ids.len(), "each once: {ids:?}");
    assert_eq!(listed, groups);
    more_until_the_last(&more);
    walks_continue_from_known_tops(&h);
    // Two calls, one walk of the whole list for the groups joining by category: the second
    // call reuses the chat list the first one read (kept for a minute).
    let walks = h.dc.requests_of::<tl::functions::messages::GetDialogs>();
    assert_eq!((more.len(), walks.len()), (2, 4));
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn an_id_deep_in_a_chat_list_of_hundreds_is_found_by_one_walk() {
    let (world, crowd) = crowded_world();
    // The oldest generated channel: the walk reads the whole list to find it.
    let oldest = *crowd.last().unwrap();
    let h = Harness::with(world, true).await;
    let client = h.client().await;
    let (err, v) = call(
        &client,
        "get_messages",
        json!({"chat_id": oldest.bot_api().to_string(), "limit": 1}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(v["chat"]["id"], oldest.bot_api());
    walks_continue_from_known_tops(&h);
    let walks = h.dc.requests_of::<tl::functions::messages::GetDialogs>();
    // 362 dialogs in pages of 97, some read twice after a missing top.
    assert_eq!(walks.len(), 4);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_chat_list_that_stops_advancing_says_so_instead_of_looping() {
    let mut world = sample_world();
    // No dialog answer holds a top message: nothing to continue from after the first page.
    world.add_crowd(&Crowd {
        users: 250,
        top_missing_every: 1,
        ..Default::default()
    });
    for spec in world.dialogs.values_mut() {
        spec.top_missing = true;
    }
    let h = Harness::with(world, true).await;
    let client = h.client().await;
    let (err, v) = call(&client, "find_chats", json!({"limit": 100, "offset": 200})).await;
    assert!(!err, "{v}");
    assert_eq!(v["has_more"], false, "{v}");
    let note = v["note"].as_str().unwrap_or_else(|| panic!("no note: {v}"));
    assert!(note.contains("stopped advancing"), "{note}");
    // The first page, then the unpinned list from its top: nothing new, the walk stops.
    let walks = h.dc.requests_of::<tl::functions::messages::GetDialogs>();
    assert_eq!(walks.len(), 2, "{walks:?}");
    client.cancel().await.unwrap();
}
