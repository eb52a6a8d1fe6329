//! Reading the account: dialogs, folders, contacts, peers in full, forum topics, comments and
//! links, driven by the real grammers client against the loopback DC.

use grammers_client::InvocationError;
use grammers_session::types::{PeerAuth, PeerId, PeerRef};
use grammers_tl_types as tl;
use serde_json::json;

use crate::client::{connect, resolved_user, sample_world};
use testkit::fake_dc::FakeDc;
use testkit::world::{ChatSpec, FolderSpec, Peer, World};

/// A reference to any world peer (Bot API id), with the access hash the DC hands out.
fn peer_ref(dc: &FakeDc, bot_api: i64) -> PeerRef {
    let peer = Peer::from_bot_api(bot_api).unwrap();
    PeerRef {
        id: PeerId::from_bot_api_dialog_id(bot_api).unwrap(),
        auth: PeerAuth::from_hash(dc.world().access_hash(peer)),
    }
}

fn input_peer(dc: &FakeDc, bot_api: i64) -> tl::enums::InputPeer {
    peer_ref(dc, bot_api).into()
}

fn input_channel(dc: &FakeDc, bot_api: i64) -> tl::enums::InputChannel {
    peer_ref(dc, bot_api).into()
}

fn input_user(dc: &FakeDc, id: i64) -> tl::enums::InputUser {
    resolved_user(dc, id).into()
}

/// The RPC error name of a failed call.
fn rpc_error(err: InvocationError) -> (i32, String) {
    match err {
        InvocationError::Rpc(rpc) => (rpc.code, rpc.name),
        other => panic!("expected an RPC error, got {other}"),
    }
}

fn bot_api(peer: &tl::enums::Peer) -> i64 {
    Peer::from_tl(peer).bot_api()
}

fn dialog(d: &tl::enums::Dialog) -> &tl::types::Dialog {
    match d {
        tl::enums::Dialog::Dialog(d) => d,
        other => panic!("expected a dialog, got {other:?}"),
    }
}

fn dialog_peers(dialogs: &[tl::enums::Dialog]) -> Vec<i64> {
    dialogs.iter().map(|d| bot_api(&dialog(d).peer)).collect()
}

fn message_ids(messages: &[tl::enums::Message]) -> Vec<i32> {
    messages
        .iter()
        .map(|m| match m {
            tl::enums::Message::Message(m) => m.id,
            tl::enums::Message::Service(m) => m.id,
            tl::enums::Message::Empty(m) => m.id,
        })
        .collect()
}

fn message_peer(m: &tl::enums::Message) -> i64 {
    match m {
        tl::enums::Message::Message(m) => bot_api(&m.peer_id),
        tl::enums::Message::Service(m) => bot_api(&m.peer_id),
        tl::enums::Message::Empty(_) => 0,
    }
}

fn user_ids(users: &[tl::enums::User]) -> Vec<i64> {
    users
        .iter()
        .map(|u| match u {
            tl::enums::User::User(u) => u.id,
            tl::enums::User::Empty(u) => u.id,
        })
        .collect()
}

fn chat_ids(chats: &[tl::enums::Chat]) -> Vec<i64> {
    chats
        .iter()
        .map(|c| match c {
            tl::enums::Chat::Chat(c) => -c.id,
            tl::enums::Chat::Channel(c) => Peer::Channel(c.id).bot_api(),
            tl::enums::Chat::Empty(c) => -c.id,
            tl::enums::Chat::Forbidden(c) => -c.id,
            tl::enums::Chat::ChannelForbidden(c) => Peer::Channel(c.id).bot_api(),
            other => panic!("unexpected chat {other:?}"),
        })
        .collect()
}

fn get_dialogs(folder_id: Option<i32>, limit: i32) -> tl::functions::messages::GetDialogs {
    tl::functions::messages::GetDialogs {
        exclude_pinned: false,
        folder_id,
        offset_date: 0,
        offset_id: 0,
        offset_peer: tl::enums::InputPeer::Empty,
        limit,
        hash: 0,
    }
}

/// Every dialog of the sample world, as Telegram orders them: the pinned group first, then
/// newest top message first (the archived channel last: it is the oldest).
const SAMPLE_ORDER: [i64; 11] = [
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
    -1001000000005,
];

#[tokio::test]
async fn dialogs_come_pinned_first_then_newest() {
    let dc = FakeDc::start(sample_world()).unwrap();
    let tc = connect(&dc, true).await;
    let mut iter = tc.client.iter_dialogs();
    let mut peers = Vec::new();
    let mut dialogs = Vec::new();
    while let Some(d) = iter.next().await.unwrap() {
        peers.push(d.peer_id().bot_api_dialog_id_unchecked());
        dialogs.push(d);
    }
    assert_eq!(peers, SAMPLE_ORDER);
    assert_eq!(tc.client.iter_dialogs().total().await.unwrap(), 11);

    let group = dialog(&dialogs[0].raw);
    assert!(group.pinned);
    assert_eq!(group.top_message, 11);
    assert_eq!(group.unread_count, 1);
    assert_eq!(group.read_inbox_max_id, 9, "message 10 is the unread one");
    assert_eq!(group.read_outbox_max_id, 11);
    assert_eq!(
        dialogs[0].last_message.as_ref().unwrap().text(),
        "I will bring the engine tables."
    );

    let archived = dialog(&dialogs[10].raw);
    assert_eq!(archived.folder_id, Some(1));
    assert!(!archived.pinned);
    assert_eq!(archived.pts, Some(1), "channels carry their pts");
    let tl::enums::PeerNotifySettings::Settings(notify) = &archived.notify_settings;
    assert_eq!(notify.mute_until, Some(i32::MAX), "muted forever");
    let tl::enums::PeerNotifySettings::Settings(notify) = &dialog(&dialogs[1].raw).notify_settings;
    assert_eq!(notify.mute_until, None);

    // Saved Messages is the dialog with the self user.
    assert_eq!(dialogs[1].last_message.as_ref().unwrap().id(), 14);

    let requests = dc.requests_of::<tl::functions::messages::GetDialogs>();
    assert_eq!(
        requests[0].folder_id, None,
        "grammers lists every folder at once"
    );
    assert!(!requests[0].exclude_pinned);
    assert!(matches!(
        requests[0].offset_peer,
        tl::enums::InputPeer::Empty
    ));
}

#[tokio::test]
async fn archive_and_main_list_are_separate_folders() {
    let dc = FakeDc::start(sample_world()).unwrap();
    let tc = connect(&dc, true).await;

    let main = tc.client.invoke(&get_dialogs(Some(0), 100)).await.unwrap();
    let tl::enums::messages::Dialogs::Dialogs(main) = main else {
        panic!("the whole main list fits: messages.dialogs");
    };
    assert_eq!(dialog_peers(&main.dialogs), SAMPLE_ORDER[..10]);
    assert!(main.dialogs.iter().all(|d| dialog(d).folder_id.is_none()));
    assert_eq!(main.messages.len(), 10, "one top message per dialog");
    assert!(user_ids(&main.users).contains(&1002));
    assert!(chat_ids(&main.chats).contains(&-1001000000004));

    let archive = tc.client.invoke(&get_dialogs(Some(1), 100)).await.unwrap();
    let tl::enums::messages::Dialogs::Dialogs(archive) = archive else {
        panic!("the archive fits: messages.dialogs");
    };
    assert_eq!(dialog_peers(&archive.dialogs), vec![-1001000000005]);
    assert_eq!(message_ids(&archive.messages), vec![1]);
    assert_eq!(chat_ids(&archive.chats), vec![-1001000000005]);

    // Without the pinned group the main list no longer fits in one answer.
    let mut request = get_dialogs(Some(0), 100);
    request.exclude_pinned = true;
    let tl::enums::messages::Dialogs::Slice(unpinned) = tc.client.invoke(&request).await.unwrap()
    else {
        panic!("a partial list is a messages.dialogsSlice");
    };
    assert_eq!(unpinned.count, 10);
    assert_eq!(dialog_peers(&unpinned.dialogs), SAMPLE_ORDER[1..10]);

    let err = tc
        .client
        .invoke(&get_dialogs(Some(7), 100))
        .await
        .unwrap_err();
    assert_eq!(rpc_error(err), (400, "FOLDER_ID_INVALID".into()));

    let folders: Vec<Option<i32>> = dc
        .requests_of::<tl::functions::messages::GetDialogs>()
        .iter()
        .map(|r| r.folder_id)
        .collect();
    assert_eq!(folders, vec![Some(0), Some(1), Some(0), Some(7)]);
}

#[tokio::test]
async fn paging_with_offsets_walks_every_dialog_once() {
    let dc = FakeDc::start(sample_world()).unwrap();
    let tc = connect(&dc, true).await;
    let mut request = get_dialogs(None, 3);
    let mut seen = Vec::new();
    loop {
        let answer = tc.client.invoke(&request).await.unwrap();
        let tl::enums::messages::Dialogs::Slice(page) = answer else {
            panic!("11 dialogs never fit in 3: messages.dialogsSlice");
        };
        assert_eq!(page.count, 11);
        seen.extend(dialog_peers(&page.dialogs));
        if page.dialogs.len() < 3 {
            break;
        }
        // As clients do: continue after the last dialog's top message.
        let last = dialog(page.dialogs.last().unwrap());
        let top = page
            .messages
            .iter()
            .find(|m| {
                message_ids(std::slice::from_ref(m))[0] == last.top_message
                    && message_peer(m) == bot_api(&last.peer)
            })
            .unwrap();
        let tl::enums::Message::Message(top) = top else {
            panic!("a plain top message")
        };
        request.offset_date = top.date;
        request.offset_id = top.id;
        request.offset_peer = input_peer(&dc, bot_api(&last.peer));
        request.exclude_pinned = true;
    }
    assert_eq!(seen, SAMPLE_ORDER);
    let requests = dc.requests_of::<tl::functions::messages::GetDialogs>();
    assert_eq!(requests.len(), 4, "pages of 3, 3, 3 and 2");
    assert!(
        requests[1..]
            .iter()
            .all(|r| r.exclude_pinned && r.offset_date > 0)
    );
}

/// A world with more dialogs than one `messages.getDialogs` call returns.
fn crowded_world() -> World {
    let users: Vec<_> = (0..130)
        .map(|i| json!({"id": 2000 + i, "first_name": format!("User {i}")}))
        .collect();
    let messages: Vec<_> = (0..130)
        .map(|i| json!({"chat": 2000 + i, "id": i + 1, "from": 2000 + i, "date": 1_700_000_000 + i * 60, "text": format!("hello {i}")}))
        .collect();
    World::from_json(json!({
        "self": {"id": 1000, "first_name": "Ada"},
        "users": users,
        "messages": messages,
        "dialogs": [{"peer": 2005, "pinned": true}, {"peer": 2003, "pinned": true}],
    }))
    .unwrap()
}

#[tokio::test]
async fn grammers_pages_through_more_than_a_hundred_dialogs() {
    let dc = FakeDc::start(crowded_world()).unwrap();
    let tc = connect(&dc, true).await;
    let mut iter = tc.client.iter_dialogs();
    let mut peers = Vec::new();
    while let Some(d) = iter.next().await.unwrap() {
        peers.push(d.peer_id().bot_api_dialog_id_unchecked());
    }
    let mut expected = vec![2005, 2003];
    expected.extend(
        (0..130)
            .rev()
            .map(|i| 2000 + i)
            .filter(|id| *id != 2005 && *id != 2003),
    );
    assert_eq!(
        peers, expected,
        "pinned in pin order, then newest first, each once"
    );

    let requests = dc.requests_of::<tl::functions::messages::GetDialogs>();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].limit, 100);
    let second = &requests[1];
    assert!(second.exclude_pinned);
    // The 100th dialog of the first page: 2 pinned, then users 2129 down to 2032.
    assert_eq!(second.offset_id, 33);
    assert_eq!(second.offset_date, 1_700_000_000 + 32 * 60);
    let tl::enums::InputPeer::User(offset) = &second.offset_peer else {
        panic!("offset peer is the last user");
    };
    assert_eq!(offset.user_id, 2032);
}

#[tokio::test]
async fn peer_dialogs_answer_each_peer_with_state() {
    let dc = FakeDc::start(sample_world()).unwrap();
    let tc = connect(&dc, true).await;
    let request = tl::functions::messages::GetPeerDialogs {
        peers: vec![
            tl::types::InputDialogPeer {
                peer: input_peer(&dc, 1001),
            }
            .into(),
            tl::types::InputDialogPeer {
                peer: input_peer(&dc, -1001000000005),
            }
            .into(),
        ],
    };
    let tl::enums::messages::PeerDialogs::Dialogs(answer) =
        tc.client.invoke(&request).await.unwrap();
    assert_eq!(dialog_peers(&answer.dialogs), vec![1001, -1001000000005]);
    assert_eq!(dialog(&answer.dialogs[0]).top_message, 6);
    assert_eq!(dialog(&answer.dialogs[1]).folder_id, Some(1));
    assert_eq!(message_ids(&answer.messages), vec![6, 1]);
    assert_eq!(
        user_ids(&answer.users),
        vec![1000, 1001],
        "peer and message senders"
    );
    assert_eq!(chat_ids(&answer.chats), vec![-1001000000005]);
    let tl::enums::updates::State::State(state) = answer.state;
    assert_eq!(state.pts, dc.world().pts);

    let recorded = dc.requests_of::<tl::functions::messages::GetPeerDialogs>();
    assert_eq!(recorded[0].peers.len(), 2);
}

#[tokio::test]
async fn pinned_dialogs_of_each_folder() {
    let mut world = sample_world();
    world
        .dialogs
        .get_mut(&Peer::Channel(1000000005))
        .unwrap()
        .pinned = true;
    let dc = FakeDc::start(world).unwrap();
    let tc = connect(&dc, true).await;
    let main = tc
        .client
        .invoke(&tl::functions::messages::GetPinnedDialogs { folder_id: 0 })
        .await
        .unwrap();
    let tl::enums::messages::PeerDialogs::Dialogs(main) = main;
    assert_eq!(dialog_peers(&main.dialogs), vec![-4001]);
    let archive = tc
        .client
        .invoke(&tl::functions::messages::GetPinnedDialogs { folder_id: 1 })
        .await
        .unwrap();
    let tl::enums::messages::PeerDialogs::Dialogs(archive) = archive;
    assert_eq!(dialog_peers(&archive.dialogs), vec![-1001000000005]);
    assert!(dialog(&archive.dialogs[0]).pinned);
}

#[tokio::test]
async fn folders_carry_peers_with_access_hashes_and_flags() {
    let mut world = sample_world();
    world.folders.push(FolderSpec {
        id: 5,
        title: "Shared".into(),
        include: vec![-1001000000001, 1001],
        chatlist: true,
        ..FolderSpec::default()
    });
    let dc = FakeDc::start(world).unwrap();
    let tc = connect(&dc, true).await;
    let tl::enums::messages::DialogFilters::Filters(answer) = tc
        .client
        .invoke(&tl::functions::messages::GetDialogFilters {})
        .await
        .unwrap();
    assert!(!answer.tags_enabled);
    assert_eq!(answer.filters.len(), 5);
    assert!(
        matches!(answer.filters[0], tl::enums::DialogFilter::Default),
        "All chats first"
    );

    let tl::enums::DialogFilter::Filter(work) = &answer.filters[1] else {
        panic!("a folder")
    };
    assert_eq!(work.id, 2);
    let tl::enums::TextWithEntities::Entities(title) = &work.title;
    assert_eq!(title.text, "Work");
    assert_eq!(work.emoticon.as_deref(), Some("💼"));
    assert_eq!(work.pinned_peers, vec![input_peer(&dc, -4001)]);
    assert_eq!(
        work.include_peers,
        vec![input_peer(&dc, -1001000000004)],
        "a pinned chat is not repeated among the included ones"
    );
    assert!(work.exclude_peers.is_empty());
    assert!(!work.contacts && !work.groups && !work.broadcasts);

    let tl::enums::DialogFilter::Filter(bots) = &answer.filters[2] else {
        panic!("a folder")
    };
    assert!(bots.broadcasts && bots.bots && !bots.contacts && !bots.non_contacts && !bots.groups);
    assert_eq!(bots.exclude_peers, vec![input_peer(&dc, -1001000000005)]);
    let tl::enums::InputPeer::Channel(quiet) = &bots.exclude_peers[0] else {
        panic!("a channel")
    };
    assert_eq!(
        quiet.access_hash,
        dc.world().access_hash(Peer::Channel(1000000005))
    );

    let tl::enums::DialogFilter::Filter(people) = &answer.filters[3] else {
        panic!("a folder")
    };
    assert!(people.contacts && people.non_contacts && !people.bots);
    assert_eq!(people.exclude_peers, vec![input_peer(&dc, 1005)]);

    let tl::enums::DialogFilter::Chatlist(shared) = &answer.filters[4] else {
        panic!("a shareable folder is a dialogFilterChatlist")
    };
    assert_eq!(shared.id, 5);
    assert_eq!(
        shared.include_peers,
        vec![input_peer(&dc, -1001000000001), input_peer(&dc, 1001)]
    );
    assert_eq!(
        dc.request_names()
            .iter()
            .filter(|n| *n == "messages.getDialogFilters")
            .count(),
        1
    );
}

fn public_left_channel() -> ChatSpec {
    serde_json::from_value(json!({
        "id": -1001000000006_i64, "kind": "channel", "title": "Engineering Weekly",
        "username": "eng_weekly", "left": true, "participants_count": 900
    }))
    .unwrap()
}

async fn search(tc: &crate::client::TestClient, q: &str, limit: i32) -> tl::types::contacts::Found {
    let tl::enums::contacts::Found::Found(found) = tc
        .client
        .invoke(&tl::functions::contacts::Search {
            broadcasts: false,
            bots: false,
            q: q.into(),
            limit,
        })
        .await
        .unwrap();
    found
}

fn peers(list: &[tl::enums::Peer]) -> Vec<i64> {
    list.iter().map(bot_api).collect()
}

#[tokio::test]
async fn contacts_search_separates_known_peers_from_global_results() {
    let mut world = sample_world();
    world
        .chats
        .insert(Peer::Channel(1000000006), public_left_channel());
    let dc = FakeDc::start(world).unwrap();
    let tc = connect(&dc, true).await;

    // Chats in the list match by title; a public channel the account left is found globally.
    let found = search(&tc, "eng", 10).await;
    assert_eq!(
        peers(&found.my_results),
        vec![-1001000000002, -1001000000003]
    );
    assert_eq!(peers(&found.results), vec![-1001000000006]);
    assert_eq!(
        chat_ids(&found.chats),
        vec![-1001000000002, -1001000000003, -1001000000006]
    );

    // Usernames, with or without @, case-insensitively; unknown users come from global search.
    let found = search(&tc, "@GRACE", 10).await;
    assert!(found.my_results.is_empty());
    assert_eq!(peers(&found.results), vec![1003]);
    assert_eq!(user_ids(&found.users), vec![1003]);
    let found = search(&tc, "tur", 10).await;
    assert_eq!(
        peers(&found.my_results),
        vec![1005],
        "a contact matched by name and username once"
    );
    assert!(found.results.is_empty());

    // Contacts also match by phone digits.
    let found = search(&tc, "+1 555 000 1002", 10).await;
    assert_eq!(peers(&found.my_results), vec![1002]);

    // Limit applies.
    let found = search(&tc, "e", 1).await;
    assert_eq!(found.my_results.len(), 1);

    // Only bots, or only broadcast channels.
    let tl::enums::contacts::Found::Found(bots) = tc
        .client
        .invoke(&tl::functions::contacts::Search {
            broadcasts: false,
            bots: true,
            q: "weather".into(),
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(peers(&bots.my_results), vec![1004]);

    let err = tc
        .client
        .invoke(&tl::functions::contacts::Search {
            broadcasts: false,
            bots: false,
            q: " ".into(),
            limit: 10,
        })
        .await
        .unwrap_err();
    assert_eq!(rpc_error(err), (400, "QUERY_TOO_SHORT".into()));

    let queries: Vec<String> = dc
        .requests_of::<tl::functions::contacts::Search>()
        .into_iter()
        .map(|r| r.q)
        .collect();
    assert_eq!(
        queries,
        vec![
            "eng",
            "@GRACE",
            "tur",
            "+1 555 000 1002",
            "e",
            "weather",
            " "
        ]
    );
}

#[tokio::test]
async fn resolve_username_is_case_insensitive() {
    let dc = FakeDc::start(sample_world()).unwrap();
    let tc = connect(&dc, true).await;
    let peer = tc
        .client
        .resolve_username("Rust_Learners")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(peer.id().bot_api_dialog_id_unchecked(), -1001000000001);
    assert_eq!(peer.name(), Some("Rust Learners"));
    let user = tc
        .client
        .resolve_username("babbage")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.id().bot_api_dialog_id_unchecked(), 1001);
    assert!(
        tc.client
            .resolve_username("nobody_home")
            .await
            .unwrap()
            .is_none()
    );

    let err = tc
        .client
        .invoke(&tl::functions::contacts::ResolveUsername {
            username: "a-b".into(),
            referer: None,
        })
        .await
        .unwrap_err();
    assert_eq!(rpc_error(err), (400, "USERNAME_INVALID".into()));

    let names: Vec<String> = dc
        .requests_of::<tl::functions::contacts::ResolveUsername>()
        .into_iter()
        .map(|r| r.username)
        .collect();
    assert_eq!(
        names,
        vec!["Rust_Learners", "babbage", "nobody_home", "a-b"]
    );
}

#[tokio::test]
async fn resolve_phone_finds_users_by_number() {
    let dc = FakeDc::start(sample_world()).unwrap();
    let tc = connect(&dc, true).await;
    let tl::enums::contacts::ResolvedPeer::Peer(found) = tc
        .client
        .invoke(&tl::functions::contacts::ResolvePhone {
            phone: "+1 555 000 1005".into(),
        })
        .await
        .unwrap();
    assert_eq!(bot_api(&found.peer), 1005);
    assert_eq!(user_ids(&found.users), vec![1005]);

    let err = tc
        .client
        .invoke(&tl::functions::contacts::ResolvePhone {
            phone: "15559999999".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(rpc_error(err), (400, "PHONE_NOT_OCCUPIED".into()));
}

/// A contact to import, as the apps send one: a phone number under a name.
fn phone_contact(client_id: i64, phone: &str, first_name: &str) -> tl::enums::InputContact {
    tl::types::InputPhoneContact {
        client_id,
        phone: phone.into(),
        first_name: first_name.into(),
        last_name: String::new(),
        note: None,
    }
    .into()
}

#[tokio::test]
async fn import_contacts_past_the_import_limit_answers_retry_contacts() {
    let mut world = sample_world();
    world.users.get_mut(&1003).unwrap().phone = Some("15550001003".into());
    world.users.get_mut(&1004).unwrap().phone = Some("15550001004".into());
    // Two more numbers may be imported: every number counts, on Telegram or not.
    world.contact_imports_left = Some(2);
    let dc = FakeDc::start(world).unwrap();
    let tc = connect(&dc, true).await;
    let contact = |client_id: i64, phone: &str| phone_contact(client_id, phone, "Someone");
    let tl::enums::contacts::ImportedContacts::Contacts(imported) = tc
        .client
        .invoke(&tl::functions::contacts::ImportContacts {
            contacts: vec![
                contact(7, "+44 20 0000 0000"),
                contact(8, "+15550001003"),
                contact(9, "+15550001004"),
            ],
        })
        .await
        .unwrap();
    let ids: Vec<(i64, i64)> = imported
        .imported
        .iter()
        .map(|c| {
            let tl::enums::ImportedContact::Contact(c) = c;
            (c.user_id, c.client_id)
        })
        .collect();
    assert_eq!(ids, vec![(1003, 8)]);
    assert_eq!(imported.retry_contacts, vec![9]);
    assert_eq!(user_ids(&imported.users), vec![1003]);
    {
        let world = dc.world();
        assert!(!world.user(1004).unwrap().contact, "not imported");
        assert_eq!(world.contact_imports_left, Some(0));
    }
    let tl::enums::contacts::ImportedContacts::Contacts(again) = tc
        .client
        .invoke(&tl::functions::contacts::ImportContacts {
            contacts: vec![contact(10, "+15550001004")],
        })
        .await
        .unwrap();
    assert!(again.imported.is_empty() && again.users.is_empty());
    assert_eq!(again.retry_contacts, vec![10]);
}

#[tokio::test]
async fn import_and_delete_contacts() {
    let mut world = sample_world();
    world.users.get_mut(&1003).unwrap().phone = Some("15550001003".into());
    let dc = FakeDc::start(world).unwrap();
    let tc = connect(&dc, true).await;

    let contact = |client_id: i64, phone: &str| phone_contact(client_id, phone, "Grace");
    let tl::enums::contacts::ImportedContacts::Contacts(imported) = tc
        .client
        .invoke(&tl::functions::contacts::ImportContacts {
            contacts: vec![
                contact(7, "+1 (555) 000-1003"),
                contact(8, "+44 20 0000 0000"),
            ],
        })
        .await
        .unwrap();
    assert_eq!(
        imported.imported.len(),
        1,
        "the number without Telegram is not imported"
    );
    let tl::enums::ImportedContact::Contact(grace) = &imported.imported[0];
    assert_eq!((grace.user_id, grace.client_id), (1003, 7));
    assert!(imported.retry_contacts.is_empty());
    let tl::enums::User::User(user) = &imported.users[0] else {
        panic!("a user")
    };
    assert!(user.contact);
    assert_eq!(
        user.phone.as_deref(),
        Some("15550001003"),
        "contacts' phones are visible"
    );
    {
        let world = dc.world();
        assert!(world.user(1003).unwrap().contact);
        assert_eq!(world.imported_phones.get("15550001003"), Some(&1003));
    }

    let tl::enums::contacts::Contacts::Contacts(contacts) = tc
        .client
        .invoke(&tl::functions::contacts::GetContacts { hash: 0 })
        .await
        .unwrap()
    else {
        panic!("hash 0 always gets the list");
    };
    assert_eq!(user_ids(&contacts.users), vec![1001, 1002, 1003, 1005]);

    let updates = tc
        .client
        .invoke(&tl::functions::contacts::DeleteContacts {
            id: vec![input_user(&dc, 1003)],
        })
        .await
        .unwrap();
    let tl::enums::Updates::Updates(updates) = updates else {
        panic!("updates")
    };
    assert!(updates.updates.is_empty());
    let tl::enums::User::User(user) = &updates.users[0] else {
        panic!("a user")
    };
    assert_eq!(user.id, 1003);
    assert!(!user.contact);
    assert_eq!(user.phone, None);
    {
        let world = dc.world();
        assert!(!world.user(1003).unwrap().contact);
        assert!(world.imported_phones.is_empty());
    }

    let imports = dc.requests_of::<tl::functions::contacts::ImportContacts>();
    assert_eq!(imports[0].contacts.len(), 2);
    let deletes = dc.requests_of::<tl::functions::contacts::DeleteContacts>();
    assert_eq!(deletes[0].id, vec![input_user(&dc, 1003)]);
}

#[tokio::test]
async fn contacts_hash_answers_not_modified() {
    let dc = FakeDc::start(sample_world()).unwrap();
    let tc = connect(&dc, true).await;
    let tl::enums::contacts::Contacts::Contacts(contacts) = tc
        .client
        .invoke(&tl::functions::contacts::GetContacts { hash: 0 })
        .await
        .unwrap()
    else {
        panic!("the list");
    };
    let ids: Vec<i64> = contacts
        .contacts
        .iter()
        .map(|c| {
            let tl::enums::Contact::Contact(c) = c;
            c.user_id
        })
        .collect();
    assert_eq!(ids, vec![1001, 1002, 1005]);
    let hash = testkit::fake_dc::methods::contacts::ids_hash([0, 1001, 1002, 1005]);
    let again = tc
        .client
        .invoke(&tl::functions::contacts::GetContacts { hash })
        .await
        .unwrap();
    assert!(matches!(again, tl::enums::contacts::Contacts::NotModified));
}

#[tokio::test]
async fn full_user_has_bio_and_common_chats() {
    let dc = FakeDc::start(sample_world()).unwrap();
    let tc = connect(&dc, true).await;
    let tl::enums::users::UserFull::Full(answer) = tc
        .client
        .invoke(&tl::functions::users::GetFullUser {
            id: input_user(&dc, 1001),
        })
        .await
        .unwrap();
    let tl::enums::UserFull::Full(full) = &answer.full_user;
    assert_eq!(full.id, 1001);
    assert_eq!(full.about.as_deref(), Some("Difference engines, mostly"));
    assert_eq!(
        full.common_chats_count, 4,
        "the group and three supergroups, not the channel"
    );
    assert!(full.bot_info.is_none());
    assert_eq!(user_ids(&answer.users), vec![1001]);

    let tl::enums::users::UserFull::Full(bot) = tc
        .client
        .invoke(&tl::functions::users::GetFullUser {
            id: input_user(&dc, 1004),
        })
        .await
        .unwrap();
    let tl::enums::UserFull::Full(bot) = &bot.full_user;
    let Some(tl::enums::BotInfo::Info(info)) = &bot.bot_info else {
        panic!("bots have bot info")
    };
    assert_eq!(info.description.as_deref(), Some("Forecasts on demand"));
    assert_eq!(bot.common_chats_count, 0);

    let tl::enums::messages::Chats::Chats(common) = tc
        .client
        .invoke(&tl::functions::messages::GetCommonChats {
            user_id: input_user(&dc, 1005),
            max_id: 0,
            limit: 10,
        })
        .await
        .unwrap()
    else {
        panic!("all common chats fit");
    };
    assert_eq!(
        chat_ids(&common.chats),
        vec![-1001000000004, -1001000000001]
    );
    let tl::enums::messages::Chats::Slice(page) = tc
        .client
        .invoke(&tl::functions::messages::GetCommonChats {
            user_id: input_user(&dc, 1001),
            max_id: 1000000004,
            limit: 1,
        })
        .await
        .unwrap()
    else {
        panic!("a partial list is a chatsSlice");
    };
    assert_eq!(page.count, 4);
    assert_eq!(chat_ids(&page.chats), vec![-1001000000003]);
    assert_eq!(dc.count_of::<tl::functions::users::GetFullUser>(), 2);
}

#[tokio::test]
async fn full_chat_lists_participants() {
    let dc = FakeDc::start(sample_world()).unwrap();
    let tc = connect(&dc, true).await;
    let tl::enums::messages::ChatFull::Full(answer) = tc
        .client
        .invoke(&tl::functions::messages::GetFullChat { chat_id: 4001 })
        .await
        .unwrap();
    let tl::enums::ChatFull::Full(full) = &answer.full_chat else {
        panic!("a basic group")
    };
    let tl::enums::ChatParticipants::Participants(participants) = &full.participants else {
        panic!("a member sees the participants");
    };
    assert_eq!(participants.participants.len(), 3);
    assert!(matches!(
        &participants.participants[0],
        tl::enums::ChatParticipant::Creator(c) if c.user_id == 1000
    ));
    assert_eq!(user_ids(&answer.users), vec![1000, 1001, 1002]);
    assert_eq!(chat_ids(&answer.chats), vec![-4001]);

    // grammers' participant list reads the same call.
    let chat = peer_ref(&dc, -4001);
    let mut iter = tc.client.iter_participants(chat);
    let mut ids = Vec::new();
    while let Some(p) = iter.next().await.unwrap() {
        ids.push(p.user.id().bare_id_unchecked());
    }
    ids.sort();
    assert_eq!(ids, vec![1000, 1001, 1002]);
    assert_eq!(dc.count_of::<tl::functions::messages::GetFullChat>(), 2);

    let err = tc
        .client
        .invoke(&tl::functions::messages::GetFullChat { chat_id: 999 })
        .await
        .unwrap_err();
    assert_eq!(rpc_error(err), (400, "CHAT_ID_INVALID".into()));
}

#[tokio::test]
async fn full_channel_reports_counts_and_linked_chat() {
    let dc = FakeDc::start(sample_world()).unwrap();
    let tc = connect(&dc, true).await;
    let tl::enums::messages::ChatFull::Full(answer) = tc
        .client
        .invoke(&tl::functions::channels::GetFullChannel {
            channel: input_channel(&dc, -1001000000002),
        })
        .await
        .unwrap();
    let tl::enums::ChatFull::ChannelFull(full) = &answer.full_chat else {
        panic!("a channel")
    };
    assert_eq!(full.id, 1000000002);
    assert_eq!(full.about, "Announcements about the engine");
    assert_eq!(full.participants_count, Some(5400));
    assert_eq!(full.linked_chat_id, Some(1000000003));
    assert_eq!(full.pts, 1);
    assert_eq!(full.folder_id, None);
    assert_eq!(
        chat_ids(&answer.chats),
        vec![-1001000000002, -1001000000003]
    );

    let tl::enums::messages::ChatFull::Full(quiet) = tc
        .client
        .invoke(&tl::functions::channels::GetFullChannel {
            channel: input_channel(&dc, -1001000000005),
        })
        .await
        .unwrap();
    let tl::enums::ChatFull::ChannelFull(quiet) = &quiet.full_chat else {
        panic!("a channel")
    };
    assert_eq!(quiet.folder_id, Some(1));
    assert_eq!(quiet.linked_chat_id, None);
    let tl::enums::PeerNotifySettings::Settings(notify) = &quiet.notify_settings;
    assert_eq!(notify.mute_until, Some(i32::MAX));
}

#[tokio::test]
async fn channels_and_chats_resolve_by_id() {
    let dc = FakeDc::start(sample_world()).unwrap();
    let tc = connect(&dc, true).await;
    let channel = tc
        .client
        .resolve_peer(peer_ref(&dc, -1001000000004))
        .await
        .unwrap();
    assert_eq!(channel.name(), Some("Project Forum"));
    let group = tc.client.resolve_peer(peer_ref(&dc, -4001)).await.unwrap();
    assert_eq!(group.name(), Some("Analytical Society"));
    assert_eq!(dc.count_of::<tl::functions::channels::GetChannels>(), 1);
    let chats = dc.requests_of::<tl::functions::messages::GetChats>();
    assert_eq!(chats[0].id, vec![4001]);
}

fn topics(answer: tl::enums::messages::ForumTopics) -> tl::types::messages::ForumTopics {
    let tl::enums::messages::ForumTopics::Topics(topics) = answer;
    topics
}

fn topic_ids(topics: &[tl::enums::ForumTopic]) -> Vec<i32> {
    topics
        .iter()
        .map(|t| match t {
            tl::enums::ForumTopic::Topic(t) => t.id,
            tl::enums::ForumTopic::Deleted(t) => -t.id,
        })
        .collect()
}

fn get_topics(dc: &FakeDc, q: Option<&str>, limit: i32) -> tl::functions::messages::GetForumTopics {
    tl::functions::messages::GetForumTopics {
        peer: input_peer(dc, -1001000000004),
        q: q.map(str::to_string),
        offset_date: 0,
        offset_id: 0,
        offset_topic: 0,
        limit,
    }
}

#[tokio::test]
async fn forum_topics_pinned_first_then_most_recently_active() {
    let dc = FakeDc::start(sample_world()).unwrap();
    let tc = connect(&dc, true).await;
    let all = topics(tc.client.invoke(&get_topics(&dc, None, 10)).await.unwrap());
    assert_eq!(all.count, 3);
    assert_eq!(
        topic_ids(&all.topics),
        vec![20, 1, 10],
        "pinned, then General (03 Nov), Design (01 Nov)"
    );
    assert_eq!(
        message_ids(&all.messages),
        vec![21, 30, 12],
        "each topic's top message"
    );
    let tl::enums::ForumTopic::Topic(releases) = &all.topics[0] else {
        panic!("a topic")
    };
    assert!(releases.pinned);
    assert_eq!(releases.title, "Releases");
    assert_eq!(releases.top_message, 21);
    assert!(releases.my, "the self user created it");
    assert_eq!(chat_ids(&all.chats), vec![-1001000000004]);
    assert!(user_ids(&all.users).contains(&1005));

    let design = topics(
        tc.client
            .invoke(&get_topics(&dc, Some("desi"), 10))
            .await
            .unwrap(),
    );
    assert_eq!((design.count, topic_ids(&design.topics)), (1, vec![10]));

    // Paging: the first page ends with General; the next continues after it.
    let first = topics(tc.client.invoke(&get_topics(&dc, None, 2)).await.unwrap());
    assert_eq!(topic_ids(&first.topics), vec![20, 1]);
    let mut next = get_topics(&dc, None, 2);
    next.offset_date = 1_793_696_400; // 2026-11-03T09:00:00Z, message 30
    next.offset_id = 30;
    next.offset_topic = 1;
    let second = topics(tc.client.invoke(&next).await.unwrap());
    assert_eq!(topic_ids(&second.topics), vec![10]);
    assert_eq!(second.count, 3);

    let tl::enums::messages::ForumTopics::Topics(by_id) = tc
        .client
        .invoke(&tl::functions::messages::GetForumTopicsById {
            peer: input_peer(&dc, -1001000000004),
            topics: vec![10, 99],
        })
        .await
        .unwrap();
    assert_eq!(
        topic_ids(&by_id.topics),
        vec![10, -99],
        "unknown ids come back deleted"
    );

    let mut not_forum = get_topics(&dc, None, 10);
    not_forum.peer = input_peer(&dc, -1001000000001);
    let err = tc.client.invoke(&not_forum).await.unwrap_err();
    assert_eq!(rpc_error(err), (400, "CHANNEL_FORUM_MISSING".into()));
    assert_eq!(dc.count_of::<tl::functions::messages::GetForumTopics>(), 5);
}

fn get_replies(
    peer: tl::enums::InputPeer,
    msg_id: i32,
    limit: i32,
) -> tl::functions::messages::GetReplies {
    tl::functions::messages::GetReplies {
        peer,
        msg_id,
        offset_id: 0,
        offset_date: 0,
        add_offset: 0,
        limit,
        max_id: 0,
        min_id: 0,
        hash: 0,
    }
}

#[tokio::test]
async fn channel_post_comments_live_in_the_discussion_group() {
    let dc = FakeDc::start(sample_world()).unwrap();
    let tc = connect(&dc, true).await;
    let channel = input_peer(&dc, -1001000000002);
    let tl::enums::messages::DiscussionMessage::Message(discussion) = tc
        .client
        .invoke(&tl::functions::messages::GetDiscussionMessage {
            peer: channel.clone(),
            msg_id: 1,
        })
        .await
        .unwrap();
    assert_eq!(message_ids(&discussion.messages), vec![1]);
    assert_eq!(
        message_peer(&discussion.messages[0]),
        -1001000000003,
        "the group's copy"
    );
    assert_eq!(discussion.max_id, Some(3));
    assert_eq!(discussion.unread_count, 0);
    assert_eq!(
        chat_ids(&discussion.chats),
        vec![-1001000000002, -1001000000003]
    );

    let comments = tc
        .client
        .invoke(&get_replies(channel.clone(), 1, 10))
        .await
        .unwrap();
    let tl::enums::messages::Messages::ChannelMessages(comments) = comments else {
        panic!("comments are channel messages of the group");
    };
    assert_eq!(message_ids(&comments.messages), vec![3, 2]);
    assert_eq!(comments.count, 2);
    assert!(
        comments
            .messages
            .iter()
            .all(|m| message_peer(m) == -1001000000003)
    );
    assert_eq!(user_ids(&comments.users), vec![1001, 1003]);

    // Paged like history.
    let mut older = get_replies(channel.clone(), 1, 1);
    older.offset_id = 3;
    let tl::enums::messages::Messages::ChannelMessages(older) =
        tc.client.invoke(&older).await.unwrap()
    else {
        panic!("channel messages");
    };
    assert_eq!(message_ids(&older.messages), vec![2]);
    assert_eq!(older.offset_id_offset, Some(1));

    // A channel without a discussion group has no comments.
    let quiet = tl::functions::messages::GetDiscussionMessage {
        peer: input_peer(&dc, -1001000000005),
        msg_id: 1,
    };
    let err = tc.client.invoke(&quiet).await.unwrap_err();
    assert_eq!(rpc_error(err), (400, "MSG_ID_INVALID".into()));
    let err = tc
        .client
        .invoke(&get_replies(channel, 99, 10))
        .await
        .unwrap_err();
    assert_eq!(rpc_error(err), (400, "MSG_ID_INVALID".into()));

    let recorded = dc.requests_of::<tl::functions::messages::GetReplies>();
    assert_eq!(
        recorded.iter().map(|r| r.msg_id).collect::<Vec<_>>(),
        vec![1, 1, 99]
    );
}

#[tokio::test]
async fn forum_topic_and_group_thread_replies() {
    let dc = FakeDc::start(sample_world()).unwrap();
    let tc = connect(&dc, true).await;
    let forum = input_peer(&dc, -1001000000004);
    let tl::enums::messages::Messages::ChannelMessages(design) = tc
        .client
        .invoke(&get_replies(forum.clone(), 10, 10))
        .await
        .unwrap()
    else {
        panic!("channel messages");
    };
    assert_eq!(
        message_ids(&design.messages),
        vec![12, 11, 10],
        "with the topic's creation message"
    );
    assert!(matches!(design.messages[2], tl::enums::Message::Service(_)));
    let tl::enums::messages::Messages::ChannelMessages(general) =
        tc.client.invoke(&get_replies(forum, 1, 10)).await.unwrap()
    else {
        panic!("channel messages");
    };
    assert_eq!(message_ids(&general.messages), vec![30]);

    let tl::enums::messages::Messages::ChannelMessages(thread) = tc
        .client
        .invoke(&get_replies(input_peer(&dc, -1001000000001), 2, 10))
        .await
        .unwrap()
    else {
        panic!("channel messages");
    };
    assert_eq!(
        message_ids(&thread.messages),
        vec![5, 4, 3],
        "the whole reply chain"
    );
    assert_eq!(thread.count, 3);

    // A reply's discussion message is its thread's root.
    let tl::enums::messages::DiscussionMessage::Message(root) = tc
        .client
        .invoke(&tl::functions::messages::GetDiscussionMessage {
            peer: input_peer(&dc, -1001000000001),
            msg_id: 4,
        })
        .await
        .unwrap();
    assert_eq!(message_ids(&root.messages), vec![2]);
    assert_eq!(root.max_id, Some(5));
}

async fn link(
    tc: &crate::client::TestClient,
    channel: tl::enums::InputChannel,
    id: i32,
    thread: bool,
) -> tl::types::ExportedMessageLink {
    let tl::enums::ExportedMessageLink::Link(link) = tc
        .client
        .invoke(&tl::functions::channels::ExportMessageLink {
            grouped: false,
            thread,
            channel,
            id,
        })
        .await
        .unwrap();
    link
}

#[tokio::test]
async fn message_links_public_private_and_threads() {
    let dc = FakeDc::start(sample_world()).unwrap();
    let tc = connect(&dc, true).await;
    let public = link(&tc, input_channel(&dc, -1001000000002), 2, false).await;
    assert_eq!(public.link, "https://t.me/engine_news/2");
    assert!(public.html.contains("engine_news/2"));
    let private = link(&tc, input_channel(&dc, -1001000000005), 1, false).await;
    assert_eq!(private.link, "https://t.me/c/1000000005/1");
    assert_eq!(private.html, "");

    let comment = link(&tc, input_channel(&dc, -1001000000003), 5, true).await;
    assert_eq!(comment.link, "https://t.me/engine_news/2?comment=5");
    let reply = link(&tc, input_channel(&dc, -1001000000001), 4, true).await;
    assert_eq!(reply.link, "https://t.me/rust_learners/4?thread=2");
    let plain_reply = link(&tc, input_channel(&dc, -1001000000001), 4, false).await;
    assert_eq!(plain_reply.link, "https://t.me/rust_learners/4");
    let topic = link(&tc, input_channel(&dc, -1001000000004), 12, true).await;
    assert_eq!(topic.link, "https://t.me/c/1000000004/10/12");

    let err = tc
        .client
        .invoke(&tl::functions::channels::ExportMessageLink {
            grouped: false,
            thread: false,
            channel: input_channel(&dc, -1001000000002),
            id: 77,
        })
        .await
        .unwrap_err();
    assert_eq!(rpc_error(err), (400, "MSG_ID_INVALID".into()));
    let threads: Vec<bool> = dc
        .requests_of::<tl::functions::channels::ExportMessageLink>()
        .iter()
        .map(|r| r.thread)
        .collect();
    assert_eq!(threads, vec![false, false, true, true, false, true, false]);
}

#[tokio::test]
async fn wrong_access_hash_is_rejected() {
    let dc = FakeDc::start(sample_world()).unwrap();
    let tc = connect(&dc, true).await;
    let bad_channel: tl::enums::InputChannel = tl::types::InputChannel {
        channel_id: 1000000002,
        access_hash: 12345,
    }
    .into();
    let err = tc
        .client
        .invoke(&tl::functions::channels::GetFullChannel {
            channel: bad_channel,
        })
        .await
        .unwrap_err();
    assert_eq!(rpc_error(err), (400, "CHANNEL_INVALID".into()));

    let bad_user: tl::enums::InputUser = tl::types::InputUser {
        user_id: 1001,
        access_hash: 12345,
    }
    .into();
    let err = tc
        .client
        .invoke(&tl::functions::users::GetFullUser { id: bad_user })
        .await
        .unwrap_err();
    assert_eq!(rpc_error(err), (400, "USER_ID_INVALID".into()));

    let bad_peer: tl::enums::InputPeer = tl::types::InputPeerUser {
        user_id: 1001,
        access_hash: 12345,
    }
    .into();
    let err = tc
        .client
        .invoke(&tl::functions::messages::GetPeerDialogs {
            peers: vec![tl::types::InputDialogPeer { peer: bad_peer }.into()],
        })
        .await
        .unwrap_err();
    assert_eq!(rpc_error(err), (400, "PEER_ID_INVALID".into()));
    assert_eq!(
        dc.request_names()
            .iter()
            .filter(|n| [
                "channels.getFullChannel",
                "users.getFullUser",
                "messages.getPeerDialogs"
            ]
            .contains(&n.as_str()))
            .count(),
        3
    );
}
