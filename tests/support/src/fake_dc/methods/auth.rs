//! Logging in, as Telegram answers it: phone code (`auth.sendCode`, `auth.signIn`), 2FA with
//! real SRP (`account.getPassword`, `auth.checkPassword`), bot tokens
//! (`auth.importBotAuthorization`), QR login (`auth.exportLoginToken`, `auth.importLoginToken`,
//! with DC migration), `auth.logOut`, and copying an authorization to another DC
//! (`auth.exportAuthorization` on a signed-in DC, `auth.importAuthorization` on the other).
//! The DC serves one auth key on every DC id, but authorizations are per DC as on Telegram:
//! signing in binds the key *on that DC* (`Shared::authorized`) to a user of the world, and
//! another DC only knows the user once the authorization was imported there.
//!
//! Only the world's self user has an account: any other well-formed number gets a code but
//! then `auth.authorizationSignUpRequired`, as an unregistered number does.

use std::collections::HashMap;
use std::sync::MutexGuard;

use grammers_tl_types as tl;

use super::{Ctx, RpcError, RpcResult};
use crate::fake_dc::srp::{self, Verifier};
use crate::fake_dc::{FakeDc, Shared};
use crate::world::tl_build::{self, now};
use crate::world::{CodeTypeSpec, World};

pub fn route(ctx: &Ctx, id: u32, body: &[u8]) -> Option<RpcResult<Vec<u8>>> {
    fake_dc_routes!(ctx, id, body, {
        tl::functions::auth::SendCode => send_code,
        tl::functions::auth::SignIn => sign_in,
        tl::functions::account::GetPassword => get_password,
        tl::functions::account::SendVerifyEmailCode => send_verify_email_code,
        tl::functions::account::VerifyEmail => verify_email,
        tl::functions::auth::CheckPassword => check_password,
        tl::functions::auth::LogOut => log_out,
        tl::functions::auth::ImportBotAuthorization => import_bot_authorization,
        tl::functions::auth::ExportLoginToken => export_login_token,
        tl::functions::auth::ImportLoginToken => import_login_token,
        tl::functions::auth::ExportAuthorization => export_authorization,
        tl::functions::auth::ImportAuthorization => import_authorization,
    })
}

/// Per-DC state of the login flow.
#[derive(Default)]
pub struct LoginState {
    /// Codes sent by `auth.sendCode`, by `phone_code_hash`.
    codes: HashMap<String, SentCode>,
    /// Numbers that must set up a login e-mail first, by the `phone_code_hash` that said so.
    email_setups: HashMap<String, EmailSetup>,
    /// The user whose login waits for `auth.checkPassword` (after a right code or an
    /// accepted QR token on an account with a 2FA password).
    password_pending: Option<i64>,
    /// The verifier of the world's password (made once: 100 000 PBKDF2 rounds).
    verifier: Option<Verifier>,
    /// SRP exchanges handed out by `account.getPassword`, by `srp_id`.
    srp_sessions: HashMap<i64, srp::ServerSession>,
    /// The key's current QR login token.
    qr: Option<QrToken>,
    /// Where the account of the next accepted QR token lives (`FakeDc::set_qr_migrate_to`).
    qr_migrate_to: Option<i32>,
    /// Authorizations exported for another DC and not imported yet.
    exported: Vec<Exported>,
}

/// An `auth.exportAuthorization` answer: `bytes` sign `user` in on DC `to`, once.
struct Exported {
    to: i32,
    user: i64,
    bytes: Vec<u8>,
}

impl LoginState {
    /// Forgets every login in progress (after a completed login or a log-out).
    fn reset_flow(&mut self) {
        self.codes.clear();
        self.email_setups.clear();
        self.password_pending = None;
        self.srp_sessions.clear();
        self.qr = None;
    }
}

struct SentCode {
    phone: String,
    code: String,
    expired: bool,
    /// Sent to the login e-mail: `auth.signIn` takes it as `email_verification`.
    by_email: bool,
}

/// A login e-mail being set up for `phone`: the address, once a code was sent to it.
struct EmailSetup {
    phone: String,
    email: Option<String>,
}

struct QrToken {
    /// The DC that handed it out (and that accepting it signs in).
    dc_id: i32,
    token: Vec<u8>,
    expires: i32,
    expired: bool,
    accepted_by: Option<i64>,
    migrate_to: Option<i32>,
}

impl QrToken {
    fn is_expired(&self) -> bool {
        self.expired || now() >= self.expires
    }
}

pub fn login_state(shared: &Shared) -> MutexGuard<'_, LoginState> {
    shared.login.lock().unwrap_or_else(|e| e.into_inner())
}

/// Signs the key in as `user` on DC `dc_id`.
fn bind(shared: &Shared, dc_id: i32, user: i64) {
    shared
        .authorized
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(dc_id, user);
}

/// Digits of a phone number as Telegram reads it (`+`, spaces, dashes and brackets ignored).
fn normalize_phone(phone: &str) -> RpcResult<String> {
    let digits: String = phone
        .chars()
        .filter(|c| !matches!(c, '+' | ' ' | '-' | '(' | ')'))
        .collect();
    if !(5..=15).contains(&digits.len()) || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(RpcError::bad_request("PHONE_NUMBER_INVALID"));
    }
    Ok(digits)
}

fn self_phone(world: &World) -> Option<String> {
    world
        .me()
        .phone
        .as_deref()
        .and_then(|p| normalize_phone(p).ok())
}

fn check_api(api_id: i32, api_hash: &str) -> RpcResult<()> {
    if api_id <= 0 || api_hash.is_empty() {
        return Err(RpcError::bad_request("API_ID_INVALID"));
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `auth.authorization` for `user_id`, whose `user` is marked `self` as Telegram does.
fn authorization(world: &World, user_id: i64) -> RpcResult<tl::enums::auth::Authorization> {
    let spec = world
        .user(user_id)
        .ok_or_else(|| RpcError::new(500, "SIGN_IN_FAILED"))?;
    let mut user = tl_build::user(world, spec);
    if let tl::enums::User::User(u) = &mut user {
        u.is_self = true;
    }
    Ok(tl::types::auth::Authorization {
        setup_password_required: false,
        otherwise_relogin_days: None,
        tmp_sessions: None,
        future_auth_token: None,
        user,
    }
    .into())
}

/// Completes a login of `user`: a 2FA account first needs `auth.checkPassword`.
fn complete(
    ctx: &Ctx,
    world: &World,
    login: &mut LoginState,
    user: i64,
) -> RpcResult<tl::enums::auth::Authorization> {
    if world.login.password.is_some() {
        login.password_pending = Some(user);
        return Err(RpcError::new(401, "SESSION_PASSWORD_NEEDED"));
    }
    let answer = authorization(world, user)?;
    bind(ctx.dc, ctx.dc_id, user);
    login.reset_flow();
    Ok(answer)
}

fn send_code(
    ctx: &Ctx,
    request: tl::functions::auth::SendCode,
) -> RpcResult<tl::enums::auth::SentCode> {
    let phone = normalize_phone(&request.phone_number)?;
    check_api(request.api_id, &request.api_hash)?;
    let world = ctx.world();
    let registered = self_phone(&world).as_deref() == Some(phone.as_str());
    let code = world.login.code.clone();
    let mut login = login_state(ctx.dc);
    let hash = hex(&srp::random_bytes(9));
    // A new code replaces the number's previous one, whose hash then answers
    // PHONE_CODE_EXPIRED.
    login.codes.retain(|_, c| c.phone != phone);
    login.email_setups.retain(|_, s| s.phone != phone);
    // An account that must set up a login e-mail first gets no code until it did.
    if world.login.code_type == Some(CodeTypeSpec::SetUpEmailRequired) {
        login
            .email_setups
            .insert(hash.clone(), EmailSetup { phone, email: None });
    } else {
        login.codes.insert(
            hash.clone(),
            SentCode {
                phone,
                code,
                expired: false,
                by_email: world.login.code_type == Some(CodeTypeSpec::Email),
            },
        );
    }
    let kind = code_type(world.login.code_type, registered, &world.login.code);
    let next_type = if registered {
        tl::enums::auth::CodeType::Sms
    } else {
        tl::enums::auth::CodeType::Call
    };
    Ok(tl::types::auth::SentCode {
        r#type: kind,
        phone_code_hash: hash,
        next_type: Some(next_type),
        timeout: Some(60),
    }
    .into())
}

/// How the code is said to be sent: the world's `code_type`, else to the Telegram app of an
/// existing account and by SMS to a new number.
fn code_type(
    spec: Option<CodeTypeSpec>,
    registered: bool,
    code: &str,
) -> tl::enums::auth::SentCodeType {
    let length = code.chars().count() as i32;
    let spec = spec.unwrap_or(if registered {
        CodeTypeSpec::App
    } else {
        CodeTypeSpec::Sms
    });
    match spec {
        CodeTypeSpec::App => tl::types::auth::SentCodeTypeApp { length }.into(),
        CodeTypeSpec::Sms => tl::types::auth::SentCodeTypeSms { length }.into(),
        CodeTypeSpec::Call => tl::types::auth::SentCodeTypeCall { length }.into(),
        CodeTypeSpec::Email => tl::types::auth::SentCodeTypeEmailCode {
            apple_signin_allowed: false,
            google_signin_allowed: false,
            email_pattern: "a•••@example.com".into(),
            length,
            reset_available_period: None,
            reset_pending_date: None,
        }
        .into(),
        CodeTypeSpec::SetUpEmailRequired => tl::types::auth::SentCodeTypeSetUpEmailRequired {
            apple_signin_allowed: false,
            google_signin_allowed: false,
        }
        .into(),
        CodeTypeSpec::FragmentSms => tl::types::auth::SentCodeTypeFragmentSms {
            url: "https://fragment.com/my/numbers".into(),
            length,
        }
        .into(),
        CodeTypeSpec::SmsWord => tl::types::auth::SentCodeTypeSmsWord {
            beginning: code.chars().next().map(String::from),
        }
        .into(),
        CodeTypeSpec::SmsPhrase => tl::types::auth::SentCodeTypeSmsPhrase {
            beginning: code.split_whitespace().next().map(str::to_string),
        }
        .into(),
    }
}

fn sign_in(
    ctx: &Ctx,
    request: tl::functions::auth::SignIn,
) -> RpcResult<tl::enums::auth::Authorization> {
    let phone = normalize_phone(&request.phone_number)?;
    if request.phone_code_hash.is_empty() {
        return Err(RpcError::bad_request("PHONE_CODE_HASH_EMPTY"));
    }
    let emailed = match &request.email_verification {
        Some(tl::enums::EmailVerification::Code(c)) => Some(c.code.as_str()),
        _ => None,
    };
    let world = ctx.world();
    let mut login = login_state(ctx.dc);
    let sent = login
        .codes
        .get(&request.phone_code_hash)
        .filter(|s| s.phone == phone)
        .ok_or_else(|| RpcError::bad_request("PHONE_CODE_EXPIRED"))?;
    if sent.expired {
        return Err(RpcError::bad_request("PHONE_CODE_EXPIRED"));
    }
    // A code sent by e-mail comes back as `email_verification`, any other as `phone_code`.
    let (code, invalid) = if sent.by_email {
        (emailed, "EMAIL_CODE_INVALID")
    } else {
        (request.phone_code.as_deref(), "PHONE_CODE_INVALID")
    };
    match code {
        None | Some("") => return Err(RpcError::bad_request("PHONE_CODE_EMPTY")),
        Some(code) if code != sent.code => return Err(RpcError::bad_request(invalid)),
        Some(_) => {}
    }
    // A code signs in once.
    login.codes.remove(&request.phone_code_hash);
    if self_phone(&world).as_deref() != Some(phone.as_str()) {
        return Ok(tl::types::auth::AuthorizationSignUpRequired {
            terms_of_service: None,
        }
        .into());
    }
    complete(ctx, &world, &mut login, world.self_id)
}

/// `a•••@example.com`: the first character and the domain, as Telegram masks an address.
fn email_pattern(email: &str) -> String {
    let (local, domain) = email.split_once('@').unwrap_or((email, ""));
    let first: String = local.chars().take(1).collect();
    format!("{first}•••@{domain}")
}

/// The e-mail setup a `emailVerifyPurposeLoginSetup` names. Other purposes (changing the
/// login e-mail, Passport) need a signed-in account and are not modelled: the DC answers them
/// as a method it does not serve.
fn email_setup<'a>(
    ctx: &Ctx,
    login: &'a mut LoginState,
    purpose: &tl::enums::EmailVerifyPurpose,
) -> RpcResult<&'a mut EmailSetup> {
    let tl::enums::EmailVerifyPurpose::LoginSetup(setup) = purpose else {
        ctx.require_auth()?;
        return Err(RpcError::bad_request("INPUT_METHOD_INVALID"));
    };
    let phone = normalize_phone(&setup.phone_number)?;
    login
        .email_setups
        .get_mut(&setup.phone_code_hash)
        .filter(|s| s.phone == phone)
        .ok_or_else(|| RpcError::bad_request("PHONE_HASH_EXPIRED"))
}

/// `account.sendVerifyEmailCode` for a login e-mail being set up: "sends" the world's
/// `email_code` to the address.
fn send_verify_email_code(
    ctx: &Ctx,
    request: tl::functions::account::SendVerifyEmailCode,
) -> RpcResult<tl::enums::account::SentEmailCode> {
    let length = ctx.world().login.email_code.chars().count() as i32;
    let email = request.email.trim();
    let valid = email
        .split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
    if !valid || email.chars().any(char::is_whitespace) {
        return Err(RpcError::bad_request("EMAIL_INVALID"));
    }
    let mut login = login_state(ctx.dc);
    email_setup(ctx, &mut login, &request.purpose)?.email = Some(email.to_string());
    Ok(tl::types::account::SentEmailCode {
        email_pattern: email_pattern(email),
        length,
    }
    .into())
}

/// `account.verifyEmail` of a login e-mail being set up: with the right code the address is
/// the account's login e-mail, and the login code goes to it (`account.emailVerifiedLogin`).
fn verify_email(
    ctx: &Ctx,
    request: tl::functions::account::VerifyEmail,
) -> RpcResult<tl::enums::account::EmailVerified> {
    let world = ctx.world();
    let mut login = login_state(ctx.dc);
    let setup = email_setup(ctx, &mut login, &request.purpose)?;
    let Some(email) = setup.email.clone() else {
        return Err(RpcError::bad_request("EMAIL_VERIFY_EXPIRED"));
    };
    let tl::enums::EmailVerification::Code(code) = &request.verification else {
        return Err(RpcError::bad_request("EMAIL_NOT_ALLOWED"));
    };
    if code.code != world.login.email_code {
        return Err(RpcError::bad_request("CODE_INVALID"));
    }
    let phone = setup.phone.clone();
    login.email_setups.retain(|_, s| s.phone != phone);
    let hash = hex(&srp::random_bytes(9));
    let length = world.login.code.chars().count() as i32;
    login.codes.insert(
        hash.clone(),
        SentCode {
            phone,
            code: world.login.code.clone(),
            expired: false,
            by_email: true,
        },
    );
    let sent_code = tl::types::auth::SentCode {
        r#type: tl::types::auth::SentCodeTypeEmailCode {
            apple_signin_allowed: false,
            google_signin_allowed: false,
            email_pattern: email_pattern(&email),
            length,
            reset_available_period: None,
            reset_pending_date: None,
        }
        .into(),
        phone_code_hash: hash,
        next_type: None,
        timeout: None,
    };
    Ok(tl::types::account::EmailVerifiedLogin {
        email,
        sent_code: sent_code.into(),
    }
    .into())
}

fn kdf_algo(salt1: Vec<u8>, salt2: Vec<u8>, p: Vec<u8>, g: i32) -> tl::enums::PasswordKdfAlgo {
    tl::types::PasswordKdfAlgoSha256Sha256Pbkdf2Hmacsha512iter100000Sha256ModPow {
        salt1,
        salt2,
        g,
        p,
    }
    .into()
}

/// The verifier of `password`, made once per DC (outside any lock: it is slow).
fn verifier(ctx: &Ctx, password: &str) -> Verifier {
    if let Some(v) = login_state(ctx.dc)
        .verifier
        .as_ref()
        .filter(|v| v.password == password)
    {
        return v.clone();
    }
    let made = Verifier::new(password);
    let mut login = login_state(ctx.dc);
    match &login.verifier {
        Some(v) if v.password == password => v.clone(),
        _ => {
            login.srp_sessions.clear();
            login.verifier = Some(made.clone());
            made
        }
    }
}

fn get_password(
    ctx: &Ctx,
    _: tl::functions::account::GetPassword,
) -> RpcResult<tl::enums::account::Password> {
    let (password, hint) = {
        let world = ctx.world();
        (world.login.password.clone(), world.login.hint.clone())
    };
    let new_algo = kdf_algo(
        srp::random_bytes(8),
        srp::random_bytes(16),
        srp::telegram_p(),
        srp::TELEGRAM_G,
    );
    let new_secure_algo = tl::types::SecurePasswordKdfAlgoPbkdf2Hmacsha512iter100000 {
        salt: srp::random_bytes(8),
    }
    .into();
    let base = tl::types::account::Password {
        has_recovery: false,
        has_secure_values: false,
        has_password: false,
        current_algo: None,
        srp_b: None,
        srp_id: None,
        hint: None,
        email_unconfirmed_pattern: None,
        new_algo,
        new_secure_algo,
        secure_random: srp::random_bytes(256),
        pending_reset_date: None,
        login_email_pattern: None,
    };
    let Some(password) = password else {
        return Ok(base.into());
    };
    let verifier = verifier(ctx, &password);
    let session = verifier.start();
    let answer = tl::types::account::Password {
        has_password: true,
        current_algo: Some(kdf_algo(
            verifier.salt1.clone(),
            verifier.salt2.clone(),
            verifier.p.clone(),
            verifier.g,
        )),
        srp_b: Some(session.big_b.to_vec()),
        srp_id: Some(session.srp_id),
        hint: hint.filter(|h| !h.is_empty()),
        ..base
    };
    login_state(ctx.dc)
        .srp_sessions
        .insert(session.srp_id, session);
    Ok(answer.into())
}

fn check_password(
    ctx: &Ctx,
    request: tl::functions::auth::CheckPassword,
) -> RpcResult<tl::enums::auth::Authorization> {
    let tl::enums::InputCheckPasswordSrp::Srp(srp) = request.password else {
        return Err(RpcError::bad_request("PASSWORD_HASH_INVALID"));
    };
    let (session, verifier) = {
        let login = login_state(ctx.dc);
        let session = login.srp_sessions.get(&srp.srp_id).cloned();
        (session, login.verifier.clone())
    };
    let (Some(session), Some(verifier)) = (session, verifier) else {
        return Err(RpcError::bad_request("SRP_ID_INVALID"));
    };
    // The modular exponentiations run outside the locks.
    if !verifier.check(&session, &srp.a, &srp.m1) {
        return Err(RpcError::bad_request("PASSWORD_HASH_INVALID"));
    }
    let world = ctx.world();
    if world.login.password.as_deref() != Some(verifier.password.as_str()) {
        // The password changed since getPassword.
        return Err(RpcError::bad_request("SRP_ID_INVALID"));
    }
    let mut login = login_state(ctx.dc);
    let user = match (login.password_pending, ctx.dc.authorized_on(ctx.dc_id)) {
        (Some(user), _) | (None, Some(user)) => user,
        (None, None) => return Err(RpcError::new(500, "AUTH_RESTART")),
    };
    let answer = authorization(&world, user)?;
    bind(ctx.dc, ctx.dc_id, user);
    login.reset_flow();
    Ok(answer)
}

fn log_out(ctx: &Ctx, _: tl::functions::auth::LogOut) -> RpcResult<tl::enums::auth::LoggedOut> {
    ctx.require_auth()?;
    // Logging out ends the authorization everywhere, imported copies included.
    ctx.dc
        .authorized
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clear();
    login_state(ctx.dc).reset_flow();
    Ok(tl::types::auth::LoggedOut {
        future_auth_token: None,
    }
    .into())
}

fn import_bot_authorization(
    ctx: &Ctx,
    request: tl::functions::auth::ImportBotAuthorization,
) -> RpcResult<tl::enums::auth::Authorization> {
    check_api(request.api_id, &request.api_hash)?;
    let world = ctx.world();
    let user = world
        .login
        .bot_tokens
        .iter()
        .find(|t| t.token == request.bot_auth_token)
        .map(|t| t.user_id)
        .filter(|id| world.user(*id).is_some())
        .ok_or_else(|| RpcError::bad_request("ACCESS_TOKEN_INVALID"))?;
    let answer = authorization(&world, user)?;
    bind(ctx.dc, ctx.dc_id, user);
    login_state(ctx.dc).reset_flow();
    Ok(answer)
}

fn export_login_token(
    ctx: &Ctx,
    request: tl::functions::auth::ExportLoginToken,
) -> RpcResult<tl::enums::auth::LoginToken> {
    check_api(request.api_id, &request.api_hash)?;
    let world = ctx.world();
    let mut login = login_state(ctx.dc);
    if let Some(qr) = &login.qr
        && let Some(user) = qr.accepted_by
    {
        if let Some(dc_id) = qr.migrate_to.filter(|dc| *dc != ctx.dc_id) {
            return Ok(tl::types::auth::LoginTokenMigrateTo {
                dc_id,
                token: qr.token.clone(),
            }
            .into());
        }
        let authorization = complete(ctx, &world, &mut login, user)?;
        return Ok(tl::types::auth::LoginTokenSuccess { authorization }.into());
    }
    // Every export mints a new token, which replaces the previous one (as on Telegram: a
    // client exports again only when told the token was accepted, or when it expired).
    let token = srp::random_bytes(32);
    let expires = now() + world.login.qr_token_ttl;
    login.qr = Some(QrToken {
        dc_id: ctx.dc_id,
        token: token.clone(),
        expires,
        expired: false,
        accepted_by: None,
        migrate_to: None,
    });
    Ok(tl::types::auth::LoginToken { expires, token }.into())
}

fn import_login_token(
    ctx: &Ctx,
    request: tl::functions::auth::ImportLoginToken,
) -> RpcResult<tl::enums::auth::LoginToken> {
    let world = ctx.world();
    let mut login = login_state(ctx.dc);
    let qr = login
        .qr
        .as_ref()
        .filter(|q| q.token == request.token)
        .ok_or_else(|| RpcError::bad_request("AUTH_TOKEN_INVALID"))?;
    if qr.is_expired() {
        return Err(RpcError::bad_request("AUTH_TOKEN_EXPIRED"));
    }
    let Some(user) = qr.accepted_by else {
        // Not scanned yet: the token is still waiting.
        return Ok(tl::types::auth::LoginToken {
            expires: qr.expires,
            token: qr.token.clone(),
        }
        .into());
    };
    if let Some(dc_id) = qr.migrate_to.filter(|dc| *dc != ctx.dc_id) {
        return Ok(tl::types::auth::LoginTokenMigrateTo {
            dc_id,
            token: qr.token.clone(),
        }
        .into());
    }
    let authorization = complete(ctx, &world, &mut login, user)?;
    Ok(tl::types::auth::LoginTokenSuccess { authorization }.into())
}

/// `auth.exportAuthorization`: on a DC the key is signed in on, one-time bytes that sign the
/// same user in on DC `dc_id` (any served DC but this one, else `DC_ID_INVALID`). Allowed
/// where the account no longer lives: that is how a client follows it.
fn export_authorization(
    ctx: &Ctx,
    request: tl::functions::auth::ExportAuthorization,
) -> RpcResult<tl::enums::auth::ExportedAuthorization> {
    let user = ctx
        .dc
        .authorized_on(ctx.dc_id)
        .ok_or_else(|| RpcError::new(401, "AUTH_KEY_UNREGISTERED"))?;
    let served = ctx.dc.dcs.iter().any(|(id, _)| *id == request.dc_id);
    if !served || request.dc_id == ctx.dc_id {
        return Err(RpcError::bad_request("DC_ID_INVALID"));
    }
    let bytes = srp::random_bytes(32);
    login_state(ctx.dc).exported.push(Exported {
        to: request.dc_id,
        user,
        bytes: bytes.clone(),
    });
    Ok(tl::types::auth::ExportedAuthorization { id: user, bytes }.into())
}

/// `auth.importAuthorization`: signs the key in on this DC with bytes exported for it.
fn import_authorization(
    ctx: &Ctx,
    request: tl::functions::auth::ImportAuthorization,
) -> RpcResult<tl::enums::auth::Authorization> {
    let world = ctx.world();
    let mut login = login_state(ctx.dc);
    let at = login
        .exported
        .iter()
        .position(|e| e.to == ctx.dc_id && e.bytes == request.bytes)
        .ok_or_else(|| RpcError::bad_request("AUTH_BYTES_INVALID"))?;
    if login.exported[at].user != request.id {
        return Err(RpcError::bad_request("USER_ID_INVALID"));
    }
    let exported = login.exported.remove(at);
    let answer = authorization(&world, exported.user)?;
    bind(ctx.dc, ctx.dc_id, exported.user);
    Ok(answer)
}

/// Test controls for datacenters.
impl FakeDc {
    /// Moves the account to DC `dc_id`, as Telegram does now and then: from now on signed-in
    /// requests on any other DC answer `303 USER_MIGRATE_<dc_id>`. The key is not signed in
    /// on `dc_id` by this (unless it already was): a client that follows imports its
    /// authorization there, from a DC it is signed in on.
    pub fn move_account(&self, dc_id: i32) {
        *self.shared().account_dc.lock().unwrap() = Some(dc_id);
    }

    /// The user the key is signed in as on DC `dc_id`.
    pub fn signed_in_on(&self, dc_id: i32) -> Option<i64> {
        self.shared().authorized_on(dc_id)
    }

    /// Signs the key in on DC `dc_id` as the world's self user (as after a login there).
    pub fn sign_in_on(&self, dc_id: i32) {
        let me = self.world().self_id;
        bind(self.shared(), dc_id, me);
    }
}

/// Test controls for logging in.
impl FakeDc {
    /// The user the auth key is signed in as, if any.
    pub fn signed_in_as(&self) -> Option<i64> {
        self.shared().authorized_user()
    }

    /// Makes every login code sent so far expired: `auth.signIn` then answers
    /// `PHONE_CODE_EXPIRED`.
    pub fn expire_login_codes(&self) {
        for code in login_state(self.shared()).codes.values_mut() {
            code.expired = true;
        }
    }

    /// Makes the current QR login token expired: accepting or importing it then fails with
    /// `AUTH_TOKEN_EXPIRED`.
    pub fn expire_login_tokens(&self) {
        if let Some(qr) = login_state(self.shared()).qr.as_mut() {
            qr.expired = true;
        }
    }

    /// "Scans" a QR login token with the self user's account (`auth.acceptLoginToken` on
    /// another device). Without 2FA or DC migration the key is signed in at once and the next
    /// `auth.exportLoginToken` answers `auth.loginTokenSuccess`. Every open connection on the
    /// token's DC is pushed `updateShort { updateLoginToken }`. Errors are Telegram's names.
    pub fn accept_login_token(&self, token: &[u8]) -> Result<(), String> {
        let world = self.world();
        let mut login = login_state(self.shared());
        let migrate_to = login.qr_migrate_to;
        let qr = login
            .qr
            .as_mut()
            .filter(|q| q.token == token)
            .ok_or("AUTH_TOKEN_INVALID")?;
        if qr.is_expired() {
            return Err("AUTH_TOKEN_EXPIRED".into());
        }
        if qr.accepted_by.is_some() {
            return Err("AUTH_TOKEN_ALREADY_ACCEPTED".into());
        }
        qr.accepted_by = Some(world.self_id);
        qr.migrate_to = migrate_to;
        let dc_id = qr.dc_id;
        if migrate_to.is_none() && world.login.password.is_none() {
            bind(self.shared(), dc_id, world.self_id);
        }
        drop(login);
        // Telegram tells the waiting client at once, so it exports again to finish.
        let update = tl::types::UpdateShort {
            update: tl::enums::Update::LoginToken,
            date: now(),
        };
        self.shared().push_updates(dc_id, &update.into());
        Ok(())
    }

    /// The current QR login token and when it expires (unix time), if one was exported.
    pub fn login_token(&self) -> Option<(Vec<u8>, i32)> {
        login_state(self.shared())
            .qr
            .as_ref()
            .map(|q| (q.token.clone(), q.expires))
    }

    /// The account of QR tokens accepted from now on lives in DC `dc_id`: after acceptance,
    /// `auth.exportLoginToken` elsewhere answers `auth.loginTokenMigrateTo { dc_id, token }`
    /// and `auth.importLoginToken` on that DC completes the login.
    pub fn set_qr_migrate_to(&self, dc_id: i32) {
        login_state(self.shared()).qr_migrate_to = Some(dc_id);
    }
}
