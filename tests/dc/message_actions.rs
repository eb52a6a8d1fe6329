//! Acting on messages as Telegram answers it, driven by the real grammers client: Premium's
//! three reactions, forward headers (a post's channel, a forward's first author), pins and
//! allowed reactions in a chat's full profile, and deletion rights in a broadcast channel.

use grammers_session::types::{PeerAuth, PeerId, PeerRef};
use grammers_tl_types as tl;

use crate::client::{TestClient, connect, sample_world};
use testkit::fake_dc::FakeDc;
use testkit::world::{Peer, tl_build};

const RUST_LEARNERS: i64 = -1001000000001;
const ENGINE_NEWS: i64 = -1001000000002;
const QUIET: i64 = -1001000000005;

fn input_peer(dc: &FakeDc, bot_api: i64) -> tl::enums::InputPeer {
    let peer = Peer::from_bot_api(bot_api).unwrap();
    PeerRef {
        id: PeerId::from_bot_api_dialog_id(bot_api).unwrap(),
        auth: PeerAuth::from_hash(dc.world().access_hash(peer)),
    }
    .into()
}

fn input_channel(dc: &FakeDc, bot_api: i64) -> tl::enums::InputChannel {
    let tl::enums::InputPeer::Channel(c) = input_peer(dc, bot_api) else {
        panic!("{bot_api} is no channel");
    };
    tl::types::InputChannel {
        channel_id: c.channel_id,
        access_hash: c.access_hash,
    }
    .into()
}

fn rpc_name(err: grammers_client::InvocationError) -> String {
    match err {
        grammers_client::InvocationError::Rpc(rpc) => rpc.name,
        other => panic!("expected an RPC error, got {other}"),
    }
}

fn react(dc: &FakeDc, emoji: &[&str]) -> tl::functions::messages::SendReaction {
    tl::functions::messages::SendReaction {
        big: false,
        add_to_recent: false,
        peer: input_peer(dc, RUST_LEARNERS),
        msg_id: 6,
        reaction: Some(
            emoji
                .iter()
                .map(|e| {
                    tl::types::ReactionEmoji {
                        emoticon: e.to_string(),
                    }
                    .into()
                })
                .collect(),
        ),
    }
}

async fn full_channel(tc: &TestClient, dc: &FakeDc, bot_api: i64) -> tl::types::ChannelFull {
    let tl::enums::messages::ChatFull::Full(full) = tc
        .client
        .invoke(&tl::functions::channels::GetFullChannel {
            channel: input_channel(dc, bot_api),
        })
        .await
        .unwrap();
    match full.full_chat {
        tl::enums::ChatFull::ChannelFull(c) => c,
        other => panic!("not a channel's: {other:?}"),
    }
}

#[tokio::test]
async fn premium_users_set_three_reactions_others_one() {
    for premium in [false, true] {
        let mut world = sample_world();
        world.users.get_mut(&world.self_id).unwrap().premium = premium;
        let dc = FakeDc::start(world).unwrap();
        let tc = connect(&dc, true).await;
        let three = tc.client.invoke(&react(&dc, &["👍", "🔥", "🎉"])).await;
        match three {
            Ok(_) => assert!(premium),
            Err(e) => {
                assert!(!premium);
                assert_eq!(rpc_name(e), "REACTIONS_TOO_MANY");
            }
        }
        let four = tc
            .client
            .invoke(&react(&dc, &["👍", "🔥", "🎉", "👏"]))
            .await;
        assert_eq!(rpc_name(four.unwrap_err()), "REACTIONS_TOO_MANY");
        let stored = dc
            .world()
            .message(Peer::from_bot_api(RUST_LEARNERS).unwrap(), 6)
            .cloned();
        assert_eq!(stored.unwrap().reactions.len(), if premium { 3 } else { 0 });
    }
}

#[tokio::test]
async fn a_full_profile_reports_allowed_reactions_and_the_pinned_message() {
    let mut world = sample_world();
    let rust = Peer::from_bot_api(RUST_LEARNERS).unwrap();
    world.chats.get_mut(&rust).unwrap().reactions = Some(vec!["👍".into()]);
    world.chats.get_mut(&rust).unwrap().creator = true;
    let dc = FakeDc::start(world).unwrap();
    let tc = connect(&dc, true).await;
    let full = full_channel(&tc, &dc, RUST_LEARNERS).await;
    let Some(tl::enums::ChatReactions::Some(some)) = full.available_reactions else {
        panic!("{:?}", full.available_reactions);
    };
    assert_eq!(some.reactions.len(), 1);
    let refused = tc.client.invoke(&react(&dc, &["🔥"])).await;
    assert_eq!(rpc_name(refused.unwrap_err()), "REACTION_INVALID");
    // The world's message 1 is pinned; pinning 6 makes it the newest pinned.
    assert_eq!(full.pinned_msg_id, Some(1));
    let answer = tc
        .client
        .invoke(&tl::functions::messages::UpdatePinnedMessage {
            silent: true,
            unpin: false,
            pm_oneside: false,
            peer: input_peer(&dc, RUST_LEARNERS),
            id: 6,
        })
        .await
        .unwrap();
    let tl::enums::Updates::Updates(u) = answer else {
        panic!("{answer:?}");
    };
    assert!(matches!(
        &u.updates[..],
        [tl::enums::Update::PinnedChannelMessages(p)] if p.pinned && p.messages == vec![6]
    ));
    assert_eq!(
        full_channel(&tc, &dc, RUST_LEARNERS).await.pinned_msg_id,
        Some(6)
    );
}

#[tokio::test]
async fn a_forward_names_a_posts_channel_and_keeps_a_forwards_first_author() {
    let dc = FakeDc::start(sample_world()).unwrap();
    let tc = connect(&dc, true).await;
    let forward = |from: i64, id: i32, random_id: i64| tl::functions::messages::ForwardMessages {
        silent: false,
        background: false,
        with_my_score: false,
        drop_author: false,
        drop_media_captions: false,
        noforwards: false,
        allow_paid_floodskip: false,
        from_ephemeral: false,
        from_peer: input_peer(&dc, from),
        id: vec![id],
        random_id: vec![random_id],
        to_peer: tl::enums::InputPeer::PeerSelf,
        top_msg_id: None,
        reply_to: None,
        schedule_date: None,
        schedule_repeat_period: None,
        send_as: None,
        quick_reply_shortcut: None,
        effect: None,
        video_timestamp: None,
        allow_paid_stars: None,
        suggested_post: None,
    };
    tc.client
        .invoke(&forward(ENGINE_NEWS, 2, 71))
        .await
        .unwrap();
    let me = Peer::User(dc.world().self_id);
    let (peer, id) = dc.world().sent_by_random_id[&71];
    assert_eq!(peer, me);
    let copy = dc.world().message(me, id).cloned().unwrap();
    let Some(tl::enums::MessageFwdHeader::Header(header)) = copy.fwd_from else {
        panic!("no header");
    };
    let channel = Peer::from_bot_api(ENGINE_NEWS).unwrap();
    assert_eq!(header.from_id, Some(channel.to_tl()));
    assert_eq!(header.channel_post, Some(2));
    assert_eq!(
        header.saved_from_msg_id,
        Some(2),
        "saved into Saved Messages"
    );
    // Forwarding that copy again keeps the channel as the author.
    tc.client.invoke(&forward(1000, id, 72)).await.unwrap();
    let (_, again) = dc.world().sent_by_random_id[&72];
    let twice = dc.world().message(me, again).cloned().unwrap();
    let Some(tl::enums::MessageFwdHeader::Header(first)) = twice.fwd_from.clone() else {
        panic!("no header");
    };
    assert_eq!(first.from_id, Some(channel.to_tl()));
    let message = tl_build::message(&dc.world(), &twice);
    assert!(matches!(message, tl::enums::Message::Message(m) if m.fwd_from.is_some()));
}

#[tokio::test]
async fn in_a_broadcast_channel_only_its_admins_delete_posts() {
    let dc = FakeDc::start(sample_world()).unwrap();
    let tc = connect(&dc, true).await;
    let delete = |channel: i64| tl::functions::channels::DeleteMessages {
        channel: input_channel(&dc, channel),
        id: vec![1],
    };
    let refused = tc.client.invoke(&delete(QUIET)).await;
    assert_eq!(rpc_name(refused.unwrap_err()), "MESSAGE_DELETE_FORBIDDEN");
    let quiet = Peer::from_bot_api(QUIET).unwrap();
    assert!(dc.world().message(quiet, 1).is_some());
    // The self user created Engine News.
    let tl::enums::messages::AffectedMessages::Messages(done) =
        tc.client.invoke(&delete(ENGINE_NEWS)).await.unwrap();
    assert_eq!(done.pts_count, 1);
    let tl::enums::messages::AffectedMessages::Messages(again) =
        tc.client.invoke(&delete(ENGINE_NEWS)).await.unwrap();
    assert_eq!((again.pts, again.pts_count), (done.pts, 0));
}
