//! Waiting for a reply over stdio against the loopback DC: `get_messages` with `after_id` lists
//! forward, and with `wait_seconds` waits for what comes after a message — a bot's scripted
//! answer, a group member's message while others talk, a topic's or a post's comments — polling
//! at most once per two seconds, ending on cancellation, reporting progress, and refusing what
//! it cannot combine with.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use grammers_tl_types as tl;
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, ProgressToken, RequestMetaObject};
use rmcp::transport::TokioChildProcess;
use serde_json::{Value, json};
use tokio::task::JoinHandle;

use crate::deadlines_and_cancellation::start_call;
use crate::send_files::Host;
use testkit::fake_dc::{FaultAction, FaultRule};
use testkit::harness::{Client, Harness, call, result_value, spawn, spawn_modern};
use testkit::wait::wait_until;
use testkit::world::{BABBAGE, FORUM, Peer, World, sample_json};

const WEATHER_BOT: i64 = 1004;
const GROUP: i64 = -4001;
const ENGINE_NEWS: i64 = -1001000000002;
const ENGINE_CHAT: i64 = -1001000000003;

/// The sample world where @weather_bot answers every message after `after_ms`.
fn with_weather_bot(after_ms: u64) -> World {
    let mut json = sample_json();
    json["auto_replies"] = json!([{
        "chat": WEATHER_BOT,
        "text": "London: sunny, 21°C",
        "after_ms": after_ms,
        "reply": true,
    }]);
    World::from_json(json).expect("the world loads")
}

fn peer(id: i64) -> Peer {
    Peer::from_bot_api(id).expect("a Bot API id")
}

fn ids(v: &Value) -> Vec<i64> {
    v["messages"]
        .as_array()
        .unwrap_or_else(|| panic!("no messages in {v}"))
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect()
}

fn histories(h: &Harness) -> Vec<tl::functions::messages::GetHistory> {
    h.dc.requests_of::<tl::functions::messages::GetHistory>()
}

/// A warmed-up server with its DC's record emptied, and what `get_messages` answers to `args`.
async fn read_warm(args: Value) -> (Harness, Client, Value) {
    let (h, client) = Harness::warmed_up().await;
    h.dc.clear_requests();
    let (err, v) = call(&client, "get_messages", args).await;
    assert!(!err, "{v}");
    (h, client, v)
}

/// A warmed-up server with its DC's record emptied, and `get_messages` with `args` started on
/// a task of its own, so that the test acts while it waits.
async fn wait_warm(args: Value) -> (Harness, Client, JoinHandle<(bool, Value)>) {
    let (h, client) = Harness::warmed_up().await;
    h.dc.clear_requests();
    let peer = client.peer().clone();
    let waiting = tokio::spawn(async move { call(&peer, "get_messages", args).await });
    (h, client, waiting)
}

/// Sends to the bot, then waits for its answer on `client`.
async fn send_to_the_bot_and_wait(h: &Harness, client: &Client) {
    let (err, sent) = call(
        client,
        "send_message",
        json!({"chat_id": "@weather_bot", "message": "/forecast London"}),
    )
    .await;
    assert!(!err, "{sent}");
    let sent_id = sent["messages"][0]["id"].as_i64().expect("the sent id");
    h.dc.clear_requests();
    let (err, v) = call(
        client,
        "get_messages",
        json!({"chat_id": "@weather_bot", "after_id": sent_id, "wait_seconds": 20}),
    )
    .await;
    assert!(!err, "{v}");
    let reply = &v["messages"][0];
    assert_eq!(v["messages"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(reply["text"], "London: sunny, 21°C");
    assert_eq!(reply["sender"]["id"], WEATHER_BOT, "{v}");
    assert_eq!(reply["reply_to_msg_id"], sent_id, "{v}");
    assert_eq!(v["has_more"], false);
    assert!(v.get("waited_seconds").is_none(), "it came: {v}");
    // The answer was not there at once: polled again, never more than once per two seconds.
    let polls = histories(h);
    assert!(
        (2..=11).contains(&polls.len()),
        "{} polls for a 20 s wait",
        polls.len()
    );
    assert!(
        polls.iter().all(|r| r.min_id == sent_id as i32),
        "{polls:?}"
    );
    assert_eq!(
        h.dc.request_names().len(),
        polls.len(),
        "only history polls"
    );
}

#[tokio::test]
async fn a_message_to_a_bot_then_a_wait_answers_with_the_bots_reply() {
    let h = Harness::with(with_weather_bot(2_500), true).await;
    let client = h.client().await;
    send_to_the_bot_and_wait(&h, &client).await;
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_wait_answers_the_bots_reply_on_protocol_2026_07_28_too() {
    let h = Harness::with(with_weather_bot(2_500), true).await;
    let client = spawn_modern(h.command()).await;
    send_to_the_bot_and_wait(&h, &client).await;
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_reply_already_there_is_answered_at_once_with_one_request() {
    let (h, client, v) =
        read_warm(json!({"chat_id": "1001", "after_id": 4, "wait_seconds": 30})).await;
    assert_eq!(ids(&v), vec![5, 6], "oldest first");
    assert_eq!(v["has_more"], false);
    assert!(v.get("waited_seconds").is_none());
    assert_eq!(
        histories(&h).len(),
        1,
        "no poll: {:?}",
        h.dc.request_names()
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn nothing_arriving_ends_the_wait_empty_within_its_request_budget() {
    let (h, client, v) =
        read_warm(json!({"chat_id": "1001", "after_id": 6, "wait_seconds": 5})).await;
    assert_eq!(ids(&v), Vec::<i64>::new());
    assert_eq!(v["has_more"], false);
    assert_eq!(v["waited_seconds"], 5, "{v}");
    assert!(v.get("next_offset_id").is_none());
    // At once, then at 2.5 s and 5 s: within ceil(5 / 2) + 1.
    assert_eq!(histories(&h).len(), 3, "{:?}", h.dc.request_names());
    client.cancel().await.unwrap();
}

/// The wait is counted from the first look's answer: a slow first answer (a cold connection, a
/// busy Telegram) takes none of it, and the wait costs the requests it always does.
#[tokio::test]
async fn a_slow_first_look_does_not_shorten_the_wait() {
    let (h, client) = Harness::warmed_up().await;
    h.dc.clear_requests_and_inject(
        FaultRule::on(
            "messages.getHistory",
            FaultAction::Delay(Duration::from_secs(4)),
        )
        .times(1),
    );
    let (err, v) = call(
        &client,
        "get_messages",
        json!({"chat_id": "1001", "after_id": 6, "wait_seconds": 5}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(ids(&v), Vec::<i64>::new());
    assert_eq!(v["waited_seconds"], 5, "{v}");
    // The first look (answered after 4 s), then 2.5 s and 5 s after it.
    assert_eq!(histories(&h).len(), 3, "{:?}", h.dc.request_names());
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_wait_longer_than_the_call_deadline_allows_is_cut_to_it() {
    let h = Harness::signed_in().await;
    let mut cmd = h.command();
    cmd.env("CALL_TIMEOUT_SECONDS", "8");
    let client = spawn(cmd).await;
    let (err, v) = call(
        &client,
        "get_messages",
        json!({"chat_id": "@babbage", "after_id": 6, "wait_seconds": 50}),
    )
    .await;
    assert!(!err, "an answer, not the deadline's error: {v}");
    assert_eq!(v["waited_seconds"], 3, "8 s less 5 s for the answer: {v}");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn from_user_waits_past_other_members_messages_for_that_senders() {
    let (h, client, waiting) = wait_warm(
        json!({"chat_id": GROUP.to_string(), "after_id": 11, "from_user": "@babbage",
                       "wait_seconds": 20}),
    )
    .await;
    wait_until("the first poll", || !histories(&h).is_empty()).await;
    h.dc.arrive(peer(GROUP), Peer::User(1002), |m| {
        m.text = "Mary here, not Charles".into()
    });
    wait_until("a poll that reads Mary's message", || {
        histories(&h).len() >= 2
    })
    .await;
    let answer =
        h.dc.arrive(peer(GROUP), BABBAGE, |m| m.text = "Charles: agreed".into());
    let (err, v) = waiting.await.unwrap();
    assert!(!err, "{v}");
    assert_eq!(ids(&v), vec![answer as i64], "{v}");
    assert_eq!(v["messages"][0]["text"], "Charles: agreed");
    assert!(histories(&h).len() <= 11, "{}", histories(&h).len());
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_topic_wait_ends_with_that_topics_message_not_another_topics() {
    let (h, client, waiting) = wait_warm(json!({
        "chat_id": FORUM.to_string(), "reply_to_id": 10, "after_id": 12, "wait_seconds": 20
    }))
    .await;
    let replies = || h.dc.count_of::<tl::functions::messages::GetReplies>();
    wait_until("the first poll", || replies() >= 1).await;
    let in_topic = |topic: i32, text: &'static str| {
        move |m: &mut testkit::world::Msg| {
            m.text = text.into();
            m.reply_to_msg_id = Some(topic);
            m.top_id = Some(topic);
            m.forum_topic = true;
        }
    };
    h.dc.arrive(
        peer(FORUM),
        Peer::User(1005),
        in_topic(20, "about releases"),
    );
    wait_until("a poll after the other topic's message", || replies() >= 2).await;
    let design =
        h.dc.arrive(peer(FORUM), BABBAGE, in_topic(10, "Brass gears, then."));
    let (err, v) = waiting.await.unwrap();
    assert!(!err, "{v}");
    assert_eq!(ids(&v), vec![design as i64], "{v}");
    let polls = h.dc.requests_of::<tl::functions::messages::GetReplies>();
    assert!(
        polls.iter().all(|r| r.msg_id == 10 && r.min_id == 12),
        "{polls:?}"
    );
    assert_eq!(h.dc.count_of::<tl::functions::messages::GetHistory>(), 0);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_wait_on_a_posts_comments_ends_with_the_next_comment() {
    let (h, client, waiting) = wait_warm(
        json!({"chat_id": ENGINE_NEWS.to_string(), "reply_to_id": 2, "after_id": 5,
                       "wait_seconds": 20}),
    )
    .await;
    let replies = || h.dc.count_of::<tl::functions::messages::GetReplies>();
    wait_until("the first poll", || replies() >= 1).await;
    // Post 2's copy in the discussion group is message 4: comments reply to it.
    let comment = h.dc.arrive(peer(ENGINE_CHAT), Peer::User(1003), |m| {
        m.text = "Will it print tables too?".into();
        m.reply_to_msg_id = Some(4);
        m.top_id = Some(4);
    });
    let (err, v) = waiting.await.unwrap();
    assert!(!err, "{v}");
    assert_eq!(ids(&v), vec![comment as i64], "{v}");
    assert_eq!(v["messages"][0]["sender"]["id"], 1003);
    assert_eq!(v["discussion_chat_id"], ENGINE_CHAT, "{v}");
    client.cancel().await.unwrap();
}

/// A wait cancelled by the host (`notifications/cancelled`) sends nothing more, and the server
/// goes on serving.
async fn a_cancelled_wait_sends_no_request_after(h: &Harness, client: &Client) {
    h.dc.clear_requests();
    let handle = start_call(
        client,
        "get_messages",
        json!({"chat_id": "@babbage", "after_id": 6, "wait_seconds": 30}),
    )
    .await;
    wait_until("the first poll", || !histories(h).is_empty()).await;
    handle.cancel(None).await.expect("cancellation sent");
    // Two poll periods and more: a wait still running would have polled again.
    tokio::time::sleep(Duration::from_millis(4_500)).await;
    assert_eq!(histories(h).len(), 1, "{:?}", h.dc.request_names());
    let (err, v) = call(client, "get_messages", json!({"chat_id": "me", "limit": 1})).await;
    assert!(!err, "still serving: {v}");
}

#[tokio::test]
async fn cancelling_a_wait_ends_it_with_no_request_after_the_cancel() {
    let (h, client) = Harness::warmed_up().await;
    a_cancelled_wait_sends_no_request_after(&h, &client).await;
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn cancelling_a_wait_on_protocol_2026_07_28_ends_it_too() {
    let h = Harness::signed_in().await;
    let client = spawn_modern(h.command()).await;
    let (err, v) = call(
        &client,
        "get_messages",
        json!({"chat_id": "me", "limit": 1}),
    )
    .await;
    assert!(!err, "{v}");
    a_cancelled_wait_sends_no_request_after(&h, &client).await;
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_wait_reports_progress_to_a_caller_that_asked_for_it() {
    let h = Harness::signed_in().await;
    let host = Host::default();
    let (transport, _) = TokioChildProcess::builder(h.command()).spawn().unwrap();
    let client = host.clone().serve(transport).await.unwrap();
    let mut params = CallToolRequestParams::new("get_messages").with_arguments(
        json!({"chat_id": "@babbage", "after_id": 6, "wait_seconds": 5})
            .as_object()
            .cloned()
            .unwrap(),
    );
    params.meta = Some(RequestMetaObject::with_progress_token(ProgressToken(
        rmcp::model::NumberOrString::String("wait-1".into()),
    )));
    let result = client.call_tool(params).await.unwrap();
    let (err, v) = result_value(&client, "get_messages", &result).await;
    assert!(!err, "{v}");
    assert_eq!(v["waited_seconds"], 5);
    let reported: Arc<Mutex<_>> = host.progress.clone();
    wait_until("two progress notifications", || {
        reported.lock().unwrap().len() >= 2
    })
    .await;
    let progress = reported.lock().unwrap().clone();
    assert_eq!(progress.len(), 2, "one per later poll: {progress:?}");
    assert!(progress.windows(2).all(|w| w[0].0 < w[1].0), "{progress:?}");
    assert!(
        progress.iter().all(|(_, total)| *total == Some(5.0)),
        "{progress:?}"
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn after_id_alone_lists_forward_and_next_offset_id_continues_it() {
    let (h, client) = Harness::warmed_up().await;
    h.dc.clear_requests();
    let mut after = 0;
    let mut seen = Vec::new();
    for _ in 0..3 {
        let (err, v) = call(
            &client,
            "get_messages",
            json!({"chat_id": "@babbage", "after_id": after, "limit": 2}),
        )
        .await;
        assert!(!err, "{v}");
        seen.extend(ids(&v));
        match v["next_offset_id"].as_i64() {
            Some(next) => {
                assert_eq!(v["has_more"], true);
                after = next;
            }
            None => {
                assert_eq!(v["has_more"], false, "{v}");
                break;
            }
        }
    }
    assert_eq!(seen, vec![1, 2, 3, 4, 5, 6], "the whole chat, oldest first");
    assert_eq!(histories(&h).len(), 3, "one request a page");
    // A sender's messages only, continued past the others'.
    let (err, v) = call(
        &client,
        "get_messages",
        json!({"chat_id": "@babbage", "after_id": 0, "from_user": "me", "limit": 1}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(ids(&v), vec![2]);
    assert_eq!(v["next_offset_id"], 2, "{v}");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn after_id_and_wait_seconds_refuse_what_they_cannot_combine_with() {
    let (h, client) = Harness::warmed_up().await;
    h.dc.clear_requests();
    let refused = [
        (json!({"wait_seconds": 5}), "give after_id too"),
        (json!({"after_id": -1}), "must not be negative"),
        (json!({"after_id": 1, "query": "engine"}), "query"),
        (json!({"after_id": 1, "message_ids": [1]}), "message_ids"),
        (json!({"after_id": 1, "unread": true}), "unread"),
        (
            json!({"after_id": 1, "offset_id": 3}),
            "next_offset_id as after_id",
        ),
        (json!({"after_id": 1, "min_date": "2026-11-01"}), "min_date"),
        (json!({"after_id": 1, "context": 2}), "context"),
        (
            json!({"after_id": 1, "thread_scope": "direct"}),
            "thread_scope",
        ),
        (
            json!({"after_id": 1, "wait_seconds": 0}),
            "between 1 and 50",
        ),
        (
            json!({"after_id": 1, "wait_seconds": 51}),
            "between 1 and 50",
        ),
        (json!({"after_id": 1, "reply_to_id": 0}), "reply_to_id"),
        (
            json!({"after_id": 1, "include_total_count": true}),
            "include_total_count",
        ),
        (json!({"after_id": 1, "limit": 0}), "limit"),
    ];
    for (args, says) in refused {
        let mut args = args;
        args["chat_id"] = json!("@babbage");
        let (err, v) = call(&client, "get_messages", args.clone()).await;
        assert!(err, "{args} accepted: {v}");
        assert_eq!(v["action"], "fix_arguments", "{args}: {v}");
        let message = v["error"].as_str().unwrap_or("");
        assert!(message.contains(says), "{args}: {message}");
    }
    let (err, v) = call(
        &client,
        "get_messages",
        json!({"chat_id": "https://t.me/babbage/3", "after_id": 1}),
    )
    .await;
    assert!(err, "{v}");
    assert!(v["error"].as_str().unwrap().contains("message link"), "{v}");
    assert!(
        h.dc.request_names().is_empty(),
        "{:?}",
        h.dc.request_names()
    );
    // The largest id: nothing follows it, and asking is no error.
    let (err, v) = call(
        &client,
        "get_messages",
        json!({"chat_id": "1001", "after_id": i32::MAX, "limit": 100}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(ids(&v), Vec::<i64>::new());
    assert_eq!(v["has_more"], false);
    client.cancel().await.unwrap();
}
