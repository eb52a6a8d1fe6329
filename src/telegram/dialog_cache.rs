//! The whole chat list read once and shared: a folder that selects chats by category (contacts,
//! groups, bots…) needs every dialog, up to 20 pages of `messages.getDialogs`, and models list
//! the same folder again and again. A read is kept for a minute, shared by every call in that
//! minute (calls arriving during a read wait for it rather than start their own), and dropped
//! when this server sends or edits a message (which reorders the list).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::types::{DialogEntry, ScanEnd, Visit};
use super::{Telegram, TelegramError};

/// How long a read of the chat list is used again.
pub const DIALOG_CACHE_TTL: Duration = Duration::from_secs(60);

/// One read of the chat list.
#[derive(Clone)]
pub struct DialogSnapshot {
    /// Every dialog read, in Telegram's order.
    pub entries: Arc<Vec<DialogEntry>>,
    /// How the read ended (at its limit, or stalled, more dialogs exist).
    pub end: ScanEnd,
    /// How many dialogs it read at most.
    max: usize,
    at: Instant,
    generation: u64,
}

/// The last read and the writes since.
#[derive(Default)]
pub struct DialogCache {
    last: tokio::sync::Mutex<Option<DialogSnapshot>>,
    /// Bumped by every send and edit: a read from before one is out of date.
    generation: AtomicU64,
}

impl Telegram {
    /// Every dialog (archived ones too), at most `max`: the read of the last minute, else a
    /// new one.
    pub async fn all_dialogs(&self, max: usize) -> Result<DialogSnapshot, TelegramError> {
        let cache = &self.dialog_cache;
        let mut last = cache.last.lock().await;
        let generation = cache.generation.load(Ordering::SeqCst);
        if let Some(snapshot) = last.as_ref().filter(|s| {
            s.generation == generation && s.at.elapsed() < DIALOG_CACHE_TTL && s.max >= max
        }) {
            return Ok(snapshot.clone());
        }
        let mut entries = Vec::new();
        let end = self
            .scan_dialogs(None, max, |e| {
                entries.push(e);
                Visit::Next
            })
            .await?;
        let snapshot = DialogSnapshot {
            entries: Arc::new(entries),
            end,
            max,
            at: Instant::now(),
            generation,
        };
        *last = Some(snapshot.clone());
        Ok(snapshot)
    }

    /// Marks the chat list read so far as out of date (this server changed it).
    pub(super) fn chat_list_changed(&self) {
        self.dialog_cache.generation.fetch_add(1, Ordering::SeqCst);
    }
}
