//! Inbox triage over stdio against the loopback DC: unread state on listed chats, the
//! unread-only chat list, unread messages of a chat, and `mark_read`.

use grammers_tl_types as tl;
use serde_json::{Value, json};

use testkit::harness::{Harness, call, sample_world};
use testkit::world::{DialogSpec, Peer, World};

const GROUP: i64 = -4001;
const RUST_LEARNERS: i64 = -1001000000001;
const QUIET: i64 = -1001000000005;

fn ids(v: &Value) -> Vec<i64> {
    v["chats"]
        .as_array()
        .unwrap_or_else(|| panic!("no chats in {v}"))
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect()
}

fn chat(v: &Value, id: i64) -> &Value {
    v["chats"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["id"] == id))
        .unwrap_or_else(|| panic!("chat {id} not in {v}"))
}

/// The dialog of `peer` in `world`, created when the world does not list it.
fn dialog(world: &mut World, peer: i64) -> &mut DialogSpec {
    let p = Peer::from_bot_api(peer).expect("a Bot API id");
    world.dialogs.entry(p).or_insert_with(|| DialogSpec {
        peer,
        ..DialogSpec::default()
    })
}

/// The sample world with a backlog: Babbage 2 unread, Rust Learners 2 unread with a mention,
/// Mary marked unread, the group's 1 unread (pinned), Quiet Channel muted.
fn backlog() -> World {
    let mut world = sample_world();
    dialog(&mut world, 1001).unread_count = 2;
    let rust = dialog(&mut world, RUST_LEARNERS);
    rust.unread_count = 2;
    rust.unread_mentions_count = 1;
    dialog(&mut world, 1002).unread_mark = true;
    world
}

#[tokio::test]
async fn listed_chats_carry_unread_counts_mentions_mute_and_mark_and_searched_ones_do_not() {
    let h = Harness::with(backlog(), true).await;
    let client = h.client().await;
    let (err, v) = call(&client, "find_chats", json!({"limit": 100})).await;
    assert!(!err, "{v}");
    assert_eq!(chat(&v, 1001)["unread_count"], 2);
    assert!(chat(&v, 1001).get("unread_mentions_count").is_none());
    assert_eq!(chat(&v, RUST_LEARNERS)["unread_count"], 2);
    assert_eq!(chat(&v, RUST_LEARNERS)["unread_mentions_count"], 1);
    assert_eq!(chat(&v, 1002)["unread_count"], 0);
    assert_eq!(chat(&v, 1002)["marked_unread"], true);
    assert_eq!(chat(&v, QUIET)["muted"], true);
    assert!(chat(&v, GROUP).get("muted").is_none(), "absent, not false");
    assert!(chat(&v, GROUP).get("marked_unread").is_none());
    // A search answers from contacts.search, which knows no unread state: none is made up.
    let (err, v) = call(&client, "find_chats", json!({"query": "babbage"})).await;
    assert!(!err, "{v}");
    assert!(chat(&v, 1001).get("unread_count").is_none(), "{v}");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn unread_only_lists_unread_and_marked_chats_newest_first_pinned_ones_by_date_too() {
    let h = Harness::with(backlog(), true).await;
    let client = h.client().await;
    let (err, v) = call(&client, "find_chats", json!({"unread": true})).await;
    assert!(!err, "{v}");
    // Rust Learners 11-24, the pinned group 11-22, Babbage 11-21, Mary (marked) 11-19.
    let newest_first = vec![RUST_LEARNERS, GROUP, 1001, 1002];
    assert_eq!(ids(&v), newest_first);
    assert_eq!(v["has_more"], false);
    // Page by page, the same order: the pinned group is not pulled to the front.
    let mut paged = Vec::new();
    let mut offset = 0;
    loop {
        let (err, v) = call(
            &client,
            "find_chats",
            json!({"unread": true, "limit": 1, "offset": offset}),
        )
        .await;
        assert!(!err, "{v}");
        paged.extend(ids(&v));
        match v["next_offset"].as_i64() {
            Some(next) => offset = next,
            None => break,
        }
    }
    assert_eq!(paged, newest_first);
    // With a name, the unread chats are filtered by it (not searched for).
    let (err, v) = call(
        &client,
        "find_chats",
        json!({"unread": true, "query": "rust"}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(ids(&v), vec![RUST_LEARNERS]);
    assert!(
        h.dc.requests_of::<tl::functions::contacts::Search>()
            .is_empty()
    );
    client.cancel().await.unwrap();
}

const FORUM: i64 = -1001000000004;
const ENGINE_NEWS: i64 = -1001000000002;
const ENGINE_NEWS_CHAT: i64 = -1001000000003;

/// The requests of the last call, in order, after `clear_requests`.
fn requests(h: &Harness) -> Vec<String> {
    h.dc.request_names()
}

/// Calls mark_read and returns its answer, which must succeed.
/// A server on `world` that has listed every chat (learning each one's access hash), with the
/// DC's record emptied: only the call under test's own requests follow.
async fn met_every_chat(world: World) -> (Harness, testkit::harness::Client) {
    let h = Harness::with(world, true).await;
    let client = h.client().await;
    call(&client, "find_chats", json!({"limit": 100})).await;
    h.dc.clear_requests();
    (h, client)
}

async fn mark_read(client: &testkit::harness::Client, args: Value) -> Value {
    let (err, v) = call(client, "mark_read", args).await;
    assert!(!err, "{v}");
    v
}

#[tokio::test]
async fn mark_read_reads_a_private_chat_once_and_a_second_call_changes_nothing() {
    let (h, client) = met_every_chat(backlog()).await;
    let v = mark_read(&client, json!({"chat_id": "1001"})).await;
    // Babbage's newest two incoming messages (4 and 5) were unread; his chat ends at 6 (ours).
    assert_eq!(
        v,
        json!({"changed": true, "unread_before": 2, "read_up_to": 6})
    );
    assert_eq!(
        requests(&h),
        ["messages.getPeerDialogs", "messages.readHistory"]
    );
    let read = h.dc.requests_of::<tl::functions::messages::ReadHistory>();
    assert_eq!(read[0].max_id, 6);
    h.dc.clear_requests();
    let again = mark_read(&client, json!({"chat_id": "1001"})).await;
    assert_eq!(
        again,
        json!({"changed": false, "unread_before": 0, "read_up_to": 6})
    );
    assert_eq!(requests(&h), ["messages.getPeerDialogs"], "idempotent");
    // The chat list agrees.
    let (_, list) = call(&client, "find_chats", json!({"unread": true})).await;
    assert!(!ids(&list).contains(&1001), "{list}");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn mark_read_up_to_a_message_leaves_the_rest_and_the_mentions_unread() {
    let mut world = backlog();
    dialog(&mut world, 1001).unread_mentions_count = 1;
    let h = Harness::with(world, true).await;
    let client = h.client().await;
    let v = mark_read(&client, json!({"chat_id": "1001", "max_id": 4})).await;
    assert_eq!(
        v,
        json!({"changed": true, "unread_before": 2, "read_up_to": 4})
    );
    let (_, list) = call(&client, "find_chats", json!({"unread": true})).await;
    assert_eq!(
        chat(&list, 1001)["unread_count"],
        1,
        "message 5 is still unread"
    );
    assert_eq!(chat(&list, 1001)["unread_mentions_count"], 1);
    assert!(
        h.dc.requests_of::<tl::functions::messages::ReadMentions>()
            .is_empty()
    );
    // Reading everything reads the mention too.
    let v = mark_read(&client, json!({"chat_id": "1001"})).await;
    assert_eq!(
        v,
        json!({"changed": true, "unread_before": 1, "read_up_to": 6, "mentions_read": 1})
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn mark_read_reads_a_supergroup_with_channels_read_history_and_its_mentions_and_reactions() {
    let mut world = backlog();
    dialog(&mut world, RUST_LEARNERS).unread_reactions_count = 3;
    let (h, client) = met_every_chat(world).await;
    let v = mark_read(&client, json!({"chat_id": RUST_LEARNERS.to_string()})).await;
    assert_eq!(
        v,
        json!({"changed": true, "unread_before": 2, "read_up_to": 6, "mentions_read": 1,
               "reactions_read": 3})
    );
    assert_eq!(
        requests(&h),
        [
            "messages.getPeerDialogs",
            "channels.readHistory",
            "messages.readMentions",
            "messages.readReactions"
        ]
    );
    assert!(
        h.dc.requests_of::<tl::functions::messages::ReadMentions>()[0]
            .top_msg_id
            .is_none()
    );
    h.dc.clear_requests();
    let again = mark_read(&client, json!({"chat_id": RUST_LEARNERS.to_string()})).await;
    assert_eq!(again["changed"], false, "{again}");
    assert_eq!(requests(&h), ["messages.getPeerDialogs"]);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn mark_read_clears_a_chats_unread_mark() {
    let h = Harness::with(backlog(), true).await;
    let client = h.client().await;
    let v = mark_read(&client, json!({"chat_id": "1002"})).await;
    assert_eq!(v["changed"], true, "{v}");
    assert_eq!(v["unread_before"], 0, "{v}");
    let unmark =
        h.dc.requests_of::<tl::functions::messages::MarkDialogUnread>();
    assert_eq!(unmark.len(), 1);
    assert!(!unmark[0].unread);
    let again = mark_read(&client, json!({"chat_id": "1002"})).await;
    assert_eq!(again["changed"], false, "{again}");
    assert_eq!(
        h.dc.requests_of::<tl::functions::messages::MarkDialogUnread>()
            .len(),
        1
    );
    client.cancel().await.unwrap();
}

/// The sample forum's "Design" topic (10) with its newest incoming message (12) unread and a
/// mention in it.
fn forum_backlog() -> World {
    let mut world = sample_world();
    let forum = world
        .chats
        .get_mut(&Peer::from_bot_api(FORUM).unwrap())
        .unwrap();
    let design = forum.topics.iter_mut().find(|t| t.id == 10).unwrap();
    design.unread_count = 1;
    design.unread_mentions_count = 1;
    dialog(&mut world, FORUM).unread_mentions_count = 1;
    world
}

#[tokio::test]
async fn mark_read_reads_a_forum_topic_with_read_discussion_and_its_mentions_with_top_msg_id() {
    let (h, client) = met_every_chat(forum_backlog()).await;
    let args = json!({"chat_id": FORUM.to_string(), "reply_to_id": 10});
    let v = mark_read(&client, args.clone()).await;
    assert_eq!(
        v,
        json!({"changed": true, "unread_before": 1, "read_up_to": 12, "mentions_read": 1})
    );
    let names = requests(&h);
    assert_eq!(
        names
            .iter()
            .filter(|n| *n == "messages.getForumTopicsByID")
            .count(),
        1,
        "{names:?}"
    );
    let read =
        h.dc.requests_of::<tl::functions::messages::ReadDiscussion>();
    assert_eq!((read[0].msg_id, read[0].read_max_id), (10, 12));
    assert_eq!(
        h.dc.requests_of::<tl::functions::messages::ReadMentions>()[0].top_msg_id,
        Some(10)
    );
    assert!(
        h.dc.requests_of::<tl::functions::channels::ReadHistory>()
            .is_empty()
    );
    let again = mark_read(&client, args).await;
    assert_eq!(again["changed"], false, "{again}");
    assert_eq!(
        h.dc.requests_of::<tl::functions::messages::ReadDiscussion>()
            .len(),
        1
    );
    // The forum's own count lost the topic's mention.
    let (_, list) = call(
        &client,
        "find_chats",
        json!({"query": "forum", "min_date": "2020-01-01"}),
    )
    .await;
    assert!(
        chat(&list, FORUM).get("unread_mentions_count").is_none(),
        "{list}"
    );
    client.cancel().await.unwrap();
}

/// Marking a whole forum read also reads each topic still unread after `channels.readHistory`
/// (Telegram does not document whether that call moves the topics' markers: here it does not),
/// and a second call sends no read at all.
#[tokio::test]
async fn mark_read_of_a_whole_forum_reads_the_topics_its_history_left_unread() {
    let mut world = forum_backlog();
    world.history_leaves_topics = true;
    dialog(&mut world, FORUM).unread_count = 1;
    let (h, client) = met_every_chat(world).await;
    let v = mark_read(&client, json!({"chat_id": FORUM.to_string()})).await;
    assert_eq!(v["changed"], true, "{v}");
    assert_eq!(v["topics_read"], 1, "{v}");
    assert_eq!(
        h.dc.requests_of::<tl::functions::channels::ReadHistory>()
            .len(),
        1
    );
    let read =
        h.dc.requests_of::<tl::functions::messages::ReadDiscussion>();
    assert_eq!(
        read.iter()
            .map(|r| (r.msg_id, r.read_max_id))
            .collect::<Vec<_>>(),
        [(10, 12)]
    );
    // The user's next step: the topic has nothing unread left.
    let (err, unread) = call(
        &client,
        "get_messages",
        json!({"chat_id": FORUM.to_string(), "reply_to_id": 10, "unread": true}),
    )
    .await;
    assert!(!err, "{unread}");
    assert_eq!(unread["messages"], json!([]), "{unread}");
    h.dc.clear_requests();
    let again = mark_read(&client, json!({"chat_id": FORUM.to_string()})).await;
    assert_eq!(again["changed"], false, "{again}");
    let names = requests(&h);
    assert!(
        !names
            .iter()
            .any(|n| n.contains("read") || n.contains("Read")),
        "{names:?}"
    );
    client.cancel().await.unwrap();
}

/// Where reading a forum's history reads its topics too, the topics are looked at once and no
/// topic is read again.
#[tokio::test]
async fn mark_read_of_a_whole_forum_sends_no_topic_read_when_its_history_read_them() {
    let mut world = forum_backlog();
    dialog(&mut world, FORUM).unread_count = 1;
    let (h, client) = met_every_chat(world).await;
    let v = mark_read(&client, json!({"chat_id": FORUM.to_string()})).await;
    assert_eq!(v["changed"], true, "{v}");
    assert!(v.get("topics_read").is_none(), "{v}");
    let names = requests(&h);
    assert_eq!(
        names
            .iter()
            .filter(|n| *n == "messages.getForumTopics")
            .count(),
        1,
        "{names:?}"
    );
    assert!(
        h.dc.requests_of::<tl::functions::messages::ReadDiscussion>()
            .is_empty()
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn mark_read_reads_a_posts_comments_in_the_discussion_group() {
    let world = sample_world();
    let h = Harness::with(world, true).await;
    // Post 2's comments are under its copy (4) in the discussion group; 5 is unread.
    h.dc.world()
        .thread_reads
        .insert((Peer::from_bot_api(ENGINE_NEWS_CHAT).unwrap(), 4), 4);
    let client = h.client().await;
    let args = json!({"chat_id": ENGINE_NEWS.to_string(), "reply_to_id": 2});
    let v = mark_read(&client, args.clone()).await;
    assert_eq!(
        v,
        json!({"changed": true, "unread_before": 1, "read_up_to": 5,
               "discussion_chat_id": ENGINE_NEWS_CHAT})
    );
    let read =
        h.dc.requests_of::<tl::functions::messages::ReadDiscussion>();
    assert_eq!((read[0].msg_id, read[0].read_max_id), (4, 5));
    assert!(
        matches!(read[0].peer, tl::enums::InputPeer::Channel(ref c) if c.channel_id == 1000000003)
    );
    let again = mark_read(&client, args).await;
    assert_eq!(again["changed"], false, "{again}");
    assert_eq!(again["unread_before"], 0, "{again}");
    assert_eq!(
        h.dc.requests_of::<tl::functions::messages::ReadDiscussion>()
            .len(),
        1
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn mark_read_refuses_bad_ids_and_threads_where_there_are_none() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    for args in [
        json!({"chat_id": "1001", "max_id": 0}),
        json!({"chat_id": "1001", "reply_to_id": -3}),
        json!({"chat_id": "1001", "reply_to_id": 3}),
    ] {
        let (err, v) = call(&client, "mark_read", args.clone()).await;
        assert!(err, "{args}: {v}");
        assert_eq!(v["action"], "fix_arguments", "{args}: {v}");
    }
    let (err, v) = call(
        &client,
        "mark_read",
        json!({"chat_id": ENGINE_NEWS.to_string(), "reply_to_id": 999}),
    )
    .await;
    assert!(err, "{v}");
    assert!(
        v["error"].as_str().unwrap().contains("opens no thread"),
        "{v}"
    );
    assert!(
        h.dc.requests_of::<tl::functions::messages::ReadHistory>()
            .is_empty()
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn read_only_mode_hides_mark_read() {
    let h = Harness::signed_in().await;
    let mut cmd = h.command();
    cmd.env("READ_ONLY", "true");
    let client = testkit::harness::spawn(cmd).await;
    let tools = client.list_all_tools().await.unwrap();
    assert!(!tools.iter().any(|t| t.name == "mark_read"));
    let refused = client
        .call_tool(
            rmcp::model::CallToolRequestParams::new("mark_read".to_string())
                .with_arguments(json!({"chat_id": "1001"}).as_object().cloned().unwrap()),
        )
        .await;
    assert!(
        refused.is_err() || refused.is_ok_and(|r| r.is_error == Some(true)),
        "a hidden tool is not called"
    );
    assert!(
        h.dc.requests_of::<tl::functions::messages::ReadHistory>()
            .is_empty()
    );
    client.cancel().await.unwrap();
    let client = h.client().await;
    let tools = client.list_all_tools().await.unwrap();
    let tool = tools
        .iter()
        .find(|t| t.name == "mark_read")
        .expect("listed");
    let a = tool.annotations.as_ref().unwrap();
    assert_eq!(
        (a.read_only_hint, a.destructive_hint, a.idempotent_hint),
        // Writing is the protocol's default, left out of the list.
        (None, Some(false), Some(true))
    );
    client.cancel().await.unwrap();
}

fn message_ids(v: &Value) -> Vec<i64> {
    v["messages"]
        .as_array()
        .unwrap_or_else(|| panic!("no messages in {v}"))
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn unread_messages_of_a_chat_come_oldest_first_after_the_read_marker() {
    let (h, client) = met_every_chat(backlog()).await;
    let (err, v) = call(
        &client,
        "get_messages",
        json!({"chat_id": "1001", "unread": true, "include_total_count": true}),
    )
    .await;
    assert!(!err, "{v}");
    // The marker is at 3: the unread 4 and 5, then our own 6 after them.
    assert_eq!(message_ids(&v), vec![4, 5, 6]);
    assert_eq!(v["has_more"], false);
    assert_eq!(v["total_count"], 2, "the unread count");
    assert_eq!(v["chat"]["unread_count"], 2, "{v}");
    assert_eq!(
        requests(&h),
        ["messages.getPeerDialogs", "messages.getHistory"]
    );
    let history = &h.dc.requests_of::<tl::functions::messages::GetHistory>()[0];
    assert_eq!(history.min_id, 3);
    // Reading does not mark read: the same again.
    let (_, again) = call(
        &client,
        "get_messages",
        json!({"chat_id": "1001", "unread": true}),
    )
    .await;
    assert_eq!(message_ids(&again), vec![4, 5, 6]);
    // Nothing unread: one request, no history.
    mark_read(&client, json!({"chat_id": "1001"})).await;
    h.dc.clear_requests();
    let (err, v) = call(
        &client,
        "get_messages",
        json!({"chat_id": "1001", "unread": true}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(message_ids(&v), Vec::<i64>::new());
    assert_eq!(v["has_more"], false);
    assert_eq!(requests(&h), ["messages.getPeerDialogs"]);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn more_unread_than_the_limit_pages_forward_from_the_oldest_and_mark_read_follows_the_page() {
    let mut world = sample_world();
    // All five of Rust Learners' incoming messages after its welcome (2..6) are unread.
    dialog(&mut world, RUST_LEARNERS).read_inbox_max_id = Some(1);
    let h = Harness::with(world, true).await;
    let client = h.client().await;
    let chat_id = RUST_LEARNERS.to_string();
    let (err, v) = call(
        &client,
        "get_messages",
        json!({"chat_id": chat_id, "unread": true, "limit": 2}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(message_ids(&v), vec![2, 3]);
    assert_eq!(v["has_more"], true);
    assert_eq!(v["next_offset_id"], 3);
    let (_, v) = call(
        &client,
        "get_messages",
        json!({"chat_id": chat_id, "unread": true, "limit": 2, "offset_id": 3}),
    )
    .await;
    assert_eq!(message_ids(&v), vec![4, 5]);
    assert_eq!(v["has_more"], true);
    // Marking read what was seen leaves exactly the rest unread.
    let done = mark_read(&client, json!({"chat_id": chat_id, "max_id": 5})).await;
    assert_eq!(done["read_up_to"], 5);
    let (_, v) = call(
        &client,
        "get_messages",
        json!({"chat_id": chat_id, "unread": true, "limit": 2}),
    )
    .await;
    assert_eq!(message_ids(&v), vec![6]);
    assert_eq!(v["has_more"], false);
    assert!(v.get("next_offset_id").is_none());
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn unread_messages_of_a_forum_topic_follow_the_topics_own_marker() {
    let h = Harness::with(forum_backlog(), true).await;
    let client = h.client().await;
    let (err, v) = call(
        &client,
        "get_messages",
        json!({"chat_id": FORUM.to_string(), "reply_to_id": 10, "unread": true}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(message_ids(&v), vec![12]);
    assert_eq!(v["has_more"], false);
    assert_eq!(
        h.dc.requests_of::<tl::functions::messages::GetForumTopicsById>()
            .len(),
        1
    );
    let replies = &h.dc.requests_of::<tl::functions::messages::GetReplies>()[0];
    assert_eq!((replies.msg_id, replies.min_id), (10, 11));
    // The Releases topic has nothing unread: no messages are read for it.
    let (err, v) = call(
        &client,
        "get_messages",
        json!({"chat_id": FORUM.to_string(), "reply_to_id": 20, "unread": true}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(message_ids(&v), Vec::<i64>::new());
    assert_eq!(
        h.dc.requests_of::<tl::functions::messages::GetReplies>()
            .len(),
        1
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn unread_comments_of_a_post_are_read_in_the_discussion_group() {
    let h = Harness::signed_in().await;
    h.dc.world()
        .thread_reads
        .insert((Peer::from_bot_api(ENGINE_NEWS_CHAT).unwrap(), 4), 4);
    let client = h.client().await;
    let (err, v) = call(
        &client,
        "get_messages",
        json!({"chat_id": ENGINE_NEWS.to_string(), "reply_to_id": 2, "unread": true}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(message_ids(&v), vec![5]);
    assert_eq!(v["discussion_chat_id"], ENGINE_NEWS_CHAT);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn unread_refuses_what_it_cannot_combine_with() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    for extra in [
        json!({"query": "engine"}),
        json!({"message_ids": [1]}),
        json!({"min_date": "2026-01-01"}),
        json!({"context": 2}),
    ] {
        let mut args = json!({"chat_id": "1001", "unread": true});
        args.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let (err, v) = call(&client, "get_messages", args.clone()).await;
        assert!(err, "{args}: {v}");
        assert_eq!(v["action"], "fix_arguments", "{args}: {v}");
    }
    assert!(
        h.dc.requests_of::<tl::functions::messages::GetHistory>()
            .is_empty()
    );
    client.cancel().await.unwrap();
}
