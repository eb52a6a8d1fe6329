//! The facade over grammers: one client on one session, connected in the background so the
//! MCP handshake never waits for Telegram, with a connection state every tool consults.
//!
//! One file per concern, each adding `Telegram` methods: `peers` (naming chats), `chats` (one
//! chat: search, profile, topics), `dialogs` (the chat list and folders), `messages` (the
//! single reading requests), `dialog_cache` (the chat list shared for a minute), `target`
//! (where a message goes), `send` (text, albums, drafts,
//! edits), `upload`, `download` (a message's media, fetched in parts), `contacts`, `updates`
//! (reading what a send answered). Composed of those, the queries the read tools ask: `reading`
//! (one chat as a listing), `after` (what comes after a message, and waiting for it),
//! `global_search` (every
//! chat at once), `finding` (chats by name, folder or activity), `profile` (one chat's
//! profile). Around them: `retry` (when a request is sent again), `migrate` (datacenter
//! moves), `liveness` (dead connections), `error`, and the value types tools receive in
//! `types` (converted from TL in `convert`).

pub mod after;
pub mod chat_ref;
pub mod chats;
pub mod contacts;
pub mod convert;
pub mod dialog_cache;
pub mod dialogs;
pub mod download;
pub mod error;
pub mod finding;
pub mod forward;
pub mod global_search;
pub mod inbox;
pub mod liveness;
pub mod message_actions;
pub mod messages;
pub mod migrate;
pub mod nodelay;
pub mod peers;
pub mod profile;
pub mod reading;
pub mod retry;
pub mod send;
pub mod target;
pub mod types;
pub mod updates;
pub mod upload;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use grammers_client::sender::{ConnectionParams, RetryPolicy, SenderPool};
use grammers_client::{Client, InvocationError};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use error::TelegramError;

use crate::config::Config;
use crate::session;
use crate::session::ServedSession;
use retry::RetryOnce;

/// Where the connection to Telegram stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkState {
    /// First contact is under way.
    Connecting,
    Connected,
    /// Telegram stopped answering after having been connected; the next success returns to
    /// `Connected`.
    Reconnecting,
    /// The session exists but is not signed in (or was logged out elsewhere).
    Unauthorized,
    /// Telegram could not be reached the last time it was tried.
    Offline,
    /// There is no session file.
    NoSession,
}

/// How long a tool call waits for the first connection before answering `retry`.
const FIRST_CONTACT_WAIT: Duration = Duration::from_secs(20);

/// How long one request to Telegram may take before the call answers `retry`.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The connection parameters, every field set here. grammers' `ConnectionParams::default()`
/// asks `os_info` for the system, which runs `lsb_release` on Linux: a stdio server that starts
/// no process is easier to trust, and what it reports needs no child to find out.
/// `proxy_url` is the route's (see [`crate::proxy::Route`]): a SOCKS5 proxy, or the relay to
/// an MTProto proxy.
pub fn connection_params(
    proxy_url: Option<String>,
    retry_policy: Box<dyn RetryPolicy>,
) -> ConnectionParams {
    let lang = language_code();
    ConnectionParams {
        device_model: "fast-mcp-telegram".into(),
        system_version: std::env::consts::OS.into(),
        app_version: env!("CARGO_PKG_VERSION").into(),
        system_lang_code: lang.clone(),
        lang_code: lang,
        use_ipv6: false,
        proxy_url,
        retry_policy,
        updates_channel_capacity: std::num::NonZeroUsize::new(100).expect("non-zero"),
        __non_exhaustive: (),
    }
}

/// The user's language as Telegram wants it (`de` from `LANG=de_DE.UTF-8`), else `en`.
fn language_code() -> String {
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|v| !v.is_empty())
        .map(|v| {
            v.chars()
                .take_while(char::is_ascii_alphabetic)
                .collect::<String>()
                .to_ascii_lowercase()
        })
        .filter(|code| (2..=3).contains(&code.len()) && code != "c")
        .unwrap_or_else(|| "en".to_string())
}

/// What the facade serves from: the session file, opened, and the client on it. Replaced as a
/// whole when the host signs the session in (`sign_in`, see [`Telegram::reopen`]).
struct Served {
    /// The client, replaced when its connection is found dead.
    link: liveness::Link,
    session: Arc<ServedSession>,
    /// The same names kept in the session file, so a restart resolves none of them again.
    stored_names: Option<session::names::PeerNames>,
    /// How the connection reaches Telegram; an MTProto proxy's relay says why it last failed.
    route: crate::proxy::Route,
}

pub struct Telegram {
    /// None without a session file (until the host signs one in).
    served: std::sync::RwLock<Option<Arc<Served>>>,
    /// What [`Telegram::reopen`] opens the session with again.
    config: Config,
    flood_wait_max: Duration,
    state: watch::Sender<LinkState>,
    runner: std::sync::Mutex<Option<JoinHandle<()>>>,
    /// The first contact, ended at shutdown so a connection closed on purpose is no outage.
    first_contact: std::sync::Mutex<Option<JoinHandle<()>>>,
    /// Set by [`Telegram::shutdown`]: from then on failures say nothing about Telegram.
    closing: Arc<AtomicBool>,
    setup_command: String,
    /// Usernames and phone numbers known to name a peer: `contacts.resolveUsername` is
    /// rate-limited hard by Telegram, and models name the same chats again and again.
    names: peers::NameCache,
    /// Names and ids Telegram recently said nothing has.
    negative: peers::NegativeCache,
    /// Held while the dialogs are scanned for an unknown id (one scan at a time).
    id_scan: tokio::sync::Mutex<()>,
    /// Held while Telegram resolves a name (one resolution at a time).
    name_resolution: tokio::sync::Mutex<()>,
    /// The whole chat list, read once and shared for a minute (see `dialog_cache`).
    dialog_cache: dialog_cache::DialogCache,
    /// The signed-in user as Telegram last showed them (the first contact asks; answers
    /// refresh it), so an answer naming them needs no `users.getUsers`.
    me: Arc<std::sync::Mutex<Option<grammers_tl_types::enums::User>>>,
    /// Why Telegram last said the session is not signed in (e.g. `AUTH_KEY_DUPLICATED`), so
    /// every later call explains it too, not only the one that met it.
    unauthorized_why: std::sync::Mutex<Option<String>>,
    /// Whether the server offers the `sign_in` tool (not when `TOOLS` leaves it out): advice
    /// never names a tool the model cannot call.
    sign_in_offered: AtomicBool,
}

impl Telegram {
    /// Opens the session (`session/` detects its kind and imports a Telethon one), builds the
    /// client and starts connecting in the background. Never waits for the network. Flood
    /// waits up to `flood_wait_max` are slept through (see [`retry::RetryOnce`]).
    pub async fn start(config: &Config, flood_wait_max: Duration) -> anyhow::Result<Telegram> {
        let telegram = Telegram::new(config, flood_wait_max);
        telegram.open().await?;
        Ok(telegram)
    }

    /// Opens the session file and starts connecting on it (in the background), or records
    /// that there is none. The state says which.
    async fn open(&self) -> anyhow::Result<()> {
        let config = &self.config;
        let opened = session::open_to_serve(&config.session.file(), &config.session.name).await?;
        let Some((session, standing)) = opened else {
            self.state.send_replace(LinkState::NoSession);
            return Ok(());
        };
        let session = Arc::new(session);
        // Without the table the server works as before, resolving names after each restart.
        let stored_names =
            session::names::PeerNames::open(&config.session.file(), session.file_gate())
                .await
                .inspect_err(|e| tracing::warn!("resolved names will not be kept: {e}"))
                .ok();
        let route = crate::proxy::Route::start(
            config.proxy.as_ref(),
            crate::proxy::datacenters::from_session(Arc::clone(&session)),
        )
        .await?;
        // A pool now, and a new one whenever its connection is found dead (see `liveness`).
        let pools = {
            let (api_id, session) = (self.config.api_id, Arc::clone(&session));
            let proxy_url = route.proxy_url();
            let flood_wait_max = self.flood_wait_max;
            move || {
                let retry = Box::new(RetryOnce::new(flood_wait_max));
                let params = connection_params(proxy_url.clone(), retry);
                SenderPool::with_configuration(Arc::clone(&session), api_id, params)
            }
        };
        let (link, runner) = liveness::Link::start(Box::new(pools));
        let initial = if standing.may_be_signed_in() {
            LinkState::Connecting
        } else {
            LinkState::Unauthorized
        };
        *self.runner.lock().unwrap_or_else(|e| e.into_inner()) = Some(runner);
        *self.served.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(Served {
            link: link.clone(),
            session: Arc::clone(&session),
            stored_names,
            route,
        }));
        self.state.send_replace(initial.clone());
        if initial == LinkState::Connecting {
            let (state, closing) = (self.state.clone(), Arc::clone(&self.closing));
            let me = Arc::clone(&self.me);
            let contact = first_contact(link.client(), session, state, closing, me);
            let task = tokio::spawn(link.watched(contact));
            *self.first_contact.lock().unwrap_or_else(|e| e.into_inner()) = Some(task);
        }
        Ok(())
    }

    /// Serves from the session file as it is now, after `install` put a newly signed-in one
    /// in place (see `setup::in_host`): the current connection is closed and the file let go
    /// first (`install` runs between), so nothing writes to the file it replaces. The state
    /// goes through `Connecting` to what the first contact finds; the caller holds the
    /// session lock throughout.
    pub async fn reopen(&self, install: impl FnOnce() -> anyhow::Result<()>) -> anyhow::Result<()> {
        self.close_connection().await;
        let old = self
            .served
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        drop(old);
        self.me.lock().unwrap_or_else(|e| e.into_inner()).take();
        self.unauthorized_why
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        install()?;
        self.open().await
    }

    /// The session file and client served from, if any.
    fn served(&self) -> Option<Arc<Served>> {
        self.served
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The session file served from, if any.
    fn session(&self) -> Option<Arc<ServedSession>> {
        self.served().map(|s| Arc::clone(&s.session))
    }

    /// The facade before the session is opened.
    fn new(config: &Config, flood_wait_max: Duration) -> Telegram {
        Telegram {
            served: Default::default(),
            config: config.clone(),
            flood_wait_max,
            state: watch::channel(LinkState::Connecting).0,
            runner: Default::default(),
            first_contact: Default::default(),
            closing: Default::default(),
            setup_command: setup_command(config),
            names: Default::default(),
            negative: Default::default(),
            id_scan: Default::default(),
            name_resolution: Default::default(),
            dialog_cache: Default::default(),
            unauthorized_why: Default::default(),
            sign_in_offered: Default::default(),
            me: Default::default(),
        }
    }

    pub fn state(&self) -> LinkState {
        self.state.borrow().clone()
    }

    pub fn subscribe(&self) -> watch::Receiver<LinkState> {
        self.state.subscribe()
    }

    /// The signed-in user's id, as the session file records it (no network).
    pub async fn user_id(&self) -> Option<i64> {
        let session = self.session()?;
        session::signed_in_user(&*session).await.map(|(id, _)| id)
    }

    /// SQLite statements that read the session file and transactions that wrote it, since
    /// start: what the memory in front of the file (`session::cached`) did not spare.
    pub fn sqlite_use(&self) -> (u64, u64) {
        let Some(served) = self.served() else {
            return (0, 0);
        };
        let counted = [
            Some(served.session.usage().totals()),
            served.stored_names.as_ref().map(|n| n.usage().totals()),
        ];
        counted
            .into_iter()
            .flatten()
            .fold((0, 0), |(r, w), (reads, writes)| (r + reads, w + writes))
    }

    /// The settings the session was opened with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Who the session is signed in as, asked of Telegram (`users.getUsers([self])`): a
    /// session revoked elsewhere answers `NotSignedIn` here, whatever the state said.
    pub async fn signed_in_as(&self) -> Result<Option<types::ChatInfo>, TelegramError> {
        let users = self
            .invoke(&grammers_tl_types::functions::users::GetUsers {
                id: vec![grammers_tl_types::enums::InputUser::UserSelf],
            })
            .await?;
        self.remember(&users, &[]).await;
        Ok(users.first().and_then(convert::user))
    }

    /// Says the server offers the `sign_in` tool, so advice names it.
    pub fn offer_sign_in(&self) {
        self.sign_in_offered.store(true, Ordering::Relaxed);
    }

    /// How to sign this session in, for error messages: the `sign_in` tool where the server
    /// offers it, and setup.
    pub fn sign_in_hint(&self) -> String {
        if self.sign_in_offered.load(Ordering::Relaxed) {
            format!(
                "sign in with the sign_in tool (a QR code to scan) or run `{}` in a terminal",
                self.setup_command
            )
        } else {
            format!("run `{}` in a terminal", self.setup_command)
        }
    }

    /// The command that signs this session in, for error messages.
    pub fn setup_command(&self) -> &str {
        &self.setup_command
    }

    /// The client, once it is usable: waits briefly for the first contact, and answers at
    /// once when the session cannot work (no file, not signed in).
    pub async fn client(&self) -> Result<Client, TelegramError> {
        let mut rx = self.state.subscribe();
        let settled = tokio::time::timeout(
            FIRST_CONTACT_WAIT,
            rx.wait_for(|s| *s != LinkState::Connecting),
        )
        .await;
        let state = match settled {
            Ok(Ok(state)) => state.clone(),
            _ => {
                let still = TelegramError::Unreachable("still connecting".into());
                return Err(self.with_proxy_failure(still));
            }
        };
        match (state, self.served()) {
            (LinkState::NoSession, _) | (_, None) => Err(TelegramError::NotSignedIn(format!(
                "no Telegram session yet: {}",
                self.sign_in_hint()
            ))),
            (LinkState::Unauthorized, _) => {
                let why = self.unauthorized_why.lock().expect("not poisoned").clone();
                Err(TelegramError::NotSignedIn(why.unwrap_or_else(|| {
                    format!(
                        "the Telegram session is not signed in: {}",
                        self.sign_in_hint()
                    )
                })))
            }
            (_, Some(served)) => Ok(served.link.client()),
        }
    }

    /// Sends one request, within [`REQUEST_TIMEOUT`] (a dead connection is found and dropped
    /// sooner, see [`liveness`]), and records what it taught about the connection.
    pub async fn invoke<R: grammers_tl_types::RemoteCall>(
        &self,
        request: &R,
    ) -> Result<R::Return, TelegramError> {
        self.send_on_link(|client, session| async move {
            migrate::invoke(&client, Some(&session), request).await
        })
        .await
    }

    /// [`invoke`](Self::invoke) in DC `dc` (a file's), following a `FILE_MIGRATE_X` and
    /// signing the session in there first when needed; answers with the DC that answered.
    pub async fn invoke_in_dc<R: grammers_tl_types::RemoteCall>(
        &self,
        dc: i32,
        request: &R,
    ) -> Result<(R::Return, i32), TelegramError> {
        self.send_on_link(|client, session| async move {
            migrate::invoke_at(&client, &session, dc, request).await
        })
        .await
    }

    /// Sends with `send` on the served link, within [`REQUEST_TIMEOUT`], and records what it
    /// taught about the connection.
    async fn send_on_link<T, F, Fut>(&self, send: F) -> Result<T, TelegramError>
    where
        F: FnOnce(Client, Arc<ServedSession>) -> Fut,
        Fut: std::future::Future<Output = Result<T, InvocationError>>,
    {
        self.client().await?;
        // client() answers Ok only with a session served (a sign-in may replace it since).
        let served = self
            .served()
            .ok_or_else(|| TelegramError::Unreachable("the session is being replaced".into()))?;
        let session = Arc::clone(&served.session);
        let sent = served
            .link
            .invoke(REQUEST_TIMEOUT, |client| send(client, session));
        let result = match sent.await {
            Ok(answer) => answer.map_err(|e| match TelegramError::from(e) {
                // Logged out elsewhere while serving: say how to sign in again.
                TelegramError::NotSignedIn(why) => {
                    TelegramError::NotSignedIn(format!("{why}: {}", self.sign_in_hint()))
                }
                other => other,
            }),
            Err(_) => Err(TelegramError::Timeout(REQUEST_TIMEOUT.as_secs())),
        };
        let result = result.map_err(|e| self.with_proxy_failure(e));
        self.observe(&result);
        result
    }

    /// A connection failure told by what the MTProto proxy's relay saw, when it saw one
    /// (a refused connection, a wrong secret): grammers only knows the relay hung up.
    fn with_proxy_failure(&self, error: TelegramError) -> TelegramError {
        let failure = self.served().and_then(|s| s.route.last_failure());
        match (&error, failure) {
            (TelegramError::Unreachable(_) | TelegramError::Timeout(_), Some(why)) => {
                TelegramError::Unreachable(why)
            }
            _ => error,
        }
    }

    /// Records what a call taught about the connection.
    pub fn observe<T>(&self, result: &Result<T, TelegramError>) {
        if self.closing.load(Ordering::SeqCst) {
            // Calls cut short by the shutdown teach nothing about Telegram.
            return;
        }
        let next = match result {
            Ok(_) => {
                self.unauthorized_why.lock().expect("not poisoned").take();
                LinkState::Connected
            }
            Err(TelegramError::NotSignedIn(why)) => {
                *self.unauthorized_why.lock().expect("not poisoned") = Some(why.clone());
                LinkState::Unauthorized
            }
            Err(TelegramError::Unreachable(_) | TelegramError::Timeout(_)) => LinkState::Offline,
            Err(_) => return,
        };
        self.state.send_if_modified(|s| {
            // Losing a connection that worked is a reconnection, not a first failure.
            let next = match (&*s, next) {
                (LinkState::Connected | LinkState::Reconnecting, LinkState::Offline) => {
                    LinkState::Reconnecting
                }
                (_, next) => next,
            };
            let changed = *s != next && *s != LinkState::NoSession;
            if changed {
                if matches!(next, LinkState::Connected) {
                    tracing::info!(from = ?s, to = ?next, "connection state changed");
                } else {
                    tracing::warn!(from = ?s, to = ?next, "connection state changed");
                }
                *s = next;
            }
            changed
        });
    }

    /// Closes the connection. Shutting down is not an outage: what fails from here on (the
    /// first contact, calls in flight) changes no state and warns of nothing.
    pub async fn shutdown(&self) {
        self.closing.store(true, Ordering::SeqCst);
        self.close_connection().await;
    }

    /// Ends the first contact and the connection, and waits (briefly) for the runner.
    async fn close_connection(&self) {
        let first_contact = self
            .first_contact
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(task) = first_contact {
            task.abort();
        }
        if let Some(served) = self.served() {
            served.link.disconnect();
        }
        let runner = self.runner.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(runner) = runner {
            let _ = tokio::time::timeout(Duration::from_secs(2), runner).await;
        }
    }
}

/// The first contact: checks the session is signed in and records who it belongs to (a
/// session imported from Telethon does not know its user yet, nor one whose first contact
/// after the import never finished: its key is tried here, not taken for signed out).
async fn first_contact(
    client: Client,
    session: Arc<ServedSession>,
    state: watch::Sender<LinkState>,
    closing: Arc<AtomicBool>,
    profile: Arc<std::sync::Mutex<Option<grammers_tl_types::enums::User>>>,
) {
    // `get_me`, through the migration hook: a session whose account moved to another DC
    // follows it here already, not only at the first tool call.
    let asked = grammers_tl_types::functions::users::GetUsers {
        id: vec![grammers_tl_types::enums::InputUser::UserSelf],
    };
    let answer = migrate::invoke(&client, Some(&session), &asked)
        .await
        .and_then(|mut users| match users.pop() {
            Some(me) if users.is_empty() => {
                *profile.lock().unwrap_or_else(|e| e.into_inner()) = Some(me.clone());
                Ok(grammers_client::peer::User::from_raw(&client, me))
            }
            _ => Err(InvocationError::Dropped(
                "users.getUsers([self]) answered no single user",
            )),
        });
    if closing.load(Ordering::SeqCst) {
        tracing::debug!("the first contact was ended by the shutdown");
        return;
    }
    let outcome = match answer {
        Ok(me) => {
            let id = me.id().bare_id_unchecked();
            if let Some(hash) = me.to_ref().await.ok().flatten().map(|r| r.auth.hash()) {
                let recorded = session::record_self(&*session, id, Some(hash), me.is_bot()).await;
                if let Err(e) = recorded {
                    tracing::warn!("{e}");
                }
            }
            tracing::debug!(user_id = id, "connected to Telegram");
            LinkState::Connected
        }
        Err(e) => match TelegramError::from(e) {
            TelegramError::NotSignedIn(why) => {
                tracing::warn!("{why}");
                LinkState::Unauthorized
            }
            other => {
                tracing::warn!("cannot reach Telegram: {other}");
                LinkState::Offline
            }
        },
    };
    state.send_if_modified(|s| {
        let changed = *s == LinkState::Connecting;
        if changed {
            *s = outcome;
        }
        changed
    });
}

fn setup_command(config: &Config) -> String {
    let mut command = String::from("fast-mcp-telegram setup");
    if config.session.name != crate::config::DEFAULT_SESSION_NAME {
        command.push_str(&format!(" --session-name {}", config.session.name));
    }
    command
}
