//! Reading state as Telegram keeps it: read markers that only move forward, unread counts after
//! them, mention and reaction counters per chat and per forum topic, thread markers, driven by
//! the real grammers client.

use grammers_session::types::{PeerAuth, PeerId, PeerRef};
use grammers_tl_types as tl;

use crate::client::{TestClient, connect, sample_world};
use testkit::fake_dc::FakeDc;
use testkit::world::{DialogSpec, Peer};

const RUST_LEARNERS: i64 = -1001000000001;
const FORUM: i64 = -1001000000004;

fn input_peer(dc: &FakeDc, bot_api: i64) -> tl::enums::InputPeer {
    let peer = Peer::from_bot_api(bot_api).unwrap();
    PeerRef {
        id: PeerId::from_bot_api_dialog_id(bot_api).unwrap(),
        auth: PeerAuth::from_hash(dc.world().access_hash(peer)),
    }
    .into()
}

/// The dialog of one peer, as `messages.getPeerDialogs` reports it.
async fn peer_dialog(tc: &TestClient, dc: &FakeDc, bot_api: i64) -> tl::types::Dialog {
    let tl::enums::messages::PeerDialogs::Dialogs(answer) = tc
        .client
        .invoke(&tl::functions::messages::GetPeerDialogs {
            peers: vec![
                tl::types::InputDialogPeer {
                    peer: input_peer(dc, bot_api),
                }
                .into(),
            ],
        })
        .await
        .unwrap();
    match answer.dialogs.into_iter().next() {
        Some(tl::enums::Dialog::Dialog(d)) => d,
        other => panic!("no dialog: {other:?}"),
    }
}

async fn topic(tc: &TestClient, dc: &FakeDc, id: i32) -> tl::types::ForumTopic {
    let tl::enums::messages::ForumTopics::Topics(answer) = tc
        .client
        .invoke(&tl::functions::messages::GetForumTopicsById {
            peer: input_peer(dc, FORUM),
            topics: vec![id],
        })
        .await
        .unwrap();
    match answer.topics.into_iter().next() {
        Some(tl::enums::ForumTopic::Topic(t)) => t,
        other => panic!("no topic: {other:?}"),
    }
}

#[tokio::test]
async fn read_history_moves_the_marker_forward_once_and_takes_one_pts() {
    let mut world = sample_world();
    world.dialogs.insert(
        Peer::User(1001),
        DialogSpec {
            peer: 1001,
            unread_count: 2,
            unread_mark: true,
            ..DialogSpec::default()
        },
    );
    let dc = FakeDc::start(world).unwrap();
    let tc = connect(&dc, true).await;
    let before = peer_dialog(&tc, &dc, 1001).await;
    assert_eq!((before.unread_count, before.read_inbox_max_id), (2, 3));
    assert!(before.unread_mark);
    let read = |max_id| tl::functions::messages::ReadHistory {
        peer: input_peer(&dc, 1001),
        max_id,
    };
    let tl::enums::messages::AffectedMessages::Messages(first) =
        tc.client.invoke(&read(4)).await.unwrap();
    assert_eq!(first.pts_count, 1);
    let after = peer_dialog(&tc, &dc, 1001).await;
    assert_eq!((after.unread_count, after.read_inbox_max_id), (1, 4));
    // Backwards changes nothing and takes no pts.
    let tl::enums::messages::AffectedMessages::Messages(back) =
        tc.client.invoke(&read(2)).await.unwrap();
    assert_eq!((back.pts, back.pts_count), (first.pts, 0));
    assert_eq!(peer_dialog(&tc, &dc, 1001).await.read_inbox_max_id, 4);
    // 0 reads everything; the unread mark stays until markDialogUnread.
    tc.client.invoke(&read(0)).await.unwrap();
    let all = peer_dialog(&tc, &dc, 1001).await;
    assert_eq!((all.unread_count, all.read_inbox_max_id), (0, 6));
    assert!(all.unread_mark);
    tc.client
        .invoke(&tl::functions::messages::MarkDialogUnread {
            unread: false,
            parent_peer: None,
            peer: tl::types::InputDialogPeer {
                peer: input_peer(&dc, 1001),
            }
            .into(),
        })
        .await
        .unwrap();
    assert!(!peer_dialog(&tc, &dc, 1001).await.unread_mark);
    // Channels are read with channels.readHistory.
    let err = tc
        .client
        .invoke(&tl::functions::messages::ReadHistory {
            peer: input_peer(&dc, RUST_LEARNERS),
            max_id: 0,
        })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("PEER_ID_INVALID"), "{err}");
}

#[tokio::test]
async fn forum_topics_keep_their_own_markers_and_mention_counts() {
    let mut world = sample_world();
    let forum = world
        .chats
        .get_mut(&Peer::from_bot_api(FORUM).unwrap())
        .unwrap();
    for t in &mut forum.topics {
        if t.id == 10 {
            t.unread_count = 1;
            t.unread_mentions_count = 2;
        }
    }
    world.dialogs.insert(
        Peer::from_bot_api(FORUM).unwrap(),
        DialogSpec {
            peer: FORUM,
            unread_mentions_count: 3,
            ..DialogSpec::default()
        },
    );
    let dc = FakeDc::start(world).unwrap();
    let tc = connect(&dc, true).await;
    let design = topic(&tc, &dc, 10).await;
    assert_eq!((design.unread_count, design.read_inbox_max_id), (1, 11));
    assert_eq!(design.unread_mentions_count, 2);
    let mentions = tl::functions::messages::ReadMentions {
        peer: input_peer(&dc, FORUM),
        top_msg_id: Some(10),
    };
    let tl::enums::messages::AffectedHistory::History(first) =
        tc.client.invoke(&mentions).await.unwrap();
    assert_eq!((first.pts_count, first.offset), (1, 0));
    let tl::enums::messages::AffectedHistory::History(again) =
        tc.client.invoke(&mentions).await.unwrap();
    assert_eq!(again.pts_count, 0);
    assert_eq!(topic(&tc, &dc, 10).await.unread_mentions_count, 0);
    assert_eq!(
        peer_dialog(&tc, &dc, FORUM).await.unread_mentions_count,
        1,
        "the topic's share left the chat's count"
    );
    // readDiscussion with the topic's id reads the topic.
    let read = tc
        .client
        .invoke(&tl::functions::messages::ReadDiscussion {
            peer: input_peer(&dc, FORUM),
            msg_id: 10,
            read_max_id: 0,
        })
        .await
        .unwrap();
    assert!(read);
    let design = topic(&tc, &dc, 10).await;
    assert_eq!((design.unread_count, design.read_inbox_max_id), (0, 12));
}

#[tokio::test]
async fn a_thread_starts_read_and_read_discussion_moves_its_marker() {
    let dc = FakeDc::start(sample_world()).unwrap();
    let group = Peer::from_bot_api(-1001000000003).unwrap();
    dc.world().thread_reads.insert((group, 1), 1);
    let tc = connect(&dc, true).await;
    let discussion = |msg_id| tl::functions::messages::GetDiscussionMessage {
        peer: input_peer(&dc, -1001000000003),
        msg_id,
    };
    let tl::enums::messages::DiscussionMessage::Message(before) =
        tc.client.invoke(&discussion(1)).await.unwrap();
    assert_eq!(
        (before.unread_count, before.read_inbox_max_id),
        (2, Some(1))
    );
    tc.client
        .invoke(&tl::functions::messages::ReadDiscussion {
            peer: input_peer(&dc, -1001000000003),
            // A reply reads its root's thread.
            msg_id: 2,
            read_max_id: 2,
        })
        .await
        .unwrap();
    let tl::enums::messages::DiscussionMessage::Message(after) =
        tc.client.invoke(&discussion(1)).await.unwrap();
    assert_eq!((after.unread_count, after.read_inbox_max_id), (1, Some(2)));
    // Thread 4 was never read explicitly: read to its end.
    let tl::enums::messages::DiscussionMessage::Message(other) =
        tc.client.invoke(&discussion(4)).await.unwrap();
    assert_eq!(other.unread_count, 0);
}
