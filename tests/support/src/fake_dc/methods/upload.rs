//! Uploading: `upload.saveFilePart` and `upload.saveBigFilePart` store parts in
//! `world.uploads`, enforcing Telegram's part rules (<https://core.telegram.org/api/files>):
//! every part but the last has the same size, a multiple of 1 KiB that divides 512 KiB; the
//! last may be smaller; part numbers run 0..=3999 (`file_total_parts` at most 4000).
//! `resolve_input_file` turns an `InputFile` back into its bytes when media is sent.

use grammers_tl_types as tl;

use super::{Ctx, RpcError, RpcResult};
use crate::world::Upload;

/// Largest part Telegram accepts.
pub const MAX_PART_SIZE: usize = 512 * 1024;
/// Telegram's limit on parts per file (non-premium).
pub const MAX_PARTS: i32 = 4000;

pub fn route(ctx: &Ctx, id: u32, body: &[u8]) -> Option<RpcResult<Vec<u8>>> {
    fake_dc_routes!(ctx, id, body, {
        tl::functions::upload::SaveFilePart => save_file_part,
        tl::functions::upload::SaveBigFilePart => save_big_file_part,
    })
}

fn err(message: &str) -> RpcError {
    RpcError::bad_request(message)
}

fn regular_size(size: usize) -> bool {
    size.is_multiple_of(1024) && MAX_PART_SIZE.is_multiple_of(size)
}

/// Checks that `upload` with `part` (of `len` bytes) added still follows the part rules:
/// parts below the last known one are full-sized and equal, the last is no larger.
fn check_part(upload: &Upload, part: i32, len: usize) -> RpcResult<()> {
    if len == 0 {
        return Err(err("FILE_PART_EMPTY"));
    }
    if len > MAX_PART_SIZE {
        return Err(err("FILE_PART_TOO_BIG"));
    }
    let mut sizes: Vec<(i32, usize)> = upload
        .parts
        .iter()
        .filter(|(i, _)| **i != part)
        .map(|(i, b)| (*i, b.len()))
        .collect();
    sizes.push((part, len));
    sizes.sort();
    // For a big file the last part is known; for a small one, the highest seen so far.
    let last = upload
        .total_parts
        .map(|t| t - 1)
        .unwrap_or_else(|| sizes.last().map(|s| s.0).unwrap_or(part));
    let full: Vec<usize> = sizes
        .iter()
        .filter(|(i, _)| *i < last)
        .map(|s| s.1)
        .collect();
    if let Some(&size) = full.first() {
        if full.iter().any(|s| *s != size) {
            return Err(err("FILE_PART_SIZE_CHANGED"));
        }
        if !regular_size(size) {
            return Err(err("FILE_PART_SIZE_INVALID"));
        }
        if sizes.iter().any(|(i, s)| *i == last && *s > size) {
            return Err(err("FILE_PART_SIZE_INVALID"));
        }
    }
    Ok(())
}

fn save_file_part(ctx: &Ctx, request: tl::functions::upload::SaveFilePart) -> RpcResult<bool> {
    ctx.require_auth()?;
    if !(0..MAX_PARTS).contains(&request.file_part) {
        return Err(err("FILE_PART_INVALID"));
    }
    let mut world = ctx.world();
    let upload = world.uploads.entry(request.file_id).or_default();
    if upload.big {
        return Err(err("FILE_PART_INVALID"));
    }
    check_part(upload, request.file_part, request.bytes.len())?;
    upload.parts.insert(request.file_part, request.bytes);
    Ok(true)
}

fn save_big_file_part(
    ctx: &Ctx,
    request: tl::functions::upload::SaveBigFilePart,
) -> RpcResult<bool> {
    ctx.require_auth()?;
    let total = request.file_total_parts;
    if !(1..=MAX_PARTS).contains(&total) {
        return Err(err("FILE_PARTS_INVALID"));
    }
    if !(0..total).contains(&request.file_part) {
        return Err(err("FILE_PART_INVALID"));
    }
    let mut world = ctx.world();
    let upload = world
        .uploads
        .entry(request.file_id)
        .or_insert_with(|| Upload {
            big: true,
            total_parts: Some(total),
            ..Upload::default()
        });
    if !upload.big {
        return Err(err("FILE_PART_INVALID"));
    }
    if upload.total_parts != Some(total) {
        return Err(err("FILE_PARTS_INVALID"));
    }
    check_part(upload, request.file_part, request.bytes.len())?;
    upload.parts.insert(request.file_part, request.bytes);
    Ok(true)
}

/// An uploaded file as `messages.sendMedia` and friends read it.
pub struct UploadedFile {
    pub bytes: Vec<u8>,
    pub name: String,
}

/// The bytes an `InputFile` names, checked as Telegram does when the file is used: every
/// part 0..parts present (`FILE_PART_n_MISSING`), the declared count matching the upload
/// (`FILE_PARTS_INVALID`) and, when given, the MD5 (`MD5_CHECKSUM_INVALID`).
pub fn resolve_input_file(
    uploads: &std::collections::HashMap<i64, Upload>,
    file: &tl::enums::InputFile,
) -> RpcResult<UploadedFile> {
    let (id, parts, name, big, md5) = match file {
        tl::enums::InputFile::File(f) => (f.id, f.parts, &f.name, false, Some(&f.md5_checksum)),
        tl::enums::InputFile::Big(f) => (f.id, f.parts, &f.name, true, None),
        tl::enums::InputFile::StoryDocument(_) => return Err(err("MEDIA_INVALID")),
    };
    if !(1..=MAX_PARTS).contains(&parts) {
        return Err(err("FILE_PARTS_INVALID"));
    }
    let Some(upload) = uploads.get(&id) else {
        return Err(err("FILE_PART_0_MISSING"));
    };
    if upload.big != big || (big && upload.total_parts != Some(parts)) {
        return Err(err("FILE_PARTS_INVALID"));
    }
    if let Some(missing) = (0..parts).find(|i| !upload.parts.contains_key(i)) {
        return Err(err(&format!("FILE_PART_{missing}_MISSING")));
    }
    if upload.parts.keys().any(|i| *i >= parts) {
        return Err(err("FILE_PARTS_INVALID"));
    }
    let bytes: Vec<u8> = upload.parts.values().flatten().copied().collect();
    if let Some(md5) = md5.filter(|m| !m.is_empty())
        && !md5.eq_ignore_ascii_case(&format!("{:x}", md5::compute(&bytes)))
    {
        return Err(err("MD5_CHECKSUM_INVALID"));
    }
    Ok(UploadedFile {
        bytes,
        name: name.clone(),
    })
}
