//! Datacenter moves while serving. Telegram answers `303 SEE_OTHER` when a request must be
//! repeated in another datacenter (DC); grammers follows that only when signing in and for
//! downloads, so every other request would fail for good. Here:
//!
//! - `USER_MIGRATE_X` (and `PHONE_MIGRATE_X`): the account lives in DC X. X becomes the home
//!   DC, written to the session file at once (the next start goes straight there), and the
//!   request is sent again, there.
//! - any other `*_MIGRATE_X` (`NETWORK_MIGRATE_X`: this network is served by X; `STATS_`,
//!   `FILE_MIGRATE_X`): this request only is sent again, to X; the home DC stays.
//!
//! The key of the other DC may not be signed in yet (Telegram keeps an authorization per DC).
//! When the repeat answers 401, the authorization is copied — `auth.exportAuthorization` on
//! the DC that redirected (which knows the user), `auth.importAuthorization` on X — and the
//! request is sent once more. One redirection is followed per request; a second comes back
//! as the error it is. A send keeps its `random_id` through all of it, so it is never posted
//! twice.

use grammers_client::sender::RpcError;
use grammers_client::{Client, InvocationError};
use grammers_session::Session;
use grammers_tl_types as tl;

use crate::session::ServedSession;

/// Where a `303` sends a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redirect {
    /// The account lives in this DC: it becomes the home DC.
    Home(i32),
    /// This request goes to this DC; the home DC stays.
    Once(i32),
}

impl Redirect {
    /// The DC the request goes to.
    pub fn dc(self) -> i32 {
        match self {
            Redirect::Home(dc) | Redirect::Once(dc) => dc,
        }
    }
}

/// The redirection an error asks for, if it is one.
pub fn redirect(error: &RpcError) -> Option<Redirect> {
    if error.code != 303 || !error.name.ends_with("_MIGRATE") {
        return None;
    }
    let dc = i32::try_from(error.value?).ok().filter(|dc| *dc > 0)?;
    Some(match error.name.as_str() {
        "USER_MIGRATE" | "PHONE_MIGRATE" => Redirect::Home(dc),
        _ => Redirect::Once(dc),
    })
}

/// Sends `request` to the home DC, following a datacenter redirection (see the module
/// documentation). Without a session (nothing to move) it is a plain `invoke`.
pub async fn invoke<R: tl::RemoteCall>(
    client: &Client,
    session: Option<&ServedSession>,
    request: &R,
) -> Result<R::Return, InvocationError> {
    let Some(session) = session else {
        return client.invoke(request).await;
    };
    let from = session
        .home_dc_id()
        .map_err(|e| InvocationError::Session(Box::new(e)))?;
    let answer = client.invoke_in_dc(from, request).await;
    let to = match &answer {
        Err(InvocationError::Rpc(e)) => match redirect(e) {
            Some(to) => to,
            None => return answer,
        },
        _ => return answer,
    };
    follow(client, session, from, to, request).await
}

async fn follow<R: tl::RemoteCall>(
    client: &Client,
    session: &ServedSession,
    from: i32,
    to: Redirect,
    request: &R,
) -> Result<R::Return, InvocationError> {
    let dc = match to {
        Redirect::Home(dc) => {
            if session.home_dc_id().ok() != Some(dc) {
                session
                    .set_home_dc_id(dc)
                    .await
                    .map_err(|e| InvocationError::Session(Box::new(e)))?;
                tracing::info!(
                    from,
                    to = dc,
                    "the account lives in another datacenter; moved there"
                );
            }
            dc
        }
        Redirect::Once(dc) => {
            tracing::info!(
                from,
                to = dc,
                "Telegram sent a request to another datacenter"
            );
            dc
        }
    };
    if dc == from {
        // Nothing to move to (a repeat would only be told the same).
        return client.invoke_in_dc(dc, request).await;
    }
    match client.invoke_in_dc(dc, request).await {
        Err(InvocationError::Rpc(e)) if e.code == 401 => {
            tracing::info!(dc, "signing the session in on datacenter {dc}");
            copy_authorization(client, from, dc).await?;
            client.invoke_in_dc(dc, request).await
        }
        other => other,
    }
}

/// Sends `request` to DC `dc` (a file's), following one `*_MIGRATE_X` that sends it
/// elsewhere (`FILE_MIGRATE_X`: the file lives in X) and copying the authorization to a DC
/// that answers 401; answers with the DC that answered, where the next parts go.
pub async fn invoke_at<R: tl::RemoteCall>(
    client: &Client,
    session: &ServedSession,
    dc: i32,
    request: &R,
) -> Result<(R::Return, i32), InvocationError> {
    let home = session
        .home_dc_id()
        .map_err(|e| InvocationError::Session(Box::new(e)))?;
    let (mut dc, mut moved, mut copied) = (dc, false, false);
    loop {
        match client.invoke_in_dc(dc, request).await {
            Err(InvocationError::Rpc(e)) if e.code == 401 && dc != home && !copied => {
                tracing::info!(dc, "signing the session in on datacenter {dc}");
                copy_authorization(client, home, dc).await?;
                copied = true;
            }
            Err(InvocationError::Rpc(e))
                if !moved && redirect(&e).is_some_and(|to| to.dc() != dc) =>
            {
                let to = redirect(&e).map_or(dc, Redirect::dc);
                tracing::info!(
                    from = dc,
                    to,
                    "Telegram sent a request to another datacenter"
                );
                (dc, moved, copied) = (to, true, false);
            }
            other => return other.map(|answer| (answer, dc)),
        }
    }
}

/// Signs the session in on DC `to` with the authorization DC `from` holds.
async fn copy_authorization(client: &Client, from: i32, to: i32) -> Result<(), InvocationError> {
    let tl::enums::auth::ExportedAuthorization::Authorization(exported) = client
        .invoke_in_dc(
            from,
            &tl::functions::auth::ExportAuthorization { dc_id: to },
        )
        .await?;
    client
        .invoke_in_dc(
            to,
            &tl::functions::auth::ImportAuthorization {
                id: exported.id,
                bytes: exported.bytes,
            },
        )
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(code: i32, name: &str, value: Option<u32>) -> RpcError {
        RpcError {
            code,
            name: name.into(),
            value,
            caused_by: None,
        }
    }

    #[test]
    fn the_account_moving_changes_the_home_dc() {
        assert_eq!(
            redirect(&error(303, "USER_MIGRATE", Some(4))),
            Some(Redirect::Home(4))
        );
        assert_eq!(
            redirect(&error(303, "PHONE_MIGRATE", Some(5))),
            Some(Redirect::Home(5))
        );
    }

    #[test]
    fn other_redirections_are_for_one_request() {
        assert_eq!(
            redirect(&error(303, "NETWORK_MIGRATE", Some(4))),
            Some(Redirect::Once(4))
        );
        assert_eq!(
            redirect(&error(303, "STATS_MIGRATE", Some(1))),
            Some(Redirect::Once(1))
        );
    }

    #[test]
    fn anything_else_is_no_redirection() {
        assert_eq!(redirect(&error(303, "USER_MIGRATE", None)), None);
        assert_eq!(redirect(&error(303, "USER_MIGRATE", Some(0))), None);
        assert_eq!(redirect(&error(400, "USER_MIGRATE", Some(4))), None);
        assert_eq!(redirect(&error(303, "SOMETHING_ELSE", Some(4))), None);
        assert_eq!(redirect(&error(420, "FLOOD_WAIT", Some(4))), None);
    }
}
