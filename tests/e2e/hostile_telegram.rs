//! Telegram's answers are untrusted: names and texts full of control and bidi characters come
//! out as clean JSON, and entities that run past the text or nest badly never panic.

use serde_json::{Value, json};

use testkit::harness::{Harness, call};
use testkit::world::World;

fn hostile_world() -> World {
    let mut world: Value = testkit::world::sample_json();
    let long = "Ж\u{202E}".repeat(5000); // 10 000 characters with bidi overrides
    let controls: String = (0u8..32).map(char::from).collect();
    for user in world["users"].as_array_mut().unwrap() {
        user["first_name"] = json!(format!("{controls}\u{2066}evil\u{2069}{long}"));
        user["last_name"] = json!("\u{200F}\u{FEFF}\u{E0001}");
    }
    if let Some(chats) = world["chats"].as_array_mut() {
        for chat in chats {
            chat["title"] = json!(format!("\u{0000}\u{001B}[31m{long}"));
        }
    }
    for message in world["messages"].as_array_mut().unwrap() {
        message["text"] = json!(format!("a\u{0000}b\u{202E}c{}", "🦀".repeat(3000)));
    }
    World::from_json(world).unwrap()
}

#[tokio::test]
async fn reliability_hostile_names_and_texts_from_telegram_give_clean_json() {
    let h = Harness::with(hostile_world(), true).await;
    let client = h.client().await;
    let reads = [
        ("find_chats", json!({"query": "rust"})),
        ("find_chats", json!({})),
        ("get_chat_info", json!({"chat_id": "1001"})),
        ("get_chat_info", json!({"chat_id": "@rust_learners"})),
        ("get_messages", json!({"chat_id": "1001", "limit": 10})),
        (
            "get_messages",
            json!({"chat_id": "@rust_learners", "limit": 10}),
        ),
        ("search_messages_globally", json!({"query": "a"})),
    ];
    for (tool, args) in reads {
        let (err, v) = call(&client, tool, args.clone()).await;
        let text = serde_json::to_string(&v).unwrap();
        assert!(
            !text.contains('\u{202E}') && !text.contains('\u{0000}') && !text.contains('\u{1B}'),
            "{tool} {args}: control or bidi characters leaked"
        );
        if err {
            assert_eq!(v["ok"], false, "{tool}: {v}");
        }
    }
    let (err, v) = call(&client, "get_messages", json!({"chat_id": "me"})).await;
    assert!(!err, "still serving: {v}");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn reliability_entities_past_the_text_end_and_badly_nested_do_not_panic() {
    let mut world: Value = testkit::world::sample_json();
    world["messages"][0]["text"] = json!("short");
    world["messages"][0]["entities"] = json!([
        {"type": "bold", "offset": 3, "length": 500},
        {"type": "italic", "offset": 1000, "length": 5},
        {"type": "text_url", "offset": 0, "length": 2, "url": "\u{202E}javascript:alert(1)"},
        {"type": "code", "offset": 2, "length": 1},
        {"type": "mention_name", "offset": 4, "length": 2147483647, "user_id": 999}
    ]);
    let h = Harness::with(World::from_json(world).unwrap(), true).await;
    let client = h.client().await;
    let (err, v) = call(
        &client,
        "get_messages",
        json!({"chat_id": "1001", "message_ids": [1]}),
    )
    .await;
    if err {
        assert_eq!(v["ok"], false, "{v}");
    } else {
        assert_eq!(v["messages"][0]["text"], "short", "{v}");
    }
    client.cancel().await.unwrap();
}
