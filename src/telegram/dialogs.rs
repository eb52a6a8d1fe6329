//! The chat list: dialogs read in Telegram's order, archived or not, and the folders
//! (`dialogFilter`s) that select from it. Each answer's peers are remembered for later
//! resolution.

use std::collections::HashSet;

use grammers_tl_types as tl;

use super::types::{DialogEntry, Folder, Inbox, MessageInfo, ScanEnd, Visit};
use super::{Telegram, TelegramError, convert};

/// Telegram's largest page of dialogs.
pub const DIALOG_PAGE_MAX: i32 = 100;
/// The peer folder of archived chats.
pub const ARCHIVE_FOLDER: i32 = 1;
/// Peers per `messages.getPeerDialogs` call.
const PEER_DIALOGS_CHUNK: usize = 100;

/// Where Telegram's dialog paging continues.
#[derive(Debug, Clone)]
struct DialogOffset {
    date: i32,
    id: i32,
    peer: tl::enums::InputPeer,
}

impl Default for DialogOffset {
    fn default() -> Self {
        Self {
            date: 0,
            id: 0,
            peer: tl::enums::InputPeer::Empty,
        }
    }
}

impl DialogOffset {
    fn same_as(&self, other: &DialogOffset) -> bool {
        self.date == other.date
            && self.id == other.id
            && input_peer_id(&self.peer) == input_peer_id(&other.peer)
    }
}

/// Requests a walk of at most `max` dialogs sends: twice the full pages it needs, as
/// Telegram's pages may come back short.
pub fn walk_pages(max: usize) -> usize {
    2 * max.div_ceil(DIALOG_PAGE_MAX as usize).max(1)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Bot API id of an input peer (`None` for the self user and empty peers).
pub(super) fn input_peer_id(peer: &tl::enums::InputPeer) -> Option<i64> {
    use tl::enums::InputPeer as P;
    match peer {
        P::User(u) => Some(u.user_id),
        P::UserFromMessage(u) => Some(u.user_id),
        P::Chat(c) => Some(-c.chat_id),
        P::Channel(c) => Some(convert::channel_bot_api_id(c.channel_id)),
        P::ChannelFromMessage(c) => Some(convert::channel_bot_api_id(c.channel_id)),
        P::PeerSelf | P::Empty => None,
    }
}

/// The input peer of `id`, from the access hashes an answer carried.
fn input_peer_in(
    id: i64,
    users: &[tl::enums::User],
    chats: &[tl::enums::Chat],
) -> Option<tl::enums::InputPeer> {
    if id > 0 {
        return users.iter().find_map(|u| match u {
            tl::enums::User::User(u) if u.id == id => Some(
                tl::types::InputPeerUser {
                    user_id: u.id,
                    access_hash: u.access_hash.unwrap_or(0),
                }
                .into(),
            ),
            _ => None,
        });
    }
    chats.iter().find_map(|c| match c {
        tl::enums::Chat::Chat(c) if -c.id == id => {
            Some(tl::types::InputPeerChat { chat_id: c.id }.into())
        }
        tl::enums::Chat::Forbidden(c) if -c.id == id => {
            Some(tl::types::InputPeerChat { chat_id: c.id }.into())
        }
        tl::enums::Chat::Channel(c) if convert::channel_bot_api_id(c.id) == id => Some(
            tl::types::InputPeerChannel {
                channel_id: c.id,
                access_hash: c.access_hash.unwrap_or(0),
            }
            .into(),
        ),
        tl::enums::Chat::ChannelForbidden(c) if convert::channel_bot_api_id(c.id) == id => Some(
            tl::types::InputPeerChannel {
                channel_id: c.id,
                access_hash: c.access_hash,
            }
            .into(),
        ),
        _ => None,
    })
}

/// When a chat was created or joined, from its TL object.
fn chat_date(id: i64, chats: &[tl::enums::Chat]) -> Option<i64> {
    chats.iter().find_map(|c| match c {
        tl::enums::Chat::Chat(c) if -c.id == id => Some(c.date as i64),
        tl::enums::Chat::Channel(c) if convert::channel_bot_api_id(c.id) == id => {
            Some(c.date as i64)
        }
        _ => None,
    })
}

/// One dialogs answer (`messages.getDialogs`, `messages.getPeerDialogs`): its chats' dialogs
/// in Telegram's order, with the top messages, users and chats it carried.
struct DialogsAnswer {
    /// Archive folders and communities are not chats: left out.
    dialogs: Vec<tl::types::Dialog>,
    tops: Vec<MessageInfo>,
    users: Vec<tl::enums::User>,
    chats: Vec<tl::enums::Chat>,
    /// `dialogsSlice.count`; `None` when the answer is the whole list.
    count: Option<i32>,
}

impl DialogsAnswer {
    fn new(
        dialogs: Vec<tl::enums::Dialog>,
        messages: &[tl::enums::Message],
        users: Vec<tl::enums::User>,
        chats: Vec<tl::enums::Chat>,
        count: Option<i32>,
    ) -> Self {
        Self {
            dialogs: dialogs
                .into_iter()
                .filter_map(|d| match d {
                    tl::enums::Dialog::Dialog(d) => Some(d),
                    _ => None,
                })
                .collect(),
            tops: messages.iter().filter_map(convert::message).collect(),
            users,
            chats,
            count,
        }
    }

    /// The dialog's top message, when the answer holds it.
    fn top(&self, d: &tl::types::Dialog) -> Option<&MessageInfo> {
        let id = convert::peer_id(&d.peer);
        self.tops
            .iter()
            .find(|m| m.id == d.top_message && m.chat_id == id)
    }

    fn peer_ids(&self) -> impl Iterator<Item = i64> + '_ {
        self.dialogs.iter().map(|d| convert::peer_id(&d.peer))
    }

    /// The chat-list entries, in the answer's order.
    fn entries(&self) -> Vec<DialogEntry> {
        let directory = convert::directory(&self.users, &self.chats);
        let now = now();
        self.dialogs
            .iter()
            .filter_map(|d| {
                let id = convert::peer_id(&d.peer);
                let info = directory.get(id)?.clone();
                let date = self
                    .top(d)
                    .map(|m| m.date)
                    .or_else(|| chat_date(id, &self.chats))
                    .unwrap_or(0);
                let tl::enums::PeerNotifySettings::Settings(notify) = &d.notify_settings;
                Some(DialogEntry {
                    info,
                    date,
                    pinned: d.pinned,
                    archived: d.folder_id == Some(ARCHIVE_FOLDER),
                    inbox: Inbox {
                        unread_count: d.unread_count.max(0),
                        unread_mentions_count: d.unread_mentions_count.max(0),
                        unread_reactions_count: d.unread_reactions_count.max(0),
                        marked_unread: d.unread_mark,
                        // Muted is `mute_until` to come (TDLib and the apps read it so);
                        // `silent` only silences the sound.
                        muted: notify.mute_until.is_some_and(|until| until as i64 > now),
                        read_inbox_max_id: d.read_inbox_max_id,
                        top_message: d.top_message,
                    },
                })
            })
            .collect()
    }

    /// Where the next page continues: after the last unpinned dialog whose top message the
    /// answer holds (its date, id and peer). `None` when no such dialog is on the page.
    fn next_offset(&self) -> Option<DialogOffset> {
        self.dialogs.iter().rev().find_map(|d| {
            if d.pinned {
                return None;
            }
            let top = self.top(d)?;
            Some(DialogOffset {
                date: i32::try_from(top.date).ok()?,
                id: top.id,
                peer: input_peer_in(top.chat_id, &self.users, &self.chats)?,
            })
        })
    }
}

fn filter_title(title: &tl::enums::TextWithEntities) -> String {
    let tl::enums::TextWithEntities::Entities(t) = title;
    t.text.clone()
}

impl Telegram {
    /// Reads the chat list (every dialog when `folder` is `None`, archived ones too; else one
    /// peer folder) in Telegram's order, pinned first, handing each chat once to `visit`;
    /// reads at most `max` dialogs in at most [`walk_pages`]`(max)` requests.
    ///
    /// Telegram pages `messages.getDialogs` by the `(offset_date, offset_id, offset_peer)` of
    /// the last dialog read: its top message's date and id, and its peer. A dialog whose top
    /// message the answer left out of `messages` gives no date, and `offset_date = 0` would
    /// restart the list from the top, so the walk continues from the last dialog whose top
    /// it has (as Telethon's `iter_dialogs` does); dialogs after that one come again and a
    /// seen-set drops them. Pinned dialogs come only on the first page: `exclude_pinned`
    /// after it, and the offset is never a pinned dialog (they are not in the dated list). A
    /// page may be shorter than asked although more exist, so the end is a
    /// complete answer (`messages.dialogs`), an empty page, or `dialogsSlice.count` reached;
    /// a page that brings nothing new, or no dialog to continue from, stalls the walk.
    pub async fn scan_dialogs(
        &self,
        folder: Option<i32>,
        max: usize,
        mut visit: impl FnMut(DialogEntry) -> Visit + Send,
    ) -> Result<ScanEnd, TelegramError> {
        let mut offset = DialogOffset::default();
        let mut exclude_pinned = false;
        let mut seen: HashSet<i64> = HashSet::new();
        for _ in 0..walk_pages(max) {
            let limit = DIALOG_PAGE_MAX.min(max.saturating_sub(seen.len()).max(1) as i32);
            let answer = self
                .invoke(&tl::functions::messages::GetDialogs {
                    exclude_pinned,
                    folder_id: folder,
                    offset_date: offset.date,
                    offset_id: offset.id,
                    offset_peer: offset.peer.clone(),
                    limit,
                    hash: 0,
                })
                .await?;
            let page = match answer {
                tl::enums::messages::Dialogs::Dialogs(d) => {
                    DialogsAnswer::new(d.dialogs, &d.messages, d.users, d.chats, None)
                }
                tl::enums::messages::Dialogs::Slice(d) => {
                    DialogsAnswer::new(d.dialogs, &d.messages, d.users, d.chats, Some(d.count))
                }
                tl::enums::messages::Dialogs::NotModified(_) => return Ok(ScanEnd::Exhausted),
            };
            self.remember(&page.users, &page.chats).await;
            let fresh: HashSet<i64> = page.peer_ids().filter(|id| seen.insert(*id)).collect();
            for entry in page.entries() {
                if fresh.contains(&entry.info.id) && visit(entry) == Visit::Stop {
                    return Ok(ScanEnd::Stopped);
                }
            }
            let complete = page.count.is_none_or(|c| seen.len() >= c.max(0) as usize);
            if complete || page.dialogs.is_empty() {
                return Ok(ScanEnd::Exhausted);
            }
            if seen.len() >= max {
                return Ok(ScanEnd::Capped);
            }
            let next = match page.next_offset() {
                Some(next) if !next.same_as(&offset) => next,
                // Only pinned dialogs had their top: the unpinned list from its top.
                None if !exclude_pinned => DialogOffset::default(),
                _ => return Ok(ScanEnd::Stalled),
            };
            if fresh.is_empty() {
                return Ok(ScanEnd::Stalled);
            }
            offset = next;
            exclude_pinned = true;
        }
        Ok(ScanEnd::Capped)
    }

    /// The account's dialog folders (`messages.getDialogFilters`), in display order.
    pub async fn folders(&self) -> Result<Vec<Folder>, TelegramError> {
        let tl::enums::messages::DialogFilters::Filters(answer) = self
            .invoke(&tl::functions::messages::GetDialogFilters {})
            .await?;
        Ok(answer
            .filters
            .into_iter()
            .filter_map(|f| match f {
                tl::enums::DialogFilter::Filter(f) => Some(Folder {
                    id: f.id,
                    title: filter_title(&f.title),
                    pinned: f.pinned_peers,
                    include: f.include_peers,
                    exclude: f.exclude_peers.iter().filter_map(input_peer_id).collect(),
                    contacts: f.contacts,
                    non_contacts: f.non_contacts,
                    groups: f.groups,
                    broadcasts: f.broadcasts,
                    bots: f.bots,
                    exclude_muted: f.exclude_muted,
                    exclude_read: f.exclude_read,
                    exclude_archived: f.exclude_archived,
                }),
                tl::enums::DialogFilter::Chatlist(f) => Some(Folder {
                    id: f.id,
                    title: filter_title(&f.title),
                    pinned: f.pinned_peers,
                    include: f.include_peers,
                    ..Default::default()
                }),
                // "All chats" has no title and no members of its own.
                tl::enums::DialogFilter::Default => None,
            })
            .collect())
    }

    /// The chat-list state of the given chats (`messages.getPeerDialogs`), in the order asked.
    /// Chats Telegram refuses (left, private, deleted) are left out.
    pub async fn peer_dialogs(
        &self,
        peers: &[tl::enums::InputPeer],
    ) -> Result<Vec<DialogEntry>, TelegramError> {
        let mut found = Vec::new();
        // One refused chat (left, private, deleted) fails a whole call without saying which.
        // TDLib, which keeps the chats locally, asks only for those it lacks and gives up on a
        // refused batch; with no local copy, halves are asked until each refused chat is alone:
        // about 2·log2(n) calls per refused chat rather than one per chat.
        let mut pending: Vec<&[tl::enums::InputPeer]> = peers.chunks(PEER_DIALOGS_CHUNK).collect();
        while let Some(batch) = pending.pop() {
            match self.peer_dialogs_once(batch).await {
                Ok(entries) => found.extend(entries),
                Err(TelegramError::Rpc { .. }) if batch.len() > 1 => {
                    let (first, second) = batch.split_at(batch.len() / 2);
                    pending.extend([second, first]);
                }
                Err(TelegramError::Rpc { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        let me = if peers
            .iter()
            .any(|p| matches!(p, tl::enums::InputPeer::PeerSelf))
        {
            self.self_id().await.ok()
        } else {
            None
        };
        let order: Vec<Option<i64>> = peers.iter().map(|p| input_peer_id(p).or(me)).collect();
        found.sort_by_key(|e| {
            order
                .iter()
                .position(|id| *id == Some(e.info.id))
                .unwrap_or(usize::MAX)
        });
        found.dedup_by_key(|e| e.info.id);
        Ok(found)
    }

    async fn peer_dialogs_once(
        &self,
        peers: &[tl::enums::InputPeer],
    ) -> Result<Vec<DialogEntry>, TelegramError> {
        let tl::enums::messages::PeerDialogs::Dialogs(answer) = self
            .invoke(&tl::functions::messages::GetPeerDialogs {
                peers: peers
                    .iter()
                    .map(|p| tl::types::InputDialogPeer { peer: p.clone() }.into())
                    .collect(),
            })
            .await?;
        self.remember(&answer.users, &answer.chats).await;
        let page = DialogsAnswer::new(
            answer.dialogs,
            &answer.messages,
            answer.users,
            answer.chats,
            None,
        );
        Ok(page.entries())
    }

    /// The folder's chats: its pinned chats in their order, then every other member by last
    /// activity. Chats joining by category are found by reading at most `max` dialogs; with
    /// how that reading ended (`Exhausted` when there was none).
    pub async fn folder_chats(
        &self,
        folder: &Folder,
        max: usize,
    ) -> Result<(Vec<DialogEntry>, ScanEnd), TelegramError> {
        let explicit: Vec<tl::enums::InputPeer> = folder
            .pinned
            .iter()
            .chain(&folder.include)
            .cloned()
            .collect();
        let listed = self.peer_dialogs(&explicit).await?;
        let me = self.self_id().await.ok();
        let pinned_ids: Vec<i64> = folder
            .pinned
            .iter()
            .filter_map(|p| input_peer_id(p).or(me))
            .collect();
        let (mut pinned, mut rest): (Vec<DialogEntry>, Vec<DialogEntry>) = listed
            .into_iter()
            .partition(|e| pinned_ids.contains(&e.info.id));
        pinned.sort_by_key(|e| pinned_ids.iter().position(|id| *id == e.info.id));
        let mut end = ScanEnd::Exhausted;
        if folder.has_categories() {
            let known: Vec<i64> = pinned.iter().chain(&rest).map(|e| e.info.id).collect();
            let all = self.all_dialogs(max).await?;
            end = all.end;
            rest.extend(
                all.entries
                    .iter()
                    .filter(|e| !known.contains(&e.info.id) && folder.admits(e))
                    .cloned(),
            );
        }
        rest.sort_by_key(|e| std::cmp::Reverse(e.date));
        pinned.extend(rest);
        Ok((pinned, end))
    }
}
