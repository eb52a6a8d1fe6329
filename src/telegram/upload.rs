//! Uploading local files, streamed in parts, as photos or documents ready to send.

use grammers_tl_types as tl;
use tokio::io::AsyncRead;

use super::{Telegram, TelegramError};

/// A local file to upload: a reader over its bytes, its exact size, its name and MIME type.
pub struct LocalFile<R> {
    pub reader: R,
    pub size: usize,
    pub name: String,
    pub mime: String,
}

/// An uploaded file, ready to send.
#[derive(Debug, Clone)]
pub struct UploadedMedia {
    pub(in crate::telegram) media: tl::enums::InputMedia,
    /// For a photo: the same upload as a document, sent instead if Telegram refuses the image
    /// as a photo (too large, odd dimensions).
    pub(in crate::telegram) as_document: Option<tl::enums::InputMedia>,
}

/// MIME types sent as photos (when every file of the message is one).
pub fn is_photo_mime(mime: &str) -> bool {
    matches!(
        mime.to_ascii_lowercase().as_str(),
        "image/jpeg" | "image/jpg" | "image/png" | "image/webp" | "image/bmp"
    )
}

impl Telegram {
    /// Uploads local files for one message: all as photos when every one is a photo type,
    /// otherwise all as documents (Telegram does not mix the two in an album).
    pub async fn upload_files<R: AsyncRead + Unpin>(
        &self,
        files: Vec<LocalFile<R>>,
    ) -> Result<Vec<UploadedMedia>, TelegramError> {
        let photos = !files.is_empty() && files.iter().all(|f| is_photo_mime(&f.mime));
        let mut uploaded = Vec::with_capacity(files.len());
        for file in files {
            uploaded.push(self.upload(file, photos).await?);
        }
        Ok(uploaded)
    }

    /// Uploads one local file, streaming it in parts.
    pub async fn upload<R: AsyncRead + Unpin>(
        &self,
        mut file: LocalFile<R>,
        as_photo: bool,
    ) -> Result<UploadedMedia, TelegramError> {
        let client = self.client().await?;
        let uploaded = client
            .upload_stream(&mut file.reader, file.size, file.name.clone())
            .await
            .map_err(|e| match upload_failed(&file.name, e) {
                TelegramError::NotSignedIn(why) => {
                    TelegramError::NotSignedIn(format!("{why}: {}", self.sign_in_hint()))
                }
                other => other,
            })?;
        let document: tl::enums::InputMedia = tl::types::InputMediaUploadedDocument {
            nosound_video: false,
            force_file: as_photo,
            spoiler: false,
            file: uploaded.raw.clone(),
            thumb: None,
            mime_type: file.mime.clone(),
            attributes: vec![
                tl::types::DocumentAttributeFilename {
                    file_name: file.name.clone(),
                }
                .into(),
            ],
            stickers: None,
            video_cover: None,
            video_timestamp: None,
            ttl_seconds: None,
        }
        .into();
        if !as_photo {
            return Ok(UploadedMedia {
                media: document,
                as_document: None,
            });
        }
        let photo = tl::types::InputMediaUploadedPhoto {
            spoiler: false,
            live_photo: false,
            file: uploaded.raw,
            stickers: None,
            ttl_seconds: None,
            video: None,
        }
        .into();
        Ok(UploadedMedia {
            media: photo,
            as_document: Some(document),
        })
    }
}

/// Why an upload failed. grammers wraps Telegram's answer in an I/O error: a flood wait keeps
/// its seconds and a signed-out session says so; anything else is worth another try.
fn upload_failed(name: &str, error: std::io::Error) -> TelegramError {
    let telegram = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<grammers_client::InvocationError>())
        .map(|inner| match inner {
            grammers_client::InvocationError::Rpc(e) => {
                TelegramError::from(grammers_client::InvocationError::Rpc(e.clone()))
            }
            _ => TelegramError::Other(String::new()),
        });
    match telegram {
        Some(e @ (TelegramError::FloodWait { .. } | TelegramError::NotSignedIn(_))) => e,
        _ => TelegramError::Other(format!("uploading {name:?} failed: {error}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn photos_by_mime() {
        assert!(is_photo_mime("image/JPEG"));
        assert!(is_photo_mime("image/png"));
        assert!(!is_photo_mime("image/gif"));
        assert!(!is_photo_mime("application/pdf"));
    }
}
