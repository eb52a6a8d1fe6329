//! A crowd of generated chats, for an account of hundreds of dialogs without writing each one
//! out: users, basic groups and channels, each with one message, the newest first in the order
//! generated, some pinned, archived, or with their top message left out of dialog answers.

use serde::{Deserialize, Serialize};

use super::{ChatKind, ChatSpec};
use super::{DialogSpec, Msg, Peer, UserSpec, World};

/// First id of generated users; basic groups are `-(this + n)`, channels `-100(this·1000 + n)`.
const FIRST_ID: i64 = 7_000_000;
/// Date of the newest generated message (2026-11-01T00:00:00Z); each next one is a minute older.
const NEWEST: i32 = 1_793_491_200;

/// The world file's `generate`: how many chats of each kind, and which of them are pinned,
/// archived or lose their top message (pinned ones listed in the order generated). "Every n-th" counts generated chats from 1 (0: none).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Crowd {
    #[serde(default)]
    pub users: usize,
    #[serde(default)]
    pub groups: usize,
    #[serde(default)]
    pub channels: usize,
    /// Pins this many chats of the main list: the oldest ones, so pinning moves them up.
    #[serde(default)]
    pub pinned: usize,
    /// Archives every n-th chat.
    #[serde(default)]
    pub archive_every: usize,
    /// Dialog answers leave out the top message of every n-th chat.
    #[serde(default)]
    pub top_missing_every: usize,
}

fn every(n: usize, i: usize) -> bool {
    n > 0 && (i + 1).is_multiple_of(n)
}

impl World {
    /// Adds `crowd`'s chats, newest first in the order returned: users, then groups, then
    /// channels, one message each a minute apart, all older than 2026-11-01.
    pub fn add_crowd(&mut self, crowd: &Crowd) -> Vec<Peer> {
        let mut peers = Vec::new();
        for n in 0..crowd.users as i64 {
            let id = FIRST_ID + n;
            self.users.insert(
                id,
                UserSpec {
                    id,
                    first_name: format!("Crowd user {n}"),
                    ..UserSpec::default()
                },
            );
            peers.push(Peer::User(id));
        }
        for (kind, count) in [
            (ChatKind::Group, crowd.groups),
            (ChatKind::Channel, crowd.channels),
        ] {
            for n in 0..count as i64 {
                let id = match kind {
                    ChatKind::Group => -(FIRST_ID + n),
                    _ => -1_000_000_000_000 - (FIRST_ID * 1000 + n),
                };
                let peer = Peer::from_bot_api(id).expect("generated ids are peers");
                let chat: ChatSpec = serde_json::from_value(serde_json::json!({
                    "id": id,
                    "kind": kind,
                    "title": format!("Crowd {kind:?} {n}"),
                    "members": [self.self_id],
                }))
                .expect("a generated chat is a chat");
                self.chats.insert(peer, chat);
                peers.push(peer);
            }
        }
        for (i, peer) in peers.iter().enumerate() {
            let id = self.allocate_id(*peer);
            let from = match peer {
                Peer::Channel(_) => None,
                Peer::User(_) => Some(*peer),
                Peer::Chat(_) => Some(Peer::User(self.self_id)),
            };
            let mut msg = Msg::new(*peer, id, from, NEWEST - 60 * i as i32);
            msg.text = format!("message {i}");
            msg.out = from == Some(Peer::User(self.self_id));
            msg.post = matches!(peer, Peer::Channel(_));
            self.insert(msg);
        }
        let pinned: Vec<Peer> = peers
            .iter()
            .enumerate()
            .rev()
            .filter(|(i, _)| !every(crowd.archive_every, *i))
            .take(crowd.pinned)
            .map(|(_, p)| *p)
            .collect();
        for (i, peer) in peers.iter().enumerate() {
            let spec = DialogSpec {
                peer: peer.bot_api(),
                pinned: pinned.contains(peer),
                archived: every(crowd.archive_every, i),
                top_missing: every(crowd.top_missing_every, i),
                ..DialogSpec::default()
            };
            self.dialog_order.retain(|p| p != peer);
            self.dialog_order.push(*peer);
            self.dialogs.insert(*peer, spec);
        }
        peers
    }
}

#[cfg(test)]
mod tests {
    use super::super::{World, sample_json};
    use super::*;

    #[test]
    fn the_world_file_generates_a_crowd_and_holes() {
        let mut json = sample_json();
        json["generate"] = serde_json::json!({
            "users": 4, "groups": 3, "channels": 2,
            "pinned": 2, "archive_every": 3, "top_missing_every": 4,
        });
        json["short_pages"] = serde_json::json!(5);
        json["messages"][0]["hidden"] = serde_json::json!(true);
        let world = World::from_json(json).unwrap();
        let generated: Vec<&DialogSpec> = world
            .dialogs
            .values()
            .filter(|d| {
                let peer = Peer::from_bot_api(d.peer).unwrap();
                let user = world.user(d.peer).map(|u| u.first_name.as_str());
                let title = world.chat(peer).map(|c| c.title.as_str());
                user.or(title).is_some_and(|name| name.starts_with("Crowd"))
            })
            .collect();
        assert_eq!(generated.len(), 9);
        assert_eq!(generated.iter().filter(|d| d.archived).count(), 3);
        assert_eq!(generated.iter().filter(|d| d.top_missing).count(), 2);
        // The two oldest unarchived: the first channel and the last group.
        let pinned: Vec<i64> = generated
            .iter()
            .filter(|d| d.pinned)
            .map(|d| d.peer)
            .collect();
        assert_eq!(pinned.len(), 2);
        assert!(pinned.iter().all(|p| *p < 0), "{pinned:?}");
        assert_eq!(world.short_pages, 5);
        assert_eq!(world.page_size(20), 15);
        assert_eq!(world.page_size(3), 1);
        assert_eq!(world.hidden.len(), 1);
    }
}
