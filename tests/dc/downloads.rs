//! `upload.getFile` as Telegram limits it, driven by the real grammers client: part sizes and
//! offsets, the end of a file, the DC that holds it, expired file references.

use grammers_client::InvocationError;
use grammers_tl_types as tl;

use crate::client::connect;
use testkit::fake_dc::{DcOptions, FakeDc};
use testkit::world::files::{media_ids, media_world};
use testkit::world::{FileKey, Peer};

const BABBAGE: Peer = Peer::User(1001);

/// The location of message `id`'s document, as the world holds it now.
fn document_location(dc: &FakeDc, id: i32) -> (tl::enums::InputFileLocation, Vec<u8>) {
    let world = dc.world();
    let media = world.message(BABBAGE, id).unwrap().media.clone().unwrap();
    let tl::enums::MessageMedia::Document(d) = media else {
        panic!("not a document")
    };
    let Some(tl::enums::Document::Document(doc)) = d.document else {
        panic!("no document")
    };
    let bytes = world
        .file(&FileKey::Document(doc.id))
        .unwrap()
        .bytes
        .clone();
    let location = tl::types::InputDocumentFileLocation {
        id: doc.id,
        access_hash: doc.access_hash,
        file_reference: doc.file_reference,
        thumb_size: String::new(),
    }
    .into();
    (location, bytes)
}

fn get_file(
    location: &tl::enums::InputFileLocation,
    offset: i64,
    limit: i32,
) -> tl::functions::upload::GetFile {
    tl::functions::upload::GetFile {
        precise: false,
        cdn_supported: false,
        location: location.clone(),
        offset,
        limit,
    }
}

fn rpc_name(result: Result<tl::enums::upload::File, InvocationError>) -> String {
    match result {
        Err(InvocationError::Rpc(e)) => match e.value {
            Some(v) => format!("{}_{v}", e.name),
            None => e.name,
        },
        other => panic!("expected an RPC error, got {other:?}"),
    }
}

fn bytes_of(file: tl::enums::upload::File) -> Vec<u8> {
    match file {
        tl::enums::upload::File::File(f) => f.bytes,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn parts_follow_telegrams_limits_and_the_end_of_a_file_is_short_then_empty() {
    let dc = FakeDc::start(media_world()).unwrap();
    let tc = connect(&dc, true).await;
    let (location, bytes) = document_location(&dc, media_ids::ARCHIVE);
    let part = |offset, limit| {
        let request = get_file(&location, offset, limit);
        let client = tc.client.clone();
        async move { client.invoke(&request).await }
    };
    for (offset, limit, error) in [
        (0, 12 * 1024, "LIMIT_INVALID"),
        (0, 1000, "LIMIT_INVALID"),
        (0, 2 * 1024 * 1024, "LIMIT_INVALID"),
        (1024, 4096, "OFFSET_INVALID"),
        (1024 * 1024 - 4096, 8192, "LIMIT_INVALID"),
    ] {
        assert_eq!(
            rpc_name(part(offset, limit).await),
            error,
            "{offset} {limit}"
        );
    }
    let first = part(0, 512 * 1024).await.unwrap();
    match &first {
        tl::enums::upload::File::File(f) => {
            assert!(matches!(
                f.r#type,
                tl::enums::storage::FileType::FileUnknown
            ));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(bytes_of(first), bytes[..512 * 1024]);
    let len = bytes.len() as i64;
    let last = bytes_of(part(len - 4096, 4096).await.unwrap());
    assert_eq!(last, bytes[bytes.len() - 4096..]);
    assert!(
        bytes_of(part(len, 4096).await.unwrap()).is_empty(),
        "none past the end"
    );
    let (text, content) = document_location(&dc, media_ids::TEXT);
    let short = tc.client.invoke(&get_file(&text, 0, 4096)).await.unwrap();
    assert_eq!(
        bytes_of(short),
        content,
        "fewer bytes than asked at the end"
    );
}

#[tokio::test]
async fn an_expired_reference_is_refused_and_the_fresh_one_served() {
    let dc = FakeDc::start(media_world()).unwrap();
    let tc = connect(&dc, true).await;
    let (old, bytes) = document_location(&dc, media_ids::TEXT);
    assert!(dc.world().expire_file_reference(BABBAGE, media_ids::TEXT));
    let refused = tc.client.invoke(&get_file(&old, 0, 4096)).await;
    assert_eq!(rpc_name(refused), "FILE_REFERENCE_EXPIRED");
    let (fresh, _) = document_location(&dc, media_ids::TEXT);
    let file = tc.client.invoke(&get_file(&fresh, 0, 4096)).await.unwrap();
    assert_eq!(bytes_of(file), bytes);
}

#[tokio::test]
async fn a_file_is_served_only_by_the_dc_that_holds_it() {
    let dc = FakeDc::start_with(DcOptions {
        dc_ids: vec![2, 4],
        ..DcOptions::new(media_world())
    })
    .unwrap();
    let tc = connect(&dc, true).await;
    let (location, _) = document_location(&dc, media_ids::ON_DC4);
    let moved = tc.client.invoke(&get_file(&location, 0, 4096)).await;
    assert_eq!(rpc_name(moved), "FILE_MIGRATE_4");
    let unsigned = tc
        .client
        .invoke_in_dc(4, &get_file(&location, 0, 4096))
        .await;
    assert_eq!(rpc_name(unsigned), "AUTH_KEY_UNREGISTERED");
}
