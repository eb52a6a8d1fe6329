//! `find_chats` over stdio against the loopback DC: global search, folders, the chat list.

use grammers_tl_types as tl;
use serde_json::{Value, json};

use testkit::fake_dc::{FaultAction, FaultRule};
use testkit::harness::{Harness, call, sample_world};
use testkit::world::{FolderSpec, Msg, Peer, UserSpec};

fn ids(v: &Value) -> Vec<i64> {
    v["chats"]
        .as_array()
        .unwrap_or_else(|| panic!("no chats in {v}"))
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect()
}

fn count(h: &Harness, name: &str) -> usize {
    h.dc.request_names().iter().filter(|n| *n == name).count()
}

#[tokio::test]
async fn global_search_runs_contacts_search_once_per_term_and_merges_without_duplicates() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (err, v) = call(
        &client,
        "find_chats",
        json!({"query": "engine, news chat, babbage"}),
    )
    .await;
    assert!(!err, "{v}");
    // In turns: each term's first hit, then each term's second…; "news chat" repeats a hit.
    assert_eq!(ids(&v), vec![-1001000000002, -1001000000003, 1001]);
    assert_eq!(v["has_more"], false);
    assert!(v.get("next_offset").is_none());
    let first = &v["chats"][0];
    assert_eq!(first["title"], "Engine News");
    assert_eq!(first["type"], "channel");
    assert_eq!(first["username"], "engine_news");
    assert!(
        first.get("last_activity_date").is_none(),
        "global search has no activity dates"
    );
    let mut asked: Vec<String> =
        h.dc.requests_of::<tl::functions::contacts::Search>()
            .into_iter()
            .map(|s| s.q)
            .collect();
    asked.sort();
    assert_eq!(asked, vec!["babbage", "engine", "news chat"]);
    assert_eq!(
        count(&h, "messages.getDialogs"),
        0,
        "{:?}",
        h.dc.request_names()
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn global_search_finds_public_strangers_and_contacts_by_phone() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (err, v) = call(&client, "find_chats", json!({"query": "hopper"})).await;
    assert!(!err, "{v}");
    assert_eq!(ids(&v), vec![1003]);
    assert_eq!(v["chats"][0]["username"], "grace");
    assert_eq!(v["chats"][0]["type"], "private");
    let (err, v) = call(&client, "find_chats", json!({"query": "@grace"})).await;
    assert!(!err, "{v}");
    assert_eq!(ids(&v), vec![1003]);
    let searched = h.dc.requests_of::<tl::functions::contacts::Search>();
    assert_eq!(
        searched.last().unwrap().q,
        "grace",
        "usernames are searched without their @"
    );
    let (err, v) = call(&client, "find_chats", json!({"query": "+1 555 000 1002"})).await;
    assert!(!err, "{v}");
    assert_eq!(ids(&v), vec![1002]);
    assert_eq!(v["chats"][0]["title"], "Mary Somerville");
    assert_eq!(
        count(&h, "contacts.resolvePhone"),
        0,
        "a contact's number is found by the search"
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_phone_number_outside_the_contacts_is_looked_up_directly() {
    let mut world = sample_world();
    world.users.get_mut(&1002).unwrap().contact = false;
    let h = Harness::with(world, true).await;
    let client = h.client().await;
    let (err, v) = call(&client, "find_chats", json!({"query": "+15550001002"})).await;
    assert!(!err, "{v}");
    assert_eq!(ids(&v), vec![1002]);
    let resolved = h.dc.requests_of::<tl::functions::contacts::ResolvePhone>();
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0].phone, "15550001002");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn chat_type_and_public_filter_search_results() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (_, v) = call(
        &client,
        "find_chats",
        json!({"query": "engine", "chat_type": "group"}),
    )
    .await;
    assert_eq!(ids(&v), vec![-1001000000003]);
    let (_, v) = call(
        &client,
        "find_chats",
        json!({"query": "engine", "chat_type": "channel, group", "public": true}),
    )
    .await;
    assert_eq!(ids(&v), vec![-1001000000002, -1001000000003]);
    let (err, v) = call(
        &client,
        "find_chats",
        json!({"query": "engine", "public": false}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(ids(&v), Vec::<i64>::new());
    // Private chats are never filtered by public.
    let (_, v) = call(
        &client,
        "find_chats",
        json!({"query": "somerville", "public": true}),
    )
    .await;
    assert_eq!(ids(&v), vec![1002]);
    let (_, v) = call(
        &client,
        "find_chats",
        json!({"query": "weather", "chat_type": "bot"}),
    )
    .await;
    assert_eq!(ids(&v), vec![1004]);
    assert_eq!(v["chats"][0]["type"], "bot");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn search_pages_with_next_offset() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (_, first) = call(
        &client,
        "find_chats",
        json!({"query": "engine, babbage", "limit": 2}),
    )
    .await;
    assert_eq!(ids(&first), vec![-1001000000002, 1001]);
    assert_eq!(first["has_more"], true);
    assert_eq!(first["next_offset"], 2);
    let (_, second) = call(
        &client,
        "find_chats",
        json!({"query": "engine, babbage", "limit": 2, "offset": 2}),
    )
    .await;
    assert_eq!(ids(&second), vec![-1001000000003]);
    assert_eq!(second["has_more"], false);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_folder_of_listed_chats_is_read_with_get_peer_dialogs() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (err, v) = call(&client, "find_chats", json!({"folder": "  work "})).await;
    assert!(!err, "{v}");
    // The pinned chat first, then the others by last activity.
    assert_eq!(ids(&v), vec![-4001, -1001000000004]);
    assert_eq!(v["folder"], "Work");
    assert_eq!(v["chats"][0]["title"], "Analytical Society");
    assert_eq!(v["chats"][0]["last_activity_date"], "2026-11-22T08:20:00Z");
    assert_eq!(v["chats"][1]["is_forum"], true);
    assert_eq!(count(&h, "messages.getDialogFilters"), 1);
    let asked =
        h.dc.requests_of::<tl::functions::messages::GetPeerDialogs>();
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].peers.len(), 2);
    assert_eq!(
        count(&h, "messages.getDialogs"),
        0,
        "listed chats need no scan of the chat list"
    );
    // `filter` is the folder's other name.
    let (err, alias) = call(&client, "find_chats", json!({"filter": "WORK"})).await;
    assert!(!err, "{alias}");
    assert_eq!(ids(&alias), vec![-4001, -1001000000004]);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_folder_of_chat_categories_reads_the_chat_list_and_applies_exclusions() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (err, v) = call(
        &client,
        "find_chats",
        json!({"folder": "bots  &  CHANNELS"}),
    )
    .await;
    assert!(!err, "{v}");
    // Channels and bots, without the excluded Quiet Channel.
    assert_eq!(ids(&v), vec![-1001000000002, 1004]);
    assert_eq!(v["folder"], "Bots & Channels");
    assert!(count(&h, "messages.getDialogs") >= 1);
    // Contacts and non-contacts, without the excluded Alan Turing; no bots, no groups.
    let (_, people) = call(&client, "find_chats", json!({"folder": "People"})).await;
    assert_eq!(ids(&people), vec![1000, 1001, 1002]);
    // By id, and filtered like any listing.
    let (err, by_id) = call(
        &client,
        "find_chats",
        json!({"folder": 3, "chat_type": "bot"}),
    )
    .await;
    assert!(!err, "{by_id}");
    assert_eq!(ids(&by_id), vec![1004]);
    let (_, queried) = call(
        &client,
        "find_chats",
        json!({"folder": "People", "query": "mary"}),
    )
    .await;
    assert_eq!(ids(&queried), vec![1002]);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn folder_exclusion_flags_drop_muted_read_and_archived_chats() {
    let mut world = sample_world();
    for (id, title, muted, read, archived) in [
        (5, "Loud", true, false, false),
        (6, "Unread", false, true, false),
        (7, "Current", false, false, true),
    ] {
        world.folders.push(FolderSpec {
            id,
            title: title.into(),
            groups: true,
            broadcasts: true,
            exclude_muted: muted,
            exclude_read: read,
            exclude_archived: archived,
            ..Default::default()
        });
    }
    let h = Harness::with(world, true).await;
    let client = h.client().await;
    // By last activity: the chat list's pinning does not carry over to this folder.
    let all_groups_and_channels = vec![
        -1001000000002,
        -1001000000001,
        -4001,
        -1001000000003,
        -1001000000004,
    ];
    for folder in ["Loud", "Current"] {
        let (err, v) = call(&client, "find_chats", json!({"folder": folder})).await;
        assert!(!err, "{v}");
        assert_eq!(
            ids(&v),
            all_groups_and_channels,
            "{folder}: the muted, archived Quiet Channel is left out"
        );
    }
    let (_, unread) = call(&client, "find_chats", json!({"folder": "unread"})).await;
    assert_eq!(
        ids(&unread),
        vec![-4001],
        "only the group with an unread message"
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_folder_chat_telegram_refuses_is_left_out() {
    let mut world = sample_world();
    // Quiet Channel was left; it has no username, so Telegram refuses to show it.
    world
        .chats
        .get_mut(&Peer::Channel(1000000005))
        .unwrap()
        .left = true;
    world.folders.push(FolderSpec {
        id: 8,
        title: "Mixed".into(),
        include: vec![-4001, -1001000000005],
        ..Default::default()
    });
    let h = Harness::with(world, true).await;
    let client = h.client().await;
    let (err, v) = call(&client, "find_chats", json!({"folder": "mixed"})).await;
    assert!(!err, "{v}");
    assert_eq!(ids(&v), vec![-4001]);
    // The pair is refused as a whole, then each chat is asked for alone.
    let asked: Vec<usize> =
        h.dc.requests_of::<tl::functions::messages::GetPeerDialogs>()
            .iter()
            .map(|r| r.peers.len())
            .collect();
    assert_eq!(asked, vec![2, 1, 1]);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn the_archive_is_a_folder_too() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (err, v) = call(&client, "find_chats", json!({"folder": "Archive"})).await;
    assert!(!err, "{v}");
    assert_eq!(ids(&v), vec![-1001000000005]);
    let dialogs = h.dc.requests_of::<tl::functions::messages::GetDialogs>();
    assert_eq!(dialogs.last().unwrap().folder_id, Some(1));
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn an_unknown_folder_is_a_clear_error_listing_the_folders() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (err, v) = call(&client, "find_chats", json!({"folder": "Studies"})).await;
    assert!(err, "{v}");
    assert_eq!(v["operation"], "find_chats");
    assert_eq!(v["action"], "fix_arguments", "{v}");
    let message = v["error"].as_str().unwrap();
    for title in [
        "\"Studies\"",
        "Work",
        "Bots & Channels",
        "People",
        "Archive",
    ] {
        assert!(message.contains(title), "{title}: {message}");
    }
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn the_chat_list_by_last_activity_within_a_date_window() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (err, v) = call(
        &client,
        "find_chats",
        json!({"min_date": "2026-11-20", "max_date": "2026-11-22"}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(ids(&v), vec![-4001, 1001, -1001000000003]);
    assert_eq!(v["chats"][1]["last_activity_date"], "2026-11-21T15:00:00Z");
    assert_eq!(v["chats"][2]["last_activity_date"], "2026-11-20T10:15:00Z");
    assert_eq!(count(&h, "contacts.search"), 0);
    let dialogs = h.dc.requests_of::<tl::functions::messages::GetDialogs>();
    assert_eq!(
        dialogs.last().unwrap().folder_id,
        None,
        "every chat, archived ones too"
    );
    // With dates, the query is matched against the listed chats' names.
    let (err, v) = call(
        &client,
        "find_chats",
        json!({"query": "engine", "min_date": "2026-11-01"}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(ids(&v), vec![-1001000000002, -1001000000003]);
    assert_eq!(count(&h, "contacts.search"), 0);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn the_chat_list_pages_with_next_offset_without_loss_or_repetition() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let mut seen = Vec::new();
    let mut offset = 0;
    loop {
        let (err, v) = call(&client, "find_chats", json!({"limit": 4, "offset": offset})).await;
        assert!(!err, "{v}");
        seen.extend(ids(&v));
        if v["has_more"] == false {
            assert!(v.get("next_offset").is_none());
            break;
        }
        offset = v["next_offset"].as_i64().unwrap();
    }
    assert_eq!(
        seen,
        vec![
            -4001,
            1000,
            -1001000000002,
            -1001000000001,
            1004,
            1001,
            -1001000000003,
            1002,
            1005,
            -1001000000004,
            -1001000000005
        ]
    );
    let (_, channels) = call(&client, "find_chats", json!({"chat_type": "channel"})).await;
    assert_eq!(ids(&channels), vec![-1001000000002, -1001000000005]);
    let (_, public) = call(
        &client,
        "find_chats",
        json!({"chat_type": "channel", "public": true}),
    )
    .await;
    assert_eq!(ids(&public), vec![-1001000000002]);
    let (_, private_groups) = call(
        &client,
        "find_chats",
        json!({"chat_type": "group", "public": false}),
    )
    .await;
    assert_eq!(ids(&private_groups), vec![-4001, -1001000000004]);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_long_chat_list_is_read_page_by_page() {
    let mut world = sample_world();
    // 150 more private chats, all older than the sample's (from 2026-09-01 back).
    for i in 0..150 {
        let id = 5000 + i;
        world.users.insert(
            id,
            UserSpec {
                id,
                first_name: format!("Pen pal {i}"),
                ..Default::default()
            },
        );
        let peer = Peer::User(id);
        let msg_id = world.allocate_id(peer);
        let mut msg = Msg::new(peer, msg_id, Some(peer), 1_788_220_800 - i as i32 * 60);
        msg.text = "Hello".into();
        world.insert(msg);
    }
    let h = Harness::with(world, true).await;
    let client = h.client().await;
    let (err, first) = call(
        &client,
        "find_chats",
        json!({"chat_type": "private", "limit": 100}),
    )
    .await;
    assert!(!err, "{first}");
    assert_eq!(first["has_more"], true);
    assert_eq!(first["next_offset"], 100);
    let (err, second) = call(
        &client,
        "find_chats",
        json!({"chat_type": "private", "limit": 100, "offset": 100}),
    )
    .await;
    assert!(!err, "{second}");
    assert_eq!(second["has_more"], false);
    let mut all = ids(&first);
    all.extend(ids(&second));
    assert_eq!(
        all.len(),
        154,
        "4 sample users (not the bot) and 150 pen pals"
    );
    assert_eq!(&all[..4], &[1000, 1001, 1002, 1005]);
    assert_eq!(all.last(), Some(&5149));
    let distinct: std::collections::HashSet<i64> = all.iter().copied().collect();
    assert_eq!(distinct.len(), all.len(), "no chat twice");
    // The second page of the chat list continues after the last dialog of the first.
    let asked = h.dc.requests_of::<tl::functions::messages::GetDialogs>();
    let continued: Vec<_> = asked
        .iter()
        .filter(|r| !matches!(r.offset_peer, tl::enums::InputPeer::Empty))
        .collect();
    assert!(!continued.is_empty(), "{:?}", h.dc.request_names());
    assert!(
        continued
            .iter()
            .all(|r| r.offset_id > 0 && r.offset_date > 0)
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn bad_arguments_are_clear_errors() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let cases = [
        (
            json!({"query": "x", "limit": 0}),
            "limit must be between 1 and 100",
        ),
        (
            json!({"query": "x", "limit": 101}),
            "limit must be between 1 and 100",
        ),
        (
            json!({"query": "x", "chat_type": "group,robots"}),
            "\"robots\" is not one of private, group, channel, bot",
        ),
        (
            json!({"query": "x", "chat_type": " , "}),
            "chat_type is empty",
        ),
        (json!({"min_date": "yesterday"}), "min_date"),
        (
            json!({"min_date": "2026-11-21", "max_date": "2026-11-20"}),
            "after max_date",
        ),
        (json!({"offset": -1}), "offset must be between 0 and 1000"),
        (json!({"folder": "   "}), "folder is empty"),
        (json!({"query": "a,b,c,d,e,f,g,h,i,j,k"}), "at most 10"),
    ];
    for (args, expected) in cases {
        let (err, v) = call(&client, "find_chats", args.clone()).await;
        assert!(err, "{args}");
        assert_eq!(v["ok"], false);
        assert_eq!(v["operation"], "find_chats");
        assert_eq!(v["action"], "fix_arguments", "{v}");
        assert!(
            v["error"].as_str().unwrap().contains(expected),
            "{args}: {v}"
        );
    }
    assert!(
        h.dc.request_names()
            .iter()
            .all(|n| !n.starts_with("contacts.") && n != "messages.getDialogs")
    );
    client.cancel().await.unwrap();
}

/// The terms `several_terms_survive_a_connection_dropped_under_them` searches, sorted.
const TERMS: [&str; 5] = ["babbage", "engine", "hopper", "somerville", "turing"];

/// Which terms `contacts.search` was asked for since the record was cleared, sorted.
fn searched(h: &Harness) -> Vec<String> {
    let mut asked: Vec<String> =
        h.dc.requests_of::<tl::functions::contacts::Search>()
            .into_iter()
            .map(|s| s.q)
            .collect();
    asked.sort();
    asked
}

#[tokio::test]
async fn several_terms_survive_a_connection_dropped_under_them() {
    let (h, client) = Harness::warmed_up().await;
    let query = json!({"query": "babbage, somerville, hopper, turing, engine"});
    let expected = vec![1001, 1002, 1003, 1005, -1001000000002, -1001000000003];
    let (err, v) = call(&client, "find_chats", query.clone()).await;
    assert!(!err, "{v}");
    assert_eq!(ids(&v), expected, "without a drop");
    // The terms are searched at once: when the connection drops, some requests are on it and
    // others still queued for it, and which is a race inside the server — each round is one
    // more chance at both. A single drop is survived either way, as with a single term.
    for round in 0..6 {
        // The connection closes as it opens, with every term queued for it.
        h.drop_the_connection_and_the_next_at_its_handshake().await;
        h.dc.clear_requests();
        let (err, v) = call(&client, "find_chats", query.clone()).await;
        assert!(!err, "round {round}: {v}");
        assert_eq!(ids(&v), expected, "round {round}");
        // Nothing reached the connection that closed: each term was asked once, on the next.
        assert_eq!(searched(&h), TERMS, "round {round}");
        assert_eq!(
            h.dc.count_of::<tl::functions::help::GetConfig>(),
            2,
            "round {round}: the connection that closed, and the one that answered"
        );
    }
    for round in 0..3 {
        // The connection drops as the DC reads the first term; the others are on it or queued.
        h.dc.clear_requests_and_inject(
            FaultRule::on("contacts.search", FaultAction::Drop).times(1),
        );
        let (err, v) = call(&client, "find_chats", query.clone()).await;
        assert!(!err, "round {round}: {v}");
        assert_eq!(ids(&v), expected, "round {round}");
        // Each term was answered once; the one the DC read before dropping was asked twice.
        let asked = searched(&h);
        assert_eq!(asked.len(), TERMS.len() + 1, "round {round}: {asked:?}");
        let mut distinct = asked.clone();
        distinct.dedup();
        assert_eq!(distinct, TERMS, "round {round}");
        assert_eq!(
            h.dc.count_of::<tl::functions::help::GetConfig>(),
            1,
            "round {round}: one new connection"
        );
    }
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_link_as_a_term_finds_the_chat_it_names() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (err, v) = call(
        &client,
        "find_chats",
        json!({"query": "https://t.me/engine_news/1?comment=3"}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(ids(&v)[0], -1001000000002, "{v}");
    let search = h.dc.requests_of::<tl::functions::contacts::Search>();
    assert_eq!(search.last().unwrap().q, "engine_news");
    let (err, v) = call(
        &client,
        "find_chats",
        json!({"query": "t.me/c/1000000004/10/12, grace"}),
    )
    .await;
    assert!(!err, "{v}");
    let found = ids(&v);
    assert!(found.contains(&-1001000000004), "{v}");
    assert!(found.contains(&1003), "{v}");
    let (err, v) = call(
        &client,
        "find_chats",
        json!({"query": "t.me/c/1999999999/5"}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(
        ids(&v),
        Vec::<i64>::new(),
        "a chat not reachable matches nothing"
    );
    client.cancel().await.unwrap();
}
