//! Turning chat identifiers into input peers: access hashes come from the session (which
//! remembers every peer an answer mentioned), from `contacts.resolveUsername`, or from a scan
//! of the dialogs for ids the session has not seen yet.

use grammers_session::Session;
use grammers_session::types::{ChannelKind, PeerAuth, PeerId, PeerInfo, PeerRef};
use grammers_tl_types as tl;
use grammers_tl_types::Serializable as _;

use super::chat_ref::{self, ChatRef};
use super::types::{ChatInfo, Directory, Visit};
use super::{Telegram, TelegramError, convert};

/// How long a resolved username is trusted before Telegram is asked again (usernames rarely
/// change hands; an hour keeps repeated calls cheap without holding on to stale ones).
const USERNAME_TTL: std::time::Duration = std::time::Duration::from_secs(3600);

/// What identifies a peer as written: kind and id, access hash, and its flags.
type PeerKey = (i64, i64, u8);

/// Peers written to the session by this process, exactly as written.
#[derive(Default)]
pub struct PersistedPeers(std::sync::Mutex<std::collections::HashSet<PeerKey>>);

impl PersistedPeers {
    fn key(info: &PeerInfo) -> PeerKey {
        let flag = |b: &Option<bool>| match b {
            None => 0,
            Some(false) => 1,
            Some(true) => 2,
        };
        match info {
            PeerInfo::User {
                id,
                auth,
                bot,
                is_self,
            } => (
                *id,
                auth.map_or(0, |a| a.hash()),
                flag(bot) * 3 + flag(is_self),
            ),
            PeerInfo::Chat { id } => (-id, 0, 0),
            PeerInfo::Channel { id, auth, kind } => (
                -(1_000_000_000_000 + id),
                auth.map_or(0, |a| a.hash()),
                kind.map_or(0, |k| k as u8),
            ),
        }
    }

    fn contains(&self, info: &PeerInfo) -> bool {
        let set = self.0.lock().unwrap_or_else(|e| e.into_inner());
        set.contains(&Self::key(info))
    }

    fn extend(&self, infos: Vec<PeerInfo>) {
        let mut set = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if set.len() > 100_000 {
            set.clear();
        }
        set.extend(infos.iter().map(Self::key));
    }
}

/// Usernames resolved recently, lowercase → (Bot API id, when).
#[derive(Default)]
pub struct UsernameCache(
    std::sync::Mutex<std::collections::HashMap<String, (i64, std::time::Instant)>>,
);

impl UsernameCache {
    fn get(&self, name: &str) -> Option<i64> {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&name.to_lowercase())
            .filter(|(_, at)| at.elapsed() < USERNAME_TTL)
            .map(|(id, _)| *id)
    }

    fn insert(&self, name: &str, id: i64) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 10_000 {
            map.retain(|_, (_, at)| at.elapsed() < USERNAME_TTL);
        }
        map.insert(name.to_lowercase(), (id, std::time::Instant::now()));
    }
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

pub fn not_found(identifier: &str) -> TelegramError {
    TelegramError::NotFound(format!("no chat matches {identifier:?}"))
}

impl Telegram {
    /// Remembers the access hashes of every peer in an answer, so later calls can name them.
    pub async fn remember(&self, users: &[tl::enums::User], chats: &[tl::enums::Chat]) {
        let Some(session) = &self.session else { return };
        let mut infos = Vec::new();
        for user in users {
            if let tl::enums::User::User(u) = user {
                if u.min {
                    continue;
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
        // Only what the session does not hold yet: a write per answer would cost a disk sync
        // on every call for peers that rarely change.
        infos.retain(|info| !self.persisted.contains(info));
        if infos.is_empty() {
            return;
        }
        match session.cache_peers(infos.clone()).await {
            Ok(()) => self.persisted.extend(infos),
            Err(e) => tracing::warn!("cannot cache peers: {e}"),
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
        let session = self.session.as_ref()?;
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
            ChatRef::Username(name) => self.resolve_username(&name, identifier).await,
            ChatRef::Phone(phone) => self.resolve_phone(&phone, identifier).await,
            ChatRef::Id(id) => self.resolve_id(id, identifier).await,
        }
    }

    /// The signed-in user's id.
    pub async fn self_id(&self) -> Result<i64, TelegramError> {
        if let Some(session) = &self.session
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

    async fn resolve_username(
        &self,
        name: &str,
        identifier: &str,
    ) -> Result<Resolved, TelegramError> {
        if let Some(id) = self.usernames.get(name)
            && let Some(found) = self.cached(id).await
        {
            return Ok(found);
        }
        let request = tl::functions::contacts::ResolveUsername {
            username: name.to_string(),
            referer: None,
        };
        let found = self.resolve_peer(&request, "USERNAME_", identifier).await?;
        self.usernames.insert(name, found.id);
        Ok(found)
    }

    async fn resolve_phone(
        &self,
        phone: &str,
        identifier: &str,
    ) -> Result<Resolved, TelegramError> {
        let request = tl::functions::contacts::ResolvePhone {
            phone: phone.to_string(),
        };
        self.resolve_peer(&request, "PHONE_", identifier).await
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
        self.scan_dialogs_for(id).await?;
        self.cached(id).await.ok_or_else(|| not_found(identifier))
    }

    /// Walks the chat list (remembering every peer on the way) until `id` is among its
    /// dialogs or the walk ends. The walk is the chat list's own (`scan_dialogs`): without a
    /// `folder_id` Telegram lists archived dialogs too.
    async fn scan_dialogs_for(&self, id: i64) -> Result<(), TelegramError> {
        self.scan_dialogs(None, DIALOG_SCAN_LIMIT, |e| {
            if e.info.id == id {
                Visit::Stop
            } else {
                Visit::Next
            }
        })
        .await?;
        Ok(())
    }
}
