//! `get_media`: a message's media for the model — photos as images (the right size), voice as
//! audio, text documents as cleaned text, the rest described or saved under the file rules —
//! with downloads in parts that follow `FILE_MIGRATE_X`, renew an expired file reference once,
//! report progress and stop when cancelled; against the loopback DC and its record.

#![allow(deprecated)] // MCP roots are deprecated by SEP-2577; hosts still declare them.

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use grammers_tl_types as tl;
use rmcp::model::{CallToolRequestParams, CallToolResult, ProgressToken, RequestMetaObject};
use rmcp::transport::TokioChildProcess;
use rmcp::{Peer, RoleClient, ServiceExt};
use serde_json::{Value, json};

use crate::send_files::Host;
use testkit::fake_dc::{DcOptions, FaultAction, FaultRule};
use testkit::harness::{Client, Harness, call, call_result, result_value, spawn, spawn_modern};
use testkit::wait::wait_until;
use testkit::world::files::{MEDIA_TEXT, media_ids::*, media_world};
use testkit::world::{FileKey, Peer as WorldPeer};

const BABBAGE: WorldPeer = WorldPeer::User(1001);

/// A DC serving DC 2 and DC 4 with the media world, and a session on DC 2.
async fn media_harness() -> Harness {
    Harness::with_options(DcOptions {
        dc_ids: vec![2, 4],
        ..DcOptions::new(media_world())
    })
    .await
}

/// The photo or document id of a message's media.
fn media_id(h: &Harness, id: i32) -> i64 {
    let world = h.dc.world();
    let media = world.message(BABBAGE, id).unwrap().media.clone().unwrap();
    match media {
        tl::enums::MessageMedia::Photo(p) => match p.photo.unwrap() {
            tl::enums::Photo::Photo(photo) => photo.id,
            _ => unreachable!(),
        },
        tl::enums::MessageMedia::Document(d) => match d.document.unwrap() {
            tl::enums::Document::Document(doc) => doc.id,
            _ => unreachable!(),
        },
        other => panic!("no file: {other:?}"),
    }
}

fn photo_bytes(h: &Harness, id: i32, size: &str) -> Vec<u8> {
    let key = FileKey::Photo {
        id: media_id(h, id),
        size: size.into(),
    };
    h.dc.world().file(&key).unwrap().bytes.clone()
}

fn document_bytes(h: &Harness, id: i32) -> Vec<u8> {
    let key = FileKey::Document(media_id(h, id));
    h.dc.world().file(&key).unwrap().bytes.clone()
}

/// Calls get_media: the checked structured answer and the whole result.
async fn get_media(client: &Peer<RoleClient>, args: Value) -> (bool, Value, CallToolResult) {
    let result = call_result(client, "get_media", args).await;
    let (err, v) = result_value(client, "get_media", &result).await;
    (err, v, result)
}

fn image_of(result: &CallToolResult) -> (Vec<u8>, String) {
    let image = result
        .content
        .iter()
        .find_map(|c| c.as_image())
        .expect("an image content");
    (
        STANDARD.decode(&image.data).unwrap(),
        image.mime_type.clone(),
    )
}

fn get_files(h: &Harness) -> Vec<tl::functions::upload::GetFile> {
    h.dc.requests_of::<tl::functions::upload::GetFile>()
}

/// The server on the media world with `ALLOWED_FILE_ROOTS` at a fresh `downloads` directory.
async fn with_root(h: &Harness) -> (Client, PathBuf) {
    let root = h.session_dir().join("downloads");
    std::fs::create_dir(&root).unwrap();
    let root = root.canonicalize().unwrap();
    let mut cmd = h.command();
    cmd.env("ALLOWED_FILE_ROOTS", &root);
    (spawn(cmd).await, root)
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_photo_is_an_image_of_its_largest_size_within_1280_px_and_the_cap() {
    let h = media_harness().await;
    let client = h.client().await;
    let (err, v, result) =
        get_media(&client, json!({"chat_id": "@babbage", "message_id": PHOTO})).await;
    assert!(!err, "{v}");
    assert_eq!(v["type"], "photo");
    assert_eq!(v["returned_as"], "image");
    let (bytes, mime) = image_of(&result);
    assert_eq!(mime, "image/jpeg");
    assert_eq!(
        bytes,
        photo_bytes(&h, PHOTO, "y"),
        "the 1280 px size, whole"
    );
    let parts = get_files(&h);
    assert_eq!(parts.len(), 1, "300,000 bytes in one 512 KiB part");
    assert_eq!((parts[0].offset, parts[0].limit), (0, 512 * 1024));
    match &parts[0].location {
        tl::enums::InputFileLocation::InputPhotoFileLocation(l) => assert_eq!(l.thumb_size, "y"),
        other => panic!("{other:?}"),
    }
    assert_eq!(h.dc.count_of::<tl::functions::messages::GetMessages>(), 1);
    // The JSON comes first, as text, for hosts that show only text.
    assert!(result.content[0].as_text().is_some());
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_smaller_cap_picks_a_smaller_size_or_a_progressive_prefix() {
    let h = media_harness().await;
    let mut cmd = h.command();
    cmd.env("MEDIA_MAX_BYTES", "200000");
    let client = spawn(cmd).await;
    let (err, v, result) =
        get_media(&client, json!({"chat_id": "1001", "message_id": PHOTO})).await;
    assert!(!err, "{v}");
    assert_eq!(
        image_of(&result).0,
        photo_bytes(&h, PHOTO, "x"),
        "800 px: 1280 is over the cap"
    );
    h.dc.clear_requests();
    let (err, v, result) = get_media(
        &client,
        json!({"chat_id": "1001", "message_id": PROGRESSIVE}),
    )
    .await;
    assert!(!err, "{v}");
    let whole = photo_bytes(&h, PROGRESSIVE, "y");
    assert_eq!(
        image_of(&result).0,
        whole[..150_000],
        "the largest prefix within the cap"
    );
    let parts = get_files(&h);
    assert_eq!(parts.len(), 1, "{parts:?}");
    assert_eq!(parts[0].limit, 256 * 1024);
    // Only a size over 1280 px and an inline one: the inline one, with no download.
    h.dc.clear_requests();
    let (err, v, result) = get_media(
        &client,
        json!({"chat_id": "1001", "message_id": CACHED_ONLY}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(v["returned_as"], "image");
    assert_eq!(image_of(&result).0.len(), 600);
    assert!(get_files(&h).is_empty());
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_voice_note_is_audio_and_a_text_document_is_cleaned_text() {
    let h = media_harness().await;
    let client = h.client().await;
    let (err, v, result) =
        get_media(&client, json!({"chat_id": "1001", "message_id": VOICE})).await;
    assert!(!err, "{v}");
    assert_eq!(
        (v["type"].as_str(), v["returned_as"].as_str()),
        (Some("voice"), Some("audio"))
    );
    assert_eq!(v["mime_type"], "audio/ogg");
    assert_eq!(v["size_bytes"], 30_000);
    let audio = result
        .content
        .iter()
        .find_map(|c| c.as_audio())
        .expect("audio content");
    assert_eq!(audio.mime_type, "audio/ogg");
    assert_eq!(
        STANDARD.decode(&audio.data).unwrap(),
        document_bytes(&h, VOICE)
    );

    let (err, v, result) = get_media(&client, json!({"chat_id": "1001", "message_id": TEXT})).await;
    assert!(!err, "{v}");
    assert_eq!(v["returned_as"], "text");
    assert_eq!(v["file_name"], "notes.txt");
    assert!(v.get("note").is_none(), "{v}");
    let text = &result.content[1].as_text().expect("the text content").text;
    assert_eq!(text, &MEDIA_TEXT.replace(['\u{200B}', '\u{202E}'], ""));
    assert_eq!(get_files(&h).len(), 2);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn what_cannot_be_shown_is_described_with_the_way_to_get_it() {
    let h = media_harness().await;
    let client = h.client().await;
    let (err, v, result) =
        get_media(&client, json!({"chat_id": "1001", "message_id": ARCHIVE})).await;
    assert!(!err, "{v}");
    assert_eq!(v["returned_as"], "described");
    assert_eq!(v["size_bytes"], 3 * 1024 * 1024);
    assert_eq!(v["file_name"], "archive.zip");
    assert!(v["note"].as_str().unwrap().contains("save_path"), "{v}");
    assert_eq!(result.content.len(), 1, "only the JSON");
    let (err, v, _) = get_media(&client, json!({"chat_id": "1001", "message_id": GEO})).await;
    assert!(!err, "{v}");
    assert_eq!(
        (v["type"].as_str(), v["returned_as"].as_str()),
        (Some("geo"), Some("described"))
    );
    assert!(get_files(&h).is_empty(), "nothing downloaded to describe");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn wrong_messages_are_clear_errors_naming_the_argument() {
    let h = media_harness().await;
    let client = h.client().await;
    let (err, v, _) = get_media(&client, json!({"chat_id": "1001", "message_id": 9999})).await;
    assert!(err);
    assert_eq!(v["error_code"], "MESSAGE_NOT_FOUND");
    assert!(
        v["error"].as_str().unwrap().contains("message_id 9999"),
        "{v}"
    );
    let (err, v, _) = get_media(&client, json!({"chat_id": "1001", "message_id": 1})).await;
    assert!(err);
    assert_eq!(v["error_code"], "NO_MEDIA");
    assert_eq!(v["action"], "fix_arguments");
    let (err, v, _) = get_media(&client, json!({"chat_id": "1001", "message_id": 0})).await;
    assert!(err, "{v}");
    assert_eq!(v["action"], "fix_arguments");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_file_is_saved_into_an_allowed_root_whole_and_never_over_a_file() {
    let h = media_harness().await;
    let (client, root) = with_root(&h).await;
    let (err, v, result) = get_media(
        &client,
        json!({"chat_id": "1001", "message_id": ARCHIVE, "save_path": root}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(v["returned_as"], "saved");
    let saved = root.join("archive.zip");
    assert_eq!(
        v["saved_to"],
        saved.display().to_string(),
        "named from Telegram's name"
    );
    assert_eq!(std::fs::read(&saved).unwrap(), document_bytes(&h, ARCHIVE));
    assert_eq!(result.content.len(), 1);
    let parts = get_files(&h);
    assert_eq!(parts.len(), 6, "3 MiB in 512 KiB parts");
    assert!(
        parts
            .iter()
            .enumerate()
            .all(|(i, p)| p.offset == i as i64 * 512 * 1024)
    );
    assert_eq!(entries(&root), ["archive.zip"], "no temporary file left");

    // Again: the name is taken, and nothing is downloaded to find that out.
    h.dc.clear_requests();
    let (err, v, _) = get_media(
        &client,
        json!({"chat_id": "1001", "message_id": ARCHIVE, "save_path": saved}),
    )
    .await;
    assert!(err);
    assert_eq!(v["error_code"], "FILE_EXISTS");
    assert!(
        v["error"].as_str().unwrap().starts_with("save_path: "),
        "{v}"
    );
    assert!(get_files(&h).is_empty());
    assert_eq!(std::fs::read(&saved).unwrap(), document_bytes(&h, ARCHIVE));

    // Into the directory again: a name of its own, the first one untouched.
    let (err, v, _) = get_media(
        &client,
        json!({"chat_id": "1001", "message_id": TEXT, "save_path": root}),
    )
    .await;
    assert!(!err, "{v}");
    let (err, v, _) = get_media(
        &client,
        json!({"chat_id": "1001", "message_id": TEXT, "save_path": root}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(
        v["saved_to"],
        root.join("notes (2).txt").display().to_string()
    );
    assert_eq!(
        std::fs::read(root.join("notes.txt")).unwrap(),
        MEDIA_TEXT.as_bytes()
    );

    // A photo saved under a new name: its largest size.
    let (err, v, _) = get_media(
        &client,
        json!({"chat_id": "1001", "message_id": PHOTO, "save_path": root.join("cat.jpg")}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(
        std::fs::read(root.join("cat.jpg")).unwrap(),
        photo_bytes(&h, PHOTO, "w")
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn saving_outside_the_roots_into_the_session_or_through_a_symlink_is_refused() {
    let h = media_harness().await;
    let (client, root) = with_root(&h).await;
    let outside = h.session_dir().join("elsewhere");
    std::fs::create_dir(&outside).unwrap();
    std::os::unix::fs::symlink(&outside, root.join("link")).unwrap();
    for (path, code) in [
        (outside.join("a.zip"), "PATH_NOT_ALLOWED"),
        (root.join("../a.zip"), "PATH_NOT_ALLOWED"),
        (root.join("link/a.zip"), "PATH_NOT_ALLOWED"),
        (root.join("a.session"), "PATH_PROTECTED"),
        (root.join("missing/a.zip"), "FILE_NOT_FOUND"),
    ] {
        let (err, v, _) = get_media(
            &client,
            json!({"chat_id": "1001", "message_id": TEXT, "save_path": path}),
        )
        .await;
        assert!(err, "{path:?}: {v}");
        assert_eq!(v["error_code"], code, "{path:?}: {v}");
        assert_eq!(v["action"], "fix_arguments", "{v}");
    }
    let (err, v, _) = get_media(
        &client,
        json!({"chat_id": "1001", "message_id": TEXT, "save_path": "notes.txt"}),
    )
    .await;
    assert!(err);
    assert!(v["error"].as_str().unwrap().contains("relative"), "{v}");
    assert!(
        get_files(&h).is_empty(),
        "nothing downloaded for a refused path"
    );
    assert!(entries(&outside).is_empty());
    assert_eq!(entries(&root), ["link"]);
    client.cancel().await.unwrap();

    // The session directory itself as the root: still never written into.
    let mut cmd = h.command();
    cmd.env("ALLOWED_FILE_ROOTS", h.session_dir());
    let client = spawn(cmd).await;
    let (err, v, _) = get_media(
        &client,
        json!({"chat_id": "1001", "message_id": TEXT, "save_path": h.session_dir()}),
    )
    .await;
    assert!(err);
    assert_eq!(v["error_code"], "PATH_PROTECTED", "{v}");
    assert!(!h.session_dir().join("notes.txt").exists());
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_file_on_another_datacenter_is_followed_there_with_the_authorization_copied() {
    let h = media_harness().await;
    let client = h.client().await;
    let (err, v, result) =
        get_media(&client, json!({"chat_id": "1001", "message_id": ON_DC4})).await;
    assert!(!err, "{v}");
    assert_eq!(v["returned_as"], "text", "a .csv sent as octet-stream");
    assert_eq!(result.content[1].as_text().unwrap().text, "a,b\n1,2\n");
    let by_dc: Vec<(i32, String)> =
        h.dc.requests_by_dc()
            .into_iter()
            .filter(|(_, n)| n.starts_with("upload.") || n.starts_with("auth."))
            .collect();
    let expected: Vec<(i32, String)> = [
        (2, "upload.getFile"),
        (4, "upload.getFile"),
        (2, "auth.exportAuthorization"),
        (4, "auth.importAuthorization"),
        (4, "upload.getFile"),
    ]
    .iter()
    .map(|(dc, n)| (*dc, n.to_string()))
    .collect();
    assert_eq!(by_dc, expected);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn after_a_file_migrate_the_next_parts_go_straight_to_the_files_datacenter() {
    let h = media_harness().await;
    let (client, root) = with_root(&h).await;
    let (err, v, _) = get_media(
        &client,
        json!({"chat_id": "1001", "message_id": LARGE_ON_DC4, "save_path": root}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(
        std::fs::read(root.join("manual.pdf")).unwrap(),
        document_bytes(&h, LARGE_ON_DC4)
    );
    let parts: Vec<(i32, i64)> =
        h.dc.requests()
            .iter()
            .filter_map(|r| {
                let part = r.decode::<tl::functions::upload::GetFile>()?;
                Some((h.dc.dc_of(r).unwrap(), part.offset))
            })
            .collect();
    let k = 512 * 1024;
    assert_eq!(parts, [(2, 0), (4, 0), (4, 0), (4, k), (4, 2 * k)]);
    assert_eq!(
        h.dc.count_of::<tl::functions::auth::ImportAuthorization>(),
        1
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn an_expired_file_reference_is_renewed_by_reading_the_message_once() {
    let h = media_harness().await;
    let client = h.client().await;
    let expired = || FaultAction::Error {
        code: 400,
        message: "FILE_REFERENCE_EXPIRED".into(),
    };
    h.dc.inject(FaultRule::on("upload.getFile", expired()).times(1));
    let (err, v, result) = get_media(&client, json!({"chat_id": "1001", "message_id": TEXT})).await;
    assert!(!err, "{v}");
    assert!(
        result.content[1]
            .as_text()
            .unwrap()
            .text
            .starts_with("Shopping list")
    );
    assert_eq!(
        h.dc.count_of::<tl::functions::messages::GetMessages>(),
        2,
        "one refetch"
    );
    assert_eq!(get_files(&h).len(), 2);

    // Expired again after the refetch: one renewal only, then the error.
    h.dc.clear_requests_and_inject(FaultRule::on("upload.getFile", expired()).times(2));
    let (err, v, _) = get_media(&client, json!({"chat_id": "1001", "message_id": TEXT})).await;
    assert!(err, "{v}");
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("FILE_REFERENCE_EXPIRED"),
        "{v}"
    );
    assert_eq!(h.dc.count_of::<tl::functions::messages::GetMessages>(), 2);
    assert_eq!(get_files(&h).len(), 2);
    client.cancel().await.unwrap();
}

/// A host with roots and a progress recorder, calling get_media with a progress token.
async fn call_with_progress(client: &Peer<RoleClient>, args: Value) -> CallToolResult {
    let mut params =
        CallToolRequestParams::new("get_media").with_arguments(args.as_object().cloned().unwrap());
    params.meta = Some(RequestMetaObject::with_progress_token(ProgressToken(
        rmcp::model::NumberOrString::String("download-1".into()),
    )));
    client.call_tool(params).await.unwrap()
}

#[tokio::test]
async fn downloads_report_progress_up_to_the_total() {
    let h = media_harness().await;
    let root = h.session_dir().join("host-root");
    std::fs::create_dir(&root).unwrap();
    let host = Host {
        roots: vec![format!("file://{}", root.display())],
        ..Host::default()
    };
    let (transport, _) = TokioChildProcess::builder(h.command()).spawn().unwrap();
    let client = host.clone().serve(transport).await.unwrap();
    let total = 3 * 1024 * 1024;
    let result = call_with_progress(
        &client,
        json!({"chat_id": "1001", "message_id": ARCHIVE, "save_path": root}),
    )
    .await;
    let (err, v) = result_value(&client, "get_media", &result).await;
    assert!(!err, "{v}");
    assert_eq!(
        std::fs::read(root.join("archive.zip")).unwrap().len(),
        total
    );
    wait_until("the last progress notification", || {
        host.progress
            .lock()
            .unwrap()
            .iter()
            .any(|(p, _)| *p == total as f64)
    })
    .await;
    let progress = host.progress.lock().unwrap().clone();
    assert!(progress.len() >= 6, "one per part at least: {progress:?}");
    assert!(progress.windows(2).all(|w| w[0].0 < w[1].0), "{progress:?}");
    assert!(progress.iter().all(|(_, t)| *t == Some(total as f64)));
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_cancelled_download_stops_asking_and_leaves_no_file() {
    let h = media_harness().await;
    let (client, root) = with_root(&h).await;
    h.dc.inject(FaultRule::on(
        "upload.getFile",
        FaultAction::Delay(Duration::from_millis(300)),
    ));
    use rmcp::model::{CallToolRequest, ClientRequest};
    let request = ClientRequest::CallToolRequest(CallToolRequest::new(
        CallToolRequestParams::new("get_media").with_arguments(
            json!({"chat_id": "1001", "message_id": ARCHIVE, "save_path": root})
                .as_object()
                .cloned()
                .unwrap(),
        ),
    ));
    let handle = client
        .peer()
        .send_cancellable_request(request, rmcp::service::PeerRequestOptions::no_options())
        .await
        .unwrap();
    wait_until("the second part asked", || get_files(&h).len() >= 2).await;
    handle.cancel(None).await.unwrap();
    // The server answers the next call only after it handled the cancellation.
    let (err, v) = call(
        &client,
        "get_messages",
        json!({"chat_id": "me", "limit": 1}),
    )
    .await;
    assert!(!err, "{v}");
    let asked = get_files(&h).len();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(
        get_files(&h).len(),
        asked,
        "no part asked after the cancellation"
    );
    assert!(asked < 6, "the whole file was not fetched: {asked}");
    wait_until("the temporary file removed", || entries(&root).is_empty()).await;
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn get_media_works_on_2026_07_28_too() {
    let h = media_harness().await;
    let client = spawn_modern(h.command()).await;
    let (err, v, result) =
        get_media(&client, json!({"chat_id": "1001", "message_id": PHOTO})).await;
    assert!(!err, "{v}");
    assert_eq!(image_of(&result).0, photo_bytes(&h, PHOTO, "y"));
    let (err, v, result) =
        get_media(&client, json!({"chat_id": "1001", "message_id": VOICE})).await;
    assert!(!err, "{v}");
    assert!(result.content.iter().any(|c| c.as_audio().is_some()));
    client.cancel().await.unwrap();
}
