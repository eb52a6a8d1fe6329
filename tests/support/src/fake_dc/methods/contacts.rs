//! Contacts and peer lookup: `contacts.search`, `contacts.resolveUsername`,
//! `contacts.resolvePhone`, `contacts.getContacts`, `contacts.importContacts` and
//! `contacts.deleteContacts`.
//!
//! Search matches like Telegram's: every word of the query must start a word of the name or
//! title, or the whole query must start the username (`@` ignored), or — for contacts only —
//! the query's digits must start the phone number. `my_results` are peers the account knows
//! (contacts and chat-list peers); `results` are other public peers (with a username).

use grammers_tl_types as tl;

use super::{Ctx, RpcError, RpcResult, input_user};
use crate::world::tl_build::{self, Mentioned, now};
use crate::world::{ChatKind, Peer, World};

use super::dialogs;

/// Telegram's cap on `contacts.search` results per list.
pub const SEARCH_LIMIT_MAX: i32 = 100;

pub fn route(ctx: &Ctx, id: u32, body: &[u8]) -> Option<RpcResult<Vec<u8>>> {
    fake_dc_routes!(ctx, id, body, {
        tl::functions::contacts::Search => search,
        tl::functions::contacts::ResolveUsername => resolve_username,
        tl::functions::contacts::ResolvePhone => resolve_phone,
        tl::functions::contacts::GetContacts => get_contacts,
        tl::functions::contacts::ImportContacts => import_contacts,
        tl::functions::contacts::DeleteContacts => delete_contacts,
    })
}

/// Phone digits only (`+1 (555) 000-1001` → `15550001001`).
pub fn phone_digits(phone: &str) -> String {
    phone.chars().filter(char::is_ascii_digit).collect()
}

fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

fn name_matches(name: &str, query: &str) -> bool {
    let name_words = words(name);
    let query_words = words(query);
    !query_words.is_empty()
        && query_words
            .iter()
            .all(|q| name_words.iter().any(|w| w.starts_with(q.as_str())))
}

fn username_matches(username: Option<&str>, query: &str) -> bool {
    let query = query.trim().trim_start_matches('@').to_lowercase();
    !query.is_empty() && username.is_some_and(|u| u.to_lowercase().starts_with(&query))
}

fn phone_matches(phone: Option<&str>, query: &str) -> bool {
    let looks_like_phone = query
        .chars()
        .all(|c| c.is_ascii_digit() || "+-() ".contains(c));
    let digits = phone_digits(query);
    looks_like_phone && !digits.is_empty() && phone.is_some_and(|p| p.starts_with(&digits))
}

fn display_name(world: &World, peer: Peer) -> String {
    match peer {
        Peer::User(id) => world
            .user(id)
            .map(|u| {
                format!(
                    "{} {}",
                    u.first_name,
                    u.last_name.clone().unwrap_or_default()
                )
            })
            .unwrap_or_default(),
        _ => world
            .chat(peer)
            .map(|c| c.title.clone())
            .unwrap_or_default(),
    }
}

pub fn username(world: &World, peer: Peer) -> Option<&str> {
    match peer {
        Peer::User(id) => world.user(id).filter(|u| !u.deleted)?.username.as_deref(),
        _ => world.chat(peer)?.username.as_deref(),
    }
}

fn is_contact(world: &World, peer: Peer) -> bool {
    matches!(peer, Peer::User(id) if world.user(id).is_some_and(|u| u.contact && !u.deleted))
}

/// Peers the account knows: its chat list (most recent first), then contacts not in it.
fn known_peers(world: &World) -> Vec<Peer> {
    let mut known: Vec<Peer> = dialogs::entries(world).iter().map(|e| e.peer).collect();
    for (id, user) in &world.users {
        let peer = Peer::User(*id);
        if user.contact && !known.contains(&peer) {
            known.push(peer);
        }
    }
    known.retain(|p| *p != Peer::User(world.self_id));
    known.retain(|p| !matches!(p, Peer::User(id) if world.user(*id).is_some_and(|u| u.deleted)));
    known
}

fn search(
    ctx: &Ctx,
    request: tl::functions::contacts::Search,
) -> RpcResult<tl::enums::contacts::Found> {
    ctx.require_auth()?;
    let world = ctx.world();
    let q = request.q.trim();
    if q.trim_start_matches('@').is_empty() {
        return Err(RpcError::bad_request("QUERY_TOO_SHORT"));
    }
    let limit = request.limit.clamp(0, SEARCH_LIMIT_MAX) as usize;
    let kind_ok = |peer: Peer| -> bool {
        if !request.broadcasts && !request.bots {
            return true;
        }
        let broadcast = world
            .chat(peer)
            .is_some_and(|c| c.kind == ChatKind::Channel);
        let bot = matches!(peer, Peer::User(id) if world.user(id).is_some_and(|u| u.bot));
        (request.broadcasts && broadcast) || (request.bots && bot)
    };
    let known = known_peers(&world);
    let my_results: Vec<Peer> = known
        .iter()
        .copied()
        .filter(|p| kind_ok(*p))
        .filter(|p| {
            name_matches(&display_name(&world, *p), q)
                || username_matches(username(&world, *p), q)
                || (is_contact(&world, *p)
                    && phone_matches(
                        match p {
                            Peer::User(id) => world.user(*id).and_then(|u| u.phone.as_deref()),
                            _ => None,
                        },
                        q,
                    ))
        })
        .take(limit)
        .collect();
    let public = world
        .users
        .keys()
        .map(|id| Peer::User(*id))
        .chain(world.chats.keys().copied())
        .filter(|p| *p != Peer::User(world.self_id))
        .filter(|p| username(&world, *p).is_some());
    let mut results: Vec<Peer> = public
        .filter(|p| !known.contains(p))
        .filter(|p| kind_ok(*p))
        .filter(|p| {
            username_matches(username(&world, *p), q) || name_matches(&display_name(&world, *p), q)
        })
        .collect();
    // Closest usernames first.
    results.sort_by_key(|p| {
        (
            username(&world, *p).map_or(usize::MAX, str::len),
            p.bot_api(),
        )
    });
    results.truncate(limit);
    let mut mentioned = Mentioned::default();
    for peer in my_results.iter().chain(&results) {
        mentioned.peer(*peer);
    }
    Ok(tl::types::contacts::Found {
        my_results: my_results.iter().map(|p| p.to_tl()).collect(),
        results: results.iter().map(|p| p.to_tl()).collect(),
        chats: mentioned.chats(&world),
        users: mentioned.users(&world),
    }
    .into())
}

fn resolved(world: &World, peer: Peer) -> tl::enums::contacts::ResolvedPeer {
    let mut mentioned = Mentioned::default();
    mentioned.peer(peer);
    tl::types::contacts::ResolvedPeer {
        peer: peer.to_tl(),
        chats: mentioned.chats(world),
        users: mentioned.users(world),
    }
    .into()
}

/// Telegram's username syntax: a letter, then letters, digits and underscores; 4 to 32
/// characters (4 for collectible ones), no trailing or doubled underscore.
pub fn valid_username(username: &str) -> bool {
    let mut chars = username.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
        && (4..=32).contains(&username.len())
        && !username.ends_with('_')
        && !username.contains("__")
}

fn resolve_username(
    ctx: &Ctx,
    request: tl::functions::contacts::ResolveUsername,
) -> RpcResult<tl::enums::contacts::ResolvedPeer> {
    ctx.require_auth()?;
    let world = ctx.world();
    let wanted = request.username.to_lowercase();
    let found = world
        .users
        .keys()
        .map(|id| Peer::User(*id))
        .chain(world.chats.keys().copied())
        .find(|p| username(&world, *p).is_some_and(|u| u.to_lowercase() == wanted));
    match found {
        Some(peer) => Ok(resolved(&world, peer)),
        None if !valid_username(&request.username) => {
            Err(RpcError::bad_request("USERNAME_INVALID"))
        }
        None => Err(RpcError::bad_request("USERNAME_NOT_OCCUPIED")),
    }
}

fn resolve_phone(
    ctx: &Ctx,
    request: tl::functions::contacts::ResolvePhone,
) -> RpcResult<tl::enums::contacts::ResolvedPeer> {
    ctx.require_auth()?;
    let world = ctx.world();
    let digits = phone_digits(&request.phone);
    let well_formed = request
        .phone
        .chars()
        .all(|c| c.is_ascii_digit() || "+-() ".contains(c));
    if digits.is_empty() || !well_formed {
        return Err(RpcError::bad_request("PHONE_NUMBER_INVALID"));
    }
    let user = world
        .users
        .values()
        .find(|u| !u.deleted && u.phone.as_deref() == Some(digits.as_str()))
        .ok_or_else(|| RpcError::bad_request("PHONE_NOT_OCCUPIED"))?;
    Ok(resolved(&world, Peer::User(user.id)))
}

/// Telegram's hash of an id list (see "Hash generation" in the API docs).
pub fn ids_hash(ids: impl IntoIterator<Item = i64>) -> i64 {
    let mut hash: u64 = 0;
    for id in ids {
        hash ^= hash >> 21;
        hash ^= hash << 35;
        hash ^= hash >> 4;
        hash = hash.wrapping_add(id as u64);
    }
    hash as i64
}

fn get_contacts(
    ctx: &Ctx,
    request: tl::functions::contacts::GetContacts,
) -> RpcResult<tl::enums::contacts::Contacts> {
    ctx.require_auth()?;
    let world = ctx.world();
    let contacts: Vec<&crate::world::UserSpec> =
        world.users.values().filter(|u| u.contact).collect();
    let saved_count = 0;
    let hash = ids_hash(std::iter::once(saved_count).chain(contacts.iter().map(|u| u.id)));
    if request.hash != 0 && request.hash == hash {
        return Ok(tl::enums::contacts::Contacts::NotModified);
    }
    Ok(tl::types::contacts::Contacts {
        contacts: contacts
            .iter()
            .map(|u| {
                tl::types::Contact {
                    user_id: u.id,
                    mutual: u.contact,
                }
                .into()
            })
            .collect(),
        saved_count: saved_count as i32,
        users: contacts.iter().map(|u| tl_build::user(&world, u)).collect(),
    }
    .into())
}

fn import_contacts(
    ctx: &Ctx,
    request: tl::functions::contacts::ImportContacts,
) -> RpcResult<tl::enums::contacts::ImportedContacts> {
    ctx.require_auth()?;
    let mut world = ctx.world();
    let self_id = world.self_id;
    let mut imported = Vec::new();
    let mut retry_contacts = Vec::new();
    let mut users = Vec::new();
    for contact in &request.contacts {
        let tl::enums::InputContact::InputPhoneContact(contact) = contact;
        let digits = phone_digits(&contact.phone);
        if digits.is_empty() {
            continue;
        }
        // Telegram's limit on importing contacts: every number counts, on Telegram or not;
        // past it the number is not imported, and its client_id comes back in retry_contacts
        // ("could not be imported due to system limitation", to import at a later date).
        match &mut world.contact_imports_left {
            Some(0) => {
                retry_contacts.push(contact.client_id);
                continue;
            }
            Some(left) => *left -= 1,
            None => {}
        }
        // Numbers without a Telegram account are simply not imported.
        let Some(user_id) = world
            .users
            .values()
            .find(|u| !u.deleted && u.id != self_id && u.phone.as_deref() == Some(digits.as_str()))
            .map(|u| u.id)
        else {
            continue;
        };
        if let Some(user) = world.users.get_mut(&user_id) {
            user.contact = true;
        }
        world.imported_phones.insert(digits, user_id);
        imported.push(
            tl::types::ImportedContact {
                user_id,
                client_id: contact.client_id,
            }
            .into(),
        );
        if !users.contains(&user_id) {
            users.push(user_id);
        }
    }
    let users = users
        .iter()
        .filter_map(|id| world.user(*id))
        .map(|u| tl_build::user(&world, u))
        .collect();
    Ok(tl::types::contacts::ImportedContacts {
        imported,
        popular_invites: Vec::new(),
        retry_contacts,
        users,
    }
    .into())
}

fn delete_contacts(
    ctx: &Ctx,
    request: tl::functions::contacts::DeleteContacts,
) -> RpcResult<tl::enums::Updates> {
    ctx.require_auth()?;
    let mut world = ctx.world();
    let ids = request
        .id
        .iter()
        .map(|u| input_user(&world, u))
        .collect::<RpcResult<Vec<i64>>>()?;
    for id in &ids {
        if let Some(user) = world.users.get_mut(id) {
            user.contact = false;
        }
        world.imported_phones.retain(|_, user| user != id);
    }
    let users = ids
        .iter()
        .filter_map(|id| world.user(*id))
        .map(|u| tl_build::user(&world, u))
        .collect();
    Ok(tl::types::Updates {
        updates: Vec::new(),
        users,
        chats: Vec::new(),
        date: now(),
        seq: 0,
    }
    .into())
}
