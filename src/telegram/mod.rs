//! The facade over grammers: one client on one session, connected in the background so the
//! MCP handshake never waits for Telegram, with a connection state every tool consults.

pub mod chat_ref;
pub mod chats;
pub mod convert;
pub mod error;
pub mod messages;
pub mod peers;
pub mod search;
pub mod send;
pub mod types;

use std::sync::Arc;
use std::time::Duration;

use grammers_client::Client;
use grammers_client::sender::{ConnectionParams, SenderPool};
use grammers_session::Session;
use grammers_session::storages::SqliteSession;
use grammers_session::types::{PeerAuth, PeerInfo};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use error::TelegramError;

use crate::config::Config;
use crate::session::{self, SessionKind};

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

pub struct Telegram {
    client: Option<Client>,
    session: Option<Arc<SqliteSession>>,
    state: watch::Sender<LinkState>,
    runner: std::sync::Mutex<Option<JoinHandle<()>>>,
    setup_command: String,
}

impl Telegram {
    /// Opens the session (importing a Telethon one), builds the client and starts connecting
    /// in the background. Never waits for the network.
    pub async fn start(config: &Config) -> anyhow::Result<Telegram> {
        let path = config.session.file();
        let setup_command = setup_command(config);
        let mut imported = false;
        match session::detect(&path).await? {
            SessionKind::Missing => {
                tracing::warn!(session = %config.session.name, "no session file; run setup to sign in");
                return Ok(Telegram {
                    client: None,
                    session: None,
                    state: watch::channel(LinkState::NoSession).0,
                    runner: Default::default(),
                    setup_command,
                });
            }
            SessionKind::Telethon => {
                let backup = session::telethon::import(&path).await?;
                tracing::info!(backup = %backup.display(), "imported the Python server's session");
                imported = true;
            }
            SessionKind::Unknown => anyhow::bail!(
                "{} is not a session file this server understands; move it away or pick \
                 another SESSION_NAME",
                path.display()
            ),
            SessionKind::Grammers => {}
        }
        let session = Arc::new(session::open(&path).await?);
        let signed_in = session::signed_in_user(&session).await.is_some();
        let params = ConnectionParams {
            device_model: "fast-mcp-telegram".into(),
            app_version: env!("CARGO_PKG_VERSION").into(),
            proxy_url: config.proxy.clone(),
            ..Default::default()
        };
        let pool = SenderPool::with_configuration(Arc::clone(&session), config.api_id, params);
        let client = Client::new(pool.handle);
        let runner = tokio::spawn(pool.runner.run());
        let initial = if signed_in || imported {
            LinkState::Connecting
        } else {
            LinkState::Unauthorized
        };
        let (state, _) = watch::channel(initial.clone());
        let telegram = Telegram {
            client: Some(client.clone()),
            session: Some(Arc::clone(&session)),
            state,
            runner: std::sync::Mutex::new(Some(runner)),
            setup_command,
        };
        if initial == LinkState::Connecting {
            let state = telegram.state.clone();
            tokio::spawn(first_contact(client, session, state));
        }
        Ok(telegram)
    }

    pub fn state(&self) -> LinkState {
        self.state.borrow().clone()
    }

    pub fn subscribe(&self) -> watch::Receiver<LinkState> {
        self.state.subscribe()
    }

    /// The signed-in user's id, as the session file records it (no network).
    pub async fn user_id(&self) -> Option<i64> {
        let session = self.session.as_ref()?;
        session::signed_in_user(session).await.map(|(id, _)| id)
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
            _ => return Err(TelegramError::Unreachable("still connecting".into())),
        };
        match (state, &self.client) {
            (LinkState::NoSession, _) | (_, None) => Err(TelegramError::NotSignedIn(format!(
                "no Telegram session yet: run `{}`",
                self.setup_command
            ))),
            (LinkState::Unauthorized, _) => Err(TelegramError::NotSignedIn(format!(
                "the Telegram session is not signed in: run `{}`",
                self.setup_command
            ))),
            (_, Some(client)) => Ok(client.clone()),
        }
    }

    /// Sends one request, within [`REQUEST_TIMEOUT`], and records what it taught about the
    /// connection.
    pub async fn invoke<R: grammers_tl_types::RemoteCall>(
        &self,
        request: &R,
    ) -> Result<R::Return, TelegramError> {
        let client = self.client().await?;
        let result = match tokio::time::timeout(REQUEST_TIMEOUT, client.invoke(request)).await {
            Ok(answer) => answer.map_err(TelegramError::from),
            Err(_) => Err(TelegramError::Timeout(REQUEST_TIMEOUT.as_secs())),
        };
        self.observe(&result);
        result
    }

    /// Records what a call taught about the connection.
    pub fn observe<T>(&self, result: &Result<T, TelegramError>) {
        let next = match result {
            Ok(_) => LinkState::Connected,
            Err(TelegramError::NotSignedIn(_)) => LinkState::Unauthorized,
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
                tracing::info!(from = ?s, to = ?next, "connection state changed");
                *s = next;
            }
            changed
        });
    }

    /// Closes the connection.
    pub async fn shutdown(&self) {
        if let Some(client) = &self.client {
            client.disconnect();
        }
        let runner = self.runner.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(runner) = runner {
            let _ = tokio::time::timeout(Duration::from_secs(2), runner).await;
        }
    }
}

/// The first contact: checks the session is signed in and records who it belongs to (a
/// session imported from Telethon does not know its user yet).
async fn first_contact(
    client: Client,
    session: Arc<SqliteSession>,
    state: watch::Sender<LinkState>,
) {
    let outcome = match client.get_me().await {
        Ok(me) => {
            let id = me.id().bare_id_unchecked();
            if let Some(hash) = me.to_ref().await.ok().flatten().map(|r| r.auth.hash()) {
                let _ = session
                    .cache_peer(PeerInfo::User {
                        id,
                        auth: Some(PeerAuth::from_hash(hash)),
                        bot: Some(me.is_bot()),
                        is_self: Some(true),
                    })
                    .await;
            }
            tracing::info!(user_id = id, "connected to Telegram");
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
