//! What each tool costs in Telegram requests, through the DC's request record: the table in
//! README.md (every common case within ten requests, one request for a known chat after a
//! restart, no `getDialogs` for a folder listed again within a minute), names and ids kept in
//! the session and imported from Telethon's, negative answers remembered, refused chats in a
//! folder found in a few calls, and the DC's per-method budgets answered as flood waits.

use grammers_tl_types as tl;
use serde_json::{Value, json};

use testkit::harness::{Harness, call};
use testkit::request_budget::{Counts, describe, measure_all, table_row, total};
use testkit::seed::seed_telethon_session;
use testkit::world::{Peer, World, sample_json};

fn counts(pairs: &[(&str, usize)]) -> Counts {
    pairs.iter().map(|(m, n)| (m.to_string(), *n)).collect()
}

type Row = (&'static str, &'static str, Counts, Counts);

/// README.md's table: (tool, case, cold, warm).
fn expected() -> Vec<Row> {
    let same = |tool, case, pairs: &[(&str, usize)]| (tool, case, counts(pairs), counts(pairs));
    let history = [("messages.getHistory", 1)];
    vec![
        same("get_messages", "latest, chat by @username", &history),
        same("get_messages", "latest, chat by id", &history),
        same(
            "get_messages",
            "search in a chat",
            &[("messages.search", 1)],
        ),
        same(
            "get_chat_info",
            "channel by @username",
            &[("channels.getFullChannel", 1)],
        ),
        same("find_chats", "by name", &[("contacts.search", 1)]),
        same("find_chats", "chat list", &[("messages.getDialogs", 1)]),
        (
            "find_chats",
            "folder of categories",
            counts(&[("messages.getDialogFilters", 1), ("messages.getDialogs", 1)]),
            counts(&[("messages.getDialogFilters", 1)]),
        ),
        same(
            "find_chats",
            "folder of chosen chats",
            &[
                ("messages.getDialogFilters", 1),
                ("messages.getPeerDialogs", 1),
            ],
        ),
        same(
            "search_messages_globally",
            "one term",
            &[("messages.searchGlobal", 1)],
        ),
        same(
            "send_message",
            "to @username",
            &[("messages.sendMessage", 1), ("users.getUsers", 1)],
        ),
        same("send_message", "to me", &[("messages.sendMessage", 1)]),
        same(
            "send_message_to_phone",
            "to a contact",
            &[("messages.sendMessage", 1), ("users.getUsers", 1)],
        ),
        same("find_chats", "unread chats", &[("messages.getDialogs", 1)]),
        same(
            "get_messages",
            "unread in a chat",
            &[("messages.getPeerDialogs", 1), ("messages.getHistory", 1)],
        ),
        same(
            "get_messages",
            "after a message, a reply there already",
            &history,
        ),
        // At once, at 2 s and at 4 s: at most one poll per 2 s.
        same(
            "get_messages",
            "waiting 4 s for a reply that does not come",
            &[("messages.getHistory", 3)],
        ),
        (
            "mark_read",
            "a chat with unread messages",
            counts(&[("messages.getPeerDialogs", 1), ("messages.readHistory", 1)]),
            // Read already: nothing more is sent.
            counts(&[("messages.getPeerDialogs", 1)]),
        ),
        (
            "mark_read",
            "a whole forum (its topics looked at)",
            // Nothing unread: the dialog, and the topics in case one still is.
            counts(&[
                ("messages.getPeerDialogs", 1),
                ("messages.getForumTopics", 1),
            ]),
            counts(&[
                ("messages.getPeerDialogs", 1),
                ("messages.getForumTopics", 1),
            ]),
        ),
        (
            "delete_messages",
            "in a private chat",
            // The ids are looked up first: the common message box spans every private chat.
            counts(&[("messages.getMessages", 1), ("messages.deleteMessages", 1)]),
            // Gone already: the lookup finds nothing to delete.
            counts(&[("messages.getMessages", 1)]),
        ),
        (
            "delete_messages",
            "own message in a supergroup",
            counts(&[("channels.deleteMessages", 1)]),
            // Telegram deleted none of one asked: which are still there is looked up.
            counts(&[("channels.deleteMessages", 1), ("channels.getMessages", 1)]),
        ),
        same("react_or_pin", "react", &[("messages.sendReaction", 1)]),
        same(
            "react_or_pin",
            "pin",
            &[("messages.updatePinnedMessage", 1)],
        ),
        same(
            "send_message",
            "forward two messages to me",
            &[("messages.forwardMessages", 1)],
        ),
        // The message, then its bytes: one part each (within 512 KiB).
        same(
            "get_media",
            "a photo, shown",
            &[("messages.getMessages", 1), ("upload.getFile", 1)],
        ),
        same(
            "get_media",
            "a text file, shown",
            &[("messages.getMessages", 1), ("upload.getFile", 1)],
        ),
        same(
            "get_media",
            "a 3 MiB file, described",
            &[("messages.getMessages", 1)],
        ),
    ]
}

#[tokio::test]
async fn budget_every_common_call_costs_what_the_readme_table_says() {
    let measured = measure_all().await;
    let readme = std::fs::read_to_string(testkit::repository_root().join("README.md")).unwrap();
    for m in &measured {
        let row = table_row(m);
        assert!(readme.contains(&row), "README.md's table lacks {row}");
    }
    let expected = expected();
    assert_eq!(measured.len(), expected.len());
    for (m, (tool, case, cold, warm)) in measured.iter().zip(expected) {
        assert_eq!((m.tool, m.case), (tool, case));
        assert_eq!(m.cold, cold, "{tool}, {case}, cold: {}", describe(&m.cold));
        assert_eq!(m.warm, warm, "{tool}, {case}, warm: {}", describe(&m.warm));
        assert!(
            total(&m.cold) <= 10 && total(&m.warm) <= 10,
            "{tool}, {case}"
        );
        // A known @username or id after a restart: the read itself, nothing to resolve.
        if case.starts_with("latest, chat by") {
            assert_eq!(total(&m.cold), 1, "{case}");
        }
        if case.starts_with("folder") {
            assert!(!m.warm.contains_key("messages.getDialogs"), "{case}");
        }
    }
}

/// How many `contacts.resolveUsername` the DC recorded.
fn resolutions(h: &Harness) -> usize {
    h.dc.count_of::<tl::functions::contacts::ResolveUsername>()
}

async fn read(client: &testkit::harness::Client, chat: &str) -> (bool, Value) {
    call(client, "get_messages", json!({"chat_id": chat, "limit": 5})).await
}

#[tokio::test]
async fn budget_a_username_nobody_has_is_asked_once_and_an_unknown_id_scanned_once() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    for _ in 0..3 {
        let (err, v) = read(&client, "@nobody_has_this").await;
        assert!(err, "{v}");
        let (err, v) = read(&client, "777777").await;
        assert!(err, "{v}");
    }
    assert_eq!(resolutions(&h), 1, "the negative answer is remembered");
    assert_eq!(
        h.dc.count_of::<tl::functions::messages::GetDialogs>(),
        1,
        "one scan of the dialogs (archived chats come with the rest), not one per call"
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn budget_a_telethon_sessions_peers_are_imported_so_their_usernames_cost_nothing() {
    let h = Harness::signed_in().await;
    std::fs::remove_file(h.session_file()).unwrap();
    seed_telethon_session(&h.session_file(), h.dc.port(), &h.dc.auth_key())
        .await
        .unwrap();
    let hash = h.dc.world().access_hash(Peer::User(1003));
    let db = libsql::Builder::new_local(h.session_file())
        .build()
        .await
        .unwrap();
    db.connect()
        .unwrap()
        .execute(
            "INSERT INTO entities (id, hash, username, phone, name, date) \
             VALUES (1003, ?1, 'Grace', NULL, 'Grace Hopper', 0)",
            libsql::params![hash],
        )
        .await
        .unwrap();
    drop(db);
    let client = h.client().await;
    let (err, v) = read(&client, "@grace").await;
    assert!(!err, "{v}");
    assert_eq!(
        resolutions(&h),
        0,
        "Telethon already knew @grace: {:?}",
        h.dc.request_names()
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn budget_a_stored_username_whose_chat_is_refused_is_resolved_again_once() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (err, v) = read(&client, "@rust_learners").await;
    assert!(!err, "{v}");
    client.cancel().await.unwrap();
    // The session's access hash no longer opens the chat (as after the name changed hands).
    let peer = Peer::from_bot_api(-1001000000001).unwrap();
    h.dc.world().chats.get_mut(&peer).unwrap().access_hash = Some(4242);
    h.dc.clear_requests();
    let client = h.client().await;
    let (err, v) = read(&client, "@rust_learners").await;
    assert!(!err, "read after resolving the name again: {v}");
    assert_eq!(resolutions(&h), 1, "{:?}", h.dc.request_names());
    client.cancel().await.unwrap();
}

/// The sample world with a folder of `n` supergroups, one of which (the 7th) the account left
/// and cannot see.
fn world_with_a_big_folder(n: i64) -> World {
    let mut json = sample_json();
    let ids: Vec<i64> = (1..=n).map(|i| -1002000000000 - i).collect();
    for (i, id) in ids.iter().enumerate() {
        json["chats"].as_array_mut().unwrap().push(json!({
            "id": id, "kind": "supergroup", "title": format!("Group {i}"), "left": i == 6,
        }));
    }
    json["folders"]
        .as_array_mut()
        .unwrap()
        .push(json!({"id": 9, "title": "Many", "include": ids}));
    World::from_json(json).unwrap()
}

#[tokio::test]
async fn budget_a_refused_chat_in_a_folder_is_found_by_halves_not_one_call_per_chat() {
    let n = 64;
    let h = Harness::with(world_with_a_big_folder(n), true).await;
    let client = h.client().await;
    let (err, v) = call(
        &client,
        "find_chats",
        json!({"folder": "Many", "limit": 100}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(
        v["chats"].as_array().unwrap().len(),
        n as usize - 1,
        "every chat but the refused one: {v}"
    );
    let calls = h.dc.count_of::<tl::functions::messages::GetPeerDialogs>();
    // One call, then two per halving down to the refused chat: 1 + 2·log2(64).
    assert!(
        calls <= 13,
        "{calls} getPeerDialogs calls for one refused chat among {n}"
    );
    client.cancel().await.unwrap();
}

fn world_with_rate_limit(method: &str, calls: u32, window_seconds: u32) -> World {
    let mut json = sample_json();
    json["rate_limits"] = json!({method: {"calls": calls, "window_seconds": window_seconds}});
    World::from_json(json).unwrap()
}

#[tokio::test]
async fn budget_past_the_dcs_budget_a_short_wait_is_slept_through_and_a_long_one_returned() {
    let h = Harness::with(
        world_with_rate_limit("contacts.resolveUsername", 1, 2),
        true,
    )
    .await;
    let client = h.client().await;
    assert!(!read(&client, "@grace").await.0);
    let (err, v) = read(&client, "@turing").await;
    assert!(!err, "FLOOD_WAIT of at most 2 s waited out: {v}");
    let names = h.dc.request_names();
    let resolves = names
        .iter()
        .filter(|n| *n == "contacts.resolveUsername")
        .count();
    assert_eq!(
        resolves, 3,
        "grace, turing refused, turing again: {names:?}"
    );
    client.cancel().await.unwrap();

    let h = Harness::with(
        world_with_rate_limit("contacts.resolveUsername", 1, 3600),
        true,
    )
    .await;
    let client = h.client().await;
    assert!(!read(&client, "@grace").await.0);
    let (err, v) = read(&client, "@turing").await;
    assert!(err, "{v}");
    assert_eq!(v["action"], "retry", "{v}");
    assert_eq!(v["error_code"], "FLOOD_WAIT_3600", "{v}");
    assert_eq!(v["retry_after_seconds"], 3600, "{v}");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn budget_calls_naming_one_new_chat_at_once_resolve_it_once() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let calls = (0..8).map(|_| read(&client, "@grace"));
    for (err, v) in futures::future::join_all(calls).await {
        assert!(!err, "{v}");
    }
    assert_eq!(resolutions(&h), 1);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn budget_a_stored_username_that_changed_hands_is_resolved_again_next_time() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    assert!(!read(&client, "@babbage").await.0);
    client.cancel().await.unwrap();
    // Babbage gives up @babbage; Grace takes it.
    {
        let mut world = h.dc.world();
        world.users.get_mut(&1001).unwrap().username = None;
        world.users.get_mut(&1003).unwrap().username = Some("babbage".into());
    }
    h.dc.clear_requests();
    let client = h.client().await;
    // The stored name still opens Babbage's chat; its answer shows he is @babbage no more.
    assert!(!read(&client, "@babbage").await.0);
    assert_eq!(resolutions(&h), 0);
    assert!(!read(&client, "@babbage").await.0);
    assert_eq!(resolutions(&h), 1);
    let last = h.dc.requests_of::<tl::functions::messages::GetHistory>();
    assert!(
        matches!(
            &last.last().unwrap().peer,
            tl::enums::InputPeer::User(u) if u.user_id == 1003
        ),
        "the chat @grace names now"
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn budget_a_folder_listed_again_reuses_the_chat_list_until_the_server_sends() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let folder = json!({"folder": "People"});
    for _ in 0..2 {
        assert!(!call(&client, "find_chats", folder.clone()).await.0);
    }
    assert_eq!(h.dc.count_of::<tl::functions::messages::GetDialogs>(), 1);
    let sent = json!({"chat_id": "@babbage", "message": "hello"});
    assert!(!call(&client, "send_message", sent).await.0);
    let (err, v) = call(&client, "find_chats", folder).await;
    assert!(!err, "{v}");
    assert_eq!(
        h.dc.count_of::<tl::functions::messages::GetDialogs>(),
        2,
        "the send reordered the chat list: read again"
    );
    client.cancel().await.unwrap();
}

/// Issue #21's burst: 64 calls at once on two chats named by usernames the server has not
/// seen, each request 100 ms away. Calls in flight that need the same name wait for one
/// resolution; nothing scans the dialogs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn budget_a_cold_burst_of_64_reads_on_two_chats_resolves_each_name_once() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    h.dc.set_latency(std::time::Duration::from_millis(100));
    h.dc.clear_requests();
    let chats = ["@grace", "@engine_news"];
    let calls = (0..64).map(|i| {
        let peer = client.peer().clone();
        let chat = chats[i % chats.len()];
        tokio::spawn(async move {
            call(&peer, "get_messages", json!({"chat_id": chat, "limit": 5})).await
        })
    });
    for result in futures::future::join_all(calls).await {
        let (err, v) = result.unwrap();
        assert!(!err, "{v}");
    }
    let mut names: std::collections::BTreeMap<String, usize> = Default::default();
    for name in h.dc.request_names() {
        *names.entry(name).or_default() += 1;
    }
    let mut resolved: Vec<String> =
        h.dc.requests_of::<tl::functions::contacts::ResolveUsername>()
            .into_iter()
            .map(|r| r.username)
            .collect();
    resolved.sort();
    assert_eq!(resolved, ["engine_news", "grace"], "one each: {names:?}");
    assert_eq!(names.get("messages.getHistory"), Some(&64), "{names:?}");
    assert_eq!(names.get("messages.getDialogs"), None, "no scan: {names:?}");
    client.cancel().await.unwrap();
}
