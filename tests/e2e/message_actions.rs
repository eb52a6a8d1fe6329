//! Message actions over stdio against the loopback DC: `delete_messages`, `react_or_pin`, and
//! forwarding with `send_message` — the answers, the requests Telegram got, and the DC's state
//! after.

use std::time::Duration;

use grammers_tl_types as tl;
use serde_json::{Value, json};

use testkit::fake_dc::{FaultAction, FaultRule};
use testkit::harness::{Harness, call, sample_world};
use testkit::wait::wait_until;
use testkit::world::{BABBAGE, FORUM, Peer, ReactionSpec, World};

const GROUP: i64 = -4001;
const RUST_LEARNERS: i64 = -1001000000001;
const RUST: Peer = Peer::Channel(1000000001);
const ME: Peer = Peer::User(1000);

fn error_code(v: &Value) -> &str {
    v["error_code"].as_str().unwrap_or_default()
}

fn text(v: &Value) -> &str {
    v["error"].as_str().unwrap_or_default()
}

fn reactions(v: &Value) -> Vec<(String, i64, bool)> {
    v["reactions"]
        .as_array()
        .unwrap_or_else(|| panic!("no reactions in {v}"))
        .iter()
        .map(|r| {
            (
                r["emoji"].as_str().unwrap().to_string(),
                r["count"].as_i64().unwrap(),
                r["chosen"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn reaction(emoji: &str, count: i64, chosen: bool) -> (String, i64, bool) {
    (emoji.to_string(), count, chosen)
}

/// The sample world with Rust Learners' message 6 reacted to by others (👍 3, 🔥 1) and the
/// group's creator flag as given.
fn reacted_world(group_creator: bool) -> World {
    let mut world = sample_world();
    let msg = world
        .messages
        .get_mut(&RUST)
        .and_then(|h| h.get_mut(&6))
        .expect("Rust Learners' message 6");
    msg.reactions = vec![
        ReactionSpec {
            emoji: "👍".into(),
            count: 3,
            chosen: false,
        },
        ReactionSpec {
            emoji: "🔥".into(),
            count: 1,
            chosen: false,
        },
    ];
    let group = Peer::from_bot_api(GROUP).expect("a group id");
    world.chats.get_mut(&group).expect("the group").creator = group_creator;
    world
}

// ---------------------------------------------------------------------------------------
// delete_messages

async fn delete(client: &testkit::harness::Client, args: Value) -> (bool, Value) {
    call(client, "delete_messages", args).await
}

#[tokio::test]
async fn deleting_in_a_private_chat_removes_them_for_both_sides_and_again_deletes_none() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (err, v) = delete(
        &client,
        json!({"chat_id": "1001", "message_ids": [2, 3, 2]}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(v, json!({"deleted": 2, "for_everyone": true}));
    {
        let world = h.dc.world();
        assert!(world.message(BABBAGE, 2).is_none());
        assert!(world.message(BABBAGE, 3).is_none());
        assert!(world.revoked.contains(&(BABBAGE, 2)) && world.revoked.contains(&(BABBAGE, 3)));
        assert!(world.message(BABBAGE, 1).is_some());
    }
    let deletes =
        h.dc.requests_of::<tl::functions::messages::DeleteMessages>();
    assert_eq!(deletes.len(), 1);
    assert!(deletes[0].revoke);
    assert_eq!(deletes[0].id, vec![2, 3]);
    // The ids are looked up first: messages.deleteMessages would delete them in any chat.
    assert_eq!(h.dc.count_of::<tl::functions::messages::GetMessages>(), 1);

    let (err, v) = delete(&client, json!({"chat_id": "1001", "message_ids": [2, 3]})).await;
    assert!(!err, "{v}");
    assert_eq!(v, json!({"deleted": 0, "for_everyone": true}));
    assert_eq!(
        h.dc.count_of::<tl::functions::messages::DeleteMessages>(),
        1,
        "nothing left to delete: no second request"
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn just_me_deletes_only_for_the_user_and_supergroups_refuse_it() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (err, v) = delete(
        &client,
        json!({"chat_id": "1001", "message_ids": [1], "just_me": true}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(v, json!({"deleted": 1, "for_everyone": false}));
    assert!(h.dc.world().message(BABBAGE, 1).is_none());
    assert!(
        !h.dc.world().revoked.contains(&(BABBAGE, 1)),
        "Babbage keeps it"
    );
    let deletes =
        h.dc.requests_of::<tl::functions::messages::DeleteMessages>();
    assert!(!deletes[0].revoke);
    // Saved Messages have no other side.
    let (err, v) = delete(&client, json!({"chat_id": "me", "message_ids": [14]})).await;
    assert!(!err, "{v}");
    assert_eq!(v, json!({"deleted": 1, "for_everyone": false}));
    assert!(
        !h.dc
            .requests_of::<tl::functions::messages::DeleteMessages>()[1]
            .revoke
    );

    let (err, v) = delete(
        &client,
        json!({"chat_id": RUST_LEARNERS.to_string(), "message_ids": [5], "just_me": true}),
    )
    .await;
    assert!(err, "{v}");
    assert!(text(&v).contains("for everyone only"), "{v}");
    assert_eq!(v["action"], "fix_arguments");
    assert_eq!(
        h.dc.count_of::<tl::functions::channels::DeleteMessages>(),
        0
    );
    assert!(h.dc.world().message(RUST, 5).is_some());
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn ids_of_another_chat_refuse_the_whole_call_and_nothing_is_deleted() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    // Message 9 is the group's: the common message box would delete it from there.
    let (err, v) = delete(&client, json!({"chat_id": "1001", "message_ids": [2, 9]})).await;
    assert!(err, "{v}");
    assert!(text(&v).contains("message 9 is not in this chat"), "{v}");
    assert_eq!(
        h.dc.count_of::<tl::functions::messages::DeleteMessages>(),
        0
    );
    let group = Peer::from_bot_api(GROUP).unwrap();
    assert!(h.dc.world().message(group, 9).is_some());
    assert!(h.dc.world().message(BABBAGE, 2).is_some());
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn in_a_supergroup_own_messages_go_for_everyone_and_others_need_admin_rights() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (err, v) = delete(
        &client,
        json!({"chat_id": RUST_LEARNERS.to_string(), "message_ids": [5]}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(v, json!({"deleted": 1, "for_everyone": true}));
    assert!(h.dc.world().message(RUST, 5).is_none());
    assert!(h.dc.world().revoked.contains(&(RUST, 5)));
    let deletes =
        h.dc.requests_of::<tl::functions::channels::DeleteMessages>();
    assert_eq!(deletes.len(), 1);
    assert_eq!(deletes[0].id, vec![5]);
    assert_eq!(
        h.dc.count_of::<tl::functions::messages::GetMessages>()
            + h.dc.count_of::<tl::functions::channels::GetMessages>(),
        0,
        "channel ids are the channel's own: no lookup"
    );

    // Message 2 is someone else's.
    let (err, v) = delete(
        &client,
        json!({"chat_id": RUST_LEARNERS.to_string(), "message_ids": [2, 3]}),
    )
    .await;
    assert!(err, "{v}");
    assert_eq!(error_code(&v), "MESSAGE_DELETE_FORBIDDEN", "{v}");
    assert!(text(&v).contains("admin rights"), "{v}");
    assert!(h.dc.world().message(RUST, 2).is_some());
    assert!(h.dc.world().message(RUST, 3).is_some());

    // Deleting again: deleted 0; the lookup finds nothing still there.
    let (err, v) = delete(
        &client,
        json!({"chat_id": RUST_LEARNERS.to_string(), "message_ids": [5]}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(v, json!({"deleted": 0, "for_everyone": true}));
    assert_eq!(h.dc.count_of::<tl::functions::channels::GetMessages>(), 1);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn in_a_basic_group_others_messages_go_for_everyone_only_for_its_admins() {
    for creator in [true, false] {
        let h = Harness::with(reacted_world(creator), true).await;
        let client = h.client().await;
        // Message 9 is Babbage's.
        let (err, v) = delete(
            &client,
            json!({"chat_id": GROUP.to_string(), "message_ids": [9]}),
        )
        .await;
        assert!(!err, "{v}");
        assert_eq!(
            v,
            json!({"deleted": 1, "for_everyone": creator}),
            "{creator}"
        );
        let group = Peer::from_bot_api(GROUP).unwrap();
        assert_eq!(h.dc.world().revoked.contains(&(group, 9)), creator);
        client.cancel().await.unwrap();
    }
}

#[tokio::test]
async fn bad_message_ids_are_refused_before_any_request() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    for ids in [
        json!([]),
        json!([0]),
        json!((1..=101).collect::<Vec<i32>>()),
    ] {
        let (err, v) = delete(&client, json!({"chat_id": "1001", "message_ids": ids})).await;
        assert!(err, "{v}");
        assert_eq!(v["action"], "fix_arguments", "{v}");
    }
    assert_eq!(
        h.dc.count_of::<tl::functions::messages::DeleteMessages>(),
        0
    );
    client.cancel().await.unwrap();
}

// ---------------------------------------------------------------------------------------
// react_or_pin

#[tokio::test]
async fn a_reaction_is_set_replaced_and_removed_with_the_counts_telegram_reports() {
    let h = Harness::with(reacted_world(true), true).await;
    let client = h.client().await;
    let chat = RUST_LEARNERS.to_string();
    let react = |emoji: &str| json!({"chat_id": chat, "message_id": 6, "reaction": emoji});
    let (err, v) = call(&client, "react_or_pin", react("👍")).await;
    assert!(!err, "{v}");
    assert_eq!(
        reactions(&v),
        vec![reaction("👍", 4, true), reaction("🔥", 1, false)]
    );
    assert!(v.get("pinned").is_none(), "{v}");
    // The same again changes nothing.
    let (err, again) = call(&client, "react_or_pin", react("👍")).await;
    assert!(!err, "{again}");
    assert_eq!(reactions(&again), reactions(&v));
    // Another one replaces it: one reaction per user.
    let (err, v) = call(&client, "react_or_pin", react("🔥")).await;
    assert!(!err, "{v}");
    assert_eq!(
        reactions(&v),
        vec![reaction("👍", 3, false), reaction("🔥", 2, true)]
    );
    let (err, v) = call(&client, "react_or_pin", react("")).await;
    assert!(!err, "{v}");
    assert_eq!(
        reactions(&v),
        vec![reaction("👍", 3, false), reaction("🔥", 1, false)]
    );
    let sent = h.dc.requests_of::<tl::functions::messages::SendReaction>();
    assert_eq!(sent.len(), 4);
    assert_eq!(
        sent[3].reaction,
        Some(Vec::new()),
        "removed with an empty list"
    );
    assert_eq!(sent[3].msg_id, 6);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_reaction_the_chat_does_not_allow_is_refused_naming_the_ones_it_does() {
    let mut world = reacted_world(true);
    world.chats.get_mut(&RUST).unwrap().reactions = Some(vec!["👍".into(), "❤".into()]);
    let h = Harness::with(world, true).await;
    let client = h.client().await;
    let chat = RUST_LEARNERS.to_string();
    let (err, v) = call(
        &client,
        "react_or_pin",
        json!({"chat_id": chat, "message_id": 6, "reaction": "🔥"}),
    )
    .await;
    assert!(err, "{v}");
    assert_eq!(error_code(&v), "REACTION_INVALID", "{v}");
    assert!(text(&v).contains("only 👍 ❤"), "{v}");
    assert_eq!(
        h.dc.count_of::<tl::functions::channels::GetFullChannel>(),
        1
    );
    // The heart as keyboards type it (with U+FE0F) is Telegram's ❤.
    let (err, v) = call(
        &client,
        "react_or_pin",
        json!({"chat_id": chat, "message_id": 6, "reaction": "❤\u{fe0f}"}),
    )
    .await;
    assert!(!err, "{v}");
    assert!(reactions(&v).contains(&reaction("❤", 1, true)), "{v}");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn reacting_to_a_missing_message_or_with_words_is_refused() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (err, v) = call(
        &client,
        "react_or_pin",
        json!({"chat_id": "1001", "message_id": 999, "reaction": "👍"}),
    )
    .await;
    assert!(err, "{v}");
    assert_eq!(error_code(&v), "MESSAGE_ID_INVALID", "{v}");
    assert!(text(&v).contains("message 999 does not exist"), "{v}");
    let before = h.dc.count_of::<tl::functions::messages::SendReaction>();
    for args in [
        json!({"chat_id": "1001", "message_id": 1, "reaction": "thumbs up"}),
        json!({"chat_id": "1001", "message_id": 1}),
        json!({"chat_id": "1001", "message_id": -1, "pin": true}),
    ] {
        let (err, v) = call(&client, "react_or_pin", args).await;
        assert!(err, "{v}");
        assert_eq!(v["action"], "fix_arguments", "{v}");
    }
    assert_eq!(
        h.dc.count_of::<tl::functions::messages::SendReaction>(),
        before
    );
    assert_eq!(
        h.dc.count_of::<tl::functions::messages::UpdatePinnedMessage>(),
        0
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn pinning_is_silent_shows_in_the_chat_and_repeats_harmlessly_and_unpins() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let pin = |on: bool| json!({"chat_id": "1001", "message_id": 3, "pin": on});
    for _ in 0..2 {
        let (err, v) = call(&client, "react_or_pin", pin(true)).await;
        assert!(!err, "{v}");
        assert_eq!(v, json!({"pinned": true}));
        assert!(h.dc.world().message(BABBAGE, 3).unwrap().pinned);
    }
    let (err, v) = call(&client, "react_or_pin", pin(false)).await;
    assert!(!err, "{v}");
    assert_eq!(v, json!({"pinned": false}));
    assert!(!h.dc.world().message(BABBAGE, 3).unwrap().pinned);
    let requests =
        h.dc.requests_of::<tl::functions::messages::UpdatePinnedMessage>();
    assert_eq!(requests.len(), 3);
    assert!(requests.iter().all(|r| r.silent && r.id == 3));
    assert_eq!(
        requests.iter().map(|r| r.unpin).collect::<Vec<_>>(),
        vec![false, false, true]
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_reaction_and_a_pin_go_together_and_pinning_in_a_group_needs_admin_rights() {
    let h = Harness::with(reacted_world(true), true).await;
    let client = h.client().await;
    // The self user created the basic group: it may pin there.
    let (err, v) = call(
        &client,
        "react_or_pin",
        json!({"chat_id": GROUP.to_string(), "message_id": 10, "reaction": "🎉", "pin": true}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(reactions(&v), vec![reaction("🎉", 1, true)]);
    assert_eq!(v["pinned"], true);
    // Not an admin of Rust Learners.
    let (err, v) = call(
        &client,
        "react_or_pin",
        json!({"chat_id": RUST_LEARNERS.to_string(), "message_id": 6, "pin": true}),
    )
    .await;
    assert!(err, "{v}");
    assert_eq!(error_code(&v), "CHAT_ADMIN_REQUIRED", "{v}");
    assert!(text(&v).contains("admin rights"), "{v}");
    assert!(!h.dc.world().message(RUST, 6).unwrap().pinned);
    client.cancel().await.unwrap();
}

// ---------------------------------------------------------------------------------------
// forwarding (send_message)

/// Forwards @babbage's messages `ids` to Saved Messages, with `more` arguments.
async fn forward_to_me(
    client: &testkit::harness::Client,
    ids: &[i32],
    more: Value,
) -> (bool, Value) {
    let mut args =
        json!({"chat_id": "me", "message": "", "forward_from": "1001", "message_ids": ids});
    if let (Some(args), Value::Object(more)) = (args.as_object_mut(), more) {
        args.extend(more);
    }
    call(client, "send_message", args).await
}

fn forwarded_from(m: &Value) -> Option<i64> {
    m.get("forwarded_from").map(|f| f["id"].as_i64().unwrap())
}

#[tokio::test]
async fn forwarding_keeps_the_author_and_hide_author_sends_copies() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (err, v) = forward_to_me(&client, &[1, 3], json!({})).await;
    assert!(!err, "{v}");
    assert_eq!(v["status"], "sent");
    let messages = v["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2, "{v}");
    assert!(
        messages.iter().all(|m| forwarded_from(m) == Some(1001)),
        "{v}"
    );
    assert!(
        messages[0]["text"]
            .as_str()
            .is_some_and(|t| t.starts_with("Good morning Ada!")),
        "{v}"
    );
    assert!(v.get("not_forwarded").is_none());
    let request = &h
        .dc
        .requests_of::<tl::functions::messages::ForwardMessages>()[0];
    assert_eq!(request.id, vec![1, 3]);
    assert!(!request.drop_author);
    assert_eq!(
        h.dc.count_of::<tl::functions::messages::SendMessage>(),
        0,
        "no comment"
    );
    let id = messages[0]["id"].as_i64().unwrap() as i32;
    let copy =
        h.dc.world()
            .message(ME, id)
            .cloned()
            .expect("in Saved Messages");
    assert!(copy.fwd_from.is_some());

    let (err, v) = forward_to_me(&client, &[3], json!({"hide_author": true})).await;
    assert!(!err, "{v}");
    let messages = v["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(forwarded_from(&messages[0]), None, "{v}");
    assert!(h.dc.requests_of::<tl::functions::messages::ForwardMessages>()[1].drop_author);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_comment_goes_first_then_the_forwards_into_a_forum_topic() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": FORUM.to_string(), "reply_to_id": 10, "message": "See these",
               "forward_from": RUST_LEARNERS.to_string(), "message_ids": [2, 4]}),
    )
    .await;
    assert!(!err, "{v}");
    let messages = v["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 3, "{v}");
    assert_eq!(messages[0]["text"], "See these");
    assert_eq!(forwarded_from(&messages[0]), None);
    assert_eq!(forwarded_from(&messages[1]), Some(1005));
    assert_eq!(v["message_id"], messages[0]["id"]);
    let names = h.dc.request_names();
    let send = names
        .iter()
        .position(|n| n == "messages.sendMessage")
        .unwrap();
    let forward = names
        .iter()
        .position(|n| n == "messages.forwardMessages")
        .unwrap();
    assert!(send < forward, "{names:?}");
    let request = &h
        .dc
        .requests_of::<tl::functions::messages::ForwardMessages>()[0];
    assert_eq!(request.top_msg_id, Some(10));
    let forum = Peer::from_bot_api(FORUM).unwrap();
    let id = messages[2]["id"].as_i64().unwrap() as i32;
    let copy = h.dc.world().message(forum, id).cloned().unwrap();
    assert_eq!((copy.top_id, copy.forum_topic), (Some(10), true));
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn ids_telegram_does_not_forward_are_named_and_none_at_all_is_an_error() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (err, v) = forward_to_me(&client, &[1, 999], json!({})).await;
    assert!(!err, "{v}");
    assert_eq!(v["messages"].as_array().unwrap().len(), 1);
    assert_eq!(v["not_forwarded"], json!([999]));
    let (err, v) = forward_to_me(&client, &[998], json!({})).await;
    assert!(err, "{v}");
    assert_eq!(error_code(&v), "MESSAGE_ID_INVALID", "{v}");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_chat_that_protects_its_content_refuses_and_says_a_comment_went_out() {
    let mut world = sample_world();
    world.chats.get_mut(&RUST).unwrap().noforwards = true;
    let h = Harness::with(world, true).await;
    let client = h.client().await;
    let before = h.history_len(ME);
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "me", "message": "", "forward_from": RUST_LEARNERS.to_string(),
               "message_ids": [2]}),
    )
    .await;
    assert!(err, "{v}");
    assert_eq!(error_code(&v), "CHAT_FORWARDS_RESTRICTED", "{v}");
    assert!(text(&v).contains("protects its content"), "{v}");
    assert_eq!(h.history_len(ME), before);
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "me", "message": "look", "forward_from": RUST_LEARNERS.to_string(),
               "message_ids": [2]}),
    )
    .await;
    assert!(err, "{v}");
    assert!(text(&v).contains("the comment was sent first"), "{v}");
    assert_eq!(h.history_len(ME), before + 1);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn forwarding_arguments_that_do_not_go_together_are_refused_before_any_request() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    for (args, says) in [
        (
            json!({"chat_id": "me", "message": "", "forward_from": "1001"}),
            "go together",
        ),
        (
            json!({"chat_id": "me", "message": "", "message_ids": [1]}),
            "go together",
        ),
        (
            json!({"chat_id": "me", "message": "", "forward_from": "1001", "message_ids": [1],
                   "files": ["/tmp/a.png"]}),
            "files",
        ),
        (
            json!({"chat_id": "me", "message": "", "forward_from": "1001", "message_ids": [1],
                   "save_as_draft": true}),
            "save_as_draft",
        ),
        (
            json!({"chat_id": "me", "message": "hi", "hide_author": true}),
            "hide_author",
        ),
    ] {
        let (err, v) = call(&client, "send_message", args).await;
        assert!(err, "{v}");
        assert!(text(&v).contains(says), "{says}: {v}");
    }
    assert_eq!(
        h.dc.count_of::<tl::functions::messages::ForwardMessages>(),
        0
    );
    assert_eq!(h.dc.count_of::<tl::functions::messages::SendMessage>(), 0);
    client.cancel().await.unwrap();
}

// ---------------------------------------------------------------------------------------
// the options

#[tokio::test]
async fn read_only_mode_hides_both_tools_and_the_allowlist_offers_them_alone() {
    let h = Harness::signed_in().await;
    let mut cmd = h.command();
    cmd.env("READ_ONLY", "true");
    let client = testkit::harness::spawn(cmd).await;
    let tools = client.list_all_tools().await.unwrap();
    assert!(
        !tools
            .iter()
            .any(|t| t.name == "delete_messages" || t.name == "react_or_pin")
    );
    let refused = client
        .call_tool(
            rmcp::model::CallToolRequestParams::new("delete_messages".to_string()).with_arguments(
                json!({"chat_id": "1001", "message_ids": [1]})
                    .as_object()
                    .cloned()
                    .unwrap(),
            ),
        )
        .await;
    assert!(
        refused.is_err() || refused.is_ok_and(|r| r.is_error == Some(true)),
        "a hidden tool is not called"
    );
    assert_eq!(
        h.dc.count_of::<tl::functions::messages::DeleteMessages>(),
        0
    );
    client.cancel().await.unwrap();

    let mut cmd = h.command();
    cmd.env("TOOLS", "delete_messages, react_or_pin");
    let client = testkit::harness::spawn(cmd).await;
    let mut names: Vec<String> = client
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name.to_string())
        .collect();
    names.sort();
    assert_eq!(names, vec!["delete_messages", "react_or_pin"]);
    let tools = client.list_all_tools().await.unwrap();
    let hints = |name: &str| {
        let a = tools
            .iter()
            .find(|t| t.name == name)
            .and_then(|t| t.annotations.clone())
            .unwrap();
        (a.read_only_hint, a.destructive_hint, a.idempotent_hint)
    };
    assert_eq!(
        hints("delete_messages"),
        // Writing is the protocol's default, left out of the list.
        (None, Some(true), Some(true))
    );
    assert_eq!(hints("react_or_pin"), (None, Some(false), Some(true)));
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_forward_cut_off_while_telegram_processes_it_is_forwarded_once() {
    let (h, client) = Harness::warmed_up().await;
    let before = h.history_len(ME);
    h.dc.inject(
        FaultRule::on(
            "messages.forwardMessages",
            FaultAction::Delay(Duration::from_secs(3)),
        )
        .times(1),
    );
    let peer = client.peer().clone();
    let forwarding = tokio::spawn(async move {
        call(
            &peer,
            "send_message",
            json!({"chat_id": "me", "message": "", "forward_from": "1001", "message_ids": [1, 3]}),
        )
        .await
    });
    wait_until("the copies to be stored", || {
        h.history_len(ME) == before + 2
    })
    .await;
    h.dc.drop_connections();
    let (err, v) = forwarding.await.unwrap();
    assert!(!err, "{v}");
    assert_eq!(h.history_len(ME), before + 2, "forwarded exactly once");
    assert_eq!(v["messages"].as_array().map(Vec::len), Some(2), "{v}");
    let requests =
        h.dc.requests_of::<tl::functions::messages::ForwardMessages>();
    assert!(requests.len() >= 2, "sent again after the drop");
    assert!(
        requests
            .iter()
            .all(|r| r.random_id == requests[0].random_id)
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_deletion_sent_again_after_a_dropped_connection_still_reports_what_it_deleted() {
    let (h, client) = Harness::warmed_up().await;
    h.dc.inject(
        FaultRule::on(
            "messages.deleteMessages",
            FaultAction::Delay(Duration::from_secs(3)),
        )
        .times(1),
    );
    let peer = client.peer().clone();
    let deleting = tokio::spawn(async move {
        call(
            &peer,
            "delete_messages",
            json!({"chat_id": "1001", "message_ids": [2, 3]}),
        )
        .await
    });
    wait_until("the messages to be deleted", || {
        h.dc.world().message(BABBAGE, 2).is_none()
    })
    .await;
    h.dc.drop_connections();
    let (err, v) = deleting.await.unwrap();
    assert!(!err, "{v}");
    assert_eq!(v, json!({"deleted": 2, "for_everyone": true}));
    assert!(h.dc.count_of::<tl::functions::messages::DeleteMessages>() >= 2);
    client.cancel().await.unwrap();
}
