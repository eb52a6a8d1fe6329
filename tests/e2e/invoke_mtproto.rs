//! `invoke_mtproto` over stdio against the loopback DC: any method by name, peers resolved,
//! dangerous methods guarded, RPC errors and unknown names explained, read-only mode.

use grammers_tl_types as tl;
use serde_json::{Value, json};

use crate::harness::{Harness, call, spawn};
use crate::support::fake_dc::{FaultAction, FaultRule};
use crate::support::world::Peer;

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
    let a = tool.annotations.as_ref().unwrap();
    assert_eq!(a.title.as_deref(), Some("Invoke MTProto method"));
    assert_eq!(a.destructive_hint, Some(true));

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
