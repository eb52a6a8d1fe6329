//! Messages that arrive while a client waits, driven by the real grammers client: a chat's
//! scripted reply to what the client sends, stored on the first request at or after its time;
//! an incoming message unread behind the read marker; and the forward window (`min_id` with a
//! negative `add_offset`) a client polls with.

use grammers_tl_types as tl;

use crate::client::{connect, resolved_user, sample_world};
use testkit::fake_dc::FakeDc;
use testkit::world::{DialogSpec, Peer, World, sample_json};

const WEATHER_BOT: i64 = 1004;

fn bot_answering_after(after_ms: u64) -> World {
    let mut json = sample_json();
    json["auto_replies"] = serde_json::json!([
        {"chat": WEATHER_BOT, "text": "rain", "after_ms": after_ms, "reply": true}
    ]);
    World::from_json(json).expect("the world loads")
}

/// The messages after `after` in `peer`, as a polling client asks for them (newest first).
fn after(peer: tl::enums::InputPeer, after: i32) -> tl::functions::messages::GetHistory {
    tl::functions::messages::GetHistory {
        peer,
        offset_id: after + 1,
        offset_date: 0,
        add_offset: -3,
        limit: 3,
        max_id: 0,
        min_id: after,
        hash: 0,
    }
}

fn ids(answer: &tl::enums::messages::Messages) -> Vec<i32> {
    let messages = match answer {
        tl::enums::messages::Messages::Messages(m) => &m.messages,
        tl::enums::messages::Messages::Slice(m) => &m.messages,
        tl::enums::messages::Messages::ChannelMessages(m) => &m.messages,
        tl::enums::messages::Messages::NotModified(_) => return Vec::new(),
    };
    messages
        .iter()
        .filter_map(|m| match m {
            tl::enums::Message::Message(m) => Some(m.id),
            _ => None,
        })
        .collect()
}

/// Sends to the bot answering after `after_ms`, then asks for what follows: the DC, the sent
/// message's id and the ids that came after it.
async fn send_to_the_bot_then_look(after_ms: u64) -> (FakeDc, i32, Vec<i32>) {
    let dc = FakeDc::start(bot_answering_after(after_ms)).unwrap();
    let tc = connect(&dc, true).await;
    let bot = resolved_user(&dc, WEATHER_BOT);
    let sent = tc.client.send_message(bot, "/forecast").await.unwrap();
    let answer = tc
        .client
        .invoke(&after(bot.into(), sent.id()))
        .await
        .unwrap();
    (dc, sent.id(), ids(&answer))
}

#[tokio::test]
async fn a_scripted_reply_comes_on_the_first_request_at_or_after_its_time() {
    let (dc, sent, came) = send_to_the_bot_then_look(0).await;
    assert_eq!(came, vec![sent + 1]);
    let world = dc.world();
    let reply = world.message(Peer::User(WEATHER_BOT), sent + 1).unwrap();
    assert_eq!(reply.text, "rain");
    assert_eq!(reply.from, Some(Peer::User(WEATHER_BOT)));
    assert_eq!(reply.reply_to_msg_id, Some(sent));
    assert!(!reply.out);
}

#[tokio::test]
async fn a_scripted_reply_not_due_yet_is_not_there() {
    let (dc, _, came) = send_to_the_bot_then_look(600_000).await;
    assert_eq!(came, Vec::<i32>::new());
    assert_eq!(dc.world().arriving.len(), 1, "still on its way");
}

#[tokio::test]
async fn an_arrival_is_unread_behind_a_marker_that_stays_and_pages_forward() {
    let mut world = sample_world();
    world.dialogs.insert(
        Peer::User(1001),
        DialogSpec {
            peer: 1001,
            ..DialogSpec::default()
        },
    );
    let dc = FakeDc::start(world).unwrap();
    let tc = connect(&dc, true).await;
    let babbage = resolved_user(&dc, 1001);
    let first = dc.arrive(Peer::User(1001), Peer::User(1001), |m| {
        m.text = "one".into()
    });
    let second = dc.arrive(Peer::User(1001), Peer::User(1001), |m| {
        m.text = "two".into()
    });
    let dialogs = tc
        .client
        .invoke(&tl::functions::messages::GetPeerDialogs {
            peers: vec![
                tl::types::InputDialogPeer {
                    peer: babbage.into(),
                }
                .into(),
            ],
        })
        .await
        .unwrap();
    let tl::enums::messages::PeerDialogs::Dialogs(dialogs) = dialogs;
    let Some(tl::enums::Dialog::Dialog(dialog)) = dialogs.dialogs.first() else {
        panic!("no dialog");
    };
    assert_eq!((dialog.unread_count, dialog.read_inbox_max_id), (2, 5));
    // Forward from message 4: the three after it, newest first; from the newest arrival, none.
    let answer = tc.client.invoke(&after(babbage.into(), 4)).await.unwrap();
    assert_eq!(ids(&answer), vec![first, 6, 5]);
    let answer = tc.client.invoke(&after(babbage.into(), 6)).await.unwrap();
    assert_eq!(ids(&answer), vec![second, first]);
    let answer = tc
        .client
        .invoke(&after(babbage.into(), second))
        .await
        .unwrap();
    assert_eq!(ids(&answer), Vec::<i32>::new());
}
