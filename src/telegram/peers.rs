//! Turning chat identifiers into input peers: access hashes come from the session (which
//! remembers every peer an answer mentioned, and the usernames and contacts' phone numbers
//! naming them: see `session::names`), from `contacts.resolveUsername`, or from a scan of the
//! dialogs for ids the session has not seen yet (one scan at a time). A name or id Telegram
//! says nothing has is answered from memory for a few minutes.

use grammers_session::Session;
use grammers_session::types::{ChannelKind, PeerAuth, PeerId, PeerInfo, PeerRef};
use grammers_tl_types as tl;
use grammers_tl_types::Serializable as _;

use super::chat_ref::{self, ChatRef};
use super::types::{ChatInfo, Directory, ScanEnd, Visit};
use super::{Telegram, TelegramError, convert};
use crate::session::names::NameKind;

/// How long a negative answer (no such username or phone number, an id no dialog has) is
/// trusted: long enough that a model retrying the same wrong name costs nothing, short enough
/// that a chat created or joined meanwhile is found soon.
const NEGATIVE_TTL: std::time::Duration = std::time::Duration::from_secs(300);

/// Names (usernames, phone numbers) known to name a peer, in memory in front of the session's
/// [`PeerNames`]: what this process resolved, read from the session or saw in an answer.
/// No expiry: a name that moved on is found out when using it fails (see
/// [`Telegram::forget_stale_name`]) or when an answer shows its chat without it.
#[derive(Default)]
pub struct NameCache {
    names: std::sync::Mutex<std::collections::HashMap<(NameKind, String), KnownName>>,
    /// Peer id → usernames read from the session for it and not yet confirmed by an answer.
    unconfirmed: std::sync::Mutex<std::collections::HashMap<i64, Vec<String>>>,
}

/// A peer a name was known to name, and whether Telegram said so to this process (a name read
/// from the session may have changed hands since).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct KnownName {
    id: i64,
    confirmed: bool,
}

impl NameCache {
    fn get(&self, kind: NameKind, name: &str) -> Option<KnownName> {
        let map = self.names.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&(kind, kind.normalize(name))).copied()
    }

    /// Records `name → id`; whether that is news (not already known as such).
    fn insert(&self, kind: NameKind, name: &str, known: KnownName) -> bool {
        let mut map = self.names.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 100_000 {
            map.clear();
        }
        let name = kind.normalize(name);
        if kind == NameKind::Username && !known.confirmed {
            let mut unconfirmed = self.unconfirmed.lock().unwrap_or_else(|e| e.into_inner());
            unconfirmed.entry(known.id).or_default().push(name.clone());
        }
        let before = map.insert((kind, name), known);
        before.map(|b| b.id) != Some(known.id)
    }

    fn remove(&self, kind: NameKind, name: &str) {
        let mut map = self.names.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&(kind, kind.normalize(name)));
    }

    fn remove_peer(&self, kind: NameKind, id: i64) {
        let mut map = self.names.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|(k, _), known| *k != kind || known.id != id);
    }

    /// The usernames still unconfirmed for `id` that it does not answer to (`names`, what
    /// Telegram shows now); those it answers to become confirmed.
    fn unconfirmed_of(&self, id: i64, names: &[String]) -> Vec<String> {
        let pending = {
            let mut unconfirmed = self.unconfirmed.lock().unwrap_or_else(|e| e.into_inner());
            match unconfirmed.remove(&id) {
                Some(pending) => pending,
                None => return Vec::new(),
            }
        };
        let current: Vec<String> = names
            .iter()
            .map(|n| NameKind::Username.normalize(n))
            .collect();
        let mut map = self.names.lock().unwrap_or_else(|e| e.into_inner());
        let mut stale = Vec::new();
        for name in pending {
            let Some(known) = map.get_mut(&(NameKind::Username, name.clone())) else {
                continue;
            };
            if known.id != id {
                continue;
            }
            if current.contains(&name) {
                known.confirmed = true;
            } else {
                stale.push(name);
            }
        }
        stale
    }
}

/// Why nothing matched an identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Absence {
    /// Telegram has nothing by that name, or no dialog of this account has that id.
    Nowhere,
    /// No dialog among the `n` most recent that a scan could read has that id; the chat list
    /// goes on beyond them.
    NotInScanned(usize),
}

impl Absence {
    fn error(self, identifier: &str) -> TelegramError {
        match self {
            Absence::Nowhere => not_found(identifier),
            Absence::NotInScanned(n) => TelegramError::NotFound(format!(
                "no chat matches {identifier:?} among the {n} most recent chats scanned (the \
                 chat list goes on, and older chats cannot be found by id): name it by its \
                 @username or a t.me link instead"
            )),
        }
    }
}

/// Negative answers, for [`NEGATIVE_TTL`]: names nobody has, ids no dialog holds.
#[derive(Default)]
pub struct NegativeCache(
    std::sync::Mutex<std::collections::HashMap<String, (std::time::Instant, Absence)>>,
);

impl NegativeCache {
    fn get(&self, key: &str) -> Option<Absence> {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(key)
            .filter(|(at, _)| at.elapsed() < NEGATIVE_TTL)
            .map(|(_, absence)| *absence)
    }

    fn insert(&self, key: String, absence: Absence) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 10_000 {
            map.retain(|_, (at, _)| at.elapsed() < NEGATIVE_TTL);
        }
        map.insert(key, (std::time::Instant::now(), absence));
    }
}

fn negative_key(kind: NameKind, name: &str) -> String {
    format!("{kind:?}:{}", kind.normalize(name))
}

/// How many dialogs a scan for an unknown id reads at most.
const DIALOG_SCAN_LIMIT: usize = 1000;

/// A chat ready to be named in a request. How it is named (its input peer) stays inside the
/// facade; the rest of the server asks it questions.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// Bot API id: users positive, basic groups negative, channels `-100…`.
    pub id: i64,
    pub(in crate::telegram) input: tl::enums::InputPeer,
    /// What the resolution learnt about the chat (when it asked Telegram).
    pub info: Option<ChatInfo>,
}

impl Resolved {
    /// A supergroup or channel (which has its own message ids and `channels.*` methods).
    pub fn is_channel(&self) -> bool {
        matches!(self.input, tl::enums::InputPeer::Channel(_))
    }

    /// Its own id, as TL names it: the user, basic group or channel id without the Bot API's
    /// sign and `-100` prefix.
    pub fn bare_id(&self) -> i64 {
        use tl::enums::InputPeer as P;
        match &self.input {
            P::User(u) => u.user_id,
            P::Chat(c) => c.chat_id,
            P::Channel(c) => c.channel_id,
            _ => self.id,
        }
    }

    /// The boxed `InputPeer` naming it, serialized (for `invoke_mtproto`, which speaks TL).
    pub fn input_peer_bytes(&self) -> Vec<u8> {
        self.input.to_bytes()
    }

    /// The boxed `InputUser` naming it, serialized; `None` unless it is a user.
    pub fn input_user_bytes(&self) -> Option<Vec<u8>> {
        self.input_user().map(|u| u.to_bytes())
    }

    /// The boxed `InputChannel` naming it, serialized; `None` unless it is a channel.
    pub fn input_channel_bytes(&self) -> Option<Vec<u8>> {
        self.input_channel().map(|c| c.to_bytes())
    }

    pub(in crate::telegram) fn input_channel(&self) -> Option<tl::enums::InputChannel> {
        let tl::enums::InputPeer::Channel(c) = &self.input else {
            return None;
        };
        let channel = tl::types::InputChannel {
            channel_id: c.channel_id,
            access_hash: c.access_hash,
        };
        Some(channel.into())
    }

    pub(in crate::telegram) fn input_user(&self) -> Option<tl::enums::InputUser> {
        match &self.input {
            tl::enums::InputPeer::User(u) => {
                let (user_id, access_hash) = (u.user_id, u.access_hash);
                Some(
                    tl::types::InputUser {
                        user_id,
                        access_hash,
                    }
                    .into(),
                )
            }
            tl::enums::InputPeer::PeerSelf => Some(tl::enums::InputUser::UserSelf),
            _ => None,
        }
    }
}

/// A name and the peer it names.
type NamedPeer = (String, KnownName);

/// Every username a peer answers to now: its main one and its active collectible ones.
fn usernames_of(main: &Option<String>, more: &Option<Vec<tl::enums::Username>>) -> Vec<String> {
    let more = more.iter().flatten().filter_map(|u| {
        let tl::enums::Username::Username(u) = u;
        u.active.then(|| u.username.clone())
    });
    main.iter().cloned().chain(more).collect()
}

/// The peers of an answer (min peers, which carry partial data, left out) with every username
/// they answer to now, and the phone numbers of the contacts among them.
fn names_in(
    users: &[tl::enums::User],
    chats: &[tl::enums::Chat],
) -> (Vec<(i64, Vec<String>)>, Vec<NamedPeer>) {
    let (mut usernames, mut phones) = (Vec::new(), Vec::new());
    for user in users {
        let tl::enums::User::User(u) = user else {
            continue;
        };
        if u.min {
            continue;
        }
        usernames.push((u.id, usernames_of(&u.username, &u.usernames)));
        if let (true, Some(phone)) = (u.contact || u.is_self, &u.phone) {
            let known = KnownName {
                id: u.id,
                confirmed: true,
            };
            phones.push((phone.clone(), known));
        }
    }
    for chat in chats {
        if let tl::enums::Chat::Channel(c) = chat
            && !c.min
        {
            let id = convert::channel_bot_api_id(c.id);
            usernames.push((id, usernames_of(&c.username, &c.usernames)));
        }
    }
    (usernames, phones)
}

pub fn not_found(identifier: &str) -> TelegramError {
    TelegramError::NotFound(format!("no chat matches {identifier:?}"))
}

impl Telegram {
    /// Remembers the access hashes of every peer in an answer, so later calls can name them.
    pub async fn remember(&self, users: &[tl::enums::User], chats: &[tl::enums::Chat]) {
        let Some(session) = self.session() else {
            return;
        };
        let mut infos = Vec::new();
        for user in users {
            if let tl::enums::User::User(u) = user {
                if u.min {
                    continue;
                }
                if u.is_self {
                    *self.me.lock().unwrap_or_else(|e| e.into_inner()) = Some(user.clone());
                }
                infos.push(PeerInfo::User {
                    id: u.id,
                    auth: u.access_hash.map(PeerAuth::from_hash),
                    bot: Some(u.bot),
                    is_self: Some(u.is_self),
                });
            }
        }
        for chat in chats {
            match chat {
                tl::enums::Chat::Chat(c) => infos.push(PeerInfo::Chat { id: c.id }),
                tl::enums::Chat::Channel(c) if !c.min => infos.push(PeerInfo::Channel {
                    id: c.id,
                    auth: c.access_hash.map(PeerAuth::from_hash),
                    kind: Some(if c.broadcast {
                        ChannelKind::Broadcast
                    } else if c.gigagroup {
                        ChannelKind::Gigagroup
                    } else {
                        ChannelKind::Megagroup
                    }),
                }),
                _ => {}
            }
        }
        // Only what changes the file is written (see `session::cached`).
        if let Err(e) = session.cache_peers(infos).await {
            tracing::warn!("cannot cache peers: {e}");
        }
        let (peers, phones) = names_in(users, chats);
        let mut usernames = Vec::new();
        for (id, names) in peers {
            self.check_unconfirmed(id, &names).await;
            let known = KnownName {
                id,
                confirmed: true,
            };
            usernames.extend(names.into_iter().map(|name| (name, known)));
        }
        self.keep_names(NameKind::Username, &usernames).await;
        self.keep_names(NameKind::Phone, &phones).await;
    }

    /// A peer an answer showed with its usernames now: a username read from the session for it
    /// that it no longer has (it changed hands) is forgotten, so the next call resolves it.
    async fn check_unconfirmed(&self, id: i64, names: &[String]) {
        for stale in self.names.unconfirmed_of(id, names) {
            tracing::info!("a stored username names another chat now; it will be resolved again");
            self.forget_name(NameKind::Username, &stale).await;
        }
    }

    /// Forgets the phone numbers known to reach `user` (no longer a contact).
    pub(super) async fn forget_phones_of(&self, user: i64) {
        self.names.remove_peer(NameKind::Phone, user);
        if let Some(served) = self.served()
            && let Some(stored) = &served.stored_names
            && let Err(e) = stored.forget_peer(NameKind::Phone, user).await
        {
            tracing::warn!("cannot forget a removed contact's number in the session: {e}");
        }
    }

    async fn forget_name(&self, kind: NameKind, name: &str) {
        self.names.remove(kind, name);
        if let Some(served) = self.served()
            && let Some(stored) = &served.stored_names
            && let Err(e) = stored.forget(kind, name).await
        {
            tracing::warn!("cannot forget a stale name in the session: {e}");
        }
    }

    /// Converts and remembers the peers of an answer.
    pub async fn directory(
        &self,
        users: &[tl::enums::User],
        chats: &[tl::enums::Chat],
    ) -> Directory {
        self.remember(users, chats).await;
        convert::directory(users, chats)
    }

    async fn cached_ref(&self, id: i64) -> Option<PeerRef> {
        let session = self.session()?;
        let peer = PeerId::from_bot_api_dialog_id(id)?;
        session.peer_ref(peer).await.ok().flatten()
    }

    /// The chat `id` as the session knows it (its access hash), without asking Telegram.
    async fn cached(&self, id: i64) -> Option<Resolved> {
        let reference = self.cached_ref(id).await?;
        Some(Resolved {
            id,
            input: reference.into(),
            info: None,
        })
    }

    /// Resolves any chat identifier the tools accept.
    pub async fn resolve(&self, identifier: &str) -> Result<Resolved, TelegramError> {
        let parsed = chat_ref::parse(identifier).map_err(TelegramError::InvalidArgument)?;
        match parsed {
            ChatRef::Me => {
                let id = self.self_id().await?;
                Ok(Resolved {
                    id,
                    input: tl::enums::InputPeer::PeerSelf,
                    info: None,
                })
            }
            ChatRef::Username(name) => {
                self.resolve_name(NameKind::Username, &name, identifier)
                    .await
            }
            ChatRef::Phone(phone) => self.resolve_name(NameKind::Phone, &phone, identifier).await,
            ChatRef::Id(id) => self.resolve_id(id, identifier).await,
        }
    }

    /// The signed-in user as Telegram last showed them, if it did since start.
    pub(super) fn me(&self) -> Option<tl::enums::User> {
        self.me.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The signed-in user's id.
    pub async fn self_id(&self) -> Result<i64, TelegramError> {
        if let Some(session) = self.session()
            && let Ok(Some(PeerInfo::User { id, .. })) = session.peer(PeerId::self_user()).await
        {
            return Ok(id);
        }
        let users = self
            .invoke(&tl::functions::users::GetUsers {
                id: vec![tl::enums::InputUser::UserSelf],
            })
            .await?;
        self.remember(&users, &[]).await;
        users
            .iter()
            .find_map(|u| match u {
                tl::enums::User::User(u) => Some(u.id),
                _ => None,
            })
            .ok_or_else(|| TelegramError::Other("Telegram did not say who is signed in".into()))
    }

    /// A username or phone number: a negative answer of the last minutes is repeated, a
    /// name known (in memory or in the session) costs no request, else Telegram resolves it
    /// (`contacts.resolveUsername`, `contacts.resolvePhone`) and the answer is kept.
    async fn resolve_name(
        &self,
        kind: NameKind,
        name: &str,
        identifier: &str,
    ) -> Result<Resolved, TelegramError> {
        let negative = negative_key(kind, name);
        if let Some(absence) = self.negative.get(&negative) {
            return Err(absence.error(identifier));
        }
        if let Some(found) = self.known_name(kind, name).await {
            return Ok(found);
        }
        // One resolution at a time: calls naming the same chat at once ask Telegram once.
        let _resolving = self.name_resolution.lock().await;
        if let Some(absence) = self.negative.get(&negative) {
            return Err(absence.error(identifier));
        }
        if let Some(found) = self.known_name(kind, name).await {
            return Ok(found);
        }
        let asked = match kind {
            NameKind::Username => {
                let request = tl::functions::contacts::ResolveUsername {
                    username: name.to_string(),
                    referer: None,
                };
                self.resolve_peer(&request, "USERNAME_", identifier).await
            }
            NameKind::Phone => {
                let request = tl::functions::contacts::ResolvePhone {
                    phone: name.to_string(),
                };
                self.resolve_peer(&request, "PHONE_", identifier).await
            }
        };
        match asked {
            Ok(found) => {
                let known = KnownName {
                    id: found.id,
                    confirmed: true,
                };
                self.keep_names(kind, &[(name.to_string(), known)]).await;
                Ok(found)
            }
            Err(e @ TelegramError::NotFound(_)) => {
                self.negative.insert(negative, Absence::Nowhere);
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    /// The peer `name` is known to name, with its access hash from the session.
    pub(super) async fn known_name(&self, kind: NameKind, name: &str) -> Option<Resolved> {
        let known = match self.names.get(kind, name) {
            Some(known) => known,
            None => {
                let served = self.served()?;
                let id = served.stored_names.as_ref()?.get(kind, name).await?;
                let known = KnownName {
                    id,
                    confirmed: false,
                };
                self.names.insert(kind, name, known);
                known
            }
        };
        self.cached(known.id).await
    }

    /// Keeps names in memory and writes the new ones to the session (a failed write only
    /// costs a resolution after the next restart).
    async fn keep_names(&self, kind: NameKind, names: &[NamedPeer]) {
        let news: Vec<(String, i64)> = names
            .iter()
            .filter(|(name, _)| kind.is_plausible(&kind.normalize(name)))
            .filter(|(name, known)| self.names.insert(kind, name, *known))
            .map(|(name, known)| (name.clone(), known.id))
            .collect();
        let served = self.served();
        if let (Some(stored), false) = (
            served.as_ref().and_then(|s| s.stored_names.as_ref()),
            news.is_empty(),
        ) && let Err(e) = stored.put(kind, &news).await
        {
            tracing::warn!("cannot keep resolved names in the session: {e}");
        }
    }

    /// After a call on the chat `identifier` named failed with `error`: when the name came
    /// from the session unconfirmed and the error says the peer is no longer that chat's (it
    /// changed hands, or is gone), the name is forgotten and `true` says to resolve it once
    /// more and try again.
    pub async fn forget_stale_name(&self, identifier: &str, error: &TelegramError) -> bool {
        let peer_gone = match error {
            TelegramError::Rpc { name, .. } => {
                name.ends_with("_INVALID")
                    || matches!(
                        name.as_str(),
                        "CHANNEL_PRIVATE" | "USERNAME_NOT_OCCUPIED" | "INPUT_USER_DEACTIVATED"
                    )
            }
            // What the profile makes of those.
            TelegramError::NotFound(_) => true,
            _ => false,
        };
        let (kind, name) = match chat_ref::parse(identifier) {
            Ok(ChatRef::Username(name)) => (NameKind::Username, name),
            Ok(ChatRef::Phone(phone)) => (NameKind::Phone, phone),
            _ => return false,
        };
        if !peer_gone || self.names.get(kind, &name).is_none_or(|k| k.confirmed) {
            return false;
        }
        tracing::info!("a stored {kind:?} no longer names its chat ({error}); resolving it again");
        self.forget_name(kind, &name).await;
        true
    }

    /// Asks Telegram to resolve a username or phone number: an error named `unknown…` means
    /// no chat matches `identifier`.
    async fn resolve_peer<R>(
        &self,
        request: &R,
        unknown: &str,
        identifier: &str,
    ) -> Result<Resolved, TelegramError>
    where
        R: tl::RemoteCall<Return = tl::enums::contacts::ResolvedPeer>,
    {
        let answer = self.invoke(request).await.map_err(|e| match e {
            TelegramError::Rpc { name, .. } if name.starts_with(unknown) => not_found(identifier),
            other => other,
        })?;
        let tl::enums::contacts::ResolvedPeer::Peer(resolved) = answer;
        self.resolved_from(&resolved.peer, &resolved.users, &resolved.chats, identifier)
            .await
    }

    async fn resolved_from(
        &self,
        peer: &tl::enums::Peer,
        users: &[tl::enums::User],
        chats: &[tl::enums::Chat],
        identifier: &str,
    ) -> Result<Resolved, TelegramError> {
        let directory = self.directory(users, chats).await;
        let id = convert::peer_id(peer);
        let mut found = self.cached(id).await.ok_or_else(|| not_found(identifier))?;
        found.info = directory.get(id).cloned();
        Ok(found)
    }

    async fn resolve_id(&self, id: i64, identifier: &str) -> Result<Resolved, TelegramError> {
        if PeerId::from_bot_api_dialog_id(id).is_none() {
            return Err(TelegramError::InvalidArgument(format!(
                "{identifier:?} is not a valid Telegram id"
            )));
        }
        if id < 0 && id > -1_000_000_000_000 {
            // Basic groups need no access hash.
            return Ok(Resolved {
                id,
                input: tl::types::InputPeerChat { chat_id: -id }.into(),
                info: None,
            });
        }
        if let Ok(me) = self.self_id().await
            && me == id
        {
            return Ok(Resolved {
                id,
                input: tl::enums::InputPeer::PeerSelf,
                info: None,
            });
        }
        if let Some(found) = self.cached(id).await {
            return Ok(found);
        }
        let negative = format!("id:{id}");
        if let Some(absence) = self.negative.get(&negative) {
            return Err(absence.error(identifier));
        }
        // One scan at a time: a call that waited for another's finds what it remembered.
        let _scanning = self.id_scan.lock().await;
        if let Some(found) = self.cached(id).await {
            return Ok(found);
        }
        if let Some(absence) = self.negative.get(&negative) {
            return Err(absence.error(identifier));
        }
        let absence = self.scan_dialogs_for(id).await?;
        if let Some(found) = self.cached(id).await {
            return Ok(found);
        }
        self.negative.insert(negative, absence);
        Err(absence.error(identifier))
    }

    /// Walks the chat list (remembering every peer on the way) until `id` is among its
    /// dialogs or the walk ends. The walk is the chat list's own (`scan_dialogs`): without a
    /// `folder_id` Telegram lists archived dialogs too. How far it got, should `id` not be
    /// found: through the whole list, or only its most recent chats.
    async fn scan_dialogs_for(&self, id: i64) -> Result<Absence, TelegramError> {
        let mut scanned = 0;
        let end = self
            .scan_dialogs(None, DIALOG_SCAN_LIMIT, |e| {
                scanned += 1;
                if e.info.id == id {
                    Visit::Stop
                } else {
                    Visit::Next
                }
            })
            .await?;
        Ok(match end {
            ScanEnd::Exhausted | ScanEnd::Stopped => Absence::Nowhere,
            ScanEnd::Capped | ScanEnd::Stalled => Absence::NotInScanned(scanned),
        })
    }
}
