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
