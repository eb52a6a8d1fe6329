//! `edit_message` over stdio against the loopback DC: own messages, Saved Messages, channel
//! posts, rescheduling, and Telegram's refusals with their error codes.

use grammers_tl_types as tl;
use serde_json::json;

use testkit::harness::{Harness, call};
use testkit::world::Peer;

fn last_edit(h: &Harness) -> tl::functions::messages::EditMessage {
    h.dc.requests_of::<tl::functions::messages::EditMessage>()
        .pop()
        .expect("a messages.editMessage")
}

#[tokio::test]
async fn edits_a_message_just_sent_with_new_formatting() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "@babbage", "message": "first try"}),
    )
    .await;
    assert!(!err, "{v}");
    let id = v["message_id"].as_i64().unwrap() as i32;
    let (err, v) = call(
        &client,
        "edit_message",
        json!({"chat_id": "@babbage", "message_id": id, "message": "💡 **final** text"}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(v["status"], "edited");
    assert_eq!(v["message_id"], id);
    assert_eq!(v["parsed_as"], "markdown");
    assert_eq!(v["chat"]["title"], "Charles Babbage");
    let message = &v["messages"][0];
    assert_eq!(message["id"], id);
    assert_eq!(message["text"], "💡 final text");
    assert!(message["edit_date"].is_string(), "{v}");
    let request = last_edit(&h);
    assert_eq!(request.id, id);
    assert_eq!(request.message.as_deref(), Some("💡 final text"));
    assert_eq!(
        request.entities,
        Some(vec![
            tl::types::MessageEntityBold {
                offset: 3,
                length: 5
            }
            .into()
        ])
    );
    assert!(request.schedule_date.is_none());
    let stored = h.dc.world().message(Peer::User(1001), id).cloned().unwrap();
    assert_eq!(stored.text, "💡 final text");
    assert!(stored.edit_date.is_some());
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn edits_saved_messages_and_own_channel_posts_with_html() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (err, v) = call(
        &client,
        "edit_message",
        json!({"chat_id": "me", "message_id": 14, "message": "Reminder: <b>renew</b> library card", "parse_mode": "html"}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(v["messages"][0]["text"], "Reminder: renew library card");
    assert_eq!(
        last_edit(&h).entities,
        Some(vec![
            tl::types::MessageEntityBold {
                offset: 10,
                length: 5
            }
            .into()
        ])
    );
    assert_eq!(
        h.dc.world().message(Peer::User(1000), 14).unwrap().text,
        "Reminder: renew library card"
    );
    // A post of a channel the user created, however old.
    let (err, v) = call(
        &client,
        "edit_message",
        json!({"chat_id": "@engine_news", "message_id": 1, "message": "Engine v1.0 released! (see notes)"}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(v["chat"]["title"], "Engine News");
    assert_eq!(v["messages"][0]["link"], "https://t.me/engine_news/1");
    assert_eq!(
        h.dc.world()
            .message(Peer::Channel(1_000_000_002), 1)
            .unwrap()
            .text,
        "Engine v1.0 released! (see notes)"
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn refusals_come_back_with_their_error_code() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    // Someone else's message.
    let (err, v) = call(
        &client,
        "edit_message",
        json!({"chat_id": "@babbage", "message_id": 1, "message": "rewritten"}),
    )
    .await;
    assert!(err);
    assert_eq!(v["error_code"], "MESSAGE_AUTHOR_REQUIRED");
    assert_eq!(v["operation"], "edit_message");
    assert_eq!(
        h.dc.world().message(Peer::User(1001), 1).unwrap().edit_date,
        None
    );
    // The same text again.
    let (err, v) = call(
        &client,
        "edit_message",
        json!({"chat_id": "me", "message_id": 14, "message": "Reminder: renew library card"}),
    )
    .await;
    assert!(err);
    assert_eq!(v["error_code"], "MESSAGE_NOT_MODIFIED");
    // An own message older than Telegram's 48-hour window.
    {
        let mut world = h.dc.world();
        let mut old = world.message(Peer::User(1001), 2).cloned().unwrap();
        old.date = (chrono::Utc::now() - chrono::Duration::days(3)).timestamp() as i32;
        world.insert(old);
    }
    let (err, v) = call(
        &client,
        "edit_message",
        json!({"chat_id": "@babbage", "message_id": 2, "message": "too late"}),
    )
    .await;
    assert!(err);
    assert_eq!(v["error_code"], "MESSAGE_EDIT_TIME_EXPIRED");
    // Bad arguments never reach Telegram.
    let edits = h.dc.count_of::<tl::functions::messages::EditMessage>();
    for args in [
        json!({"chat_id": "me", "message_id": 0, "message": "x"}),
        json!({"chat_id": "me", "message_id": 14, "message": " "}),
        json!({"chat_id": "me", "message_id": 14, "message": "x".repeat(4097)}),
        json!({"chat_id": "me", "message_id": 14, "message": "x", "schedule_date": "yesterday"}),
    ] {
        let (err, v) = call(&client, "edit_message", args).await;
        assert!(err);
        assert_eq!(v["action"], "fix_arguments", "{v}");
    }
    assert_eq!(
        h.dc.count_of::<tl::functions::messages::EditMessage>(),
        edits
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn schedule_date_reschedules_a_scheduled_message() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let first = chrono::Utc::now() + chrono::Duration::days(1);
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "1002", "message": "See you tomorrow", "schedule_date": first.to_rfc3339()}),
    )
    .await;
    assert!(!err, "{v}");
    let id = v["message_id"].as_i64().unwrap() as i32;
    let later = first + chrono::Duration::days(1);
    let (err, v) = call(
        &client,
        "edit_message",
        json!({"chat_id": "1002", "message_id": id, "message": "See you __the day after__", "schedule_date": later.to_rfc3339()}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(v["status"], "edited");
    assert_eq!(v["scheduled"], true);
    assert_eq!(last_edit(&h).schedule_date, Some(later.timestamp() as i32));
    let queued = h.dc.scheduled_messages(Peer::User(1002));
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].text, "See you the day after");
    assert_eq!(queued[0].date, later.timestamp() as i32);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_message_link_as_chat_id_edits_only_the_message_it_links_to() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let cases = [
        (
            json!({"chat_id": "https://t.me/rust_learners/4", "message_id": 5, "message": "x"}),
            "chat_id links to message 4 but message_id is 5: give the chat alone (\"@rust_learners\")",
        ),
        (
            json!({"chat_id": "https://t.me/engine_news/1?comment=3", "message_id": 3, "message": "x"}),
            "a comment is edited in the channel's discussion group",
        ),
    ];
    for (args, expected) in cases {
        let (err, v) = call(&client, "edit_message", args.clone()).await;
        assert!(err, "{args}: {v}");
        assert_eq!(v["action"], "fix_arguments", "{v}");
        assert!(
            v["error"].as_str().unwrap().contains(expected),
            "{args}: {v}"
        );
    }
    assert_eq!(h.dc.count_of::<tl::functions::messages::EditMessage>(), 0);
    let (err, v) = call(
        &client,
        "edit_message",
        json!({"chat_id": "https://t.me/engine_news/1", "message_id": 1, "message": "Engine v1.0 is out!"}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(v["messages"][0]["text"], "Engine v1.0 is out!");
    let stored =
        h.dc.world()
            .message(Peer::Channel(1_000_000_002), 1)
            .cloned()
            .unwrap();
    assert_eq!(stored.text, "Engine v1.0 is out!");
    client.cancel().await.unwrap();
}
