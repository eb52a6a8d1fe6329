//! A file that passed every check, open and ready to upload: its name, MIME type and size, and
//! the open file itself. Uploading reads this handle, never the path again, so what was
//! checked is what is sent. A download lives in a private temporary directory that is deleted
//! when the value (or its reader) is dropped.

use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

use tempfile::TempDir;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeekExt, ReadBuf, Take};
use url::Url;

/// Where a prepared file came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A local file, by its canonical path.
    Local(PathBuf),
    /// A download, by its final URL (after redirects). May hold tokens: do not log it whole.
    Url(Url),
}

/// A checked, open file. See [`super::prepare`].
#[derive(Debug)]
pub struct PreparedFile {
    pub(crate) name: String,
    pub(crate) mime_type: String,
    pub(crate) size: u64,
    pub(crate) origin: Origin,
    pub(crate) path: PathBuf,
    pub(crate) file: tokio::fs::File,
    pub(crate) temp: Option<TempDir>,
}

impl PreparedFile {
    /// The file name to send (cleaned; never empty).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The MIME type (`application/octet-stream` when unknown).
    pub fn mime_type(&self) -> &str {
        &self.mime_type
    }

    /// The size in bytes, at most the policy's cap. The reader yields exactly this many bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The file on disk: the canonical local path, or the temporary download (valid while this
    /// value lives). Prefer [`PreparedFile::into_reader`]: opening a local path again gives up
    /// the guarantee that the checked file is the one read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True for a download staged in a temporary file.
    pub fn is_temporary(&self) -> bool {
        self.temp.is_some()
    }

    /// The contents as an async reader, for `Client::upload_stream(&mut reader, size, name)`.
    /// It owns the temporary directory, which is deleted when the reader is dropped.
    pub fn into_reader(self) -> FileReader {
        FileReader {
            inner: self.file.take(self.size),
            size: self.size,
            _temp: self.temp,
        }
    }
}

/// Reads a prepared file from its start, never past the size that was checked (a local file
/// that grows after the check is cut there).
#[derive(Debug)]
pub struct FileReader {
    inner: Take<tokio::fs::File>,
    size: u64,
    _temp: Option<TempDir>,
}

impl FileReader {
    /// Goes back to the start, for a retried upload.
    pub async fn rewind(&mut self) -> io::Result<()> {
        self.inner.get_mut().seek(io::SeekFrom::Start(0)).await?;
        self.inner.set_limit(self.size);
        Ok(())
    }
}

impl AsyncRead for FileReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}
