//! Signing in by QR code, as Telegram documents it (core.telegram.org/api/qr-login) and its
//! apps do: `auth.exportLoginToken` gives a token, shown as a `tg://login?token=…` QR code that
//! the Telegram app on a phone scans (Settings → Devices → Link Desktop Device). Setup then
//! waits: Telegram pushes `updateLoginToken` once the code was accepted, and only then is the
//! token exported again, which answers `auth.loginTokenSuccess` — or
//! `auth.loginTokenMigrateTo` when the account lives in another DC, which then becomes the
//! session's home DC and completes the login with `auth.importLoginToken`. A `303 *_MIGRATE_X`
//! answer (Telegram sending the login to DC X) moves there too, and the login goes on. A 2FA
//! account then needs its password.
//!
//! The update comes through grammers' raw update channel (`SenderPool::updates`); nothing else
//! is read from it. A token is also exported again when it expires (a new code is drawn), and
//! at once when the connection drops (the update may have been lost with it), so a lost
//! update costs at most one token's lifetime, never the login. Each token costs one export:
//! no polling.
//!
//! The waiting ([`wait_for_scan`]) is shared with the `sign_in` tool (`in_host`), which shows
//! the codes to the MCP host as images instead.
//!
//! On a terminal the code is drawn with Unicode half blocks, two modules per character cell, *inverted*:
//! light modules (and the quiet zone) are block characters in the foreground colour, dark
//! modules are spaces showing the background. On a terminal the lines are also given explicit
//! colours, bright white on black, so the code is dark-on-light whatever the theme; without
//! colours (`NO_COLOR`, `TERM=dumb`, or no terminal with `--qr`) it is right on dark themes
//! and a negative on light ones, which many scanners still read — and the link is printed
//! as text underneath in every case.

use std::io::IsTerminal;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use grammers_client::sender::SenderPoolHandle;
use grammers_client::{Client, InvocationError};
use grammers_session::Session;
use grammers_session::storages::SqliteSession;
use grammers_session::updates::UpdatesLike;
use grammers_tl_types as tl;
use qrcode::{Color, EcLevel, QrCode};
use tokio::sync::mpsc;

use super::prompt::Prompter;
use super::{SignedIn, check_password, explain, remember_self};
use crate::config::Config;
use crate::telegram::migrate::{Redirect, redirect};
use crate::telegram::retry::is_dropped_connection;

/// How long setup waits for the code to be scanned unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);
/// How long a token lives when its `expires` cannot be trusted (a clock far off the
/// server's): Telegram's tokens live 30 seconds.
const TOKEN_LIFETIME: Duration = Duration::from_secs(30);
/// The longest lifetime taken from a token's `expires`; beyond it the local clock is off.
const MAX_TOKEN_LIFETIME: i64 = 300;
/// Pause before asking again after a token was refused as expired.
const RETRY_PAUSE: Duration = Duration::from_secs(1);
/// Light modules drawn around the code (scanners need a margin to find it).
const QUIET_ZONE: usize = 2;
/// Bright white foreground on a black background; and back to the terminal's colours.
const COLOURS: &str = "\x1b[97;40m";
const RESET: &str = "\x1b[0m";
/// DC redirections followed before giving up (Telegram sends at most one).
const MAX_MIGRATIONS: usize = 3;
/// Tokens refused as expired in a row before giving up.
const MAX_EXPIRED: usize = 5;
/// Connections that may drop under one request in a row (Telegram closing it, the network
/// blinking) before the login gives up: each is asked again on a new connection.
const MAX_DROPS: usize = 3;

/// The deep link a Telegram app opens to accept `token`: base64url without padding.
pub fn login_url(token: &[u8]) -> String {
    format!("tg://login?token={}", URL_SAFE_NO_PAD.encode(token))
}

/// Draws `text` as a QR code: one line per two module rows, each line as wide as the code
/// plus its quiet zone, ending in a newline. `colours` wraps each line in ANSI colours.
pub fn render(text: &str, colours: bool) -> anyhow::Result<String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| anyhow!("cannot draw the QR code: {e}"))?;
    let width = code.width();
    let modules = code.to_colors();
    let size = width + 2 * QUIET_ZONE;
    // Whether the cell at (x, y) is drawn: light modules and the quiet zone are ink; the
    // half row below an odd-sized square is left to the background.
    let ink = |x: usize, y: usize| -> bool {
        if y >= size {
            return false;
        }
        let inside = QUIET_ZONE..QUIET_ZONE + width;
        if !inside.contains(&x) || !inside.contains(&y) {
            return true;
        }
        modules[(y - QUIET_ZONE) * width + (x - QUIET_ZONE)] == Color::Light
    };
    let mut out = String::with_capacity((size + 16) * size.div_ceil(2) * 3);
    for y in (0..size).step_by(2) {
        if colours {
            out.push_str(COLOURS);
        }
        for x in 0..size {
            out.push(match (ink(x, y), ink(x, y + 1)) {
                (true, true) => '█',
                (true, false) => '▀',
                (false, true) => '▄',
                (false, false) => ' ',
            });
        }
        if colours {
            out.push_str(RESET);
        }
        out.push('\n');
    }
    Ok(out)
}

/// Pixels a module is drawn with in [`png`]: a few hundred pixels wide in all.
const PNG_SCALE: u32 = 8;
/// Light modules around the code in [`png`]: the four the QR standard asks for.
const PNG_QUIET_ZONE: u32 = 4;

/// Draws `text` as a QR code in a black-on-white, one-bit grayscale PNG, for hosts that show
/// images (the `sign_in` tool).
pub fn png(text: &str) -> anyhow::Result<Vec<u8>> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| anyhow!("cannot draw the QR code: {e}"))?;
    let width = code.width() as u32;
    let modules = code.to_colors();
    let side = (width + 2 * PNG_QUIET_ZONE) * PNG_SCALE;
    let row_bytes = side.div_ceil(8) as usize;
    let mut pixels = vec![0u8; row_bytes * side as usize];
    for y in 0..side {
        for x in 0..side {
            let (mx, my) = (x / PNG_SCALE, y / PNG_SCALE);
            let inside = PNG_QUIET_ZONE..PNG_QUIET_ZONE + width;
            let dark = inside.contains(&mx)
                && inside.contains(&my)
                && modules[((my - PNG_QUIET_ZONE) * width + (mx - PNG_QUIET_ZONE)) as usize]
                    == Color::Dark;
            if !dark {
                pixels[y as usize * row_bytes + (x / 8) as usize] |= 0x80 >> (x % 8);
            }
        }
    }
    let mut out = Vec::new();
    let mut encoder = ::png::Encoder::new(&mut out, side, side);
    encoder.set_color(::png::ColorType::Grayscale);
    encoder.set_depth(::png::BitDepth::One);
    let mut writer = encoder
        .write_header()
        .map_err(|e| anyhow!("cannot write the QR code's PNG: {e}"))?;
    writer
        .write_image_data(&pixels)
        .map_err(|e| anyhow!("cannot write the QR code's PNG: {e}"))?;
    writer
        .finish()
        .map_err(|e| anyhow!("cannot write the QR code's PNG: {e}"))?;
    Ok(out)
}

/// Whether the QR code can be shown with colours: stderr is a terminal that takes them.
fn colours_wanted() -> bool {
    std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::env::var("TERM").map_or(true, |t| t != "dumb")
}

/// Where a QR login shows its codes: setup's terminal, or the MCP host (`in_host`).
pub trait ShowCode: Sync {
    /// Shows the code for `token`, which lives `lifetime` more; `renewed` when it replaces
    /// one that expired.
    fn show(&self, token: &[u8], lifetime: Duration, renewed: bool) -> anyhow::Result<()>;
}

/// Setup's codes: drawn on the terminal (stderr), with the instructions and the link as text.
struct Terminal<'a> {
    prompter: &'a Prompter,
    timeout: Duration,
}

impl ShowCode for Terminal<'_> {
    fn show(&self, token: &[u8], _lifetime: Duration, again: bool) -> anyhow::Result<()> {
        let url = login_url(token);
        let code = render(&url, colours_wanted())?;
        let heading = if again {
            "The QR code was renewed (the previous one expired); scan this new one instead."
        } else {
            "Scan this QR code with the Telegram app on your phone:\n\
             Settings → Devices → Link Desktop Device."
        };
        let minutes = self.timeout.as_secs().div_ceil(60);
        self.prompter.say(&format!(
            "\n{heading}\n\n{code}\nLogin link: {url}\n\
             Waiting for the scan (up to {minutes} min; Ctrl-C cancels). The code renews itself \
             when it expires.\n"
        ));
        Ok(())
    }
}

/// What scanning the code led to.
pub enum Scanned {
    SignedIn(Box<tl::enums::User>),
    /// The account has a 2FA password: the login waits for `auth.checkPassword`.
    PasswordNeeded,
}

/// What a QR login works with: the client and its pool (to follow the account to another
/// DC), the staged session and the settings.
#[derive(Clone, Copy)]
pub struct Login<'a> {
    pub client: &'a Client,
    pub handle: &'a SenderPoolHandle,
    pub session: &'a SqliteSession,
    pub config: &'a Config,
}

/// Setup's whole QR login: shows codes on the terminal until one is scanned (or `timeout`
/// passes), follows a DC migration, asks for the 2FA password when the account has one.
pub(super) async fn sign_in(
    login: Login<'_>,
    prompter: &Prompter,
    updates: Option<mpsc::Receiver<UpdatesLike>>,
    timeout: Duration,
) -> anyhow::Result<SignedIn> {
    let terminal = Terminal { prompter, timeout };
    let waiting = wait_for_scan(login, updates, &terminal);
    let scanned = tokio::time::timeout(timeout, waiting).await.map_err(|_| {
        anyhow!(
            "the QR code was not scanned within {}; run setup again (or sign in with \
                 --phone-number)",
            duration_words(timeout)
        )
    })??;
    match scanned {
        Scanned::SignedIn(user) => remember_self(login.session, *user).await,
        Scanned::PasswordNeeded => {
            prompter.say("Scanned. This account has a two-step verification password.");
            check_password(login.client, prompter).await
        }
    }
}

fn duration_words(d: Duration) -> String {
    let secs = d.as_secs();
    if secs >= 60 && secs.is_multiple_of(60) {
        let m = secs / 60;
        format!("{m} minute{}", if m == 1 { "" } else { "s" })
    } else {
        format!("{secs} second{}", if secs == 1 { "" } else { "s" })
    }
}

/// How long a token expiring at the unix time `expires` (server time) still lives; Telegram's
/// usual lifetime when the local clock disagrees with that too much to tell.
fn lifetime(expires: i32) -> Duration {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let left = i64::from(expires) - now;
    if (1..=MAX_TOKEN_LIFETIME).contains(&left) {
        Duration::from_secs(left as u64)
    } else {
        TOKEN_LIFETIME
    }
}

/// Whether `updates` says a login token was accepted.
fn is_login_token(updates: &UpdatesLike) -> bool {
    let accepted = |list: &[tl::enums::Update]| {
        list.iter()
            .any(|u| matches!(u, tl::enums::Update::LoginToken))
    };
    match updates {
        UpdatesLike::Updates(tl::enums::Updates::UpdateShort(short)) => {
            matches!(short.update, tl::enums::Update::LoginToken)
        }
        UpdatesLike::Updates(tl::enums::Updates::Updates(all)) => accepted(&all.updates),
        UpdatesLike::Updates(tl::enums::Updates::Combined(all)) => accepted(&all.updates),
        _ => false,
    }
}

/// Waits until it is time to export the token again: Telegram said it was accepted, the
/// connection dropped (the news may have been lost with it), or `lifetime` passed. Without
/// an update channel (closed) only the lifetime counts.
async fn wait_for_news(updates: &mut Option<mpsc::Receiver<UpdatesLike>>, lifetime: Duration) {
    let expiry = tokio::time::sleep(lifetime);
    tokio::pin!(expiry);
    loop {
        let Some(channel) = updates.as_mut() else {
            expiry.await;
            return;
        };
        tokio::select! {
            _ = &mut expiry => return,
            news = channel.recv() => match news {
                None => *updates = None,
                Some(UpdatesLike::ConnectionClosed) => return,
                Some(news) if is_login_token(&news) => return,
                Some(_) => {}
            },
        }
    }
}

/// Shows codes on `display` until one is scanned, renewing them as they expire and following
/// the account to its DC; ends with the signed-in user, or the news that a 2FA password is
/// needed. No deadline of its own: the caller bounds it.
pub async fn wait_for_scan(
    login: Login<'_>,
    mut updates: Option<mpsc::Receiver<UpdatesLike>>,
    display: &dyn ShowCode,
) -> anyhow::Result<Scanned> {
    let Login {
        client,
        handle,
        session,
        config,
    } = login;
    let export = tl::functions::auth::ExportLoginToken {
        api_id: config.api_id,
        api_hash: config.api_hash.clone(),
        except_ids: Vec::new(),
    };
    let mut shown: Option<Vec<u8>> = None;
    let mut import: Option<Vec<u8>> = None;
    let mut migrations = 0;
    let mut expired = 0;
    let mut drops = 0;
    loop {
        let importing = import.take();
        let answer = match &importing {
            Some(token) => {
                client
                    .invoke(&tl::functions::auth::ImportLoginToken {
                        token: token.clone(),
                    })
                    .await
            }
            None => client.invoke(&export).await,
        };
        match answer {
            Ok(tl::enums::auth::LoginToken::Token(token)) => {
                expired = 0;
                let lifetime = lifetime(token.expires);
                if shown.as_deref() != Some(token.token.as_slice()) {
                    display.show(&token.token, lifetime, shown.is_some())?;
                    shown = Some(token.token);
                }
                wait_for_news(&mut updates, lifetime).await;
            }
            Ok(tl::enums::auth::LoginToken::MigrateTo(to)) => {
                migrations += 1;
                if migrations > MAX_MIGRATIONS {
                    bail!(
                        "Telegram kept moving the QR login between data centres; run setup again"
                    );
                }
                move_home(handle, session, to.dc_id).await?;
                import = Some(to.token);
                continue;
            }
            Ok(tl::enums::auth::LoginToken::Success(success)) => {
                return match success.authorization {
                    tl::enums::auth::Authorization::Authorization(auth) => {
                        Ok(Scanned::SignedIn(Box::new(auth.user)))
                    }
                    tl::enums::auth::Authorization::SignUpRequired(_) => bail!(
                        "this account needs to be signed up in an official Telegram app first"
                    ),
                };
            }
            Err(InvocationError::Rpc(e)) if e.name == "SESSION_PASSWORD_NEEDED" => {
                return Ok(Scanned::PasswordNeeded);
            }
            // Telegram sends the login to another DC: ask there (the same import, or a new
            // export whose token is shown).
            Err(InvocationError::Rpc(e)) if redirect(&e).is_some() => {
                migrations += 1;
                if migrations > MAX_MIGRATIONS {
                    return Err(explain(InvocationError::Rpc(e), "QR login failed"));
                }
                let dc_id = redirect(&e).map_or(0, Redirect::dc);
                move_home(handle, session, dc_id).await?;
                import = importing;
                continue;
            }
            // The token ran out (typically while moving to another DC): the next export, in
            // the current home DC, hands out a new one to show.
            Err(InvocationError::Rpc(e))
                if e.name == "AUTH_TOKEN_EXPIRED" || e.name == "AUTH_TOKEN_INVALID" =>
            {
                expired += 1;
                if expired > MAX_EXPIRED {
                    return Err(explain(InvocationError::Rpc(e), "QR login failed"));
                }
                tokio::time::sleep(RETRY_PAUSE).await;
            }
            // The connection dropped under the request (it is also why `wait_for_news` asks
            // again): ask on a new one rather than end a login the user is in the middle of.
            Err(e) if is_dropped_connection(&e) && drops < MAX_DROPS => {
                drops += 1;
                import = importing;
                tokio::time::sleep(RETRY_PAUSE).await;
                continue;
            }
            Err(e) => return Err(explain(e, "QR login failed")),
        }
        drops = 0;
    }
}

/// Makes `dc_id` the staging session's home DC, as grammers does for `PHONE_MIGRATE`: the old
/// connection is dropped, and every later call (the import, the 2FA check) goes to `dc_id`,
/// which the session file then records.
async fn move_home(
    handle: &SenderPoolHandle,
    session: &SqliteSession,
    dc_id: i32,
) -> anyhow::Result<()> {
    let old = session
        .home_dc_id()
        .map_err(|e| anyhow!("cannot read the session's DC: {e}"))?;
    if old != dc_id {
        handle.disconnect_from_dc(old);
        session
            .set_home_dc_id(dc_id)
            .await
            .map_err(|e| anyhow!("cannot switch to DC {dc_id}: {e}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "tg://login?token=AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA";

    /// The drawing back as modules: `true` for light (ink), row by row, `size` rows.
    fn modules_of(drawing: &str) -> Vec<Vec<bool>> {
        let mut rows = Vec::new();
        for line in drawing.lines() {
            let (top, bottom): (Vec<bool>, Vec<bool>) = line
                .chars()
                .map(|c| match c {
                    '█' => (true, true),
                    '▀' => (true, false),
                    '▄' => (false, true),
                    ' ' => (false, false),
                    other => panic!("unexpected character {other:?}"),
                })
                .unzip();
            rows.push(top);
            rows.push(bottom);
        }
        let size = rows[0].len();
        rows.truncate(size);
        rows
    }

    #[test]
    fn login_urls_are_base64url_without_padding() {
        assert_eq!(login_url(&[0xfb, 0xff]), "tg://login?token=-_8");
        let token: Vec<u8> = (1..=32).collect();
        assert_eq!(login_url(&token), URL);
    }

    #[test]
    fn the_drawing_decodes_back_to_the_link() {
        let drawing = render(URL, false).unwrap();
        let modules = modules_of(&drawing);
        let size = modules.len();
        const SCALE: usize = 4;
        // A scanner sees light modules (ink) as white, dark ones (spaces) as black.
        let mut image =
            rqrr::PreparedImage::prepare_from_bitmap(size * SCALE, size * SCALE, |x, y| {
                !modules[y / SCALE][x / SCALE]
            });
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1, "one code found");
        let (_, text) = grids[0].decode().unwrap();
        assert_eq!(text, URL);
    }

    #[test]
    fn the_drawing_is_a_square_with_a_light_quiet_zone() {
        let drawing = render(URL, false).unwrap();
        let lines: Vec<&str> = drawing.lines().collect();
        let size = lines[0].chars().count();
        assert!(lines.iter().all(|l| l.chars().count() == size));
        assert_eq!(lines.len(), size.div_ceil(2));
        let modules = modules_of(&drawing);
        assert_eq!(modules.len(), size);
        let margin = |i: usize| i < QUIET_ZONE || i >= size - QUIET_ZONE;
        for (y, row) in modules.iter().enumerate() {
            for (x, light) in row.iter().enumerate() {
                if margin(x) || margin(y) {
                    assert!(light, "margin module ({x}, {y}) is light");
                }
            }
        }
        // The finder pattern's dark ring starts right inside the margin.
        assert!(!modules[QUIET_ZONE][QUIET_ZONE]);
    }

    #[test]
    fn coloured_lines_are_the_same_drawing_between_escapes() {
        let plain = render(URL, false).unwrap();
        let coloured = render(URL, true).unwrap();
        for (p, c) in plain.lines().zip(coloured.lines()) {
            let inner = c
                .strip_prefix(COLOURS)
                .and_then(|c| c.strip_suffix(RESET))
                .expect("each line wrapped in colours");
            assert_eq!(inner, p);
        }
        assert_eq!(plain.lines().count(), coloured.lines().count());
    }

    #[test]
    fn the_png_decodes_back_to_the_link() {
        let bytes = png(URL).unwrap();
        let decoder = ::png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().unwrap();
        let info = reader.info().clone();
        assert_eq!(
            (info.color_type, info.bit_depth),
            (::png::ColorType::Grayscale, ::png::BitDepth::One)
        );
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        reader.next_frame(&mut buf).unwrap();
        let row = (info.width as usize).div_ceil(8);
        let white = |x: usize, y: usize| buf[y * row + x / 8] & (0x80 >> (x % 8)) != 0;
        let mut image = rqrr::PreparedImage::prepare_from_bitmap(
            info.width as usize,
            info.height as usize,
            |x, y| !white(x, y),
        );
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1, "one code found");
        let (_, text) = grids[0].decode().unwrap();
        assert_eq!(text, URL);
        // A white margin: the corner pixel is light.
        assert!(white(0, 0));
    }

    #[test]
    fn timeouts_read_as_words() {
        assert_eq!(duration_words(Duration::from_secs(300)), "5 minutes");
        assert_eq!(duration_words(Duration::from_secs(60)), "1 minute");
        assert_eq!(duration_words(Duration::from_secs(3)), "3 seconds");
    }
}
