//! `search_messages_globally` over stdio against the loopback DC.

use grammers_tl_types as tl;
use serde_json::{Value, json};

use testkit::harness::{Harness, call};

fn keys(v: &Value) -> Vec<(i64, i64)> {
    v["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["chat"]["id"].as_i64().unwrap(), m["id"].as_i64().unwrap()))
        .collect()
}

#[tokio::test]
async fn one_term_searches_every_chat_newest_first_with_its_chat() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (err, v) = call(
        &client,
        "search_messages_globally",
        json!({"query": "engine", "include_total_count": true}),
    )
    .await;
    assert!(!err, "{v}");
    let dates: Vec<&str> = v["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["date"].as_str().unwrap())
        .collect();
    let mut sorted = dates.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, sorted, "newest first");
    assert!(
        v["messages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m.get("chat").is_some())
    );
    assert_eq!(v["total_count"], v["messages"].as_array().unwrap().len());
    let requests = h.dc.requests_of::<tl::functions::messages::SearchGlobal>();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].q, "engine");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn several_terms_run_separately_and_merge_without_duplicates() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (_, both) = call(
        &client,
        "search_messages_globally",
        json!({"query": "engine, release", "limit": 100}),
    )
    .await;
    let (_, engine) = call(
        &client,
        "search_messages_globally",
        json!({"query": "engine", "limit": 100}),
    )
    .await;
    let (_, release) = call(
        &client,
        "search_messages_globally",
        json!({"query": "release", "limit": 100}),
    )
    .await;
    let mut expected: Vec<(i64, i64)> = keys(&engine);
    for k in keys(&release) {
        if !expected.contains(&k) {
            expected.push(k);
        }
    }
    let got = keys(&both);
    assert_eq!(got.len(), expected.len(), "no duplicates, nothing lost");
    for k in &expected {
        assert!(got.contains(k), "{k:?}");
    }
    let queries: Vec<String> =
        h.dc.requests_of::<tl::functions::messages::SearchGlobal>()
            .iter()
            .map(|r| r.q.clone())
            .collect();
    assert!(
        queries[..2].contains(&"engine".to_string())
            && queries[..2].contains(&"release".to_string()),
        "{queries:?}"
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn the_cursor_continues_without_loss_or_repetition() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (_, all) = call(
        &client,
        "search_messages_globally",
        json!({"query": "engine", "limit": 100}),
    )
    .await;
    let everything = keys(&all);
    assert!(everything.len() >= 5, "{all}");
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..20 {
        let mut args = json!({"query": "engine", "limit": 2});
        if let Some(c) = &cursor {
            args["cursor"] = json!(c);
        }
        let (err, v) = call(&client, "search_messages_globally", args).await;
        assert!(!err, "{v}");
        paged.extend(keys(&v));
        match v.get("next_cursor").and_then(Value::as_str) {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(paged, everything);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn chat_type_public_and_dates_filter() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (_, channels) = call(
        &client,
        "search_messages_globally",
        json!({"query": "engine", "chat_type": "channel"}),
    )
    .await;
    assert!(!keys(&channels).is_empty());
    assert!(
        channels["messages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["chat"]["type"] == "channel")
    );
    let last =
        h.dc.requests_of::<tl::functions::messages::SearchGlobal>()
            .pop()
            .unwrap();
    assert!(
        last.broadcasts_only,
        "one kind is narrowed by Telegram itself"
    );
    let (_, private) = call(
        &client,
        "search_messages_globally",
        json!({"query": "engine", "chat_type": "private,group", "public": false}),
    )
    .await;
    for m in private["messages"].as_array().unwrap() {
        let kind = m["chat"]["type"].as_str().unwrap();
        assert!(kind == "private" || kind == "group", "{m}");
        if kind == "group" {
            assert!(m["chat"].get("username").is_none(), "{m}");
        }
    }
    let (_, dated) = call(
        &client,
        "search_messages_globally",
        json!({"query": "engine", "min_date": "2026-11-20", "max_date": "2026-11-21"}),
    )
    .await;
    for m in dated["messages"].as_array().unwrap() {
        assert!(m["date"].as_str().unwrap().starts_with("2026-11-2"), "{m}");
    }
    let last =
        h.dc.requests_of::<tl::functions::messages::SearchGlobal>()
            .pop()
            .unwrap();
    assert_eq!(last.min_date, 1_795_132_800);
    assert_eq!(last.max_date, 1_795_132_800 + 2 * 86_400 - 1);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn bad_arguments_are_clear_errors() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    for (args, expected) in [
        (json!({"query": " , "}), "query is empty"),
        (json!({"query": "x", "chat_type": "robots"}), "chat_type"),
        (json!({"query": "x", "limit": 1000}), "limit"),
        (json!({"query": "x", "cursor": "garbage"}), "cursor"),
        (json!({"query": "x", "max_date": "soon"}), "max_date"),
    ] {
        let (err, v) = call(&client, "search_messages_globally", args.clone()).await;
        assert!(err, "{args}");
        assert_eq!(v["action"], "fix_arguments");
        assert!(
            v["error"].as_str().unwrap().contains(expected),
            "{args}: {v}"
        );
    }
    client.cancel().await.unwrap();
}

/// Which queries `request` was asked with since the record was cleared, sorted.
fn asked<F: grammers_tl_types::Deserializable + grammers_tl_types::Identifiable>(
    h: &Harness,
    query: impl Fn(F) -> String,
) -> Vec<String> {
    let mut asked: Vec<String> = h.dc.requests_of::<F>().into_iter().map(query).collect();
    asked.sort();
    asked
}

#[tokio::test]
async fn several_terms_and_calls_at_once_survive_a_connection_dropped_under_them() {
    let (h, client) = Harness::warmed_up().await;
    // Seven rounds of three terms in a few seconds: more than Telegram's budget for global
    // searches, which this test is not about.
    h.dc.world().rate_limiter.set(
        "messages.searchGlobal",
        testkit::world::rate_limits::limit(100, 60),
    );
    let global = json!({"query": "engine, release, loops", "limit": 100});
    let chats = json!({"query": "babbage, engine"});
    let history = json!({"chat_id": "1001", "limit": 3});
    let (err, messages) = call(&client, "search_messages_globally", global.clone()).await;
    assert!(!err, "{messages}");
    assert!(keys(&messages).len() > 3, "{messages}");
    let (err, found) = call(&client, "find_chats", chats.clone()).await;
    assert!(!err, "{found}");
    let (err, read) = call(&client, "get_messages", history.clone()).await;
    assert!(!err, "{read}");
    // Every request of the three calls queues for a connection that closes as it opens, or
    // is on it; which is a race inside the server, and each round is one more chance at it.
    for round in 0..6 {
        h.drop_the_connection_and_the_next_at_its_handshake().await;
        h.dc.clear_requests();
        let (a, b, c) = tokio::join!(
            call(&client, "search_messages_globally", global.clone()),
            call(&client, "find_chats", chats.clone()),
            call(&client, "get_messages", history.clone()),
        );
        assert_eq!(a, (false, messages.clone()), "round {round}");
        assert_eq!(b, (false, found.clone()), "round {round}");
        assert_eq!(c, (false, read.clone()), "round {round}");
        // Nothing reached the connection that closed: each request was sent once, on the next.
        let global_terms = asked(&h, |r: tl::functions::messages::SearchGlobal| r.q);
        assert_eq!(
            global_terms,
            ["engine", "loops", "release"],
            "round {round}"
        );
        let chat_terms = asked(&h, |r: tl::functions::contacts::Search| r.q);
        assert_eq!(chat_terms, ["babbage", "engine"], "round {round}");
        assert_eq!(
            h.dc.count_of::<tl::functions::messages::GetHistory>(),
            1,
            "round {round}"
        );
        assert_eq!(
            h.dc.count_of::<tl::functions::help::GetConfig>(),
            2,
            "round {round}: the connection that closed, and the one that answered"
        );
    }
    client.cancel().await.unwrap();
}
