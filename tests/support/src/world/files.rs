//! The bytes behind the world's photos and documents, served by `upload.getFile`: each photo
//! size and each document has a blob, made when the world loads (a document's `content`, or
//! bytes generated from the file id, a photo's starting as a JPEG does) and stored on the DC
//! that holds it. Tests read them back with [`World::file`](super::World::file) to compare
//! with what the server returned or saved.

use grammers_tl_types as tl;

use super::MediaSpec;

/// Which file a `getFile` location names: one size of a photo, or a whole document.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FileKey {
    Photo { id: i64, size: String },
    Document(i64),
}

/// A file's bytes and the DC that holds them.
#[derive(Debug, Clone)]
pub struct StoredBlob {
    pub bytes: Vec<u8>,
    pub dc: i32,
}

/// `len` deterministic bytes from `seed`; with `jpeg`, they open with a JPEG's start of image
/// and APP0 marker, so that a client sniffing the type finds a JPEG.
pub fn generated(seed: i64, len: usize, jpeg: bool) -> Vec<u8> {
    let mut state = (seed as u64) | 1;
    let mut bytes: Vec<u8> = (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    if jpeg {
        for (b, m) in bytes.iter_mut().zip([0xFF, 0xD8, 0xFF, 0xE0]) {
            *b = m;
        }
    }
    bytes
}

/// The seed of one photo size's bytes.
fn size_seed(id: i64, kind: &str) -> i64 {
    kind.bytes()
        .fold(id, |seed, b| seed.wrapping_mul(31).wrapping_add(b as i64))
}

/// The blobs behind `media`, built from `spec` (see the module documentation).
pub fn blobs(spec: &MediaSpec, media: &tl::enums::MessageMedia) -> Vec<(FileKey, StoredBlob)> {
    let dc = |named: i32| spec.served_from.unwrap_or(named);
    match media {
        tl::enums::MessageMedia::Photo(p) => {
            let Some(tl::enums::Photo::Photo(photo)) = &p.photo else {
                return Vec::new();
            };
            photo
                .sizes
                .iter()
                .filter_map(|size| {
                    let (kind, len) = match size {
                        tl::enums::PhotoSize::Size(s) => (&s.r#type, s.size),
                        tl::enums::PhotoSize::Progressive(s) => {
                            (&s.r#type, s.sizes.iter().copied().max().unwrap_or(0))
                        }
                        _ => return None,
                    };
                    let key = FileKey::Photo {
                        id: photo.id,
                        size: kind.clone(),
                    };
                    let bytes = generated(size_seed(photo.id, kind), len.max(0) as usize, true);
                    Some((
                        key,
                        StoredBlob {
                            bytes,
                            dc: dc(photo.dc_id),
                        },
                    ))
                })
                .collect()
        }
        tl::enums::MessageMedia::Document(d) => {
            let Some(tl::enums::Document::Document(doc)) = &d.document else {
                return Vec::new();
            };
            let bytes = match &spec.content {
                Some(text) => text.as_bytes().to_vec(),
                None => generated(
                    doc.id,
                    doc.size.max(0) as usize,
                    doc.mime_type == "image/jpeg",
                ),
            };
            vec![(
                FileKey::Document(doc.id),
                StoredBlob {
                    bytes,
                    dc: dc(doc.dc_id),
                },
            )]
        }
        _ => Vec::new(),
    }
}

/// The id and file reference of the photo or document in `media`, for mutation.
pub fn reference_mut(media: &mut tl::enums::MessageMedia) -> Option<(i64, &mut Vec<u8>)> {
    match media {
        tl::enums::MessageMedia::Photo(p) => match p.photo.as_mut()? {
            tl::enums::Photo::Photo(photo) => Some((photo.id, &mut photo.file_reference)),
            tl::enums::Photo::Empty(_) => None,
        },
        tl::enums::MessageMedia::Document(d) => match d.document.as_mut()? {
            tl::enums::Document::Document(doc) => Some((doc.id, &mut doc.file_reference)),
            tl::enums::Document::Empty(_) => None,
        },
        _ => None,
    }
}

/// The media messages [`media_world`] adds to @babbage's chat (1001), newer than the sample's.
pub mod media_ids {
    /// A photo in four sizes: `m` 320 px, `x` 800, `y` 1280 (300,000 bytes), `w` 2560.
    pub const PHOTO: i32 = 101;
    /// A photo whose 1280 px size is a progressive JPEG (prefixes 40,000 / 150,000 / 600,000).
    pub const PROGRESSIVE: i32 = 102;
    /// A 30,000-byte voice note (`audio/ogg`).
    pub const VOICE: i32 = 103;
    /// `notes.txt`, text with hidden characters.
    pub const TEXT: i32 = 104;
    /// `archive.zip`, 3 MiB.
    pub const ARCHIVE: i32 = 105;
    /// `report.csv` as `application/octet-stream`, held by DC 4 though it names DC 2.
    pub const ON_DC4: i32 = 106;
    /// A location: media without a file.
    pub const GEO: i32 = 107;
    /// A photo with only a 2560 px size and a cached (inline) one.
    pub const CACHED_ONLY: i32 = 108;
    /// `manual.pdf`, 1.5 MiB, held by DC 4 though it names DC 2.
    pub const LARGE_ON_DC4: i32 = 109;
}

/// The text of [`media_ids::TEXT`]: a zero-width space and a right-to-left override hidden
/// in it.
pub const MEDIA_TEXT: &str = "Shopping list\n- milk\u{200B}\n- bread\u{202E}\n";

/// The sample world with the media messages of [`media_ids`] (serve it with DC ids 2 and 4
/// for [`media_ids::ON_DC4`]).
pub fn media_world() -> super::World {
    use media_ids::*;
    let mut json = super::sample_json();
    let message = |id: i32, media: serde_json::Value| {
        serde_json::json!({
            "chat": 1001, "id": id, "from": 1001,
            "date": format!("2026-11-28T10:{:02}:00Z", id - 100),
            "media": media,
        })
    };
    let size = |kind: &str, w: i32, h: i32, bytes: i32| serde_json::json!({"type": kind, "w": w, "h": h, "size": bytes});
    let added = [
        message(
            PHOTO,
            serde_json::json!({"type": "photo", "sizes": [
                size("m", 320, 240, 20_000), size("x", 800, 600, 90_000),
                size("y", 1280, 960, 300_000), size("w", 2560, 1920, 1_500_000),
            ]}),
        ),
        message(
            PROGRESSIVE,
            serde_json::json!({"type": "photo", "sizes": [
                size("m", 320, 240, 20_000),
                {"type": "y", "w": 1280, "h": 960, "progressive": [40_000, 150_000, 600_000]},
            ]}),
        ),
        message(
            VOICE,
            serde_json::json!({"type": "voice", "size": 30_000, "duration": 3}),
        ),
        message(
            TEXT,
            serde_json::json!({"type": "document", "mime_type": "text/plain",
            "file_name": "notes.txt", "content": MEDIA_TEXT}),
        ),
        message(
            ARCHIVE,
            serde_json::json!({"type": "document", "mime_type": "application/zip",
            "file_name": "archive.zip", "size": 3 * 1024 * 1024}),
        ),
        message(
            ON_DC4,
            serde_json::json!({"type": "document",
            "mime_type": "application/octet-stream", "file_name": "report.csv",
            "content": "a,b\n1,2\n", "dc": 2, "served_from": 4}),
        ),
        message(
            GEO,
            serde_json::json!({"type": "geo", "lat": 51.5, "long": -0.1}),
        ),
        message(
            CACHED_ONLY,
            serde_json::json!({"type": "photo", "sizes": [
                {"type": "s", "w": 90, "h": 67, "size": 600, "cached": true},
                size("w", 2560, 1920, 1_500_000),
            ]}),
        ),
        message(
            LARGE_ON_DC4,
            serde_json::json!({"type": "document", "mime_type": "application/pdf",
                "file_name": "manual.pdf", "size": 1_572_864, "dc": 2, "served_from": 4}),
        ),
    ];
    json["messages"]
        .as_array_mut()
        .expect("the sample world has messages")
        .extend(added);
    super::World::from_json(json).expect("the media world loads")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_media_world_holds_a_message_with_a_file_for_each_id() {
        use media_ids::*;
        let world = media_world();
        for id in [
            PHOTO,
            PROGRESSIVE,
            VOICE,
            TEXT,
            ARCHIVE,
            ON_DC4,
            GEO,
            CACHED_ONLY,
            LARGE_ON_DC4,
        ] {
            let msg = world.message(crate::world::BABBAGE, id);
            assert!(msg.and_then(|m| m.media.as_ref()).is_some(), "{id}");
        }
    }

    #[test]
    fn generated_bytes_are_deterministic_and_jpegs_look_like_jpegs() {
        assert_eq!(generated(7, 100, false), generated(7, 100, false));
        assert_ne!(generated(7, 100, false), generated(8, 100, false));
        assert_eq!(&generated(7, 100, true)[..3], &[0xFF, 0xD8, 0xFF]);
        assert_eq!(generated(7, 2, true), [0xFF, 0xD8]);
    }
}
