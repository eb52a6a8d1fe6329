//! `send_message_to_phone` over stdio against the loopback DC: existing contacts, numbers that
//! have to be imported (and removed again), numbers without Telegram, Telegram's limit on
//! importing contacts, and masking.

use grammers_tl_types as tl;
use serde_json::json;

use testkit::harness::{Harness, call, sample_world};
use testkit::world::Peer;

/// The sample world with Grace Hopper (1003, not a contact) reachable by phone.
async fn with_grace_by_phone() -> Harness {
    let mut world = sample_world();
    world.users.get_mut(&1003).unwrap().phone = Some("15550001003".into());
    Harness::with(world, true).await
}

fn is_contact(h: &Harness, id: i64) -> bool {
    h.dc.world().user(id).unwrap().contact
}

#[tokio::test]
async fn an_existing_contact_is_messaged_without_importing() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (err, v) = call(
        &client,
        "send_message_to_phone",
        json!({"phone_number": "+1 555 000-1001", "message": "**Hello** Charles", "remove_if_new": true}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(v["status"], "sent");
    assert_eq!(v["contact_was_new"], false);
    assert_eq!(v["contact_removed"], false);
    assert_eq!(v["phone_number"], "+15•••••••01");
    assert_eq!(v["chat"]["id"], 1001);
    assert_eq!(v["messages"][0]["text"], "Hello Charles");
    let names = h.dc.request_names();
    assert!(
        names.contains(&"contacts.getContacts".to_string()),
        "{names:?}"
    );
    assert!(
        h.dc.requests_of::<tl::functions::contacts::ImportContacts>()
            .is_empty()
    );
    assert!(
        h.dc.requests_of::<tl::functions::contacts::DeleteContacts>()
            .is_empty()
    );
    let id = v["message_id"].as_i64().unwrap() as i32;
    assert_eq!(
        h.dc.world().message(Peer::User(1001), id).unwrap().text,
        "Hello Charles"
    );
    assert!(is_contact(&h, 1001), "an existing contact is never removed");
    crate::send_message::assert_echo_matches_get_messages(&client, &v, "1001").await;
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_new_number_is_imported_then_messaged() {
    let h = with_grace_by_phone().await;
    let client = h.client().await;
    assert!(!is_contact(&h, 1003));
    let (err, v) = call(
        &client,
        "send_message_to_phone",
        json!({"phone_number": "+15550001003", "message": "Hello Grace", "first_name": "Grace", "last_name": "H."}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(v["contact_was_new"], true);
    assert_eq!(v["contact_removed"], false);
    assert_eq!(v["chat"]["id"], 1003);
    let imports =
        h.dc.requests_of::<tl::functions::contacts::ImportContacts>();
    assert_eq!(imports.len(), 1);
    let tl::enums::InputContact::InputPhoneContact(contact) = &imports[0].contacts[0];
    assert_eq!(contact.phone, "+15550001003");
    assert_eq!(
        (contact.first_name.as_str(), contact.last_name.as_str()),
        ("Grace", "H.")
    );
    let send =
        h.dc.requests_of::<tl::functions::messages::SendMessage>()
            .pop()
            .unwrap();
    assert!(matches!(&send.peer, tl::enums::InputPeer::User(u) if u.user_id == 1003));
    let id = v["message_id"].as_i64().unwrap() as i32;
    assert_eq!(
        h.dc.world().message(Peer::User(1003), id).unwrap().text,
        "Hello Grace"
    );
    assert!(
        is_contact(&h, 1003),
        "kept as a contact without remove_if_new"
    );
    crate::send_message::assert_echo_matches_get_messages(&client, &v, "1003").await;
    assert!(
        h.dc.requests_of::<tl::functions::contacts::DeleteContacts>()
            .is_empty()
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn remove_if_new_deletes_the_contact_it_created() {
    let h = with_grace_by_phone().await;
    let client = h.client().await;
    let (err, v) = call(
        &client,
        "send_message_to_phone",
        json!({"phone_number": "+15550001003", "message": "One-off note", "remove_if_new": true}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(v["contact_was_new"], true);
    assert_eq!(v["contact_removed"], true);
    let imports =
        h.dc.requests_of::<tl::functions::contacts::ImportContacts>();
    let tl::enums::InputContact::InputPhoneContact(contact) = &imports[0].contacts[0];
    assert_eq!(
        (contact.first_name.as_str(), contact.last_name.as_str()),
        ("Contact", "Name")
    );
    let deletes =
        h.dc.requests_of::<tl::functions::contacts::DeleteContacts>();
    assert_eq!(deletes.len(), 1);
    assert!(matches!(&deletes[0].id[..], [tl::enums::InputUser::User(u)] if u.user_id == 1003));
    assert!(!is_contact(&h, 1003), "the contact is gone again");
    let id = v["message_id"].as_i64().unwrap() as i32;
    assert_eq!(
        h.dc.world().message(Peer::User(1003), id).unwrap().text,
        "One-off note"
    );
    // The removed contact's number is no longer taken for a contact's: imported again.
    let (err, v) = call(
        &client,
        "send_message_to_phone",
        json!({"phone_number": "+15550001003", "message": "Again", "remove_if_new": true}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(v["contact_was_new"], true, "{v}");
    assert_eq!(
        h.dc.count_of::<tl::functions::contacts::ImportContacts>(),
        2
    );
    assert!(!is_contact(&h, 1003));
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_number_without_telegram_is_a_clear_error_that_hides_the_number() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (err, v) = call(
        &client,
        "send_message_to_phone",
        json!({"phone_number": "+15559990000", "message": "Anyone there?"}),
    )
    .await;
    assert!(err);
    assert_eq!(v["error_code"], "PHONE_NOT_ON_TELEGRAM");
    assert_eq!(v["action"], "fix_arguments");
    assert_eq!(v["operation"], "send_message_to_phone");
    let text = v.to_string();
    assert!(!text.contains("5559990000"), "{text}");
    assert!(text.contains("+15•••••••00"), "{text}");
    assert_eq!(
        h.dc.count_of::<tl::functions::contacts::ImportContacts>(),
        1
    );
    assert!(
        h.dc.requests_of::<tl::functions::messages::SendMessage>()
            .is_empty()
    );
    // A malformed number never reaches Telegram, and is masked too.
    let (err, v) = call(
        &client,
        "send_message_to_phone",
        json!({"phone_number": "+1555999000x", "message": "hi"}),
    )
    .await;
    assert!(err);
    assert_eq!(v["action"], "fix_arguments");
    assert!(!v.to_string().contains("555999000"), "{v}");
    assert_eq!(
        h.dc.count_of::<tl::functions::contacts::ImportContacts>(),
        1
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn telegram_s_contact_import_limit_is_a_retry_not_a_number_without_telegram() {
    let mut world = sample_world();
    world.users.get_mut(&1003).unwrap().phone = Some("15550001003".into());
    // The account has used up the contacts Telegram lets it import for now.
    world.contact_imports_left = Some(0);
    let h = Harness::with(world, true).await;
    let client = h.client().await;
    let history = h.dc.world().history(Peer::User(1003)).count();
    let (err, v) = call(
        &client,
        "send_message_to_phone",
        json!({"phone_number": "+15550001003", "message": "Hello Grace", "remove_if_new": true}),
    )
    .await;
    assert!(err, "{v}");
    assert_eq!(v["error_code"], "CONTACT_IMPORT_LIMITED", "{v}");
    assert_eq!(v["action"], "retry", "{v}");
    assert_eq!(v["operation"], "send_message_to_phone");
    let text = v["error"].as_str().unwrap();
    assert!(text.contains("limit on importing contacts"), "{text}");
    assert!(text.contains("try again later"), "{text}");
    assert!(text.contains("+15•••••••03"), "{text}");
    assert!(!v.to_string().contains("15550001003"), "{v}");
    // Telegram answered with the number's client_id in retry_contacts.
    let imports =
        h.dc.requests_of::<tl::functions::contacts::ImportContacts>();
    assert_eq!(imports.len(), 1);
    assert!(
        h.dc.requests_of::<tl::functions::messages::SendMessage>()
            .is_empty(),
        "nothing is sent"
    );
    assert!(!is_contact(&h, 1003), "no contact is left behind");
    assert!(h.dc.world().imported_phones.is_empty());
    assert_eq!(h.dc.world().history(Peer::User(1003)).count(), history);
    // An existing contact is still reached: the limit is on importing only.
    let (err, v) = call(
        &client,
        "send_message_to_phone",
        json!({"phone_number": "+15550001001", "message": "Hello Charles"}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(v["chat"]["id"], 1001);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn replies_schedules_and_drafts_work_as_in_send_message() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (err, v) = call(
        &client,
        "send_message_to_phone",
        json!({"phone_number": "+15550001001", "message": "About that", "reply_to_msg_id": 3}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(v["messages"][0]["reply_to_msg_id"], 3);
    let at = chrono::Utc::now() + chrono::Duration::hours(5);
    let (err, v) = call(
        &client,
        "send_message_to_phone",
        json!({"phone_number": "+15550001002", "message": "Later, Mary", "schedule_date": at.to_rfc3339()}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(v["status"], "scheduled");
    assert_eq!(
        h.dc.scheduled_messages(Peer::User(1002))[0].text,
        "Later, Mary"
    );
    let (err, v) = call(
        &client,
        "send_message_to_phone",
        json!({"phone_number": "+15550001005", "message": "Draft for Alan", "save_as_draft": true}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(v["draft_saved"], true);
    assert_eq!(
        h.dc.draft(Peer::User(1005)).unwrap().message,
        "Draft for Alan"
    );
    let (err, v) = call(
        &client,
        "send_message_to_phone",
        json!({"phone_number": "+15550001005", "message": "x".repeat(4097)}),
    )
    .await;
    assert!(err);
    assert!(v["error"].as_str().unwrap().contains("4096"), "{v}");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn the_number_never_reaches_the_logs_in_full() {
    use std::process::Stdio;
    use std::sync::{Arc, Mutex};

    use rmcp::ServiceExt;
    use rmcp::transport::TokioChildProcess;
    use tokio::io::AsyncReadExt;

    let h = with_grace_by_phone().await;
    for level in ["debug", "trace"] {
        let mut cmd = h.command();
        cmd.env("LOG_LEVEL", level);
        let (transport, stderr) = TokioChildProcess::builder(cmd)
            .stderr(Stdio::piped())
            .spawn()
            .expect("server spawns");
        let log = Arc::new(Mutex::new(None::<String>));
        let sink = Arc::clone(&log);
        let mut stderr = stderr.expect("stderr piped");
        let reader = tokio::spawn(async move {
            let mut buf = Vec::new();
            let _ = stderr.read_to_end(&mut buf).await;
            *sink.lock().unwrap() = Some(String::from_utf8_lossy(&buf).into_owned());
        });
        let client = ().serve(transport).await.expect("MCP handshake");
        let (err, v) = call(
            &client,
            "send_message_to_phone",
            json!({"phone_number": "+1 555 000 1003", "message": "hi", "remove_if_new": true}),
        )
        .await;
        assert!(!err, "{v}");
        let (err, _) = call(
            &client,
            "send_message_to_phone",
            json!({"phone_number": "+15559990000", "message": "hi"}),
        )
        .await;
        assert!(err);
        client.cancel().await.unwrap();
        reader.await.unwrap();
        let log = log.lock().unwrap().take().unwrap();
        assert!(log.contains("tool call"), "{level}: the log has the calls");
        for number in ["15550001003", "555 000 1003", "5559990000"] {
            assert!(
                !log.contains(number),
                "{level}: the log holds {number}: {}",
                log.lines()
                    .filter(|l| l.contains(number))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
    }
}
