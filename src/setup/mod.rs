//! Signing a session in: by QR code (the default on a terminal), by phone (code), or by bot
//! token; a user account's 2FA password is asked for when it has one. The login happens in a
//! staging file next to the session; only a completed login replaces the session file (an
//! atomic rename), so a failure, a wrong code or a crash never leaves a half-written or
//! signed-out session behind. The same QR login and staging serve the `sign_in` tool, which
//! signs the server's session in from the MCP host (`in_host`).

pub mod code;
pub mod email;
pub mod host_config;
pub mod in_host;
pub mod prompt;
pub mod qr;
pub mod staging;

use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use clap::Args;
use grammers_client::Client;
use grammers_client::client::PasswordToken;
use grammers_client::{InvocationError, SignInError};
use grammers_session::Session;
use grammers_session::storages::SqliteSession;
use grammers_tl_types as tl;

use crate::config::{CommonArgs, Config, ConfigError};
use crate::logging::LogFileArgs;
use crate::options::ServerArgs;
use crate::session::lock::SessionLock;
use crate::session::{self, SessionKind};
use crate::telegram::error::rpc_error_name;
use prompt::Prompter;

/// How many times a wrong code or password may be typed again.
const ATTEMPTS: usize = 3;

/// Setup's own options; the settings it shares with the server ([`CommonArgs`],
/// [`ServerArgs`]) are defined with them.
#[derive(Debug, Clone, Default, Args)]
pub struct SetupArgs {
    /// Sign in with a login code sent to this phone number (international format, e.g.
    /// +15550001000) instead of by QR code.
    #[arg(long, env = "PHONE_NUMBER", value_name = "PHONE", hide_env_values = true)]
    pub phone_number: Option<String>,
    /// Replace an existing signed-in session without asking.
    #[arg(long)]
    pub overwrite: bool,
    /// Sign in as a bot with this token from @BotFather instead of a phone number.
    #[arg(
        long = "bot-api-token",
        alias = "bot-token",
        env = "BOT_API_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub bot_api_token: Option<String>,
    /// Sign in by QR code even without a terminal (the QR code and its link are printed all
    /// the same); takes precedence over a phone number or bot token.
    #[arg(long)]
    pub qr: bool,
    /// Seconds to wait for the QR code to be scanned [default: 300].
    #[arg(long, env = "QR_TIMEOUT", value_name = "SECONDS", hide = true)]
    pub qr_timeout: Option<u64>,
}

/// How this run signs in.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Method {
    Qr,
    Phone(String),
    Bot(String),
}

impl SetupArgs {
    /// `--qr`, else a bot token, else a phone number, else a QR code — which needs a person at
    /// a terminal (stdin to type a 2FA password, stderr to show the code on).
    fn method(&self, terminal: bool) -> Result<Method, ConfigError> {
        if self.qr {
            return Ok(Method::Qr);
        }
        if let Some(token) = &self.bot_api_token {
            return Ok(Method::Bot(token.clone()));
        }
        if let Some(phone) = &self.phone_number {
            return Ok(Method::Phone(phone.clone()));
        }
        if !terminal {
            return Err(ConfigError(
                "setup signs in by QR code by default, which needs a terminal to show it on and \
                 none is attached; pass --phone-number=+15550001000 (or set PHONE_NUMBER) to sign \
                 in with a login code instead, --bot-api-token for a bot, or --qr to print the \
                 QR code anyway"
                    .into(),
            ));
        }
        Ok(Method::Qr)
    }

    fn qr_timeout(&self) -> Duration {
        self.qr_timeout
            .filter(|s| *s > 0)
            .map_or(qr::DEFAULT_TIMEOUT, Duration::from_secs)
    }
}

/// Who got signed in.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub name: String,
    pub username: Option<String>,
    pub phone: Option<String>,
    pub bot: bool,
}

/// Runs the whole flow and prints the result; errors are worded for the user. The server's
/// settings (`common`, `server`, the log file setting `log`) are checked and carried into the
/// printed host configuration.
pub async fn run(
    common: &CommonArgs,
    server: &ServerArgs,
    args: SetupArgs,
    log: &LogFileArgs,
) -> anyhow::Result<()> {
    let config = Config::from_args(common)?;
    let settings = host_config::Settings::from_args(common, server, log)?;
    let terminal = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let method = args.method(terminal)?;
    let prompter = Prompter::new();
    let _lock = SessionLock::acquire(&config.session.sibling(".lock"), &config.session.name)?;
    let path = config.session.file();
    session::ensure_dir(&config.session.dir)
        .with_context(|| format!("cannot create {}", config.session.dir.display()))?;

    match session::detect(&path).await? {
        SessionKind::Telethon => {
            let backup = session::telethon::import(&path).await?;
            prompter.say(&format!(
                "Imported the Python server's session (original kept at {}).",
                backup.display()
            ));
        }
        SessionKind::Unknown => bail!(
            "{} is not a session file this program understands; move it away first",
            path.display()
        ),
        SessionKind::Missing | SessionKind::Grammers => {}
    }
    if path.exists() && !args.overwrite {
        let existing = session::open(&path).await?;
        if let Some((id, _)) = session::signed_in_user(&existing).await {
            drop(existing);
            let question = format!(
                "Session \"{}\" is already signed in (user id {id}). Sign in again and replace it?",
                config.session.name
            );
            if !prompter.interactive() {
                bail!(
                    "session \"{}\" is already signed in; pass --overwrite to replace it",
                    config.session.name
                );
            }
            if !prompter.confirm(&question)? {
                bail!("left session \"{}\" as it was", config.session.name);
            }
        }
    }

    let staging = staging::path(&config);
    let outcome = tokio::select! {
        outcome = sign_in_staged(&config, &args, &method, &prompter, &path, &staging) => outcome,
        _ = tokio::signal::ctrl_c() => Err(anyhow!("interrupted; the session was not changed")),
    };
    let user = match outcome {
        Ok(user) => user,
        Err(e) => {
            staging::discard(&staging);
            return Err(e);
        }
    };
    staging::install(&staging, &path)?;

    // The name is the account's, but set by whoever controls it: no control sequences reach
    // the terminal.
    let mut who = crate::schema::sanitize::name(&user.name);
    if let Some(username) = &user.username {
        who.push_str(&format!(
            " (@{})",
            crate::schema::sanitize::technical(username)
        ));
    }
    if let Some(phone) = &user.phone {
        who.push_str(&format!(", phone {}", host_config::mask_phone(phone)));
    }
    let kind = if user.bot { "bot" } else { "user" };
    println!("Signed in as {kind} {who}.");
    println!("Session file: {}", host_config::absolute(&path).display());
    println!();
    println!("Add this to your MCP host's configuration (e.g. claude_desktop_config.json):");
    println!(
        "{}",
        serde_json::to_string_pretty(&host_config::host_config(&config, &settings))?
    );
    Ok(())
}

async fn sign_in_staged(
    config: &Config,
    args: &SetupArgs,
    method: &Method,
    prompter: &Prompter,
    current: &Path,
    staging: &Path,
) -> anyhow::Result<SignedIn> {
    let mut staged = staging::Staged::open(config, current, staging).await?;
    let result = match method {
        Method::Bot(token) => sign_in_bot(&staged.client, config, token).await,
        Method::Phone(phone) => {
            sign_in_phone(&staged.client, &staged.session, config, phone, prompter).await
        }
        Method::Qr => {
            let updates = staged.updates.take();
            qr::sign_in(staged.qr(config), prompter, updates, args.qr_timeout()).await
        }
    };
    let failure = staged.close().await;
    result.map_err(|e| match failure {
        Some(why) => anyhow!("{why}"),
        None => e,
    })
}

async fn sign_in_bot(client: &Client, config: &Config, token: &str) -> anyhow::Result<SignedIn> {
    let user = client
        .bot_sign_in(token.trim(), &config.api_hash)
        .await
        .map_err(|e| explain(e, "the bot token was refused"))?;
    Ok(SignedIn {
        name: user.full_name(),
        username: user.username().map(str::to_string),
        phone: None,
        bot: true,
    })
}

fn normalise_phone(raw: &str) -> anyhow::Result<String> {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    let allowed = raw
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    if !allowed || !(7..=15).contains(&digits.len()) {
        bail!("that is not a phone number in international format (e.g. +15550001000)");
    }
    Ok(format!("+{digits}"))
}

async fn sign_in_phone(
    client: &Client,
    session: &SqliteSession,
    config: &Config,
    phone: &str,
    prompter: &Prompter,
) -> anyhow::Result<SignedIn> {
    let phone = normalise_phone(phone)?;
    let (mut phone_code_hash, mut delivery) =
        match request_code(client, session, config, &phone, prompter).await? {
            Step::Code { hash, delivery } => (hash, delivery),
            Step::SignedIn(user) => return remember_self(session, *user).await,
        };
    prompter.say(&delivery.notice);
    let mut resent = false;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let typed = prompter.ask(delivery.question)?;
        let request = delivery.sign_in(&phone, &phone_code_hash, &typed);
        match client.invoke(&request).await {
            Ok(tl::enums::auth::Authorization::Authorization(auth)) => {
                return remember_self(session, auth.user).await;
            }
            Ok(tl::enums::auth::Authorization::SignUpRequired(_)) => bail!(
                "this phone number has no Telegram account yet: sign up in an official \
                 Telegram app first"
            ),
            Err(InvocationError::Rpc(e)) if e.name == "SESSION_PASSWORD_NEEDED" => {
                return check_password(client, prompter).await;
            }
            Err(InvocationError::Rpc(e)) if e.name == "PHONE_CODE_EXPIRED" && !resent => {
                prompter.say("That code has expired; Telegram is sending a new one.");
                (phone_code_hash, delivery) =
                    match request_code(client, session, config, &phone, prompter).await? {
                        Step::Code { hash, delivery } => (hash, delivery),
                        Step::SignedIn(user) => {
                            return remember_self(session, *user).await;
                        }
                    };
                prompter.say(&delivery.notice);
                resent = true;
                attempt = 0;
            }
            Err(InvocationError::Rpc(e))
                if e.name.starts_with("PHONE_CODE") || e.name == "EMAIL_CODE_INVALID" =>
            {
                if attempt >= ATTEMPTS {
                    bail!(
                        "the login code was not accepted ({}); run setup again",
                        e.name
                    );
                }
                prompter.say("That code is not right; try again.");
            }
            Err(e) => return Err(explain(e, "signing in failed")),
        }
    }
}

enum CodeSent {
    Code {
        hash: String,
        delivery: code::Delivery,
    },
    /// No code until a login e-mail is set up (`request_code` does it).
    EmailSetupRequired {
        hash: String,
    },
    AlreadySignedIn(Box<tl::enums::User>),
}

/// Where a phone login stands once a code was asked for.
enum Step {
    /// A code to type.
    Code {
        hash: String,
        delivery: code::Delivery,
    },
    /// Telegram signed the session in without one.
    SignedIn(Box<tl::enums::User>),
}

/// A login code for `phone`, with the login e-mail set up first when Telegram asks for one.
async fn request_code(
    client: &Client,
    session: &SqliteSession,
    config: &Config,
    phone: &str,
    prompter: &Prompter,
) -> anyhow::Result<Step> {
    let mut sent = send_code(client, session, config, phone).await?;
    if let CodeSent::EmailSetupRequired { hash } = &sent {
        sent = code_sent(email::set_up(client, prompter, phone, hash).await?)?;
    }
    match sent {
        CodeSent::Code { hash, delivery } => Ok(Step::Code { hash, delivery }),
        CodeSent::AlreadySignedIn(user) => Ok(Step::SignedIn(user)),
        CodeSent::EmailSetupRequired { .. } => {
            bail!("Telegram still asks for a login e-mail after setting one up; run setup again")
        }
    }
}

/// `auth.sendCode`, following a `PHONE_MIGRATE_X` redirect to the account's home DC.
async fn send_code(
    client: &Client,
    session: &SqliteSession,
    config: &Config,
    phone: &str,
) -> anyhow::Result<CodeSent> {
    let request = tl::functions::auth::SendCode {
        phone_number: phone.to_string(),
        api_id: config.api_id,
        api_hash: config.api_hash.clone(),
        settings: tl::types::CodeSettings {
            allow_flashcall: false,
            current_number: false,
            allow_app_hash: false,
            allow_missed_call: false,
            allow_firebase: false,
            logout_tokens: None,
            token: None,
            app_sandbox: None,
            unknown_number: false,
        }
        .into(),
    };
    let mut answer = client.invoke(&request).await;
    if let Err(InvocationError::Rpc(e)) = &answer
        && e.code == 303
        && let Some(dc) = e.value
    {
        session
            .set_home_dc_id(dc as i32)
            .await
            .map_err(|e| anyhow!("cannot switch DC: {e}"))?;
        answer = client.invoke(&request).await;
    }
    code_sent(answer.map_err(|e| explain(e, "Telegram did not send a login code"))?)
}

/// What an `auth.SentCode` says happened.
fn code_sent(answer: tl::enums::auth::SentCode) -> anyhow::Result<CodeSent> {
    match answer {
        tl::enums::auth::SentCode::Code(sent) => Ok(match code::delivery(&sent.r#type) {
            code::Sent::Code(delivery) => CodeSent::Code {
                hash: sent.phone_code_hash,
                delivery,
            },
            code::Sent::EmailSetupRequired => CodeSent::EmailSetupRequired {
                hash: sent.phone_code_hash,
            },
        }),
        tl::enums::auth::SentCode::Success(success) => match success.authorization {
            tl::enums::auth::Authorization::Authorization(auth) => {
                Ok(CodeSent::AlreadySignedIn(Box::new(auth.user)))
            }
            tl::enums::auth::Authorization::SignUpRequired(_) => bail!(
                "this phone number has no Telegram account yet: sign up in an official \
                 Telegram app first"
            ),
        },
        tl::enums::auth::SentCode::PaymentRequired(_) => bail!(
            "Telegram requires a payment to send a login code to this number; sign in with \
             an official app or use a bot token"
        ),
    }
}

async fn check_password(client: &Client, prompter: &Prompter) -> anyhow::Result<SignedIn> {
    let info = client
        .invoke(&tl::functions::account::GetPassword {})
        .await
        .map_err(|e| explain(e, "cannot start the 2FA check"))?;
    let tl::enums::account::Password::Password(info) = info;
    let mut token = PasswordToken::new(info);
    for attempt in 1..=ATTEMPTS {
        let question = match token.hint() {
            Some(hint) if !hint.is_empty() => format!("2FA password (hint: {hint}): "),
            _ => "2FA password: ".to_string(),
        };
        let password = prompter.ask_secret(&question)?;
        match client.check_password(token, password.as_bytes()).await {
            Ok(user) => {
                return Ok(SignedIn {
                    name: user.full_name(),
                    username: user.username().map(str::to_string),
                    phone: user.phone().map(str::to_string),
                    bot: false,
                });
            }
            Err(SignInError::InvalidPassword(next)) => {
                if attempt == ATTEMPTS {
                    bail!("the 2FA password was not accepted; run setup again");
                }
                prompter.say("That password is not right; try again.");
                token = next;
            }
            Err(SignInError::Other(e)) => return Err(explain(e, "the 2FA check failed")),
            Err(other) => bail!("the 2FA check failed: {other}"),
        }
    }
    unreachable!("the loop returns on its last attempt")
}

/// Records the signed-in user in the session, as grammers does after its own sign-in.
pub(crate) async fn remember_self(
    session: &SqliteSession,
    user: tl::enums::User,
) -> anyhow::Result<SignedIn> {
    let tl::enums::User::User(user) = user else {
        bail!("Telegram answered the login with an empty user");
    };
    session::record_self(session, user.id, user.access_hash, user.bot).await?;
    let name = [user.first_name.as_deref(), user.last_name.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    Ok(SignedIn {
        name,
        username: user.username,
        phone: user.phone,
        bot: user.bot,
    })
}

/// Turns an invocation error into a sentence (never echoing codes or passwords).
fn explain(error: InvocationError, what: &str) -> anyhow::Error {
    match error {
        InvocationError::Rpc(e) if e.code == 420 || e.name == "FLOOD_WAIT" => anyhow!(
            "{what}: Telegram asks to wait {} seconds before trying again",
            e.value.unwrap_or(0)
        ),
        InvocationError::Rpc(e) => anyhow!("{what}: Telegram said {}", rpc_error_name(&e)),
        InvocationError::Io(e) => anyhow!("{what}: cannot reach Telegram ({e})"),
        // grammers' wording names its internals: say what happened.
        InvocationError::Dropped(_) => anyhow!(
            "{what}: the connection to Telegram dropped; check the network and run setup again"
        ),
        other => anyhow!("{what}: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qr_is_the_default_but_needs_a_terminal() {
        let args = SetupArgs::default();
        assert_eq!(args.method(true).unwrap(), Method::Qr);
        let refused = args.method(false).unwrap_err().to_string();
        assert!(refused.contains("--phone-number"), "{refused}");
        assert!(refused.contains("--qr"), "{refused}");
    }

    #[test]
    fn a_phone_number_or_bot_token_picks_its_method_and_qr_wins_over_both() {
        let phone = SetupArgs {
            phone_number: Some("+15550001000".into()),
            ..SetupArgs::default()
        };
        assert_eq!(
            phone.method(false).unwrap(),
            Method::Phone("+15550001000".into())
        );
        let bot = SetupArgs {
            bot_api_token: Some("1:AA".into()),
            ..phone.clone()
        };
        assert_eq!(bot.method(true).unwrap(), Method::Bot("1:AA".into()));
        let qr = SetupArgs { qr: true, ..bot };
        assert_eq!(qr.method(false).unwrap(), Method::Qr);
    }

    #[test]
    fn a_dropped_connection_is_told_without_grammers_internals() {
        let why = crate::telegram::retry::QUEUED_ON_A_DROPPED_CONNECTION;
        let said = explain(InvocationError::Dropped(why), "QR login failed").to_string();
        assert!(
            said.contains("the connection to Telegram dropped"),
            "{said}"
        );
        assert!(!said.contains("SenderPoolRunner"), "{said}");
    }

    #[test]
    fn the_qr_timeout_defaults_to_five_minutes() {
        let mut args = SetupArgs::default();
        assert_eq!(args.qr_timeout(), Duration::from_secs(300));
        args.qr_timeout = Some(0);
        assert_eq!(args.qr_timeout(), Duration::from_secs(300));
        args.qr_timeout = Some(7);
        assert_eq!(args.qr_timeout(), Duration::from_secs(7));
    }
}
