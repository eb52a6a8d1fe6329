//! Writing against the loopback DC with the real grammers client: uploads, photos, documents,
//! albums, edits, scheduled messages, drafts and `random_id` de-duplication.

use std::io::Cursor;
use std::time::{Duration, SystemTime};

use grammers_client::media::{Attribute, InputMedia, Media};
use grammers_client::message::InputMessage;
use grammers_session::types::{PeerAuth, PeerId, PeerRef};
use grammers_tl_types as tl;

use crate::client::{TestClient, connect, resolved_user, sample_world};
use testkit::fake_dc::FakeDc;
use testkit::world::tl_build::now;
use testkit::world::{Msg, Peer};

const BABBAGE: Peer = Peer::User(1001);
const ENGINE_NEWS: Peer = Peer::Channel(1_000_000_002);

fn resolved_channel(dc: &FakeDc, id: i64) -> PeerRef {
    let hash = dc.world().access_hash(Peer::Channel(id));
    PeerRef {
        id: PeerId::channel(id).unwrap(),
        auth: PeerAuth::from_hash(hash),
    }
}

/// Bytes that differ from part to part, so a misplaced part is caught.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 + i / 1000) as u8).collect()
}

/// A PNG header (signature and IHDR) for a `w`×`h` image, padded to `len` bytes.
fn png(w: u32, h: u32, len: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend(13u32.to_be_bytes());
    bytes.extend(b"IHDR");
    bytes.extend(w.to_be_bytes());
    bytes.extend(h.to_be_bytes());
    bytes.extend([8, 2, 0, 0, 0, 0, 0, 0, 0]);
    bytes.extend(pattern(len - bytes.len()));
    bytes
}

async fn upload(tc: &TestClient, bytes: &[u8], name: &str) -> grammers_client::media::Uploaded {
    tc.client
        .upload_stream(&mut Cursor::new(bytes.to_vec()), bytes.len(), name.into())
        .await
        .unwrap()
}

fn rpc_name(err: &grammers_client::InvocationError) -> (i32, String, Option<u32>) {
    match err {
        grammers_client::InvocationError::Rpc(rpc) => (rpc.code, rpc.name.clone(), rpc.value),
        other => panic!("expected an RPC error, got {other}"),
    }
}

fn stored(dc: &FakeDc, peer: Peer, id: i32) -> Msg {
    dc.world()
        .message(peer, id)
        .cloned()
        .expect("message stored")
}

fn send_media_request(
    peer: PeerRef,
    media: tl::enums::InputMedia,
    caption: &str,
    random_id: i64,
) -> tl::functions::messages::SendMedia {
    tl::functions::messages::SendMedia {
        silent: false,
        background: false,
        clear_draft: false,
        noforwards: false,
        update_stickersets_order: false,
        invert_media: false,
        allow_paid_floodskip: false,
        peer: peer.into(),
        reply_to: None,
        media,
        message: caption.into(),
        random_id,
        reply_markup: None,
        entities: None,
        schedule_date: None,
        schedule_repeat_period: None,
        send_as: None,
        quick_reply_shortcut: None,
        effect: None,
        allow_paid_stars: None,
        suggested_post: None,
    }
}

fn send_message_request(
    peer: PeerRef,
    text: &str,
    random_id: i64,
) -> tl::functions::messages::SendMessage {
    tl::functions::messages::SendMessage {
        no_webpage: false,
        silent: false,
        background: false,
        clear_draft: false,
        noforwards: false,
        update_stickersets_order: false,
        invert_media: false,
        allow_paid_floodskip: false,
        peer: peer.into(),
        reply_to: None,
        message: text.into(),
        random_id,
        reply_markup: None,
        entities: None,
        schedule_date: None,
        schedule_repeat_period: None,
        send_as: None,
        quick_reply_shortcut: None,
        effect: None,
        allow_paid_stars: None,
        suggested_post: None,
        rich_message: None,
    }
}

fn uploaded_document(file: tl::enums::InputFile, mime: &str) -> tl::enums::InputMedia {
    tl::types::InputMediaUploadedDocument {
        nosound_video: false,
        force_file: false,
        spoiler: false,
        file,
        thumb: None,
        mime_type: mime.into(),
        attributes: Vec::new(),
        stickers: None,
        video_cover: None,
        video_timestamp: None,
        ttl_seconds: None,
    }
    .into()
}

fn save_part(file_id: i64, file_part: i32, bytes: Vec<u8>) -> tl::functions::upload::SaveFilePart {
    tl::functions::upload::SaveFilePart {
        file_id,
        file_part,
        bytes,
    }
}

/// The ids of the messages an `Updates` answer carries, by kind of update.
fn update_kinds(updates: &tl::enums::Updates) -> Vec<&'static str> {
    let tl::enums::Updates::Updates(u) = updates else {
        panic!("expected updates, got {updates:?}");
    };
    u.updates
        .iter()
        .map(|u| match u {
            tl::enums::Update::MessageId(_) => "messageID",
            tl::enums::Update::NewMessage(_) => "newMessage",
            tl::enums::Update::NewChannelMessage(_) => "newChannelMessage",
            tl::enums::Update::NewScheduledMessage(_) => "newScheduledMessage",
            tl::enums::Update::EditMessage(_) => "editMessage",
            tl::enums::Update::EditChannelMessage(_) => "editChannelMessage",
            _ => "other",
        })
        .collect()
}

#[tokio::test]
async fn multi_part_upload_reassembles_to_the_original_bytes() {
    let dc = FakeDc::start(sample_world()).unwrap();
    let tc = connect(&dc, true).await;
    let bytes = pattern(1_300_000);
    let uploaded = upload(&tc, &bytes, "engine-notes.bin").await;
    let parts = dc.requests_of::<tl::functions::upload::SaveFilePart>();
    let sizes: Vec<usize> = parts.iter().map(|p| p.bytes.len()).collect();
    assert_eq!(sizes, vec![524_288, 524_288, 1_300_000 - 2 * 524_288]);
    assert!(parts.iter().all(|p| p.file_id == parts[0].file_id));
    assert_eq!(
        dc.world().uploads[&parts[0].file_id].bytes().as_deref(),
        Some(bytes.as_slice())
    );

    let peer = resolved_user(&dc, 1001);
    let sent = tc
        .client
        .send_message(peer, InputMessage::new().text("The notes").file(uploaded))
        .await
        .unwrap();
    assert_eq!(sent.text(), "The notes");
    assert_eq!(dc.uploaded_bytes(BABBAGE, sent.id()), Some(bytes.clone()));
    let Some(Media::Document(document)) = sent.media() else {
        panic!("expected a document");
    };
    assert_eq!(document.name(), Some("engine-notes.bin"));
    assert_eq!(document.size(), Some(bytes.len()));
    let request = &dc.requests_of::<tl::functions::messages::SendMedia>()[0];
    let tl::enums::InputMedia::UploadedDocument(media) = &request.media else {
        panic!("expected an uploaded document");
    };
    assert!(media.force_file);
}

#[tokio::test]
async fn photo_send_becomes_a_photo_message() {
    let dc = FakeDc::start(sample_world()).unwrap();
    let tc = connect(&dc, true).await;
    let bytes = png(640, 480, 70_000);
    let uploaded = upload(&tc, &bytes, "diagram.png").await;
    let peer = resolved_user(&dc, 1001);
    let sent = tc
        .client
        .send_message(
            peer,
            InputMessage::new()
                .text("The diagram")
                .photo(uploaded)
                .reply_to(Some(3)),
        )
        .await
        .unwrap();
    assert_eq!(sent.id(), 16);
    assert_eq!(sent.text(), "The diagram");
    assert!(sent.photo().is_some());

    let msg = stored(&dc, BABBAGE, 16);
    assert!(msg.out);
    assert_eq!(msg.reply_to_msg_id, Some(3));
    let Some(tl::enums::MessageMedia::Photo(media)) = &msg.media else {
        panic!("expected a photo, got {:?}", msg.media);
    };
    let Some(tl::enums::Photo::Photo(photo)) = &media.photo else {
        panic!("expected a photo");
    };
    let tl::enums::PhotoSize::Size(size) = &photo.sizes[0] else {
        panic!("expected a photo size");
    };
    assert_eq!((size.w, size.h, size.size), (640, 480, 70_000));
    assert_eq!(dc.uploaded_bytes(BABBAGE, 16), Some(bytes));
}

#[tokio::test]
async fn media_answers_with_full_updates_even_in_private_chats() {
    let dc = FakeDc::start(sample_world()).unwrap();
    let tc = connect(&dc, true).await;
    let uploaded = upload(&tc, &png(100, 100, 5000), "dot.png").await;
    let media = tl::types::InputMediaUploadedPhoto {
        spoiler: false,
        live_photo: false,
        file: uploaded.raw.clone(),
        stickers: None,
        ttl_seconds: None,
        video: None,
    }
    .into();
    let answer = tc
        .client
        .invoke(&send_media_request(resolved_user(&dc, 1001), media, "", 77))
        .await
        .unwrap();
    assert_eq!(update_kinds(&answer), vec!["messageID", "newMessage"]);

    let channel = resolved_channel(&dc, 1_000_000_002);
    let document = uploaded_document(uploaded.raw, "image/png");
    let answer = tc
        .client
        .invoke(&send_media_request(channel, document, "As a file", 78))
        .await
        .unwrap();
    assert_eq!(
        update_kinds(&answer),
        vec!["messageID", "newChannelMessage"]
    );
    let msg = stored(&dc, ENGINE_NEWS, 4);
    assert!(msg.post && msg.from.is_none());
}

#[tokio::test]
async fn document_keeps_mime_name_size_and_attributes() {
    let dc = FakeDc::start(sample_world()).unwrap();
    let tc = connect(&dc, true).await;
    let peer = resolved_user(&dc, 1001);

    let voice = pattern(9000);
    let uploaded = upload(&tc, &voice, "memo.ogg").await;
    let sent = tc
        .client
        .send_message(
            peer,
            InputMessage::new()
                .document(uploaded)
                .attribute(Attribute::Voice {
                    duration: Duration::from_secs(17),
                    waveform: None,
                }),
        )
        .await
        .unwrap();
    let msg = stored(&dc, BABBAGE, sent.id());
    let Some(tl::enums::MessageMedia::Document(media)) = &msg.media else {
        panic!("expected a document");
    };
    assert!(media.voice && !media.video);
    let Some(tl::enums::Document::Document(doc)) = &media.document else {
        panic!("expected a document");
    };
    assert_eq!(doc.mime_type, "audio/ogg");
    assert_eq!(doc.size, 9000);
    assert!(doc.attributes.iter().any(
        |a| matches!(a, tl::enums::DocumentAttribute::Audio(a) if a.voice && a.duration == 17)
    ));
    assert!(doc.attributes.iter().any(
        |a| matches!(a, tl::enums::DocumentAttribute::Filename(f) if f.file_name == "memo.ogg")
    ));
    assert_eq!(dc.uploaded_bytes(BABBAGE, sent.id()), Some(voice));

    let video = pattern(20_000);
    let uploaded = upload(&tc, &video, "clip.mp4").await;
    let sent = tc
        .client
        .send_message(
            peer,
            InputMessage::new()
                .text("A clip")
                .document(uploaded)
                .attribute(Attribute::Video {
                    round_message: false,
                    supports_streaming: true,
                    duration: Duration::from_secs(3),
                    w: 320,
                    h: 240,
                }),
        )
        .await
        .unwrap();
    let msg = stored(&dc, BABBAGE, sent.id());
    let Some(tl::enums::MessageMedia::Document(media)) = &msg.media else {
        panic!("expected a document");
    };
    assert!(media.video && !media.voice);
    assert_eq!(msg.text, "A clip");
}

#[tokio::test]
async fn bad_uploads_are_refused_as_telegram_does() {
    let dc = FakeDc::start(sample_world()).unwrap();
    let tc = connect(&dc, true).await;
    let client = &tc.client;
    let peer = resolved_user(&dc, 1001);
    let kib = |n: usize| pattern(n * 1024);

    // Parts 0 and 2 of 3: part 1 is missing when the file is used.
    client.invoke(&save_part(1, 0, kib(64))).await.unwrap();
    client.invoke(&save_part(1, 2, kib(3))).await.unwrap();
    let file: tl::enums::InputFile = tl::types::InputFile {
        id: 1,
        parts: 3,
        name: "gap.bin".into(),
        md5_checksum: String::new(),
    }
    .into();
    let err = client
        .invoke(&send_media_request(
            peer,
            uploaded_document(file, "application/octet-stream"),
            "",
            1,
        ))
        .await
        .unwrap_err();
    assert_eq!(rpc_name(&err), (400, "FILE_PART_MISSING".into(), Some(1)));
    // Declaring fewer parts than were uploaded.
    client.invoke(&save_part(1, 1, kib(64))).await.unwrap();
    let short: tl::enums::InputFile = tl::types::InputFile {
        id: 1,
        parts: 2,
        name: "gap.bin".into(),
        md5_checksum: String::new(),
    }
    .into();
    let err = client
        .invoke(&send_media_request(
            peer,
            uploaded_document(short, "application/octet-stream"),
            "",
            2,
        ))
        .await
        .unwrap_err();
    assert_eq!(rpc_name(&err).1, "FILE_PARTS_INVALID");
    // A wrong MD5.
    let wrong_md5: tl::enums::InputFile = tl::types::InputFile {
        id: 1,
        parts: 3,
        name: "gap.bin".into(),
        md5_checksum: "00000000000000000000000000000000".into(),
    }
    .into();
    let err = client
        .invoke(&send_media_request(
            peer,
            uploaded_document(wrong_md5, "application/octet-stream"),
            "",
            3,
        ))
        .await
        .unwrap_err();
    assert_eq!(rpc_name(&err).1, "MD5_CHECKSUM_INVALID");

    // Part size rules.
    let err = client
        .invoke(&save_part(2, 0, pattern(1000)))
        .await
        .map(|_| ());
    assert!(
        err.is_ok(),
        "an odd size is fine for what may be the last part"
    );
    let err = client.invoke(&save_part(2, 1, kib(1))).await.unwrap_err();
    assert_eq!(rpc_name(&err).1, "FILE_PART_SIZE_INVALID");
    client.invoke(&save_part(3, 0, kib(128))).await.unwrap();
    let err = client.invoke(&save_part(3, 1, kib(256))).await.unwrap_err();
    assert_eq!(
        rpc_name(&err).1,
        "FILE_PART_SIZE_INVALID",
        "larger than the parts before it"
    );
    client.invoke(&save_part(3, 2, kib(1))).await.unwrap();
    let err = client.invoke(&save_part(3, 1, kib(64))).await.unwrap_err();
    assert_eq!(rpc_name(&err).1, "FILE_PART_SIZE_CHANGED");
    let err = client.invoke(&save_part(4, 0, kib(513))).await.unwrap_err();
    assert_eq!(rpc_name(&err).1, "FILE_PART_TOO_BIG");
    let err = client
        .invoke(&save_part(4, 4000, kib(1)))
        .await
        .unwrap_err();
    assert_eq!(rpc_name(&err).1, "FILE_PART_INVALID");
    let err = client
        .invoke(&save_part(4, 0, Vec::new()))
        .await
        .unwrap_err();
    assert_eq!(rpc_name(&err).1, "FILE_PART_EMPTY");

    // Big files: the total must stay the same and bound the part numbers.
    let big = |part: i32, total: i32, bytes: Vec<u8>| tl::functions::upload::SaveBigFilePart {
        file_id: 5,
        file_part: part,
        file_total_parts: total,
        bytes,
    };
    assert!(client.invoke(&big(0, 2, kib(512))).await.unwrap());
    let err = client.invoke(&big(1, 3, kib(1))).await.unwrap_err();
    assert_eq!(rpc_name(&err).1, "FILE_PARTS_INVALID");
    let err = client.invoke(&big(2, 2, kib(1))).await.unwrap_err();
    assert_eq!(rpc_name(&err).1, "FILE_PART_INVALID");
    assert!(client.invoke(&big(1, 2, kib(5))).await.unwrap());
    let file: tl::enums::InputFile = tl::types::InputFileBig {
        id: 5,
        parts: 2,
        name: "big.bin".into(),
    }
    .into();
    let answer = client
        .invoke(&send_media_request(
            peer,
            uploaded_document(file, "application/zip"),
            "",
            4,
        ))
        .await
        .unwrap();
    assert_eq!(update_kinds(&answer), vec!["messageID", "newMessage"]);
    let id = dc.world().sent_by_random_id[&4].1;
    let mut expected = kib(512);
    expected.extend(kib(5));
    assert_eq!(dc.uploaded_bytes(BABBAGE, id), Some(expected));

    // Not an image.
    let garbage = upload(&tc, &pattern(3000), "photo.jpg").await;
    let err = client
        .send_message(peer, InputMessage::new().photo(garbage))
        .await
        .unwrap_err();
    assert_eq!(rpc_name(&err).1, "IMAGE_PROCESS_FAILED");
    let count = dc.world().history(BABBAGE).count();
    assert_eq!(count, 7, "only the big file was sent");
}

#[tokio::test]
async fn album_shares_one_grouped_id() {
    let dc = FakeDc::start(sample_world()).unwrap();
    let tc = connect(&dc, true).await;
    let peer = resolved_user(&dc, 1001);
    let first = png(800, 600, 30_000);
    let second = png(600, 800, 40_000);
    let a = upload(&tc, &first, "a.png").await;
    let b = upload(&tc, &second, "b.png").await;
    let sent = tc
        .client
        .send_album(
            peer,
            vec![
                InputMedia::new().caption("Engine, front and side").photo(a),
                InputMedia::new().photo(b),
            ],
        )
        .await
        .unwrap();
    let sent: Vec<_> = sent
        .into_iter()
        .map(|m| m.expect("mapped by random_id"))
        .collect();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].text(), "Engine, front and side");
    assert_eq!(sent[1].text(), "");
    let group = sent[0].grouped_id().expect("grouped");
    assert_eq!(sent[1].grouped_id(), Some(group));
    assert_eq!(sent[1].id(), sent[0].id() + 1);

    assert_eq!(dc.count_of::<tl::functions::messages::UploadMedia>(), 2);
    let request = &dc.requests_of::<tl::functions::messages::SendMultiMedia>()[0];
    assert!(request
        .multi_media
        .iter()
        .all(|m| matches!(m, tl::enums::InputSingleMedia::Media(m) if matches!(m.media, tl::enums::InputMedia::Photo(_)))));
    for (msg, bytes) in sent.iter().zip([first, second]) {
        assert_eq!(stored(&dc, BABBAGE, msg.id()).grouped_id, Some(group));
        assert_eq!(dc.uploaded_bytes(BABBAGE, msg.id()), Some(bytes));
    }
}

#[tokio::test]
async fn album_items_must_be_uploaded_with_upload_media_first() {
    let dc = FakeDc::start(sample_world()).unwrap();
    let tc = connect(&dc, true).await;
    let uploaded = upload(&tc, &png(10, 10, 2000), "a.png").await;
    let item = tl::types::InputSingleMedia {
        media: tl::types::InputMediaUploadedPhoto {
            spoiler: false,
            live_photo: false,
            file: uploaded.raw,
            stickers: None,
            ttl_seconds: None,
            video: None,
        }
        .into(),
        random_id: 9,
        message: String::new(),
        entities: None,
    };
    let err = tc
        .client
        .invoke(&tl::functions::messages::SendMultiMedia {
            silent: false,
            background: false,
            clear_draft: false,
            noforwards: false,
            update_stickersets_order: false,
            invert_media: false,
            allow_paid_floodskip: false,
            peer: resolved_user(&dc, 1001).into(),
            reply_to: None,
            multi_media: vec![item.into()],
            schedule_date: None,
            send_as: None,
            quick_reply_shortcut: None,
            effect: None,
            allow_paid_stars: None,
        })
        .await
        .unwrap_err();
    assert_eq!(rpc_name(&err).1, "MEDIA_INVALID");
}

#[tokio::test]
async fn edits_own_messages_and_refuses_others() {
    let dc = FakeDc::start(sample_world()).unwrap();
    let tc = connect(&dc, true).await;
    let peer = resolved_user(&dc, 1001);
    let sent = tc
        .client
        .send_message(peer, "Draft of the memo")
        .await
        .unwrap();
    tc.client
        .edit_message(peer, sent.id(), "Final memo")
        .await
        .unwrap();
    let msg = stored(&dc, BABBAGE, sent.id());
    assert_eq!(msg.text, "Final memo");
    assert!(msg.edit_date.is_some());
    let edit = &dc.requests_of::<tl::functions::messages::EditMessage>()[0];
    assert_eq!(edit.message.as_deref(), Some("Final memo"));

    let err = tc
        .client
        .edit_message(peer, sent.id(), "Final memo")
        .await
        .unwrap_err();
    assert_eq!(rpc_name(&err), (400, "MESSAGE_NOT_MODIFIED".into(), None));
    let err = tc
        .client
        .edit_message(peer, 1, "Not my words")
        .await
        .unwrap_err();
    assert_eq!(
        rpc_name(&err),
        (403, "MESSAGE_AUTHOR_REQUIRED".into(), None)
    );
    assert_eq!(
        stored(&dc, BABBAGE, 1).text,
        "Good morning Ada! Did you read the notes on the engine?"
    );
    let err = tc
        .client
        .edit_message(peer, 999, "Nothing here")
        .await
        .unwrap_err();
    assert_eq!(rpc_name(&err).1, "MESSAGE_ID_INVALID");
    // Message 6 is the self user's, but older than the 48-hour edit window.
    let err = tc
        .client
        .edit_message(peer, 6, "Too late")
        .await
        .unwrap_err();
    assert_eq!(rpc_name(&err).1, "MESSAGE_EDIT_TIME_EXPIRED");
    // Saved Messages have no edit window.
    let saved = resolved_user(&dc, 1000);
    tc.client
        .edit_message(saved, 14, "Reminder: renew library card today")
        .await
        .unwrap();

    // The answers: updateEditMessage here, updateEditChannelMessage in a channel the user owns.
    let edit = |peer: PeerRef, id: i32, text: &str| tl::functions::messages::EditMessage {
        no_webpage: false,
        invert_media: false,
        peer: peer.into(),
        id,
        message: Some(text.into()),
        media: None,
        reply_markup: None,
        entities: None,
        schedule_date: None,
        schedule_repeat_period: None,
        quick_reply_shortcut_id: None,
        rich_message: None,
    };
    let answer = tc
        .client
        .invoke(&edit(peer, sent.id(), "Final memo, v2"))
        .await
        .unwrap();
    assert_eq!(update_kinds(&answer), vec!["editMessage"]);
    let channel = resolved_channel(&dc, 1_000_000_002);
    let answer = tc
        .client
        .invoke(&edit(channel, 2, "Engine v1.1: much faster tables."))
        .await
        .unwrap();
    assert_eq!(update_kinds(&answer), vec!["editChannelMessage"]);
    assert_eq!(
        stored(&dc, ENGINE_NEWS, 2).text,
        "Engine v1.1: much faster tables."
    );
}

#[tokio::test]
async fn scheduled_send_stays_out_of_the_history() {
    let dc = FakeDc::start(sample_world()).unwrap();
    let tc = connect(&dc, true).await;
    let peer = resolved_user(&dc, 1001);
    let history_before = dc.world().history(BABBAGE).count();
    let when = SystemTime::now() + Duration::from_secs(3600);
    let sent = tc
        .client
        .send_message(
            peer,
            InputMessage::new()
                .text("See you at the lecture")
                .schedule_date(Some(when)),
        )
        .await
        .unwrap();
    assert_eq!(sent.id(), 1, "scheduled messages have their own ids");
    assert_eq!(sent.text(), "See you at the lecture");
    assert_eq!(dc.world().history(BABBAGE).count(), history_before);
    let scheduled = dc.scheduled_messages(BABBAGE);
    assert_eq!(scheduled.len(), 1);
    assert_eq!(scheduled[0].text, "See you at the lecture");
    assert!((scheduled[0].date - (now() + 3600)).abs() <= 5);
    assert!(
        dc.requests_of::<tl::functions::messages::SendMessage>()[0]
            .schedule_date
            .is_some()
    );

    // The raw answer, and the scheduled list.
    let mut request = send_message_request(peer, "And a second one", 4242);
    request.schedule_date = Some(now() + 7200);
    let answer = tc.client.invoke(&request).await.unwrap();
    assert_eq!(
        update_kinds(&answer),
        vec!["messageID", "newScheduledMessage"]
    );
    let tl::enums::messages::Messages::Messages(list) = tc
        .client
        .invoke(&tl::functions::messages::GetScheduledHistory {
            peer: peer.into(),
            hash: 0,
        })
        .await
        .unwrap()
    else {
        panic!("expected messages.messages");
    };
    let ids: Vec<i32> = list.messages.iter().map(|m| m.id()).collect();
    assert_eq!(ids, vec![2, 1]);
    assert!(
        list.messages
            .iter()
            .all(|m| matches!(m, tl::enums::Message::Message(m) if m.from_scheduled))
    );

    // Too far ahead.
    request.random_id = 4243;
    request.schedule_date = Some(now() + 400 * 86_400);
    let err = tc.client.invoke(&request).await.unwrap_err();
    assert_eq!(rpc_name(&err).1, "SCHEDULE_DATE_TOO_LATE");
    // A date already due is sent at once.
    request.random_id = 4244;
    request.schedule_date = Some(now() - 60);
    tc.client.invoke(&request).await.unwrap();
    assert_eq!(dc.world().history(BABBAGE).count(), history_before + 1);
    // Scheduled media too.
    let uploaded = upload(&tc, &png(10, 10, 1500), "later.png").await;
    let later = tc
        .client
        .send_message(
            peer,
            InputMessage::new()
                .photo(uploaded)
                .schedule_date(Some(when)),
        )
        .await
        .unwrap();
    assert_eq!(later.id(), 3);
    let scheduled = dc.scheduled_messages(BABBAGE);
    assert_eq!(scheduled.len(), 3);
    assert_eq!(
        dc.uploaded_bytes_of(&scheduled[2]).map(|b| b.len()),
        Some(1500)
    );
}

#[tokio::test]
async fn draft_is_saved_and_cleared() {
    let dc = FakeDc::start(sample_world()).unwrap();
    let tc = connect(&dc, true).await;
    let peer = resolved_user(&dc, 1001);
    let draft = |text: &str| tl::functions::messages::SaveDraft {
        no_webpage: false,
        invert_media: false,
        reply_to: None,
        peer: peer.into(),
        message: text.into(),
        entities: None,
        media: None,
        effect: None,
        suggested_post: None,
        rich_message: None,
    };
    assert!(tc.client.invoke(&draft("Half a thought")).await.unwrap());
    let saved = dc.draft(BABBAGE).expect("draft saved");
    assert_eq!(saved.message, "Half a thought");
    assert!(saved.date > 0);
    assert!(tc.client.invoke(&draft("")).await.unwrap());
    assert!(dc.draft(BABBAGE).is_none(), "an empty draft clears it");

    tc.client.invoke(&draft("Sent soon")).await.unwrap();
    tc.client
        .send_message(
            peer,
            InputMessage::new().text("Sent soon").clear_draft(true),
        )
        .await
        .unwrap();
    assert!(dc.draft(BABBAGE).is_none(), "clear_draft removes it");
    assert_eq!(dc.count_of::<tl::functions::messages::SaveDraft>(), 3);
}

#[tokio::test]
async fn repeated_random_id_sends_once() {
    let dc = FakeDc::start(sample_world()).unwrap();
    let tc = connect(&dc, true).await;
    let client = &tc.client;
    let peer = resolved_user(&dc, 1001);
    let before = dc.world().history(BABBAGE).count();

    let first = client
        .invoke(&send_message_request(peer, "Only once", 1111))
        .await
        .unwrap();
    let again = client
        .invoke(&send_message_request(peer, "Only once", 1111))
        .await
        .unwrap();
    let short_id = |u: &tl::enums::Updates| match u {
        tl::enums::Updates::UpdateShortSentMessage(s) => s.id,
        other => panic!("expected updateShortSentMessage, got {other:?}"),
    };
    assert_eq!(short_id(&first), short_id(&again));

    let uploaded = upload(&tc, &png(10, 10, 1500), "once.png").await;
    let media = || -> tl::enums::InputMedia {
        tl::types::InputMediaUploadedPhoto {
            spoiler: false,
            live_photo: false,
            file: uploaded.raw.clone(),
            stickers: None,
            ttl_seconds: None,
            video: None,
        }
        .into()
    };
    let first = client
        .invoke(&send_media_request(peer, media(), "", 2222))
        .await
        .unwrap();
    let again = client
        .invoke(&send_media_request(peer, media(), "", 2222))
        .await
        .unwrap();
    let id_of = |u: &tl::enums::Updates| match u {
        tl::enums::Updates::Updates(u) => u
            .updates
            .iter()
            .find_map(|u| match u {
                tl::enums::Update::MessageId(m) => Some(m.id),
                _ => None,
            })
            .unwrap(),
        other => panic!("expected updates, got {other:?}"),
    };
    assert_eq!(id_of(&first), id_of(&again));

    let mut scheduled = send_message_request(peer, "Later, once", 3333);
    scheduled.schedule_date = Some(now() + 600);
    let first = client.invoke(&scheduled).await.unwrap();
    let again = client.invoke(&scheduled).await.unwrap();
    assert_eq!(id_of(&first), id_of(&again));
    assert_eq!(dc.scheduled_messages(BABBAGE).len(), 1);

    assert_eq!(dc.world().history(BABBAGE).count(), before + 2);
    assert_eq!(dc.count_of::<tl::functions::messages::SendMessage>(), 4);
    assert_eq!(dc.count_of::<tl::functions::messages::SendMedia>(), 2);
}

fn input_photo_of(media: &tl::enums::MessageMedia) -> tl::enums::InputMedia {
    let tl::enums::MessageMedia::Photo(media) = media else {
        panic!("expected a photo, got {media:?}");
    };
    let Some(tl::enums::Photo::Photo(photo)) = &media.photo else {
        panic!("expected a photo");
    };
    tl::types::InputMediaPhoto {
        spoiler: false,
        live_photo: false,
        id: tl::types::InputPhoto {
            id: photo.id,
            access_hash: photo.access_hash,
            file_reference: photo.file_reference.clone(),
        }
        .into(),
        ttl_seconds: None,
        video: None,
    }
    .into()
}

#[tokio::test]
async fn uploaded_and_existing_media_can_be_sent_by_reference() {
    let dc = FakeDc::start(sample_world()).unwrap();
    let tc = connect(&dc, true).await;
    let client = &tc.client;
    let peer = resolved_user(&dc, 1001);
    let bytes = png(320, 200, 4000);
    let uploaded = upload(&tc, &bytes, "ref.png").await;
    let made = client
        .invoke(&tl::functions::messages::UploadMedia {
            business_connection_id: None,
            peer: peer.into(),
            media: tl::types::InputMediaUploadedPhoto {
                spoiler: false,
                live_photo: false,
                file: uploaded.raw,
                stickers: None,
                ttl_seconds: None,
                video: None,
            }
            .into(),
        })
        .await
        .unwrap();
    assert_eq!(
        dc.world().history(BABBAGE).count(),
        6,
        "uploadMedia sends nothing"
    );

    // The same photo twice, as an album re-sent with the same random ids.
    let album = |ids: [i64; 2]| tl::functions::messages::SendMultiMedia {
        silent: false,
        background: false,
        clear_draft: false,
        noforwards: false,
        update_stickersets_order: false,
        invert_media: false,
        allow_paid_floodskip: false,
        peer: peer.into(),
        reply_to: None,
        multi_media: ids
            .iter()
            .map(|random_id| {
                tl::types::InputSingleMedia {
                    media: input_photo_of(&made),
                    random_id: *random_id,
                    message: if *random_id == ids[0] {
                        "Twice".into()
                    } else {
                        String::new()
                    },
                    entities: None,
                }
                .into()
            })
            .collect(),
        schedule_date: None,
        send_as: None,
        quick_reply_shortcut: None,
        effect: None,
        allow_paid_stars: None,
    };
    let first = client.invoke(&album([501, 502])).await.unwrap();
    let again = client.invoke(&album([501, 502])).await.unwrap();
    assert_eq!(
        update_kinds(&first),
        vec!["messageID", "messageID", "newMessage", "newMessage"]
    );
    let ids = |u: &tl::enums::Updates| -> Vec<(i32, i64)> {
        let tl::enums::Updates::Updates(u) = u else {
            panic!("expected updates")
        };
        u.updates
            .iter()
            .filter_map(|u| match u {
                tl::enums::Update::MessageId(m) => Some((m.id, m.random_id)),
                _ => None,
            })
            .collect()
    };
    assert_eq!(ids(&first), vec![(16, 501), (17, 502)]);
    assert_eq!(ids(&again), ids(&first), "the same messages come back");
    assert_eq!(
        dc.world().history(BABBAGE).count(),
        8,
        "the album was stored once"
    );
    assert_eq!(dc.uploaded_bytes(BABBAGE, 16), Some(bytes.clone()));
    assert_eq!(dc.uploaded_bytes(BABBAGE, 17), Some(bytes));

    // A photo already in the world (message 4), by reference; a stale file reference fails.
    let world_photo = dc
        .world()
        .message(BABBAGE, 4)
        .unwrap()
        .media
        .clone()
        .unwrap();
    client
        .invoke(&send_media_request(
            peer,
            input_photo_of(&world_photo),
            "Again",
            601,
        ))
        .await
        .unwrap();
    assert_eq!(stored(&dc, BABBAGE, 18).media, Some(world_photo.clone()));
    let mut stale = input_photo_of(&world_photo);
    if let tl::enums::InputMedia::Photo(p) = &mut stale
        && let tl::enums::InputPhoto::Photo(p) = &mut p.id
    {
        p.file_reference = vec![9, 9, 9];
    }
    let err = client
        .invoke(&send_media_request(peer, stale, "", 602))
        .await
        .unwrap_err();
    assert_eq!(rpc_name(&err).1, "FILE_REFERENCE_EXPIRED");
}
