//! The staging file a login happens in (`<name>.session.setup`, beside the session), the
//! client connected on it, and its installation: only a completed login renames it over the
//! session file (atomic, owner-only), so a failure, a wrong code or a crash never leaves a
//! half-written or signed-out session behind. Setup and the `sign_in` tool both sign in here;
//! both hold the session lock throughout.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, anyhow};
use grammers_client::Client;
use grammers_client::sender::{SenderPool, SenderPoolHandle};
use grammers_session::Session;
use grammers_session::storages::SqliteSession;
use grammers_session::updates::UpdatesLike;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::qr;
use crate::config::Config;
use crate::session;

/// A client connected on a fresh staging file.
pub struct Staged {
    pub session: Arc<SqliteSession>,
    pub client: Client,
    handle: SenderPoolHandle,
    /// Telegram's updates, which only a QR login reads (its word that the code was scanned).
    pub updates: Option<mpsc::Receiver<UpdatesLike>>,
    runner: JoinHandle<()>,
    /// How the client reaches Telegram (the relay to an MTProto proxy lives as long as this).
    route: crate::proxy::Route,
}

impl Staged {
    /// Starts a staging file at `staging` (a leftover one is removed first), with the DC
    /// addresses and keys of the session at `current` if there is one, so re-authorising keeps
    /// the same connection settings; and connects a client on it.
    pub async fn open(config: &Config, current: &Path, staging: &Path) -> anyhow::Result<Staged> {
        discard(staging);
        let session = Arc::new(prepare(current, staging).await?);
        let route = crate::proxy::Route::start(
            config.proxy.as_ref(),
            crate::proxy::datacenters::from_session(Arc::clone(&session)),
        )
        .await?;
        let params = crate::telegram::connection_params(
            route.proxy_url(),
            Box::new(grammers_client::sender::AutoSleep::default()),
        );
        let pool = SenderPool::with_configuration(Arc::clone(&session), config.api_id, params);
        let handle = pool.handle.thin.clone();
        let client = Client::new(pool.handle);
        let runner = tokio::spawn(pool.runner.run());
        Ok(Staged {
            session,
            client,
            handle,
            updates: Some(pool.updates),
            runner,
            route,
        })
    }

    /// What a QR login on this client works with.
    pub fn qr<'a>(&'a self, config: &'a Config) -> qr::Login<'a> {
        qr::Login {
            client: &self.client,
            handle: &self.handle,
            session: &self.session,
            config,
        }
    }

    /// Disconnects and lets the staging file go (to be installed or discarded). Answers why
    /// the MTProto proxy failed last, if it did and nothing worked since: grammers only saw
    /// the relay hang up, the relay knows why.
    pub async fn close(self) -> Option<String> {
        self.client.disconnect();
        let _ = self.runner.await;
        self.route.last_failure()
    }
}

/// Copies the DC addresses and keys of the current session (if any) into the staging file.
async fn prepare(current: &Path, staging: &Path) -> anyhow::Result<SqliteSession> {
    let fresh = session::open(staging).await?;
    if current.exists() {
        let old = session::open(current).await?;
        for dc_id in 1..=5 {
            if let Ok(Some(option)) = old.dc_option(dc_id)
                && option.auth_key.is_some()
            {
                fresh
                    .set_dc_option(&option)
                    .await
                    .map_err(|e| anyhow!("{e}"))?;
            }
        }
        let home = old.home_dc_id().map_err(|e| anyhow!("{e}"))?;
        fresh
            .set_home_dc_id(home)
            .await
            .map_err(|e| anyhow!("{e}"))?;
    }
    Ok(fresh)
}

/// Puts the signed-in staging file in place of the session at `path`: one atomic rename,
/// then owner-only permissions.
pub fn install(staging: &Path, path: &Path) -> anyhow::Result<()> {
    std::fs::rename(staging, path)
        .with_context(|| format!("cannot install the new session at {}", path.display()))?;
    session::restrict_file(path)?;
    Ok(())
}

/// Removes a staging file a login did not complete in (if there is one).
pub fn discard(staging: &Path) {
    let _ = std::fs::remove_file(staging);
}

/// Where the staging file of the session `config` names is.
pub fn path(config: &Config) -> PathBuf {
    config.session.sibling(".setup")
}
