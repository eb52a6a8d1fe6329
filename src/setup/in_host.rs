//! Signing the server's own session in from the MCP host (the `sign_in` tool), for a user who
//! never opens a terminal. It is setup's QR login ([`qr::wait_for_scan`]) in setup's staging
//! file ([`staging`]), run by the server, which holds the session lock already: a login
//! attempt runs in the background between tool calls (a code is scanned on a phone while the
//! model waits for the user), publishes its codes for the tool to answer as images
//! ([`HostLogin::next`]), renews them as they expire and follows the account to its DC.
//! Once scanned, the staging file is installed over the session exactly as setup installs it
//! (atomic rename, owner-only) and the facade serves from it at once ([`Telegram::reopen`]):
//! no restart.
//!
//! An account with a 2FA password is not signed in here: the password would pass through the
//! model. The attempt ends with [`Next::PasswordNeeded`], its staging file discarded, the
//! session file untouched.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::{Mutex, watch};
use tokio::task::JoinHandle;

use super::qr::{self, Scanned, ShowCode};
use super::{remember_self, staging};
use crate::telegram::Telegram;

/// How long one attempt shows codes before it gives up (setup's default too).
pub const ATTEMPT_TIMEOUT: Duration = qr::DEFAULT_TIMEOUT;

/// Where a login attempt stands.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Status {
    /// Connecting, asking Telegram for the first code.
    Starting,
    /// A code to scan.
    Code(Code),
    /// Signed in; the server serves from the new session.
    SignedIn,
    /// Scanned, but the account has a 2FA password: nothing was signed in.
    PasswordNeeded,
    /// The attempt failed (worded for the user; no token, code or password in it).
    Failed(String),
}

/// A login code to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code {
    /// `tg://login?token=…`, what the QR code encodes.
    pub url: String,
    pub expires_at: SystemTime,
}

/// The server's login attempts, one at a time.
pub struct HostLogin {
    telegram: Arc<Telegram>,
    current: Mutex<Option<Attempt>>,
}

struct Attempt {
    id: u64,
    status: watch::Receiver<Status>,
    task: JoinHandle<()>,
    /// The code last handed to a caller (the next call waits for news instead).
    handed_out: Option<String>,
}

impl Drop for Attempt {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// An attempt as a tool call follows it.
struct Following {
    id: u64,
    status: watch::Receiver<Status>,
}

/// What a call following the login learns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// A code no caller was given yet (the first, or one renewed).
    NewCode(Code),
    /// Nothing new before the deadline: the code handed out already, if there is one.
    Unchanged(Option<Code>),
    /// Signed in; the server serves from the new session.
    SignedIn,
    /// Scanned, but the account has a 2FA password: nothing was signed in.
    PasswordNeeded,
    /// The attempt failed (worded for the user); the next call starts a new one.
    Failed(String),
}

impl HostLogin {
    pub fn new(telegram: Arc<Telegram>) -> Self {
        Self {
            telegram,
            current: Mutex::new(None),
        }
    }

    /// Follows the login under way (started if there is none) until there is news for the
    /// caller, or `deadline`. An attempt's end is told once: the next call starts anew.
    pub async fn next(&self, deadline: tokio::time::Instant) -> Next {
        let mut following = self.follow().await;
        loop {
            let status = following.status.borrow_and_update().clone();
            let news = match status {
                Status::Starting => None,
                Status::Code(code) => self
                    .hand_out(following.id, &code)
                    .await
                    .then_some(Next::NewCode(code)),
                Status::SignedIn => Some(Next::SignedIn),
                Status::PasswordNeeded => Some(Next::PasswordNeeded),
                Status::Failed(why) => Some(Next::Failed(why)),
            };
            if let Some(news) = news {
                if !matches!(news, Next::NewCode(_)) {
                    self.forget(following.id).await;
                }
                return news;
            }
            tokio::select! {
                changed = following.status.changed() => {
                    if changed.is_err() {
                        self.forget(following.id).await;
                        return Next::Failed("the login attempt ended unexpectedly; call \
                            sign_in again".into());
                    }
                }
                _ = tokio::time::sleep_until(deadline) => {
                    return Next::Unchanged(match &*following.status.borrow() {
                        Status::Code(code) => Some(code.clone()),
                        _ => None,
                    });
                }
            }
        }
    }

    /// The attempt under way, started if there is none.
    async fn follow(&self) -> Following {
        let mut current = self.current.lock().await;
        let attempt = match current.as_mut() {
            Some(attempt) => attempt,
            None => {
                let id = next_id();
                let (publish, status) = watch::channel(Status::Starting);
                let task = tokio::spawn(attempt(Arc::clone(&self.telegram), publish));
                current.insert(Attempt {
                    id,
                    status,
                    task,
                    handed_out: None,
                })
            }
        };
        Following {
            id: attempt.id,
            status: attempt.status.clone(),
        }
    }

    /// Whether `code` of attempt `id` is news to the callers (and from now on, it is not).
    async fn hand_out(&self, id: u64, code: &Code) -> bool {
        let mut current = self.current.lock().await;
        match current.as_mut() {
            Some(attempt) if attempt.id == id && attempt.handed_out.as_ref() != Some(&code.url) => {
                attempt.handed_out = Some(code.url.clone());
                true
            }
            _ => false,
        }
    }

    /// Forgets attempt `id`, once its end was told: the next call starts anew.
    async fn forget(&self, id: u64) {
        let mut current = self.current.lock().await;
        if current.as_ref().is_some_and(|a| a.id == id) {
            current.take();
        }
    }
}

fn next_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// Codes shown by publishing them.
struct Publish<'a>(&'a watch::Sender<Status>);

impl ShowCode for Publish<'_> {
    fn show(&self, token: &[u8], lifetime: Duration, _renewed: bool) -> anyhow::Result<()> {
        self.0.send_replace(Status::Code(Code {
            url: qr::login_url(token),
            expires_at: SystemTime::now() + lifetime,
        }));
        Ok(())
    }
}

/// One attempt, start to end: the QR login in a staging file, installed when it succeeds.
async fn attempt(telegram: Arc<Telegram>, publish: watch::Sender<Status>) {
    let config = telegram.config().clone();
    let (path, staging_path) = (config.session.file(), staging::path(&config));
    let signed_in = async {
        let mut staged = staging::Staged::open(&config, &path, &staging_path).await?;
        let updates = staged.updates.take();
        let display = Publish(&publish);
        let waiting = qr::wait_for_scan(staged.qr(&config), updates, &display);
        let outcome = match tokio::time::timeout(ATTEMPT_TIMEOUT, waiting).await {
            Ok(Ok(Scanned::SignedIn(user))) => {
                remember_self(&staged.session, *user).await.map(Some)
            }
            Ok(Ok(Scanned::PasswordNeeded)) => Ok(None),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(anyhow::anyhow!(
                "the QR code was not scanned within {} minutes; call sign_in again for a new one",
                ATTEMPT_TIMEOUT.as_secs() / 60
            )),
        };
        staged.close().await;
        outcome
    }
    .await;
    let status = match signed_in {
        Ok(Some(_)) => {
            let installed = telegram
                .reopen(|| staging::install(&staging_path, &path))
                .await;
            match installed {
                Ok(()) => Status::SignedIn,
                Err(e) => {
                    staging::discard(&staging_path);
                    Status::Failed(format!("{e:#}"))
                }
            }
        }
        Ok(None) => {
            staging::discard(&staging_path);
            Status::PasswordNeeded
        }
        Err(e) => {
            staging::discard(&staging_path);
            Status::Failed(format!("{e:#}"))
        }
    };
    tracing::info!(outcome = ?status, "sign-in from the host ended");
    publish.send_replace(status);
}
