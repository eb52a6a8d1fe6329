//! The fake DC's world: loaded from a JSON [`spec::WorldSpec`], then mutated by what clients do
//! (sent and edited messages, imported contacts, uploads).

pub mod crowd;
pub mod files;
pub mod peer;
pub mod rate_limits;
pub mod spec;
pub mod tl_build;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use grammers_tl_types as tl;

pub use crowd::Crowd;
pub use files::{FileKey, StoredBlob};
pub use peer::{Peer, derived_access_hash};
pub use rate_limits::{RateLimit, RateLimiter};
pub use spec::*;

/// A message as the DC stores it: plain fields for searching, TL pieces for answering.
#[derive(Debug, Clone)]
pub struct Msg {
    pub peer: Peer,
    pub id: i32,
    pub from: Option<Peer>,
    pub date: i32,
    pub text: String,
    pub entities: Vec<tl::enums::MessageEntity>,
    pub media: Option<tl::enums::MessageMedia>,
    pub reply_to_msg_id: Option<i32>,
    /// Root of the thread (reply chain or forum topic) this message belongs to.
    pub top_id: Option<i32>,
    pub forum_topic: bool,
    pub fwd_from: Option<tl::enums::MessageFwdHeader>,
    pub reply_markup: Option<tl::enums::ReplyMarkup>,
    pub edit_date: Option<i32>,
    pub out: bool,
    pub post: bool,
    pub views: Option<i32>,
    pub grouped_id: Option<i64>,
    pub pinned: bool,
    /// For the automatic copy of a channel post in its discussion group: that post's id.
    pub comments_for: Option<i32>,
    /// A service message (e.g. forum topic creation).
    pub action: Option<tl::enums::MessageAction>,
    /// Its reactions, one entry per emoji (see `fake_dc::methods::reactions`).
    pub reactions: Vec<ReactionSpec>,
}

/// A file being uploaded with `upload.saveFilePart` / `upload.saveBigFilePart`.
#[derive(Debug, Default, Clone)]
pub struct Upload {
    pub parts: BTreeMap<i32, Vec<u8>>,
    pub big: bool,
    pub total_parts: Option<i32>,
}

impl Upload {
    /// The reassembled bytes, if every part from 0 up arrived.
    pub fn bytes(&self) -> Option<Vec<u8>> {
        let expected = self.total_parts.unwrap_or(self.parts.len() as i32);
        if self.parts.len() as i32 != expected
            || !(0..expected).all(|i| self.parts.contains_key(&i))
        {
            return None;
        }
        Some(self.parts.values().flatten().copied().collect())
    }
}

#[derive(Debug)]
pub struct World {
    pub self_id: i64,
    pub users: BTreeMap<i64, UserSpec>,
    pub chats: BTreeMap<Peer, ChatSpec>,
    pub messages: BTreeMap<Peer, BTreeMap<i32, Msg>>,
    pub folders: Vec<FolderSpec>,
    pub dialogs: HashMap<Peer, DialogSpec>,
    /// Peers of `dialogs` in the order the world file lists them (the order of pinned dialogs).
    pub dialog_order: Vec<Peer>,
    pub login: LoginSpec,
    /// Private chats and basic groups share one message-id sequence per account.
    pub next_common_id: i32,
    pub pts: i32,
    pub channel_pts: HashMap<i64, i32>,
    pub uploads: HashMap<i64, Upload>,
    /// `random_id` → sent message, so a re-sent request is not sent twice (as Telegram does).
    pub sent_by_random_id: HashMap<i64, (Peer, i32)>,
    /// Contacts the client imported, by phone, for `contacts.deleteContacts` to undo.
    pub imported_phones: HashMap<String, i64>,
    /// Phone numbers `contacts.importContacts` still takes before Telegram's import limit
    /// answers with `retry_contacts`; `None`: unlimited.
    pub contact_imports_left: Option<u32>,
    /// Messages Telegram will not show: counted in listings, left out of their pages.
    pub hidden: HashSet<(Peer, i32)>,
    /// Pages hold this many fewer messages or dialogs than asked (at least one).
    pub short_pages: usize,
    /// `searchGlobal` leaves out `next_rate` although more matches follow.
    pub omit_next_rate: bool,
    /// `channels.readHistory` on a forum leaves its topics unread (see the spec's field).
    pub history_leaves_topics: bool,
    /// Telegram's per-method budgets and the calls they admitted (see [`rate_limits`]).
    pub rate_limiter: RateLimiter,
    /// Read markers of reply and comment threads, by (group, thread root); a thread not
    /// listed is read to its end. Moved by `messages.readDiscussion`.
    pub thread_reads: HashMap<(Peer, i32), i32>,
    /// Messages deleted for everyone (`revoke`, or in a channel): gone from the other side
    /// of a private chat and from every member's view, not only from the self user's.
    pub revoked: HashSet<(Peer, i32)>,
    /// The bytes behind the photos and documents of the world's messages (see [`files`]).
    pub files: HashMap<FileKey, StoredBlob>,
    /// The world file's `auto_replies`: chats that answer what the client sends them.
    pub auto_replies: Vec<AutoReplySpec>,
    /// Messages on their way (scripted replies), each stored once the DC handles a request at
    /// or after its time (see `fake_dc::arrivals`).
    pub arriving: Vec<(std::time::Instant, Msg)>,
}

/// The sample world's @babbage (user 1001): the private chat the tests read and write.
pub const BABBAGE: Peer = Peer::User(1001);

/// The bundled sample world's file (`examples/worlds/sample.json`).
pub fn sample_path() -> std::path::PathBuf {
    crate::repository_root().join("examples/worlds/sample.json")
}

/// The sample world as JSON, for tests that change a part of it.
pub fn sample_json() -> serde_json::Value {
    let text = std::fs::read_to_string(sample_path()).expect("the sample world is readable");
    serde_json::from_str(&text).expect("the sample world is JSON")
}

/// The sample world's forum, "Project Forum".
pub const FORUM: i64 = -1001000000004;

/// The sample world with the forum's `closed` topics closed; topic 10 ("Design") was started
/// by @babbage, topic 20 ("Releases") by the self user, who created the forum with `creator`.
pub fn sample_with_closed_topics(closed: &[i32], creator: bool) -> World {
    let mut json = sample_json();
    let chats = json["chats"].as_array_mut().expect("chats");
    let forum = chats
        .iter_mut()
        .find(|c| c["id"] == FORUM)
        .expect("the sample forum");
    forum["creator"] = creator.into();
    for topic in forum["topics"].as_array_mut().expect("topics") {
        let id = topic["id"].as_i64().unwrap_or(0) as i32;
        topic["closed"] = closed.contains(&id).into();
        if id == 10 {
            topic["creator"] = 1001.into();
        }
    }
    World::from_json(json).expect("the sample world loads")
}

/// The sample world with its `login` section replaced.
pub fn sample_with_login(login: serde_json::Value) -> World {
    let mut json = sample_json();
    json["login"] = login;
    World::from_json(json).expect("the sample world loads")
}

pub fn parse_date(date: &DateSpec) -> Result<i32, String> {
    match date {
        DateSpec::Unix(t) => i32::try_from(*t).map_err(|_| format!("date {t} out of range")),
        DateSpec::Iso(s) => chrono::DateTime::parse_from_rfc3339(s)
            .map(|d| d.timestamp() as i32)
            .or_else(|_| {
                chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S")
                    .map(|d| d.and_utc().timestamp() as i32)
            })
            .map_err(|e| format!("bad date {s:?}: {e}")),
    }
}

fn peer_of(id: i64) -> Result<Peer, String> {
    Peer::from_bot_api(id).ok_or_else(|| "0 is not a peer id".to_string())
}

impl World {
    pub fn load(path: &Path) -> Result<World, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read world {}: {e}", path.display()))?;
        let spec: WorldSpec =
            serde_json::from_str(&text).map_err(|e| format!("world {}: {e}", path.display()))?;
        World::from_spec(spec)
    }

    pub fn from_json(json: serde_json::Value) -> Result<World, String> {
        let spec: WorldSpec = serde_json::from_value(json).map_err(|e| e.to_string())?;
        World::from_spec(spec)
    }

    pub fn from_spec(spec: WorldSpec) -> Result<World, String> {
        let self_id = spec.me.id;
        if self_id <= 0 {
            return Err("self.id must be a positive user id".into());
        }
        let mut users = BTreeMap::new();
        for user in std::iter::once(spec.me.clone()).chain(spec.users) {
            if user.id <= 0 {
                return Err(format!("user id {} must be positive", user.id));
            }
            if users.insert(user.id, user.clone()).is_some() {
                return Err(format!("user {} defined twice", user.id));
            }
        }
        let mut chats = BTreeMap::new();
        for chat in spec.chats {
            let peer = peer_of(chat.id)?;
            let ok = matches!(
                (chat.kind, peer),
                (ChatKind::Group, Peer::Chat(_))
                    | (ChatKind::Supergroup | ChatKind::Channel, Peer::Channel(_))
            );
            if !ok {
                return Err(format!(
                    "chat {} has kind {:?} but its id is not of that kind (groups are -N, \
                     supergroups and channels -100N)",
                    chat.id, chat.kind
                ));
            }
            for member in &chat.members {
                if !users.contains_key(member) {
                    return Err(format!("chat {} lists unknown member {member}", chat.id));
                }
            }
            if chats.insert(peer, chat.clone()).is_some() {
                return Err(format!("chat {} defined twice", chat.id));
            }
        }
        let mut world = World {
            self_id,
            users,
            chats,
            messages: BTreeMap::new(),
            folders: spec.folders,
            dialogs: HashMap::new(),
            dialog_order: Vec::new(),
            login: spec.login,
            next_common_id: 1,
            pts: 1,
            channel_pts: HashMap::new(),
            uploads: HashMap::new(),
            sent_by_random_id: HashMap::new(),
            imported_phones: HashMap::new(),
            contact_imports_left: spec.contact_import_limit,
            hidden: HashSet::new(),
            short_pages: spec.short_pages,
            omit_next_rate: spec.omit_next_rate,
            history_leaves_topics: spec.history_leaves_topics,
            rate_limiter: RateLimiter::new(&spec.rate_limits),
            thread_reads: HashMap::new(),
            revoked: HashSet::new(),
            files: HashMap::new(),
            auto_replies: Vec::new(),
            arriving: Vec::new(),
        };
        for dialog in spec.dialogs {
            let peer = peer_of(dialog.peer)?;
            world.check_peer(peer)?;
            world.dialog_order.retain(|p| *p != peer);
            world.dialog_order.push(peer);
            world.dialogs.insert(peer, dialog);
        }
        for folder in &world.folders {
            for id in folder
                .include
                .iter()
                .chain(&folder.exclude)
                .chain(&folder.pinned)
            {
                world.check_peer(peer_of(*id)?)?;
            }
        }
        world.add_topic_messages()?;
        for spec in spec.messages {
            let msg = world.msg_from_spec(&spec)?;
            if let (Some(media_spec), Some(media)) = (&spec.media, &msg.media) {
                world.files.extend(files::blobs(media_spec, media));
            }
            if spec.hidden {
                world.hidden.insert((msg.peer, msg.id));
            }
            world.insert_loaded(msg)?;
        }
        if let Some(crowd) = &spec.generate {
            world.add_crowd(crowd);
        }
        world.link_threads();
        for reply in &spec.auto_replies {
            world.check_peer(peer_of(reply.chat)?)?;
            if let Some(from) = reply.from {
                world.check_peer(peer_of(from)?)?;
            }
        }
        world.auto_replies = spec.auto_replies;
        Ok(world)
    }

    fn check_peer(&self, peer: Peer) -> Result<(), String> {
        let known = match peer {
            Peer::User(id) => self.users.contains_key(&id),
            _ => self.chats.contains_key(&peer),
        };
        known
            .then_some(())
            .ok_or_else(|| format!("unknown peer {}", peer.bot_api()))
    }

    /// Forum topics are created by a service message whose id is the topic id.
    fn add_topic_messages(&mut self) -> Result<(), String> {
        let topics: Vec<(Peer, TopicSpec)> = self
            .chats
            .iter()
            .flat_map(|(peer, chat)| chat.topics.iter().map(|t| (*peer, t.clone())))
            .collect();
        for (peer, topic) in topics {
            if topic.id == 1 {
                continue; // "General" has no creation message.
            }
            let date = topic
                .date
                .as_ref()
                .map(parse_date)
                .transpose()?
                .unwrap_or(0);
            let creator = match topic.creator {
                Some(id) => peer_of(id)?,
                None => Peer::User(self.self_id),
            };
            self.check_peer(creator)?;
            let msg = Msg {
                action: Some(
                    tl::types::MessageActionTopicCreate {
                        title_missing: false,
                        title: topic.title.clone(),
                        icon_color: 0x6FB9F0,
                        icon_emoji_id: None,
                    }
                    .into(),
                ),
                ..Msg::new(peer, topic.id, Some(creator), date)
            };
            self.insert_loaded(msg)?;
        }
        Ok(())
    }

    fn msg_from_spec(&self, spec: &MessageSpec) -> Result<Msg, String> {
        let peer = peer_of(spec.chat)?;
        self.check_peer(peer)?;
        let mut from = spec.from.map(peer_of).transpose()?;
        if from.is_none() && matches!(peer, Peer::User(_)) {
            from = Some(peer); // an incoming private message
        }
        if let Some(from) = from {
            self.check_peer(from)?;
        }
        let broadcast = self
            .chats
            .get(&peer)
            .is_some_and(|c| c.kind == ChatKind::Channel);
        let mut msg = Msg::new(peer, spec.id, from, parse_date(&spec.date)?);
        msg.text = spec.text.clone();
        msg.entities = spec
            .entities
            .iter()
            .map(tl_build::entity)
            .collect::<Result<_, _>>()?;
        msg.media = spec
            .media
            .as_ref()
            .map(|m| tl_build::media(m, msg.id, msg.date))
            .transpose()?;
        msg.reply_to_msg_id = spec.reply_to;
        msg.top_id = spec.topic;
        msg.forum_topic = spec.topic.is_some();
        msg.fwd_from = spec
            .fwd_from
            .as_ref()
            .map(tl_build::fwd_header)
            .transpose()?;
        msg.reply_markup = spec
            .reply_markup
            .as_ref()
            .map(tl_build::markup)
            .transpose()?;
        msg.edit_date = spec.edit_date.as_ref().map(parse_date).transpose()?;
        msg.out = from == Some(Peer::User(self.self_id));
        msg.post = broadcast;
        msg.views = spec.views.or(broadcast.then_some(0));
        msg.grouped_id = spec.grouped_id;
        msg.pinned = spec.pinned;
        msg.reactions = spec.reactions.clone();
        msg.comments_for = spec.comments_for;
        if let Some(post) = spec.comments_for {
            let channel = self
                .chats
                .get(&peer)
                .and_then(|c| c.linked_chat)
                .and_then(Peer::from_bot_api)
                .ok_or_else(|| {
                    format!(
                        "message {} has comments_for but chat has no linked channel",
                        spec.id
                    )
                })?;
            msg.fwd_from = Some(
                tl::types::MessageFwdHeader {
                    imported: false,
                    saved_out: false,
                    from_id: Some(channel.to_tl()),
                    from_name: None,
                    date: msg.date,
                    channel_post: Some(post),
                    post_author: None,
                    saved_from_peer: Some(channel.to_tl()),
                    saved_from_msg_id: Some(post),
                    saved_from_id: None,
                    saved_from_name: None,
                    saved_date: None,
                    psa_type: None,
                }
                .into(),
            );
            if msg.from.is_none() {
                msg.from = Some(channel);
            }
        }
        Ok(msg)
    }

    fn insert_loaded(&mut self, msg: Msg) -> Result<(), String> {
        if msg.id <= 0 {
            return Err(format!("message id {} must be positive", msg.id));
        }
        if !msg.peer.is_channel() {
            let taken = self
                .messages
                .iter()
                .filter(|(p, _)| !p.is_channel())
                .any(|(_, msgs)| msgs.contains_key(&msg.id));
            if taken {
                return Err(format!(
                    "message id {} is used twice: private chats and basic groups share one id \
                     sequence per account",
                    msg.id
                ));
            }
            self.next_common_id = self.next_common_id.max(msg.id + 1);
        } else if self
            .messages
            .get(&msg.peer)
            .is_some_and(|m| m.contains_key(&msg.id))
        {
            return Err(format!(
                "message {} defined twice in {}",
                msg.id,
                msg.peer.bot_api()
            ));
        }
        self.messages
            .entry(msg.peer)
            .or_default()
            .insert(msg.id, msg);
        Ok(())
    }

    /// Resolves each reply's thread root (a reply to a reply belongs to the first one's
    /// thread; a reply in a forum topic keeps its topic).
    fn link_threads(&mut self) {
        for msgs in self.messages.values_mut() {
            let snapshot: HashMap<i32, (Option<i32>, Option<i32>)> = msgs
                .values()
                .map(|m| (m.id, (m.reply_to_msg_id, m.top_id)))
                .collect();
            for msg in msgs.values_mut() {
                if msg.top_id.is_some() {
                    continue;
                }
                let mut root = None;
                let mut cursor = msg.reply_to_msg_id;
                let mut depth = 0;
                while let Some(id) = cursor {
                    root = Some(id);
                    match snapshot.get(&id) {
                        Some((_, Some(top))) => {
                            root = Some(*top);
                            break;
                        }
                        Some((parent, None)) => cursor = *parent,
                        None => break,
                    }
                    depth += 1;
                    if depth > 1000 {
                        break;
                    }
                }
                if root != msg.reply_to_msg_id {
                    msg.top_id = root;
                }
            }
        }
    }

    pub fn me(&self) -> &UserSpec {
        &self.users[&self.self_id]
    }

    pub fn user(&self, id: i64) -> Option<&UserSpec> {
        self.users.get(&id)
    }

    pub fn chat(&self, peer: Peer) -> Option<&ChatSpec> {
        self.chats.get(&peer)
    }

    pub fn access_hash(&self, peer: Peer) -> i64 {
        let explicit = match peer {
            Peer::User(id) => self.users.get(&id).and_then(|u| u.access_hash),
            _ => self.chats.get(&peer).and_then(|c| c.access_hash),
        };
        explicit.unwrap_or_else(|| derived_access_hash(peer))
    }

    /// The bytes `upload.getFile` serves for `key`, and where.
    pub fn file(&self, key: &FileKey) -> Option<&StoredBlob> {
        self.files.get(key)
    }

    /// Gives the photo or document of message `id` in `peer` a new file reference, as
    /// Telegram does from time to time: the old one then answers `FILE_REFERENCE_EXPIRED`
    /// until the client fetches the message again. False when it has no such media.
    pub fn expire_file_reference(&mut self, peer: Peer, id: i32) -> bool {
        let media = self
            .messages
            .get_mut(&peer)
            .and_then(|m| m.get_mut(&id))
            .and_then(|m| m.media.as_mut());
        match media.and_then(files::reference_mut) {
            Some((_, reference)) => {
                let next = reference.last().map_or(1, |b| b.wrapping_add(1));
                reference.push(next);
                true
            }
            None => false,
        }
    }

    /// The current file reference of the photo or document `media_id` (any message holding
    /// it).
    pub fn file_reference(&self, media_id: i64) -> Option<Vec<u8>> {
        self.messages
            .values()
            .flat_map(|m| m.values())
            .filter_map(|m| m.media.clone())
            .find_map(|mut media| {
                files::reference_mut(&mut media)
                    .filter(|(id, _)| *id == media_id)
                    .map(|(_, r)| r.clone())
            })
    }

    pub fn message(&self, peer: Peer, id: i32) -> Option<&Msg> {
        self.messages.get(&peer).and_then(|m| m.get(&id))
    }

    /// Messages of a chat, newest first.
    pub fn history(&self, peer: Peer) -> impl Iterator<Item = &Msg> {
        self.messages
            .get(&peer)
            .into_iter()
            .flat_map(|m| m.values().rev())
    }

    /// The next message id in `peer` (shared sequence outside channels).
    pub fn allocate_id(&mut self, peer: Peer) -> i32 {
        if peer.is_channel() {
            self.messages
                .get(&peer)
                .and_then(|m| m.keys().next_back().copied())
                .unwrap_or(0)
                + 1
        } else {
            let id = self.next_common_id;
            self.next_common_id += 1;
            id
        }
    }

    /// Bumps and returns the pts of the common box or of a channel.
    pub fn bump_pts(&mut self, peer: Peer) -> i32 {
        match peer {
            Peer::Channel(id) => {
                let pts = self.channel_pts.entry(id).or_insert(1);
                *pts += 1;
                *pts
            }
            _ => {
                self.pts += 1;
                self.pts
            }
        }
    }

    /// Messages of the thread rooted at `root` (replies to it, transitively), newest first.
    pub fn thread(&self, peer: Peer, root: i32) -> impl Iterator<Item = &Msg> {
        self.history(peer).filter(move |m| {
            m.id != root
                && (m.top_id == Some(root)
                    || (m.top_id.is_none() && m.reply_to_msg_id == Some(root)))
        })
    }

    pub fn insert(&mut self, msg: Msg) {
        self.messages
            .entry(msg.peer)
            .or_default()
            .insert(msg.id, msg);
    }

    /// Users a chat's messages or membership mention, for the `users` vector of answers.
    pub fn members(&self, peer: Peer) -> Vec<i64> {
        self.chats
            .get(&peer)
            .map(|c| c.members.clone())
            .unwrap_or_default()
    }

    /// Whether Telegram leaves `msg` out of listings.
    pub fn is_hidden(&self, msg: &Msg) -> bool {
        self.hidden.contains(&(msg.peer, msg.id))
    }

    /// A page of `asked` holding [`World::short_pages`] fewer (at least one).
    pub fn page_size(&self, asked: usize) -> usize {
        asked.saturating_sub(self.short_pages).max(1)
    }

    pub fn is_member(&self, peer: Peer) -> bool {
        match peer {
            Peer::User(_) => true,
            _ => self.chats.get(&peer).is_some_and(|c| !c.left),
        }
    }
}

impl Msg {
    pub fn new(peer: Peer, id: i32, from: Option<Peer>, date: i32) -> Msg {
        Msg {
            peer,
            id,
            from,
            date,
            text: String::new(),
            entities: Vec::new(),
            media: None,
            reply_to_msg_id: None,
            top_id: None,
            forum_topic: false,
            fwd_from: None,
            reply_markup: None,
            edit_date: None,
            out: false,
            post: false,
            views: None,
            grouped_id: None,
            pinned: false,
            comments_for: None,
            action: None,
            reactions: Vec::new(),
        }
    }
}
