//! Logging in against the loopback DC with the real grammers client: phone code, 2FA with real
//! SRP, bot tokens, log-out and QR login (including DC migration).

use grammers_client::SignInError;
use grammers_client::client::PasswordToken;
use grammers_tl_types as tl;

use crate::client::{connect, sample_world};
use testkit::fake_dc::{DcOptions, FakeDc};
use testkit::world::World;

const API_HASH: &str = "0123456789abcdef0123456789abcdef";
const PHONE: &str = "+1 555 000 1000";
const PASSWORD: &str = "correct horse battery staple";

/// The sample world with a different `login` section.
fn world_with_login(login: serde_json::Value) -> World {
    testkit::world::sample_with_login(login)
}

fn two_factor_world() -> World {
    world_with_login(
        serde_json::json!({"code": "24680", "password": PASSWORD, "hint": "the comic"}),
    )
}

fn start_signed_out(world: World) -> FakeDc {
    FakeDc::start_with(DcOptions {
        signed_in: false,
        ..DcOptions::new(world)
    })
    .unwrap()
}

fn rpc_name(err: &grammers_client::InvocationError) -> (i32, String) {
    match err {
        grammers_client::InvocationError::Rpc(rpc) => (rpc.code, rpc.name.clone()),
        other => panic!("expected an RPC error, got {other}"),
    }
}

fn send_code_request(phone: &str) -> tl::functions::auth::SendCode {
    tl::functions::auth::SendCode {
        phone_number: phone.into(),
        api_id: 12345,
        api_hash: API_HASH.into(),
        settings: tl::types::CodeSettings {
            allow_flashcall: false,
            current_number: false,
            allow_app_hash: false,
            allow_missed_call: false,
            allow_firebase: false,
            unknown_number: false,
            logout_tokens: None,
            token: None,
            app_sandbox: None,
        }
        .into(),
    }
}

fn sign_in_request(phone: &str, hash: &str, code: &str) -> tl::functions::auth::SignIn {
    tl::functions::auth::SignIn {
        phone_number: phone.into(),
        phone_code_hash: hash.into(),
        phone_code: Some(code.into()),
        email_verification: None,
    }
}

fn sent_code(answer: tl::enums::auth::SentCode) -> tl::types::auth::SentCode {
    match answer {
        tl::enums::auth::SentCode::Code(code) => code,
        other => panic!("expected auth.sentCode, got {other:?}"),
    }
}

fn export_request() -> tl::functions::auth::ExportLoginToken {
    tl::functions::auth::ExportLoginToken {
        api_id: 12345,
        api_hash: API_HASH.into(),
        except_ids: Vec::new(),
    }
}

#[test]
fn telegram_prime_passes_grammers_check() {
    use testkit::fake_dc::srp;
    let p = srp::telegram_p();
    assert_eq!(p.len(), 256);
    assert!(grammers_crypto::two_factor_auth::check_p_and_g(
        &p,
        &srp::TELEGRAM_G
    ));
}

#[tokio::test]
async fn code_login_signs_in_the_self_user() {
    let dc = start_signed_out(sample_world());
    let tc = connect(&dc, false).await;
    assert!(!tc.client.is_authorized().await.unwrap());
    let token = tc.client.request_login_code(PHONE, API_HASH).await.unwrap();
    let user = tc.client.sign_in(&token, "12345").await.unwrap();
    assert_eq!(user.id().bare_id_unchecked(), 1000);
    assert_eq!(dc.signed_in_as(), Some(1000));
    assert!(tc.client.is_authorized().await.unwrap());
    assert_eq!(tc.client.get_me().await.unwrap().username(), Some("ada"));

    let sent = dc.requests_of::<tl::functions::auth::SendCode>();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].phone_number, PHONE);
    let signed = dc.requests_of::<tl::functions::auth::SignIn>();
    assert_eq!(signed[0].phone_code.as_deref(), Some("12345"));
}

#[tokio::test]
async fn account_with_a_session_gets_the_code_in_app() {
    let dc = start_signed_out(sample_world());
    let tc = connect(&dc, false).await;
    let code = sent_code(
        tc.client
            .invoke(&send_code_request("15550001000"))
            .await
            .unwrap(),
    );
    assert!(matches!(code.r#type, tl::enums::auth::SentCodeType::App(ref a) if a.length == 5));
    assert!(!code.phone_code_hash.is_empty());
    assert!(code.timeout.is_some());
    let again = sent_code(
        tc.client
            .invoke(&send_code_request("15550001000"))
            .await
            .unwrap(),
    );
    assert_ne!(
        again.phone_code_hash, code.phone_code_hash,
        "every code gets a fresh hash"
    );
}

#[tokio::test]
async fn wrong_code_is_invalid_and_the_right_one_still_works() {
    let dc = start_signed_out(sample_world());
    let tc = connect(&dc, false).await;
    let token = tc.client.request_login_code(PHONE, API_HASH).await.unwrap();
    let err = tc.client.sign_in(&token, "11111").await.unwrap_err();
    assert!(matches!(err, SignInError::InvalidCode), "{err}");
    assert!(!dc.is_signed_in());
    tc.client.sign_in(&token, "12345").await.unwrap();
    assert_eq!(dc.signed_in_as(), Some(1000));

    let client = &tc.client;
    let code = sent_code(client.invoke(&send_code_request(PHONE)).await.unwrap());
    let err = client
        .invoke(&sign_in_request(PHONE, &code.phone_code_hash, "00000"))
        .await
        .unwrap_err();
    assert_eq!(rpc_name(&err), (400, "PHONE_CODE_INVALID".into()));
}

#[tokio::test]
async fn expired_or_superseded_codes_answer_phone_code_expired() {
    let dc = start_signed_out(sample_world());
    let tc = connect(&dc, false).await;
    let client = &tc.client;
    let first = sent_code(client.invoke(&send_code_request(PHONE)).await.unwrap());
    let second = sent_code(client.invoke(&send_code_request(PHONE)).await.unwrap());
    let err = client
        .invoke(&sign_in_request(PHONE, &first.phone_code_hash, "12345"))
        .await
        .unwrap_err();
    assert_eq!(
        rpc_name(&err),
        (400, "PHONE_CODE_EXPIRED".into()),
        "a new code replaces the old one"
    );

    dc.expire_login_codes();
    let err = client
        .invoke(&sign_in_request(PHONE, &second.phone_code_hash, "12345"))
        .await
        .unwrap_err();
    assert_eq!(rpc_name(&err), (400, "PHONE_CODE_EXPIRED".into()));
    let err = client
        .invoke(&sign_in_request(PHONE, "", "12345"))
        .await
        .unwrap_err();
    assert_eq!(rpc_name(&err), (400, "PHONE_CODE_HASH_EMPTY".into()));
    assert!(!dc.is_signed_in());

    // grammers reports any PHONE_CODE_* as an invalid code.
    let token = client.request_login_code(PHONE, API_HASH).await.unwrap();
    dc.expire_login_codes();
    let err = client.sign_in(&token, "12345").await.unwrap_err();
    assert!(matches!(err, SignInError::InvalidCode), "{err}");
}

#[tokio::test]
async fn a_code_signs_in_only_once() {
    let dc = start_signed_out(sample_world());
    let tc = connect(&dc, false).await;
    let client = &tc.client;
    let code = sent_code(client.invoke(&send_code_request(PHONE)).await.unwrap());
    client
        .invoke(&sign_in_request(PHONE, &code.phone_code_hash, "12345"))
        .await
        .unwrap();
    let err = client
        .invoke(&sign_in_request(PHONE, &code.phone_code_hash, "12345"))
        .await
        .unwrap_err();
    assert_eq!(rpc_name(&err), (400, "PHONE_CODE_EXPIRED".into()));
}

#[tokio::test]
async fn malformed_number_is_invalid() {
    let dc = start_signed_out(sample_world());
    let tc = connect(&dc, false).await;
    for phone in ["+1 555 CALL ADA", "123"] {
        let Err(err) = tc.client.request_login_code(phone, API_HASH).await else {
            panic!("{phone} was accepted");
        };
        assert_eq!(rpc_name(&err), (400, "PHONE_NUMBER_INVALID".into()));
    }
}

#[tokio::test]
async fn unregistered_number_must_sign_up() {
    let dc = start_signed_out(sample_world());
    let tc = connect(&dc, false).await;
    let code = sent_code(
        tc.client
            .invoke(&send_code_request("+44 20 7946 0000"))
            .await
            .unwrap(),
    );
    assert!(
        matches!(code.r#type, tl::enums::auth::SentCodeType::Sms(_)),
        "new numbers get an SMS"
    );

    let token = tc
        .client
        .request_login_code("+44 20 7946 0000", API_HASH)
        .await
        .unwrap();
    let err = tc.client.sign_in(&token, "12345").await.unwrap_err();
    assert!(matches!(err, SignInError::SignUpRequired), "{err}");
    assert!(!dc.is_signed_in());
}

#[tokio::test]
async fn two_factor_login_with_the_right_password() {
    let dc = start_signed_out(two_factor_world());
    let tc = connect(&dc, false).await;
    let token = tc.client.request_login_code(PHONE, API_HASH).await.unwrap();
    let password_token = match tc.client.sign_in(&token, "24680").await {
        Err(SignInError::PasswordRequired(t)) => t,
        other => panic!(
            "expected a password request, got {:?}",
            other.map(|u| u.id())
        ),
    };
    assert_eq!(password_token.hint(), Some("the comic"));
    assert!(!dc.is_signed_in(), "the code alone does not sign in");
    let user = tc
        .client
        .check_password(password_token, PASSWORD)
        .await
        .unwrap();
    assert_eq!(user.id().bare_id_unchecked(), 1000);
    assert_eq!(dc.signed_in_as(), Some(1000));

    let names = dc.request_names();
    let at = |name: &str| names.iter().position(|n| n == name).unwrap();
    assert!(at("auth.signIn") < at("account.getPassword"));
    assert!(at("account.getPassword") < at("auth.checkPassword"));
    let check = &dc.requests_of::<tl::functions::auth::CheckPassword>()[0];
    let tl::enums::InputCheckPasswordSrp::Srp(srp) = &check.password else {
        panic!("expected SRP")
    };
    assert_eq!((srp.a.len(), srp.m1.len()), (256, 32));
}

#[tokio::test]
async fn two_factor_wrong_password_is_refused_then_the_right_one_works() {
    let dc = start_signed_out(two_factor_world());
    let tc = connect(&dc, false).await;
    let token = tc.client.request_login_code(PHONE, API_HASH).await.unwrap();
    let Err(SignInError::PasswordRequired(password_token)) =
        tc.client.sign_in(&token, "24680").await
    else {
        panic!("expected a password request");
    };
    let retry = match tc.client.check_password(password_token, "hunter2").await {
        Err(SignInError::InvalidPassword(t)) => t,
        other => panic!(
            "expected an invalid password, got {:?}",
            other.map(|u| u.id())
        ),
    };
    assert!(!dc.is_signed_in());
    let err = tc.client.get_me().await.unwrap_err();
    assert!(err.to_string().contains("AUTH_KEY_UNREGISTERED"), "{err}");

    tc.client.check_password(retry, PASSWORD).await.unwrap();
    assert_eq!(dc.signed_in_as(), Some(1000));
    assert_eq!(dc.count_of::<tl::functions::auth::CheckPassword>(), 2);
}

#[tokio::test]
async fn get_password_without_a_password_offers_new_algo() {
    let dc = start_signed_out(sample_world());
    let tc = connect(&dc, false).await;
    let tl::enums::account::Password::Password(password) = tc
        .client
        .invoke(&tl::functions::account::GetPassword {})
        .await
        .unwrap();
    assert!(!password.has_password);
    assert!(
        password.current_algo.is_none() && password.srp_b.is_none() && password.srp_id.is_none()
    );
    assert_eq!(password.secure_random.len(), 256);
    let tl::enums::PasswordKdfAlgo::Sha256Sha256Pbkdf2Hmacsha512iter100000Sha256ModPow(algo) =
        password.new_algo
    else {
        panic!("expected the SRP algorithm")
    };
    assert_eq!((algo.g, algo.p.len()), (3, 256));
}

#[tokio::test]
async fn sign_in_with_a_password_answers_session_password_needed() {
    let dc = start_signed_out(two_factor_world());
    let tc = connect(&dc, false).await;
    let code = sent_code(tc.client.invoke(&send_code_request(PHONE)).await.unwrap());
    let err = tc
        .client
        .invoke(&sign_in_request(PHONE, &code.phone_code_hash, "24680"))
        .await
        .unwrap_err();
    assert_eq!(rpc_name(&err), (401, "SESSION_PASSWORD_NEEDED".into()));
}

#[tokio::test]
async fn bot_token_signs_in_as_the_bot() {
    let world = world_with_login(serde_json::json!({
        "bot_tokens": [{"token": "1004:AAHweatherTOKEN", "user_id": 1004}]
    }));
    let dc = start_signed_out(world);
    let tc = connect(&dc, false).await;
    let bot = tc
        .client
        .bot_sign_in("1004:AAHweatherTOKEN", API_HASH)
        .await
        .unwrap();
    assert_eq!(bot.id().bare_id_unchecked(), 1004);
    assert!(bot.is_bot());
    assert_eq!(dc.signed_in_as(), Some(1004));
    let request = &dc.requests_of::<tl::functions::auth::ImportBotAuthorization>()[0];
    assert_eq!(request.bot_auth_token, "1004:AAHweatherTOKEN");
}

#[tokio::test]
async fn unknown_bot_token_is_refused() {
    let world = world_with_login(serde_json::json!({
        "bot_tokens": [{"token": "1004:AAHweatherTOKEN", "user_id": 1004}]
    }));
    let dc = start_signed_out(world);
    let tc = connect(&dc, false).await;
    let err = tc
        .client
        .bot_sign_in("1004:wrong", API_HASH)
        .await
        .unwrap_err();
    assert_eq!(rpc_name(&err), (400, "ACCESS_TOKEN_INVALID".into()));
    assert!(!dc.is_signed_in());
}

#[tokio::test]
async fn log_out_then_calls_answer_401() {
    let dc = FakeDc::start(sample_world()).unwrap();
    let tc = connect(&dc, true).await;
    tc.client.get_me().await.unwrap();
    let out = tc.client.sign_out().await.unwrap();
    assert!(matches!(out, tl::enums::auth::LoggedOut::Out(_)));
    assert!(!dc.is_signed_in());
    let err = tc.client.get_me().await.unwrap_err();
    assert_eq!(rpc_name(&err), (401, "AUTH_KEY_UNREGISTERED".into()));
    assert!(!tc.client.is_authorized().await.unwrap());
    let err = tc.client.sign_out().await.unwrap_err();
    assert_eq!(
        rpc_name(&err),
        (401, "AUTH_KEY_UNREGISTERED".into()),
        "logging out twice"
    );
    assert_eq!(dc.count_of::<tl::functions::auth::LogOut>(), 2);
}

#[tokio::test]
async fn qr_login_succeeds_once_the_token_is_accepted() {
    let dc = start_signed_out(sample_world());
    let tc = connect(&dc, false).await;
    let tl::enums::auth::LoginToken::Token(token) =
        tc.client.invoke(&export_request()).await.unwrap()
    else {
        panic!("expected a login token");
    };
    assert!(!token.token.is_empty());
    assert!(token.expires > testkit::world::tl_build::now());
    assert!(!dc.is_signed_in());

    dc.accept_login_token(&token.token).unwrap();
    assert_eq!(dc.signed_in_as(), Some(1000), "accepting signs the key in");
    let answer = tc.client.invoke(&export_request()).await.unwrap();
    let tl::enums::auth::LoginToken::Success(success) = answer else {
        panic!("expected loginTokenSuccess, got {answer:?}");
    };
    let tl::enums::auth::Authorization::Authorization(auth) = success.authorization else {
        panic!("expected an authorization");
    };
    assert_eq!(auth.user.id(), 1000);
    assert!(tc.client.is_authorized().await.unwrap());
    assert_eq!(dc.count_of::<tl::functions::auth::ExportLoginToken>(), 2);
}

#[tokio::test]
async fn every_export_mints_a_new_token_and_only_the_newest_is_accepted() {
    let dc = start_signed_out(sample_world());
    let tc = connect(&dc, false).await;
    let export = || async {
        match tc.client.invoke(&export_request()).await.unwrap() {
            tl::enums::auth::LoginToken::Token(token) => token,
            other => panic!("expected a login token, got {other:?}"),
        }
    };
    let first = export().await;
    let again = export().await;
    assert_ne!(again.token, first.token, "a fresh token on every export");
    assert_eq!(
        dc.accept_login_token(&first.token),
        Err("AUTH_TOKEN_INVALID".into()),
        "the previous token was replaced"
    );
    dc.accept_login_token(&again.token).unwrap();
    assert!(matches!(
        tc.client.invoke(&export_request()).await.unwrap(),
        tl::enums::auth::LoginToken::Success(_)
    ));
}

#[tokio::test]
async fn accepting_a_token_pushes_update_login_token() {
    use grammers_session::updates::UpdatesLike;
    let dc = start_signed_out(sample_world());
    let mut tc = connect(&dc, false).await;
    let tl::enums::auth::LoginToken::Token(token) =
        tc.client.invoke(&export_request()).await.unwrap()
    else {
        panic!("expected a login token");
    };
    dc.accept_login_token(&token.token).unwrap();
    let pushed = tokio::time::timeout(std::time::Duration::from_secs(10), tc.updates.recv())
        .await
        .expect("an update arrives")
        .expect("the updates channel is open");
    let UpdatesLike::Updates(tl::enums::Updates::UpdateShort(short)) = pushed else {
        panic!("expected updateShort, got {pushed:?}");
    };
    assert!(matches!(short.update, tl::enums::Update::LoginToken));
    assert_eq!(
        dc.count_of::<tl::functions::auth::ExportLoginToken>(),
        1,
        "pushed, not asked for"
    );
}

#[tokio::test]
async fn expired_qr_token_is_refused() {
    let dc = start_signed_out(sample_world());
    let tc = connect(&dc, false).await;
    let tl::enums::auth::LoginToken::Token(token) =
        tc.client.invoke(&export_request()).await.unwrap()
    else {
        panic!("expected a login token");
    };
    dc.expire_login_tokens();
    assert_eq!(
        dc.accept_login_token(&token.token),
        Err("AUTH_TOKEN_EXPIRED".into())
    );
    let err = tc
        .client
        .invoke(&tl::functions::auth::ImportLoginToken {
            token: token.token.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(rpc_name(&err), (400, "AUTH_TOKEN_EXPIRED".into()));
    let err = tc
        .client
        .invoke(&tl::functions::auth::ImportLoginToken {
            token: vec![1, 2, 3],
        })
        .await
        .unwrap_err();
    assert_eq!(rpc_name(&err), (400, "AUTH_TOKEN_INVALID".into()));
    // A fresh export hands out a new, valid token.
    let tl::enums::auth::LoginToken::Token(fresh) =
        tc.client.invoke(&export_request()).await.unwrap()
    else {
        panic!("expected a login token");
    };
    assert_ne!(fresh.token, token.token);
    assert!(!dc.is_signed_in());
}

#[tokio::test]
async fn qr_login_migrates_to_the_accounts_dc() {
    let dc = FakeDc::start_with(DcOptions {
        signed_in: false,
        dc_ids: vec![2, 4],
        ..DcOptions::new(sample_world())
    })
    .unwrap();
    dc.set_qr_migrate_to(4);
    let tc = connect(&dc, false).await;
    let tl::enums::auth::LoginToken::Token(token) =
        tc.client.invoke(&export_request()).await.unwrap()
    else {
        panic!("expected a login token");
    };
    dc.accept_login_token(&token.token).unwrap();
    assert!(!dc.is_signed_in(), "the account lives in DC 4");

    let answer = tc.client.invoke(&export_request()).await.unwrap();
    let tl::enums::auth::LoginToken::MigrateTo(migrate) = answer else {
        panic!("expected loginTokenMigrateTo, got {answer:?}");
    };
    assert_eq!(migrate.dc_id, 4);
    assert_eq!(migrate.token, token.token);

    let answer = tc
        .client
        .invoke_in_dc(
            4,
            &tl::functions::auth::ImportLoginToken {
                token: migrate.token,
            },
        )
        .await
        .unwrap();
    let tl::enums::auth::LoginToken::Success(success) = answer else {
        panic!("expected loginTokenSuccess from DC 4, got {answer:?}");
    };
    let tl::enums::auth::Authorization::Authorization(auth) = success.authorization else {
        panic!("expected an authorization");
    };
    assert_eq!(auth.user.id(), 1000);
    assert_eq!(dc.signed_in_as(), Some(1000));
    let imports = dc.requests_of::<tl::functions::auth::ImportLoginToken>();
    assert_eq!(imports.len(), 1);
    assert_eq!(imports[0].token, token.token);
    // DC 4 is a connection of its own.
    let connections: std::collections::BTreeSet<u64> =
        dc.requests().iter().map(|r| r.connection).collect();
    assert!(connections.len() >= 2);
}

#[tokio::test]
async fn qr_login_on_a_two_factor_account_needs_the_password() {
    let dc = start_signed_out(two_factor_world());
    let tc = connect(&dc, false).await;
    let tl::enums::auth::LoginToken::Token(token) =
        tc.client.invoke(&export_request()).await.unwrap()
    else {
        panic!("expected a login token");
    };
    dc.accept_login_token(&token.token).unwrap();
    assert!(!dc.is_signed_in());
    let err = tc.client.invoke(&export_request()).await.unwrap_err();
    assert_eq!(rpc_name(&err), (401, "SESSION_PASSWORD_NEEDED".into()));

    let tl::enums::account::Password::Password(password) = tc
        .client
        .invoke(&tl::functions::account::GetPassword {})
        .await
        .unwrap();
    assert!(password.has_password);
    let user = tc
        .client
        .check_password(PasswordToken::new(password), PASSWORD)
        .await
        .unwrap();
    assert_eq!(user.id().bare_id_unchecked(), 1000);
    assert_eq!(dc.signed_in_as(), Some(1000));
}

#[tokio::test]
async fn a_code_sent_by_email_is_taken_only_as_email_verification() {
    let dc = start_signed_out(world_with_login(serde_json::json!({"code_type": "email"})));
    let tc = connect(&dc, false).await;
    let sent = sent_code(tc.client.invoke(&send_code_request(PHONE)).await.unwrap());
    assert!(matches!(
        sent.r#type,
        tl::enums::auth::SentCodeType::EmailCode(_)
    ));
    let hash = sent.phone_code_hash;
    let err = tc
        .client
        .invoke(&sign_in_request(PHONE, &hash, "12345"))
        .await
        .unwrap_err();
    assert_eq!(rpc_name(&err), (400, "PHONE_CODE_EMPTY".into()));
    let by_email = |code: &str| tl::functions::auth::SignIn {
        email_verification: Some(tl::types::EmailVerificationCode { code: code.into() }.into()),
        phone_code: None,
        ..sign_in_request(PHONE, &hash, "")
    };
    let err = tc.client.invoke(&by_email("99999")).await.unwrap_err();
    assert_eq!(rpc_name(&err), (400, "EMAIL_CODE_INVALID".into()));
    tc.client.invoke(&by_email("12345")).await.unwrap();
    assert_eq!(dc.signed_in_as(), Some(1000));
}

#[tokio::test]
async fn a_login_email_is_set_up_before_the_code_is_sent_to_it() {
    let dc = start_signed_out(world_with_login(
        serde_json::json!({"code_type": "set_up_email_required"}),
    ));
    let tc = connect(&dc, false).await;
    let sent = sent_code(tc.client.invoke(&send_code_request(PHONE)).await.unwrap());
    assert!(matches!(
        sent.r#type,
        tl::enums::auth::SentCodeType::SetUpEmailRequired(_)
    ));
    let purpose: tl::enums::EmailVerifyPurpose = tl::types::EmailVerifyPurposeLoginSetup {
        phone_number: PHONE.into(),
        phone_code_hash: sent.phone_code_hash.clone(),
    }
    .into();
    let send = |email: &str| tl::functions::account::SendVerifyEmailCode {
        purpose: purpose.clone(),
        email: email.into(),
    };
    let err = tc.client.invoke(&send("nobody")).await.unwrap_err();
    assert_eq!(rpc_name(&err), (400, "EMAIL_INVALID".into()));
    let tl::enums::account::SentEmailCode::Code(mailed) =
        tc.client.invoke(&send("ada@example.org")).await.unwrap();
    assert_eq!(mailed.email_pattern, "a•••@example.org");
    assert_eq!(mailed.length, 5);
    let verify = |code: &str| tl::functions::account::VerifyEmail {
        purpose: purpose.clone(),
        verification: tl::types::EmailVerificationCode { code: code.into() }.into(),
    };
    let err = tc.client.invoke(&verify("11111")).await.unwrap_err();
    assert_eq!(rpc_name(&err), (400, "CODE_INVALID".into()));
    let verified = tc.client.invoke(&verify("67890")).await.unwrap();
    let tl::enums::account::EmailVerified::Login(login) = verified else {
        panic!("expected account.emailVerifiedLogin, got {verified:?}");
    };
    assert_eq!(login.email, "ada@example.org");
    let code = sent_code(login.sent_code);
    assert!(matches!(
        code.r#type,
        tl::enums::auth::SentCodeType::EmailCode(_)
    ));
    let sign_in = tl::functions::auth::SignIn {
        email_verification: Some(
            tl::types::EmailVerificationCode {
                code: "12345".into(),
            }
            .into(),
        ),
        phone_code: None,
        ..sign_in_request(PHONE, &code.phone_code_hash, "")
    };
    tc.client.invoke(&sign_in).await.unwrap();
    assert_eq!(dc.signed_in_as(), Some(1000));
}
