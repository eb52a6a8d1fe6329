//! `send_message` over stdio against the loopback DC: formatting (plain, Markdown, HTML,
//! detection), reply routing (reply, forum topic, channel comment), scheduling, drafts, and the
//! checks made before anything is sent.

use grammers_tl_types as tl;
use serde_json::{Value, json};

use testkit::fake_dc::{FaultAction, FaultRule};
use testkit::harness::{Harness, call, warm_up};
use testkit::world::Peer;

const SELF_ID: i64 = 1000;

fn entity_spans(entities: &[tl::enums::MessageEntity]) -> Vec<(&'static str, i32, i32)> {
    use tl::enums::MessageEntity as E;
    entities
        .iter()
        .map(|e| match e {
            E::Bold(e) => ("bold", e.offset, e.length),
            E::Italic(e) => ("italic", e.offset, e.length),
            E::Code(e) => ("code", e.offset, e.length),
            E::Pre(e) => ("pre", e.offset, e.length),
            E::TextUrl(e) => ("text_url", e.offset, e.length),
            E::Strike(e) => ("strike", e.offset, e.length),
            E::Underline(e) => ("underline", e.offset, e.length),
            E::Spoiler(e) => ("spoiler", e.offset, e.length),
            other => panic!("unexpected entity {other:?}"),
        })
        .collect()
}

fn last_send(h: &Harness) -> tl::functions::messages::SendMessage {
    h.dc.requests_of::<tl::functions::messages::SendMessage>()
        .pop()
        .expect("a messages.sendMessage")
}

fn sent_id(v: &Value) -> i32 {
    v["message_id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no message_id in {v}")) as i32
}

fn reply_of(request: &tl::functions::messages::SendMessage) -> (i32, Option<i32>) {
    match request.reply_to.as_ref().expect("a reply header") {
        tl::enums::InputReplyTo::Message(m) => (m.reply_to_msg_id, m.top_msg_id),
        other => panic!("unexpected reply header {other:?}"),
    }
}

#[tokio::test]
async fn plain_text_is_sent_exactly_as_written() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let text = "2 * 3 = 6, a < b > c, snake_case and Vec<T> stay as they are";
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "@babbage", "message": text}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(v["status"], "sent");
    assert_eq!(v["parsed_as"], "plain");
    assert_eq!(v["chat"]["title"], "Charles Babbage");
    assert_eq!(v["chat"]["id"], 1001);
    let message = &v["messages"][0];
    assert_eq!(message["text"], text);
    assert_eq!(message["sender"]["id"], SELF_ID);
    assert!(
        v.get("scheduled").is_none() && v.get("draft_saved").is_none(),
        "{v}"
    );
    let request = last_send(&h);
    assert_eq!(request.message, text);
    assert!(request.entities.is_none());
    assert!(request.reply_to.is_none() && request.schedule_date.is_none());
    let stored =
        h.dc.world()
            .message(Peer::User(1001), sent_id(&v))
            .cloned()
            .unwrap();
    assert_eq!(stored.text, text);
    assert!(stored.out);
    client.cancel().await.unwrap();
}

/// The echo of a send shows the sender and the chat as `get_messages` shows the same message:
/// full entities, never an id standing in for a name.
pub(crate) async fn assert_echo_matches_get_messages(
    client: &testkit::harness::Client,
    echo: &Value,
    chat_id: &str,
) {
    let id = sent_id(echo);
    let (err, read) = call(
        client,
        "get_messages",
        json!({"chat_id": chat_id, "message_ids": [id]}),
    )
    .await;
    assert!(!err, "{read}");
    let stored = &read["messages"][0];
    let sent = &echo["messages"][0];
    assert_eq!(stored["id"], sent["id"], "{read}");
    assert_eq!(
        sent["sender"], stored["sender"],
        "the sender: {echo} / {read}"
    );
    assert_ne!(
        sent["sender"]["title"],
        sent["sender"]["id"].to_string(),
        "a name, not the id: {echo}"
    );
    assert_eq!(echo["chat"], read["chat"], "the chat: {echo} / {read}");
}

#[tokio::test]
async fn the_echo_of_a_private_send_shows_the_same_entities_as_get_messages() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    for chat in ["@babbage", "1001", "me"] {
        let (err, v) = call(
            &client,
            "send_message",
            json!({"chat_id": chat, "message": "How are the engines?"}),
        )
        .await;
        assert!(!err, "{v}");
        assert_echo_matches_get_messages(&client, &v, chat).await;
    }
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_send_to_me_is_one_request_its_echo_naming_me_from_the_first_contact() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    warm_up(&client).await;
    h.dc.clear_requests();
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "me", "message": "note to self"}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(h.dc.request_names(), vec!["messages.sendMessage"]);
    let sender = &v["messages"][0]["sender"];
    assert_eq!(sender["id"], SELF_ID, "{v}");
    assert_ne!(
        sender["title"],
        SELF_ID.to_string(),
        "a name, not the id: {v}"
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn markdown_becomes_entities_with_utf16_offsets() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (err, v) = call(
        &client,
        "send_message",
        json!({
            "chat_id": "me",
            "message": "🎉 **bold** __it__ `code` [link](https://example.org/a)\n~~old~~",
            "parse_mode": "markdown"
        }),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(v["parsed_as"], "markdown");
    assert_eq!(v["messages"][0]["text"], "🎉 bold it code link\nold");
    let request = last_send(&h);
    assert_eq!(request.message, "🎉 bold it code link\nold");
    let entities = request.entities.clone().expect("entities");
    // 🎉 counts two UTF-16 units.
    assert_eq!(
        entity_spans(&entities),
        vec![
            ("bold", 3, 4),
            ("italic", 8, 2),
            ("code", 11, 4),
            ("text_url", 16, 4),
            ("strike", 21, 3)
        ]
    );
    let tl::enums::MessageEntity::TextUrl(link) = &entities[3] else {
        unreachable!()
    };
    assert_eq!(link.url, "https://example.org/a");
    assert!(matches!(request.peer, tl::enums::InputPeer::PeerSelf));
    let stored =
        h.dc.world()
            .message(Peer::User(SELF_ID), sent_id(&v))
            .cloned()
            .unwrap();
    assert_eq!(stored.entities, entities);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn html_becomes_entities_with_utf16_offsets() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (err, v) = call(
        &client,
        "send_message",
        json!({
            "chat_id": "1002",
            "message": "👍 <b>bold</b> <i>it</i> <a href=\"https://example.org/?a=1&amp;b=2\">link</a> \
                        <code>x &lt; y</code><br><u>u</u> <tg-spoiler>s</tg-spoiler>",
            "parse_mode": "html"
        }),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(v["parsed_as"], "html");
    let request = last_send(&h);
    assert_eq!(request.message, "👍 bold it link x < y\nu s");
    let entities = request.entities.clone().expect("entities");
    assert_eq!(
        entity_spans(&entities),
        vec![
            ("bold", 3, 4),
            ("italic", 8, 2),
            ("text_url", 11, 4),
            ("code", 16, 5),
            ("underline", 22, 1),
            ("spoiler", 24, 1)
        ]
    );
    let tl::enums::MessageEntity::TextUrl(link) = &entities[2] else {
        unreachable!()
    };
    assert_eq!(link.url, "https://example.org/?a=1&b=2");
    assert_eq!(v["chat"]["title"], "Mary Somerville");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn auto_detects_html_then_markdown_then_plain() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    // HTML wins; Markdown markers beside it stay literal.
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "me", "message": "<b>x</b> and **y**"}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(v["parsed_as"], "html");
    let request = last_send(&h);
    assert_eq!(request.message, "x and **y**");
    assert_eq!(
        entity_spans(&request.entities.unwrap()),
        vec![("bold", 0, 1)]
    );
    // Markdown (the default parse_mode is auto).
    let (_, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "me", "message": "run `cargo test` **now**"}),
    )
    .await;
    assert_eq!(v["parsed_as"], "markdown");
    let request = last_send(&h);
    assert_eq!(request.message, "run cargo test now");
    assert_eq!(
        entity_spans(&request.entities.unwrap()),
        vec![("code", 4, 10), ("bold", 15, 3)]
    );
    // Neither: untouched.
    let plain = "Tom &amp; Jerry: 5 * 4 and a_b_c, **unclosed";
    let (_, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "me", "message": plain, "parse_mode": "auto"}),
    )
    .await;
    assert_eq!(v["parsed_as"], "plain");
    let request = last_send(&h);
    assert_eq!(request.message, plain);
    assert!(request.entities.is_none());
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn reply_to_id_replies_in_the_chat() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "@babbage", "message": "Indeed.", "reply_to_id": 3}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(v["messages"][0]["reply_to_msg_id"], 3);
    assert_eq!(reply_of(&last_send(&h)), (3, None));
    let stored =
        h.dc.world()
            .message(Peer::User(1001), sent_id(&v))
            .cloned()
            .unwrap();
    assert_eq!(stored.reply_to_msg_id, Some(3));
    // A group reply comes back through updates (not the short form).
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "@rust_learners", "message": "Use a scope.", "reply_to_id": 4}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(v["messages"][0]["reply_to_msg_id"], 4);
    assert_eq!(v["chat"]["title"], "Rust Learners");
    assert_eq!(
        v["messages"][0]["link"],
        format!("https://t.me/rust_learners/{}", sent_id(&v))
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_topic_id_posts_into_the_forum_topic() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let forum = Peer::Channel(1_000_000_004);
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "-1001000000004", "message": "Cards it is.", "reply_to_id": 10}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(reply_of(&last_send(&h)), (10, Some(10)));
    assert_eq!(v["messages"][0]["topic_id"], 10);
    let stored = h.dc.world().message(forum, sent_id(&v)).cloned().unwrap();
    assert_eq!(stored.top_id, Some(10));
    assert!(stored.forum_topic);
    assert!(
        h.dc.request_names()
            .contains(&"messages.getForumTopicsByID".to_string())
    );
    // A message inside a topic: a plain reply, which Telegram keeps in that topic.
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "-1001000000004", "message": "Agreed.", "reply_to_id": 12}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(reply_of(&last_send(&h)), (12, None));
    assert_eq!(v["messages"][0]["reply_to_msg_id"], 12);
    assert_eq!(v["messages"][0]["topic_id"], 10);
    // The General topic takes messages without a thread header.
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "-1001000000004", "message": "Hello all", "reply_to_id": 1}),
    )
    .await;
    assert!(!err, "{v}");
    assert!(last_send(&h).reply_to.is_none());
    assert_eq!(v["messages"][0]["topic_id"], 1);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn reply_to_a_channel_post_comments_in_the_discussion_group() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "@engine_news", "message": "Twice as fast!", "reply_to_id": 2}),
    )
    .await;
    assert!(!err, "{v}");
    let request = last_send(&h);
    // Sent into the group, replying to the post's copy there (id 4), not to the channel.
    let tl::enums::InputPeer::Channel(peer) = &request.peer else {
        panic!("{:?}", request.peer)
    };
    assert_eq!(peer.channel_id, 1_000_000_003);
    assert_eq!(reply_of(&request), (4, None));
    assert_eq!(v["chat"]["id"], -1001000000003i64);
    assert_eq!(v["chat"]["title"], "Engine News Chat");
    assert_eq!(
        v["comment_on"],
        json!({"channel_id": -1001000000002i64, "post_id": 2})
    );
    assert_eq!(v["messages"][0]["reply_to_msg_id"], 4);
    let group = Peer::Channel(1_000_000_003);
    let stored = h.dc.world().message(group, sent_id(&v)).cloned().unwrap();
    assert_eq!(stored.text, "Twice as fast!");
    assert_eq!(stored.reply_to_msg_id, Some(4));
    assert!(
        h.dc.request_names()
            .contains(&"messages.getDiscussionMessage".to_string())
    );
    // The channel itself got nothing.
    let channel_posts = h.dc.world().history(Peer::Channel(1_000_000_002)).count();
    assert_eq!(channel_posts, 3);
    // A channel without a discussion group: a clear error, nothing sent.
    let before = h.dc.count_of::<tl::functions::messages::SendMessage>();
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "-1001000000005", "message": "hi", "reply_to_id": 1}),
    )
    .await;
    assert!(err);
    assert_eq!(v["action"], "fix_arguments");
    assert!(
        v["error"].as_str().unwrap().contains("discussion group"),
        "{v}"
    );
    assert_eq!(
        h.dc.count_of::<tl::functions::messages::SendMessage>(),
        before
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn schedule_date_queues_the_message() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let at = chrono::Utc::now() + chrono::Duration::days(2);
    let at = at.with_timezone(&chrono::FixedOffset::east_opt(2 * 3600).unwrap());
    let history_before = h.dc.world().history(Peer::User(1001)).count();
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "@babbage", "message": "**Later**", "schedule_date": at.to_rfc3339()}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(v["status"], "scheduled");
    assert_eq!(v["scheduled"], true);
    let request = last_send(&h);
    assert_eq!(request.schedule_date, Some(at.timestamp() as i32));
    let queued = h.dc.scheduled_messages(Peer::User(1001));
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].text, "Later");
    assert_eq!(queued[0].date, at.timestamp() as i32);
    assert_eq!(v["messages"][0]["id"], queued[0].id);
    assert_eq!(
        v["messages"][0]["date"],
        at.with_timezone(&chrono::Utc)
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    );
    assert_eq!(
        h.dc.world().history(Peer::User(1001)).count(),
        history_before
    );
    // A date already past is refused before anything is sent.
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "@babbage", "message": "x", "schedule_date": "2020-01-01T00:00:00Z"}),
    )
    .await;
    assert!(err);
    assert_eq!(v["action"], "fix_arguments");
    assert!(v["error"].as_str().unwrap().contains("future"), "{v}");
    assert_eq!(h.dc.count_of::<tl::functions::messages::SendMessage>(), 1);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn save_as_draft_stores_and_clears_the_draft() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "@babbage", "message": "Not yet **sent**", "save_as_draft": true, "reply_to_id": 3}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(v["status"], "draft_saved");
    assert_eq!(v["draft_saved"], true);
    assert_eq!(v["messages"], json!([]));
    assert_eq!(v["chat"]["title"], "Charles Babbage");
    let saved = h.dc.requests_of::<tl::functions::messages::SaveDraft>();
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0].message, "Not yet sent");
    assert_eq!(
        entity_spans(saved[0].entities.as_ref().unwrap()),
        vec![("bold", 8, 4)]
    );
    let draft = h.dc.draft(Peer::User(1001)).expect("draft stored");
    assert_eq!(draft.message, "Not yet sent");
    assert!(
        matches!(draft.reply_to, Some(tl::enums::InputReplyTo::Message(ref m)) if m.reply_to_msg_id == 3)
    );
    assert!(
        h.dc.requests_of::<tl::functions::messages::SendMessage>()
            .is_empty()
    );
    // An empty message clears it.
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "@babbage", "message": "", "save_as_draft": true}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(v["status"], "draft_cleared");
    assert!(h.dc.draft(Peer::User(1001)).is_none());
    // Draft and schedule cannot go together; nothing reaches Telegram.
    let later = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "@babbage", "message": "x", "save_as_draft": true, "schedule_date": later}),
    )
    .await;
    assert!(err);
    assert_eq!(v["action"], "fix_arguments");
    assert_eq!(v["operation"], "send_message");
    assert!(
        v["error"].as_str().unwrap().contains("cannot be combined"),
        "{v}"
    );
    assert_eq!(h.dc.count_of::<tl::functions::messages::SaveDraft>(), 2);
    assert!(
        h.dc.requests_of::<tl::functions::messages::SendMessage>()
            .is_empty()
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn too_long_text_and_files_are_refused_before_sending() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    // 2049 emoji are 4098 UTF-16 units: over Telegram's 4096.
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "me", "message": "😀".repeat(2049)}),
    )
    .await;
    assert!(err);
    assert_eq!(v["action"], "fix_arguments");
    assert!(v["error"].as_str().unwrap().contains("4096"), "{v}");
    // Markup does not count towards the limit.
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "me", "message": format!("**{}**", "a".repeat(4096))}),
    )
    .await;
    assert!(!err, "{v}");
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "me", "message": "a".repeat(1025), "files": ["/tmp/a.png"]}),
    )
    .await;
    assert!(err);
    assert!(
        v["error"].as_str().unwrap().contains("1024"),
        "captions are shorter: {v}"
    );
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "me", "message": "see attached", "files": ["relative/a.png"]}),
    )
    .await;
    assert!(err);
    assert_eq!(v["error_code"], "FILE_SPEC_INVALID", "{v}");
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "me", "message": "   "}),
    )
    .await;
    assert!(err);
    assert!(v["error"].as_str().unwrap().contains("empty"), "{v}");
    assert_eq!(h.dc.count_of::<tl::functions::messages::SendMessage>(), 1);
    assert!(
        h.dc.requests_of::<tl::functions::messages::SendMedia>()
            .is_empty()
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_send_cut_off_by_a_dropped_connection_goes_again_with_the_same_random_id() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (err, _) = call(
        &client,
        "get_messages",
        json!({"chat_id": "me", "limit": 1}),
    )
    .await;
    assert!(!err);
    h.dc.inject(FaultRule::on("messages.sendMessage", FaultAction::Drop).times(1));
    let before = h.dc.world().history(Peer::User(1001)).count();
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "@babbage", "message": "once only"}),
    )
    .await;
    assert!(!err, "{v}");
    let sends = h.dc.requests_of::<tl::functions::messages::SendMessage>();
    assert_eq!(sends.len(), 2, "sent again after the drop");
    assert_eq!(sends[0].random_id, sends[1].random_id);
    assert_eq!(h.dc.world().history(Peer::User(1001)).count(), before + 1);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn writing_tools_are_listed_with_the_reference_parameters() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let tools = client.list_all_tools().await.unwrap();
    let expected: [(&str, &str, &[&str], &[&str]); 3] = [
        (
            "send_message",
            "Send message",
            &["chat_id", "message"],
            &[
                "chat_id",
                "message",
                "reply_to_id",
                "parse_mode",
                "files",
                "schedule_date",
                "save_as_draft",
                // Beyond the reference: forwarding (issue #17).
                "forward_from",
                "message_ids",
                "hide_author",
            ],
        ),
        (
            "edit_message",
            "Edit message",
            &["chat_id", "message", "message_id"],
            &[
                "chat_id",
                "message_id",
                "message",
                "parse_mode",
                "schedule_date",
            ],
        ),
        (
            "send_message_to_phone",
            "Send message to phone",
            &["message", "phone_number"],
            &[
                "phone_number",
                "message",
                "first_name",
                "last_name",
                "remove_if_new",
                "reply_to_msg_id",
                "parse_mode",
                "files",
                "schedule_date",
                "save_as_draft",
            ],
        ),
    ];
    for (name, title, required, params) in expected {
        let tool = tools
            .iter()
            .find(|t| t.name == name)
            .unwrap_or_else(|| panic!("{name} listed"));
        let description = tool.description.as_deref().unwrap_or_default();
        assert!(
            description.len() < 400,
            "{name}: {} bytes",
            description.len()
        );
        assert!(description.contains("as the user"), "{name}: {description}");
        let a = tool.annotations.as_ref().expect("annotations");
        assert_eq!(tool.title.as_deref(), Some(title));
        assert_eq!(a.destructive_hint, Some(true));
        // Open world is the protocol's default, left out of the list (tools::compact).
        assert_eq!(a.open_world_hint, None);
        // Writing is the protocol's default, left out of the list.
        assert_eq!(a.read_only_hint, None);
        // Not idempotent is the protocol's default, left out.
        assert_eq!(a.idempotent_hint, (name == "edit_message").then_some(true));
        assert!(tool.output_schema.is_some(), "{name} has an outputSchema");
        let schema = Value::Object((*tool.input_schema).clone());
        let mut req: Vec<&str> = schema["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        req.sort();
        assert_eq!(req, required, "{name}");
        let props = schema["properties"].as_object().unwrap();
        let mut names: Vec<&str> = props.keys().map(String::as_str).collect();
        let mut want = params.to_vec();
        names.sort();
        want.sort();
        assert_eq!(names, want, "{name}");
        let parse_mode = serde_json::to_string(&props["parse_mode"]).unwrap()
            + &serde_json::to_string(&schema.get("$defs")).unwrap();
        for mode in ["markdown", "html", "auto", "rich"] {
            assert!(
                parse_mode.contains(&format!("\"{mode}\"")),
                "{name}: {parse_mode}"
            );
        }
        assert_eq!(props["parse_mode"]["default"], "auto", "{name}: {schema}");
    }
    client.cancel().await.unwrap();
}

// ---- The media path of the facade (`src/telegram/send.rs`), driven directly: the tool's
// `files` argument waits for the file layer, which will call exactly these functions. ----

mod media {
    use std::io::Cursor;

    use fast_mcp_telegram::config::{Config, LogLevel, SessionLocation};
    use fast_mcp_telegram::format::{self, ParseMode};
    use fast_mcp_telegram::telegram::Telegram;
    use fast_mcp_telegram::telegram::upload::LocalFile;
    use grammers_tl_types as tl;

    use testkit::harness::Harness;
    use testkit::world::Peer;

    async fn facade(h: &Harness) -> Telegram {
        let config = Config {
            api_id: 12345,
            api_hash: "0123456789abcdef0123456789abcdef".into(),
            session: SessionLocation {
                dir: h.session_dir().to_path_buf(),
                name: "telegram".into(),
            },
            log_level: LogLevel::Info,
            proxy: None,
        };
        Telegram::start(&config, std::time::Duration::from_secs(10))
            .await
            .expect("facade starts")
    }

    /// A PNG header for a `w`×`h` image, padded with varying bytes to `len`.
    fn png(w: u32, h: u32, len: usize) -> Vec<u8> {
        let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
        bytes.extend(13u32.to_be_bytes());
        bytes.extend(b"IHDR");
        bytes.extend(w.to_be_bytes());
        bytes.extend(h.to_be_bytes());
        bytes.extend([8, 2, 0, 0, 0, 0, 0, 0, 0]);
        let pad = len - bytes.len();
        bytes.extend((0..pad).map(|i| (i * 7 + i / 977) as u8));
        bytes
    }

    fn file(bytes: &[u8], name: &str, mime: &str) -> LocalFile<Cursor<Vec<u8>>> {
        LocalFile {
            reader: Cursor::new(bytes.to_vec()),
            size: bytes.len(),
            name: name.into(),
            mime: mime.into(),
        }
    }

    #[tokio::test]
    async fn one_photo_is_uploaded_in_parts_and_sent_with_its_caption() {
        let h = Harness::signed_in().await;
        let tg = facade(&h).await;
        let chat = tg.resolve("@babbage").await.unwrap();
        let target = tg.target(chat, Some(4)).await.unwrap();
        // Over one 512 KiB part.
        let bytes = png(800, 600, 700 * 1024);
        let media = tg
            .upload_files(vec![file(&bytes, "chart.png", "image/png")])
            .await
            .unwrap();
        let caption = format::format("The **chart**", ParseMode::Auto);
        let sent = tg.send_media(&target, &caption, media, None).await.unwrap();
        assert_eq!(sent.messages.len(), 1);
        let message = &sent.messages[0];
        assert_eq!(message.text, "The chart");
        assert_eq!(message.media.as_ref().unwrap().kind, "photo");
        assert_eq!(message.reply_to_msg_id, Some(4));
        assert_eq!(
            h.dc.uploaded_bytes(Peer::User(1001), message.id).unwrap(),
            bytes
        );
        let request =
            h.dc.requests_of::<tl::functions::messages::SendMedia>()
                .pop()
                .unwrap();
        assert!(matches!(
            request.media,
            tl::enums::InputMedia::UploadedPhoto(_)
        ));
        assert_eq!(
            request.entities,
            Some(vec![
                tl::types::MessageEntityBold {
                    offset: 4,
                    length: 5
                }
                .into()
            ])
        );
        assert!(h.dc.count_of::<tl::functions::upload::SaveFilePart>() >= 2);
        tg.shutdown().await;
    }

    #[tokio::test]
    async fn mixed_files_go_as_an_album_of_documents_with_the_caption_first() {
        let h = Harness::signed_in().await;
        let tg = facade(&h).await;
        let chat = tg.resolve("me").await.unwrap();
        let target = tg.target(chat, None).await.unwrap();
        let image = png(64, 64, 4096);
        let pdf = b"%PDF-1.4 notes".to_vec();
        let media = tg
            .upload_files(vec![
                file(&image, "a.png", "image/png"),
                file(&pdf, "notes.pdf", "application/pdf"),
            ])
            .await
            .unwrap();
        let caption = format::format("Both files", ParseMode::Auto);
        let sent = tg.send_media(&target, &caption, media, None).await.unwrap();
        assert_eq!(sent.messages.len(), 2);
        assert_eq!(sent.messages[0].text, "Both files");
        assert_eq!(sent.messages[1].text, "");
        assert!(sent.messages[0].grouped_id.is_some());
        assert_eq!(sent.messages[0].grouped_id, sent.messages[1].grouped_id);
        assert_eq!(
            sent.messages[1].media.as_ref().unwrap().filename.as_deref(),
            Some("notes.pdf")
        );
        assert_eq!(h.dc.count_of::<tl::functions::messages::UploadMedia>(), 2);
        let album =
            h.dc.requests_of::<tl::functions::messages::SendMultiMedia>()
                .pop()
                .unwrap();
        assert_eq!(album.multi_media.len(), 2);
        for item in &album.multi_media {
            let tl::enums::InputSingleMedia::Media(item) = item;
            assert!(
                matches!(item.media, tl::enums::InputMedia::Document(_)),
                "{:?}",
                item.media
            );
        }
        assert_eq!(
            h.dc.uploaded_bytes(Peer::User(1000), sent.messages[1].id)
                .unwrap(),
            pdf
        );
        tg.shutdown().await;
    }

    #[tokio::test]
    async fn an_image_refused_as_a_photo_goes_again_as_a_file() {
        let h = Harness::signed_in().await;
        let tg = facade(&h).await;
        let chat = tg.resolve("me").await.unwrap();
        let target = tg.target(chat, None).await.unwrap();
        // 1×100: too narrow for a photo.
        let strip = png(1, 100, 2048);
        let media = tg
            .upload_files(vec![file(&strip, "strip.png", "image/png")])
            .await
            .unwrap();
        let sent = tg
            .send_media(&target, &format::format("", ParseMode::Auto), media, None)
            .await
            .unwrap();
        assert_eq!(sent.messages[0].media.as_ref().unwrap().kind, "document");
        let sends = h.dc.requests_of::<tl::functions::messages::SendMedia>();
        assert_eq!(sends.len(), 2);
        assert!(matches!(
            sends[1].media,
            tl::enums::InputMedia::UploadedDocument(_)
        ));
        assert_ne!(sends[0].random_id, sends[1].random_id);
        // Uploaded once, reused.
        assert_eq!(
            h.dc.uploaded_bytes(Peer::User(1000), sent.messages[0].id)
                .unwrap(),
            strip
        );
        tg.shutdown().await;
    }
}

#[tokio::test]
async fn a_message_link_as_chat_id_sends_only_with_a_reply_to_id_that_agrees() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    // Alone, a link to a message, a topic's message or a comment is not taken for its chat:
    // the post would land in the chat at large, the General topic or the channel itself.
    let cases = [
        (
            "https://t.me/rust_learners/4",
            "add reply_to_id 4 answers it; to post in the chat at large, give chat_id \"@rust_learners\"",
        ),
        (
            "https://t.me/c/1000000004/10/12",
            "reply_to_id 10 posts in that topic or thread, reply_to_id 12 answers the message; \
             to post in the chat at large, give chat_id \"-1001000000004\"",
        ),
        (
            "https://t.me/engine_news/1?comment=3",
            "add reply_to_id 1 comments under the post",
        ),
    ];
    for (link, expected) in cases {
        let (err, v) = call(
            &client,
            "send_message",
            json!({"chat_id": link, "message": "Hello"}),
        )
        .await;
        assert!(err, "{link}: {v}");
        assert_eq!(v["action"], "fix_arguments", "{v}");
        assert!(
            v["error"].as_str().unwrap().contains(expected),
            "{link}: {v}"
        );
    }
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "https://t.me/rust_learners/4", "message": "Hello", "reply_to_id": 3}),
    )
    .await;
    assert!(err, "{v}");
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("chat_id links to message 4 but reply_to_id is 3"),
        "{v}"
    );
    assert_eq!(
        h.dc.count_of::<tl::functions::messages::SendMessage>(),
        0,
        "nothing sent"
    );
    // With a reply_to_id that agrees, the link names the chat and the reply routes as usual.
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "https://t.me/rust_learners/4", "message": "Use a scope.", "reply_to_id": 4}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(v["chat"]["id"], -1001000000001i64);
    assert_eq!(reply_of(&last_send(&h)), (4, None));
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "t.me/c/1000000004/10/12", "message": "Cards it is.", "reply_to_id": 10}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(reply_of(&last_send(&h)), (10, Some(10)));
    assert_eq!(v["messages"][0]["topic_id"], 10);
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "https://t.me/engine_news/1?comment=3", "message": "Yes!", "reply_to_id": 1}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(
        v["comment_on"],
        json!({"channel_id": -1001000000002i64, "post_id": 1})
    );
    assert_eq!(v["chat"]["id"], -1001000000003i64);
    // A link to the chat itself is the chat, as always.
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "https://t.me/rust_learners", "message": "Hi all"}),
    )
    .await;
    assert!(!err, "{v}");
    assert!(last_send(&h).reply_to.is_none());
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_closed_topic_refuses_a_post_with_topic_closed_and_nothing_is_retried() {
    use testkit::world::{FORUM, sample_with_closed_topics};
    let h = Harness::with(sample_with_closed_topics(&[1, 10, 20], false), true).await;
    let client = h.client().await;
    let forum = Peer::Channel(1_000_000_004);
    let before = h.history_len(forum);
    for (reply_to_id, topic) in [
        (Some(10), "forum topic 10 is closed"),
        (Some(12), "the forum topic of message 12 is closed"),
        (None, "the forum's General topic is closed"),
    ] {
        let sends = h.dc.count_of::<tl::functions::messages::SendMessage>();
        let mut args = json!({"chat_id": FORUM.to_string(), "message": "Anyone?"});
        if let Some(id) = reply_to_id {
            args["reply_to_id"] = id.into();
        }
        let (err, v) = call(&client, "send_message", args).await;
        assert!(err, "{v}");
        assert_eq!(v["error_code"], "TOPIC_CLOSED", "{v}");
        assert_eq!(v["action"], "fix_arguments", "{v}");
        let error = v["error"].as_str().unwrap();
        assert!(error.contains(topic), "{error}");
        assert!(
            error.contains("only its creator and the group's admins"),
            "{error}"
        );
        assert_eq!(
            h.dc.count_of::<tl::functions::messages::SendMessage>(),
            sends + 1,
            "asked once, not retried"
        );
    }
    assert_eq!(h.history_len(forum), before, "nothing was posted");
    // The topic the user started takes their posts, closed or not.
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": FORUM.to_string(), "message": "1.0 is out.", "reply_to_id": 20}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(v["messages"][0]["topic_id"], 20);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn the_forums_creator_posts_in_a_closed_topic() {
    use testkit::world::{FORUM, sample_with_closed_topics};
    let h = Harness::with(sample_with_closed_topics(&[10], true), true).await;
    let client = h.client().await;
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": FORUM.to_string(), "message": "Reopening soon.", "reply_to_id": 10}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(v["messages"][0]["topic_id"], 10);
    client.cancel().await.unwrap();
}
