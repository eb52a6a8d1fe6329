//! What each tool costs in Telegram requests, measured through the DC's request record: every
//! common case is called once in a first process (which resolves and remembers its chats), then
//! in a fresh process on the same session file ("cold": the first call after a restart) and
//! once more there ("warm"). Shared by `examples/request_budget.rs`, which prints the table in
//! README.md, and by the e2e test that holds the counts (they are deterministic).

use std::collections::BTreeMap;

use grammers_tl_types as tl;
use serde_json::{Value, json};

use crate::harness::{Client, Harness, call};
use crate::wait::wait_until;
use crate::world::files::{media_ids, media_world};

/// One common case of a tool.
pub struct Case {
    pub tool: &'static str,
    pub case: &'static str,
    pub args: Value,
    /// What the first process calls to meet the chat, when not the case itself (a write that
    /// changes what the next call finds: `mark_read` reads the chat with `get_messages`).
    pub meet: Option<(&'static str, Value)>,
}

/// The common cases, on the sample world with media ([`crate::world::files::media_world`]).
pub fn cases() -> Vec<Case> {
    let case = |tool, case, args| Case {
        tool,
        case,
        args,
        meet: None,
    };
    vec![
        case(
            "get_messages",
            "latest, chat by @username",
            json!({"chat_id": "@babbage", "limit": 20}),
        ),
        case(
            "get_messages",
            "latest, chat by id",
            json!({"chat_id": "-1001000000001", "limit": 20}),
        ),
        case(
            "get_messages",
            "search in a chat",
            json!({"chat_id": "@rust_learners", "query": "rust"}),
        ),
        case(
            "get_chat_info",
            "channel by @username",
            json!({"chat_id": "@engine_news"}),
        ),
        case("find_chats", "by name", json!({"query": "rust"})),
        case("find_chats", "chat list", json!({"limit": 20})),
        case(
            "find_chats",
            "folder of categories",
            json!({"folder": "People"}),
        ),
        case(
            "find_chats",
            "folder of chosen chats",
            json!({"folder": "Work"}),
        ),
        case(
            "search_messages_globally",
            "one term",
            json!({"query": "engine"}),
        ),
        case(
            "send_message",
            "to @username",
            json!({"chat_id": "@babbage", "message": "hello"}),
        ),
        case(
            "send_message",
            "to me",
            json!({"chat_id": "me", "message": "hello"}),
        ),
        case(
            "send_message_to_phone",
            "to a contact",
            json!({"phone_number": "+15550001005", "message": "hello"}),
        ),
        case("find_chats", "unread chats", json!({"unread": true})),
        case(
            "get_messages",
            "unread in a chat",
            json!({"chat_id": "-4001", "unread": true}),
        ),
        case(
            "get_messages",
            "after a message, a reply there already",
            json!({"chat_id": "@babbage", "after_id": 4, "wait_seconds": 10}),
        ),
        case(
            "get_messages",
            "waiting 4 s for a reply that does not come",
            // After the chat's newest message (the media world's last one).
            json!({"chat_id": "@babbage", "after_id": media_ids::LARGE_ON_DC4, "wait_seconds": 4}),
        ),
        Case {
            meet: Some(("get_messages", json!({"chat_id": "-4001", "limit": 1}))),
            ..case(
                "mark_read",
                "a chat with unread messages",
                json!({"chat_id": "-4001"}),
            )
        },
        case(
            "mark_read",
            "a whole forum (its topics looked at)",
            json!({"chat_id": "-1001000000004"}),
        ),
        Case {
            meet: Some(("get_messages", json!({"chat_id": "1001", "limit": 1}))),
            ..case(
                "delete_messages",
                "in a private chat",
                json!({"chat_id": "1001", "message_ids": [2]}),
            )
        },
        Case {
            meet: Some((
                "get_messages",
                json!({"chat_id": "-1001000000001", "limit": 1}),
            )),
            ..case(
                "delete_messages",
                "own message in a supergroup",
                json!({"chat_id": "-1001000000001", "message_ids": [5]}),
            )
        },
        case(
            "react_or_pin",
            "react",
            json!({"chat_id": "-1001000000001", "message_id": 6, "reaction": "👍"}),
        ),
        case(
            "react_or_pin",
            "pin",
            json!({"chat_id": "1001", "message_id": 3, "pin": true}),
        ),
        case(
            "send_message",
            "forward two messages to me",
            json!({"chat_id": "me", "message": "", "forward_from": "1001", "message_ids": [1, 3]}),
        ),
        case(
            "get_media",
            "a photo, shown",
            json!({"chat_id": "@babbage", "message_id": media_ids::PHOTO}),
        ),
        case(
            "get_media",
            "a text file, shown",
            json!({"chat_id": "@babbage", "message_id": media_ids::TEXT}),
        ),
        case(
            "get_media",
            "a 3 MiB file, described",
            json!({"chat_id": "@babbage", "message_id": media_ids::ARCHIVE}),
        ),
    ]
}

/// Requests by TL method name.
pub type Counts = BTreeMap<String, usize>;

/// What one case cost.
pub struct Measured {
    pub tool: &'static str,
    pub case: &'static str,
    /// The first call in a fresh process on a session that met the chat before.
    pub cold: Counts,
    /// The same call again in that process.
    pub warm: Counts,
}

/// The total of a count.
pub fn total(counts: &Counts) -> usize {
    counts.values().sum()
}

/// README.md's row for a measured case: `| tool | case | cold | warm |`, a cell as
/// `2 (getDialogFilters, getDialogs)` (the total and the methods, `messages.` left out), warm
/// as `same` when it equals cold.
pub fn table_row(m: &Measured) -> String {
    let cell = |counts: &Counts| {
        let methods: Vec<String> = counts
            .iter()
            .map(|(name, n)| {
                let name = name.strip_prefix("messages.").unwrap_or(name);
                match n {
                    1 => format!("`{name}`"),
                    n => format!("`{name}` ×{n}"),
                }
            })
            .collect();
        format!("{} ({})", total(counts), methods.join(", "))
    };
    let warm = if m.warm == m.cold {
        "same".to_string()
    } else {
        cell(&m.warm)
    };
    format!("| `{}` | {} | {} | {warm} |", m.tool, m.case, cell(&m.cold))
}

/// `messages.getHistory ×1, …`, for a message.
pub fn describe(counts: &Counts) -> String {
    if counts.is_empty() {
        return "none".into();
    }
    counts
        .iter()
        .map(|(name, n)| format!("{name} ×{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A server on `h`'s session, connected (its first contact, `users.getUsers`, answered), with
/// the DC's record emptied.
async fn fresh_process(h: &Harness) -> Client {
    h.dc.clear_requests();
    let client = h.client().await;
    wait_until("the first contact", || {
        h.dc.count_of::<tl::functions::users::GetUsers>() > 0
    })
    .await;
    h.dc.clear_requests();
    client
}

/// The requests `args` costs when called now.
async fn cost(h: &Harness, client: &Client, case: &Case) -> Counts {
    h.dc.clear_requests();
    let (err, v) = call(client, case.tool, case.args.clone()).await;
    assert!(!err, "{} ({}) answers: {v}", case.tool, case.case);
    let mut counts = Counts::new();
    for name in h.dc.request_names() {
        *counts.entry(name).or_default() += 1;
    }
    counts
}

/// Measures one case on a DC of its own (see the module's documentation).
pub async fn measure(case: &Case) -> Measured {
    let h = Harness::with(media_world(), true).await;
    let first = fresh_process(&h).await;
    let meet = case.meet.as_ref().map(|(tool, args)| Case {
        tool,
        case: case.case,
        args: args.clone(),
        meet: None,
    });
    cost(&h, &first, meet.as_ref().unwrap_or(case)).await;
    first.cancel().await.expect("the first server stops");
    let client = fresh_process(&h).await;
    let cold = cost(&h, &client, case).await;
    let warm = cost(&h, &client, case).await;
    client.cancel().await.expect("the server stops");
    Measured {
        tool: case.tool,
        case: case.case,
        cold,
        warm,
    }
}

/// Every case, one after the other.
pub async fn measure_all() -> Vec<Measured> {
    let mut all = Vec::new();
    for case in cases() {
        all.push(measure(&case).await);
    }
    all
}
