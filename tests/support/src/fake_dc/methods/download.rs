//! Downloading: `upload.getFile` with Telegram's rules (<https://core.telegram.org/api/files>):
//!
//! - `limit` divisible by 4 KiB (1 KiB with `precise`), at most 1 MiB, and without `precise`
//!   a divisor of 1 MiB; else `LIMIT_INVALID`;
//! - `offset` divisible by 4 KiB (1 KiB with `precise`); else `OFFSET_INVALID`;
//! - no part crosses a 1 MiB boundary (`LIMIT_INVALID`);
//! - the file is served by the DC that holds it: any other answers `303 FILE_MIGRATE_X`
//!   (a signed-in key on X needs `auth.importAuthorization` first, `401` until then);
//! - the location's file reference must be the current one (`FILE_REFERENCE_EXPIRED` after
//!   [`World::expire_file_reference`](crate::world::World::expire_file_reference)), its access
//!   hash right and its size known (`LOCATION_INVALID`, `FILE_ID_INVALID`);
//! - the answer is `upload.file` with the storage type of the bytes (`storage.filePartial`
//!   past the start), fewer bytes than `limit` at the end and none past it.
//!
//! The bytes are the world's (`world::files`) or those of a file a client uploaded and sent.

use grammers_tl_types as tl;

use super::{Ctx, RpcError, RpcResult};
use crate::world::FileKey;

const KIB: i64 = 1024;
const MIB: i64 = 1024 * 1024;

pub fn route(ctx: &Ctx, id: u32, body: &[u8]) -> Option<RpcResult<Vec<u8>>> {
    fake_dc_routes!(ctx, id, body, {
        tl::functions::upload::GetFile => get_file,
    })
}

fn err(message: &str) -> RpcError {
    RpcError::bad_request(message)
}

/// The offset and limit rules of the module documentation.
fn check_window(offset: i64, limit: i32, precise: bool) -> RpcResult<()> {
    let limit = limit as i64;
    let unit = if precise { KIB } else { 4 * KIB };
    if limit <= 0 || limit % unit != 0 || limit > MIB || (!precise && MIB % limit != 0) {
        return Err(err("LIMIT_INVALID"));
    }
    if offset < 0 || offset % unit != 0 {
        return Err(err("OFFSET_INVALID"));
    }
    if offset / MIB != (offset + limit - 1) / MIB {
        return Err(err("LIMIT_INVALID"));
    }
    Ok(())
}

/// What a location names: its key, access hash and file reference.
fn location(location: &tl::enums::InputFileLocation) -> RpcResult<(FileKey, i64, &[u8])> {
    use tl::enums::InputFileLocation as L;
    Ok(match location {
        L::InputPhotoFileLocation(l) => (
            FileKey::Photo {
                id: l.id,
                size: l.thumb_size.clone(),
            },
            l.access_hash,
            &l.file_reference,
        ),
        L::InputDocumentFileLocation(l) if l.thumb_size.is_empty() => {
            (FileKey::Document(l.id), l.access_hash, &l.file_reference)
        }
        _ => return Err(err("LOCATION_INVALID")),
    })
}

/// A file as the DC serves it: bytes, holder DC, access hash and current reference.
struct Served {
    bytes: Vec<u8>,
    dc: i32,
    access_hash: i64,
    reference: Vec<u8>,
}

fn media_id(key: &FileKey) -> i64 {
    match key {
        FileKey::Photo { id, .. } | FileKey::Document(id) => *id,
    }
}

/// The world's file for `key`, else an uploaded one that was sent.
fn find(ctx: &Ctx, key: &FileKey) -> Option<Served> {
    let id = media_id(key);
    {
        let world = ctx.world();
        if let Some(blob) = world.file(key) {
            // The world's photos and documents derive their access hash from their id
            // (`world::tl_build`).
            let access_hash = match key {
                FileKey::Photo { .. } => id ^ 0x5A5A,
                FileKey::Document(_) => id ^ 0xA5A5,
            };
            return Some(Served {
                bytes: blob.bytes.clone(),
                dc: blob.dc,
                access_hash,
                reference: world.file_reference(id)?,
            });
        }
    }
    let outbox = ctx.dc.outbox.lock().unwrap_or_else(|e| e.into_inner());
    let stored = outbox.files.get(&id)?;
    match (&stored.media, key) {
        (tl::enums::MessageMedia::Photo(p), FileKey::Photo { size, .. }) => {
            let Some(tl::enums::Photo::Photo(photo)) = &p.photo else {
                return None;
            };
            let has_size = photo.sizes.iter().any(|s| match s {
                tl::enums::PhotoSize::Size(s) => &s.r#type == size,
                _ => false,
            });
            has_size.then(|| Served {
                bytes: stored.bytes.clone(),
                dc: photo.dc_id,
                access_hash: photo.access_hash,
                reference: photo.file_reference.clone(),
            })
        }
        (tl::enums::MessageMedia::Document(d), FileKey::Document(_)) => {
            let Some(tl::enums::Document::Document(doc)) = &d.document else {
                return None;
            };
            Some(Served {
                bytes: stored.bytes.clone(),
                dc: doc.dc_id,
                access_hash: doc.access_hash,
                reference: doc.file_reference.clone(),
            })
        }
        _ => None,
    }
}

/// The storage type Telegram reports for bytes starting with `head`.
fn storage_type(head: &[u8], offset: i64) -> tl::enums::storage::FileType {
    use tl::enums::storage::FileType as T;
    if offset > 0 {
        return T::FilePartial;
    }
    match head {
        [0xFF, 0xD8, 0xFF, ..] => T::FileJpeg,
        [0x89, b'P', b'N', b'G', ..] => T::FilePng,
        [b'G', b'I', b'F', b'8', ..] => T::FileGif,
        [b'%', b'P', b'D', b'F', ..] => T::FilePdf,
        [
            b'R',
            b'I',
            b'F',
            b'F',
            _,
            _,
            _,
            _,
            b'W',
            b'E',
            b'B',
            b'P',
            ..,
        ] => T::FileWebp,
        _ => T::FileUnknown,
    }
}

fn get_file(
    ctx: &Ctx,
    request: tl::functions::upload::GetFile,
) -> RpcResult<tl::enums::upload::File> {
    // Files are served by whichever DC holds them, to any key signed in there.
    ctx.dc
        .authorized_on(ctx.dc_id)
        .ok_or_else(|| RpcError::new(401, "AUTH_KEY_UNREGISTERED"))?;
    check_window(request.offset, request.limit, request.precise)?;
    let (key, access_hash, reference) = location(&request.location)?;
    let served = find(ctx, &key).ok_or_else(|| err("LOCATION_INVALID"))?;
    if served.dc != ctx.dc_id {
        return Err(RpcError::new(303, &format!("FILE_MIGRATE_{}", served.dc)));
    }
    if served.access_hash != access_hash {
        return Err(err("FILE_ID_INVALID"));
    }
    if served.reference != reference {
        return Err(err("FILE_REFERENCE_EXPIRED"));
    }
    let len = served.bytes.len() as i64;
    let start = request.offset.min(len) as usize;
    let end = (request.offset + request.limit as i64).min(len) as usize;
    let bytes = served.bytes[start..end].to_vec();
    Ok(tl::types::upload::File {
        r#type: storage_type(&served.bytes, request.offset),
        mtime: crate::world::tl_build::now(),
        bytes,
    }
    .into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_follow_telegrams_rules() {
        assert!(check_window(0, 512 * 1024, false).is_ok());
        assert!(check_window(MIB, MIB as i32, false).is_ok());
        assert!(check_window(0, 4096, false).is_ok());
        assert_eq!(
            check_window(0, 0, false).unwrap_err().message,
            "LIMIT_INVALID"
        );
        // 12 KiB is a multiple of 4 KiB but does not divide 1 MiB.
        assert_eq!(
            check_window(0, 12 * 1024, false).unwrap_err().message,
            "LIMIT_INVALID"
        );
        assert!(check_window(0, 12 * 1024, true).is_ok());
        assert_eq!(
            check_window(0, 2048, false).unwrap_err().message,
            "LIMIT_INVALID"
        );
        assert_eq!(
            check_window(1024, 4096, false).unwrap_err().message,
            "OFFSET_INVALID"
        );
        assert!(check_window(1024, 1024, true).is_ok());
        // Across the 1 MiB boundary.
        assert_eq!(
            check_window(MIB - 4096, 8192, false).unwrap_err().message,
            "LIMIT_INVALID"
        );
        assert_eq!(
            check_window(0, 2 * MIB as i32, true).unwrap_err().message,
            "LIMIT_INVALID"
        );
    }
}
