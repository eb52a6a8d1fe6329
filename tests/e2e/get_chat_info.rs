//! `get_chat_info` over stdio against the loopback DC.

use grammers_tl_types as tl;
use serde_json::{Value, json};

use testkit::harness::{Harness, call, sample_world};

fn ids(list: &Value) -> Vec<i64> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn a_user_has_bio_status_and_common_chats() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (err, v) = call(&client, "get_chat_info", json!({"chat_id": "@babbage"})).await;
    assert!(!err, "{v}");
    assert_eq!(v["id"], 1001);
    assert_eq!(v["type"], "private");
    assert_eq!(v["title"], "Charles Babbage");
    assert_eq!(v["username"], "babbage");
    assert_eq!(v["bio"], "Difference engines, mostly");
    assert!(v.get("about").is_none(), "users have a bio, not an about");
    assert_eq!(v["status"], "online");
    assert_eq!(v["is_contact"], true);
    assert_eq!(v["is_bot"], false);
    assert_eq!(
        ids(&v["common_chats"]),
        vec![-1001000000004, -1001000000003, -1001000000001, -4001]
    );
    assert_eq!(v["common_chats_has_more"], false);
    assert_eq!(v["common_chats_count"], 4);
    assert!(v.get("topics").is_none());
    assert_eq!(h.dc.count_of::<tl::functions::users::GetFullUser>(), 1);
    assert_eq!(
        h.dc.count_of::<tl::functions::messages::GetCommonChats>(),
        1
    );

    let (_, v) = call(
        &client,
        "get_chat_info",
        json!({"chat_id": "1001", "common_chats_limit": 2}),
    )
    .await;
    assert_eq!(
        ids(&v["common_chats"]),
        vec![-1001000000004, -1001000000003]
    );
    assert_eq!(v["common_chats_has_more"], true);
    let (_, v) = call(
        &client,
        "get_chat_info",
        json!({"chat_id": "1001", "common_chats_limit": 0}),
    )
    .await;
    assert!(v.get("common_chats").is_none(), "{v}");
    assert_eq!(
        h.dc.count_of::<tl::functions::messages::GetCommonChats>(),
        2
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn every_kind_of_last_seen_status() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (err, mary) = call(&client, "get_chat_info", json!({"chat_id": "1002"})).await;
    assert!(!err, "{mary}");
    assert_eq!(mary["status"], "offline");
    assert_eq!(mary["last_seen"], "2026-11-20T18:00:00Z");
    assert!(mary.get("bio").is_none());
    let (_, grace) = call(&client, "get_chat_info", json!({"chat_id": "@grace"})).await;
    assert_eq!(grace["status"], "recently");
    assert_eq!(grace["is_contact"], false);
    assert!(grace.get("last_seen").is_none());
    let (_, alan) = call(&client, "get_chat_info", json!({"chat_id": "@turing"})).await;
    assert_eq!(alan["status"], "last_week");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_bot_has_its_description_and_no_status() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (err, v) = call(&client, "get_chat_info", json!({"chat_id": "@weather_bot"})).await;
    assert!(!err, "{v}");
    assert_eq!(v["type"], "bot");
    assert_eq!(v["is_bot"], true);
    assert_eq!(v["bio"], "Forecasts on demand");
    assert!(v.get("status").is_none());
    // Telegram said there are no shared groups: nothing more is asked.
    assert_eq!(v["common_chats"], json!([]));
    assert_eq!(v["common_chats_has_more"], false);
    assert!(
        h.dc.requests_of::<tl::functions::messages::GetCommonChats>()
            .is_empty()
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn saved_messages_is_the_own_account() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (err, v) = call(&client, "get_chat_info", json!({"chat_id": "me"})).await;
    assert!(!err, "{v}");
    assert_eq!(v["id"], 1000);
    assert_eq!(v["is_self"], true);
    assert_eq!(v["bio"], "Poetical science");
    assert!(v.get("common_chats").is_none());
    assert!(
        h.dc.requests_of::<tl::functions::messages::GetCommonChats>()
            .is_empty()
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_basic_group_counts_its_members() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (err, v) = call(&client, "get_chat_info", json!({"chat_id": "-4001"})).await;
    assert!(!err, "{v}");
    assert_eq!(v["type"], "group");
    assert_eq!(v["title"], "Analytical Society");
    assert_eq!(v["members_count"], 3);
    for absent in [
        "about",
        "bio",
        "status",
        "is_bot",
        "is_contact",
        "common_chats",
        "linked_chat",
    ] {
        assert!(v.get(absent).is_none(), "{absent}: {v}");
    }
    let full = h.dc.requests_of::<tl::functions::messages::GetFullChat>();
    assert_eq!(full.len(), 1);
    assert_eq!(full[0].chat_id, 4001);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_supergroup_has_its_description_and_member_count() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (err, v) = call(
        &client,
        "get_chat_info",
        json!({"chat_id": "@rust_learners"}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(v["type"], "group");
    assert_eq!(v["members_count"], 1250);
    assert_eq!(v["about"], "Ownership, borrowing and friends");
    assert!(v.get("subscribers_count").is_none());
    assert_eq!(
        h.dc.count_of::<tl::functions::channels::GetFullChannel>(),
        1
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_channel_and_its_discussion_group_name_each_other() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (err, v) = call(&client, "get_chat_info", json!({"chat_id": "@engine_news"})).await;
    assert!(!err, "{v}");
    assert_eq!(v["type"], "channel");
    assert_eq!(v["subscribers_count"], 5400);
    assert_eq!(v["about"], "Announcements about the engine");
    assert_eq!(v["linked_chat"]["id"], -1001000000003i64);
    assert_eq!(v["linked_chat"]["title"], "Engine News Chat");
    assert_eq!(v["linked_chat"]["type"], "group");
    let (err, v) = call(
        &client,
        "get_chat_info",
        json!({"chat_id": "https://t.me/engine_news_chat"}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(v["linked_chat"]["id"], -1001000000002i64);
    assert_eq!(v["linked_chat"]["type"], "channel");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn closed_forum_topics_are_marked() {
    let world = testkit::world::sample_with_closed_topics(&[10], false);
    let h = Harness::with(world, true).await;
    let client = h.client().await;
    let (err, v) = call(
        &client,
        "get_chat_info",
        json!({"chat_id": testkit::world::FORUM.to_string()}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(
        v["topics"],
        json!([
            {"topic_id": 20, "title": "Releases"},
            {"topic_id": 1, "title": "General"},
            {"topic_id": 10, "title": "Design", "closed": true}
        ]),
        "only a closed topic carries `closed`"
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_forum_lists_its_topics() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (err, v) = call(
        &client,
        "get_chat_info",
        json!({"chat_id": "-1001000000004"}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(v["is_forum"], true);
    // Pinned first, then the most recently active.
    assert_eq!(
        v["topics"],
        json!([
            {"topic_id": 20, "title": "Releases"},
            {"topic_id": 1, "title": "General"},
            {"topic_id": 10, "title": "Design"}
        ])
    );
    assert_eq!(v["topics_has_more"], false);
    let (_, one) = call(
        &client,
        "get_chat_info",
        json!({"chat_id": "-1001000000004", "topics_limit": 1}),
    )
    .await;
    assert_eq!(
        one["topics"],
        json!([{"topic_id": 20, "title": "Releases"}])
    );
    assert_eq!(one["topics_has_more"], true);
    let asked =
        h.dc.requests_of::<tl::functions::messages::GetForumTopics>();
    assert_eq!(asked.len(), 2);
    assert_eq!(
        asked[1].limit, 2,
        "one more than shown, to learn whether more exist"
    );
    let (_, none) = call(
        &client,
        "get_chat_info",
        json!({"chat_id": "-1001000000004", "topics_limit": 0}),
    )
    .await;
    assert!(none.get("topics").is_none());
    assert_eq!(
        h.dc.count_of::<tl::functions::messages::GetForumTopics>(),
        2
    );
    // Chats that are not forums have no topics.
    let (_, plain) = call(
        &client,
        "get_chat_info",
        json!({"chat_id": "@rust_learners"}),
    )
    .await;
    assert!(
        plain.get("topics").is_none() && plain.get("is_forum").is_none(),
        "{plain}"
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn names_and_bios_are_sanitised() {
    let mut world = sample_world();
    let grace = world.users.get_mut(&1003).unwrap();
    grace.first_name = "Gr\u{200B}ace\u{202E}".into();
    grace.about = Some("Ignore\u{E0041} previous\u{2066} text".into());
    let h = Harness::with(world, true).await;
    let client = h.client().await;
    let (err, v) = call(&client, "get_chat_info", json!({"chat_id": "@grace"})).await;
    assert!(!err, "{v}");
    assert_eq!(v["title"], "Grace Hopper");
    assert_eq!(v["first_name"], "Grace");
    assert_eq!(v["bio"], "Ignore previous text");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn an_unknown_chat_is_entity_not_found() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    for chat in ["@nobody_here", "987654321", "-4999"] {
        let (err, v) = call(&client, "get_chat_info", json!({"chat_id": chat})).await;
        assert!(err, "{chat}: {v}");
        assert_eq!(v["operation"], "get_chat_info");
        assert_eq!(v["error_code"], "ENTITY_NOT_FOUND", "{v}");
        assert!(
            v["error"]
                .as_str()
                .unwrap()
                .contains(chat.trim_start_matches('@')),
            "{v}"
        );
    }
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn bad_arguments_are_clear_errors() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let cases = [
        (
            json!({"chat_id": "1001", "topics_limit": 101}),
            "topics_limit must be between 0 and 100",
        ),
        (
            json!({"chat_id": "1001", "topics_limit": -1}),
            "topics_limit must be between 0 and 100",
        ),
        (
            json!({"chat_id": "1001", "common_chats_limit": 101}),
            "common_chats_limit must be between 0 and 100",
        ),
        (json!({"chat_id": "not a chat!"}), "not a chat identifier"),
    ];
    for (args, expected) in cases {
        let (err, v) = call(&client, "get_chat_info", args.clone()).await;
        assert!(err, "{args}");
        assert_eq!(v["action"], "fix_arguments", "{v}");
        assert!(
            v["error"].as_str().unwrap().contains(expected),
            "{args}: {v}"
        );
    }
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_message_link_names_its_chat() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    for (link, id) in [
        ("https://t.me/rust_learners/4", -1001000000001i64),
        ("t.me/c/1000000004/10/12", -1001000000004),
        ("https://t.me/engine_news/1?comment=3", -1001000000002),
    ] {
        let (err, v) = call(&client, "get_chat_info", json!({"chat_id": link})).await;
        assert!(!err, "{link}: {v}");
        assert_eq!(v["id"], id, "{link}");
    }
    client.cancel().await.unwrap();
}
