//! One client connection: decrypts frames, handles MTProto service messages, unwraps
//! invocation wrappers, applies faults and dispatches API calls, each on its own task so a
//! slow answer never holds up the others.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use grammers_tl_types::{self as tl, Cursor, Deserializable, Serializable};
use tokio::io::BufReader;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};

use super::Shared;
use super::faults::FaultAction;
use super::methods::{self, Ctx, RpcError};
use super::mtproto::{self, Message, OutgoingIds};
use super::record::Recorded;
use super::transport::{read_frame, write_frame};

const MSGS_ACK: u32 = 0x62d6b459;
const PING: u32 = 0x7abe77ec;
const PING_DELAY_DISCONNECT: u32 = 0xf3427b8c;
const GET_FUTURE_SALTS: u32 = 0xb921bd04;
const DESTROY_SESSION: u32 = 0xe7512126;
const HTTP_WAIT: u32 = 0x9299359f;
const INVOKE_WITH_LAYER: u32 = 0xda9b0d0d;
const INIT_CONNECTION: u32 = 0xc1cd5ea9;
const INVOKE_WITHOUT_UPDATES: u32 = 0xbf9459b7;
const INVOKE_AFTER_MSG: u32 = 0xcb9f372d;
const INVOKE_AFTER_MSGS: u32 = 0x3dc4b4f0;

/// What the writer task sends: a body, and whether it answers a request.
enum Outgoing {
    Body { body: Vec<u8>, answer: bool },
    Close,
}

/// Where the DC pushes what no request asked for (updates) into one open connection.
pub struct Pusher(mpsc::UnboundedSender<Outgoing>);

impl Pusher {
    pub fn push(&self, body: Vec<u8>) {
        let _ = self.0.send(Outgoing::Body {
            body,
            answer: false,
        });
    }
}

/// Per-connection state the reader keeps.
struct Connection {
    shared: Arc<Shared>,
    dc_id: i32,
    id: u64,
    layer: Option<i32>,
    out: mpsc::UnboundedSender<Outgoing>,
    /// Set by a `BlackHole` fault: the connection goes dead once the current frame is handled.
    dead: bool,
    /// Set by a `DropAfterAnswer` fault: the connection closes once what is queued for the
    /// client is written.
    closing: bool,
}

pub async fn serve(stream: TcpStream, dc_id: i32, id: u64, shared: Arc<Shared>) {
    let mut kick = shared.kick.subscribe();
    if shared.black_hole.load(Ordering::SeqCst) {
        // Dead on arrival: accepted, then nothing read, written or closed.
        let _ = kick.changed().await;
        drop(stream);
        return;
    }
    // Subscribed before the first read: only black holes made from now on reach us.
    let mut silence = shared.silence.subscribe();
    let (read_half, mut write_half) = stream.into_split();
    let mut reader = BufReader::new(read_half);
    let (out, mut out_rx) = mpsc::unbounded_channel::<Outgoing>();
    shared
        .pushers
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(id, (dc_id, Pusher(out.clone())));
    // Tells the writer the connection went dead: it stops writing but keeps its half of the
    // socket (dropping it would send a FIN, which a dead network never delivers).
    let (hush, mut hushed) = watch::channel(false);
    let mut connection = Connection {
        shared: Arc::clone(&shared),
        dc_id,
        id,
        layer: None,
        out,
        dead: false,
        closing: false,
    };

    // The session id is learnt from the first packet; the writer waits for it.
    let (session_tx, session_rx) = tokio::sync::oneshot::channel::<i64>();
    let writer_shared = Arc::clone(&shared);
    let writer = tokio::spawn(async move {
        let session_id = tokio::select! {
            id = session_rx => id.ok(),
            _ = hushed.changed() => None,
        };
        let mut ids = OutgoingIds::default();
        let mut seq = 0u32;
        if let Some(session_id) = session_id {
            loop {
                let item = tokio::select! {
                    biased;
                    _ = hushed.changed() => break,
                    item = out_rx.recv() => item,
                };
                let Some(Outgoing::Body { body, answer }) = item else {
                    break;
                };
                let msg_id = ids.next_msg_id(answer);
                let seq_no = ids.next_seq_no(true);
                let plain =
                    mtproto::envelope(writer_shared.server_salt, session_id, msg_id, seq_no, &body);
                let packet = writer_shared.key.encrypt_for_client(&plain);
                if write_frame(&mut write_half, &mut seq, &packet)
                    .await
                    .is_err()
                {
                    break;
                }
            }
        }
        let dead = *hushed.borrow();
        if dead {
            // Hold the write half, writing nothing, until the connection is dropped.
            std::future::pending::<()>().await;
        }
        drop(write_half);
    });

    let mut session_tx = Some(session_tx);
    let mut recv_seq = 0u32;
    loop {
        let frame = tokio::select! {
            frame = read_frame(&mut reader, &mut recv_seq) => frame,
            _ = kick.changed() => break,
            _ = silence.changed() => {
                connection.dead = true;
                break;
            }
        };
        let Ok(frame) = frame else { break };
        // An unknown key (or a plaintext key exchange) ends the connection: this DC cannot
        // create keys, and Telegram closes such connections too.
        let Ok(plain) = shared.key.decrypt_from_client(&frame) else {
            break;
        };
        let Ok(envelope) = mtproto::parse_envelope(&plain) else {
            break;
        };
        if let Some(tx) = session_tx.take() {
            let _ = tx.send(envelope.session_id);
            let mut body = 0x9ec20908u32.to_le_bytes().to_vec();
            envelope.message.msg_id.serialize(&mut body);
            (id as i64).serialize(&mut body);
            shared.server_salt.serialize(&mut body);
            connection.send(body, false);
        }
        if !connection.process(envelope.message) {
            break;
        }
    }
    if connection.dead {
        // A black hole: nothing more is read or written, and nothing is closed, until every
        // connection is dropped (`FakeDc::drop_connections`) or the DC stops.
        let _ = hush.send(true);
        let _ = kick.changed().await;
        drop(reader);
    }
    shared
        .pushers
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&id);
    let _ = connection.out.send(Outgoing::Close);
    let mut writer = writer;
    // Closed after an answer: the writer writes what is queued first, then closes.
    if !connection.closing
        || tokio::time::timeout(std::time::Duration::from_secs(5), &mut writer)
            .await
            .is_err()
    {
        writer.abort();
    }
}

impl Connection {
    fn send(&self, body: Vec<u8>, answer: bool) {
        let _ = self.out.send(Outgoing::Body { body, answer });
    }

    /// Handles one message; `false` closes the connection (or, after a `BlackHole` fault,
    /// leaves it dead).
    fn process(&mut self, message: Message) -> bool {
        let Some(constructor) = mtproto::constructor_of(&message.body) else {
            return false;
        };
        match constructor {
            mtproto::MSG_CONTAINER => match mtproto::parse_container(&message.body) {
                Ok(inner) => inner.into_iter().all(|m| self.process(m)),
                Err(_) => false,
            },
            mtproto::GZIP_PACKED => match mtproto::gunzip(&message.body) {
                Some(body) => self.process(Message { body, ..message }),
                None => false,
            },
            MSGS_ACK | HTTP_WAIT => true,
            PING | PING_DELAY_DISCONNECT => {
                let ping_id =
                    i64::from_bytes(&message.body[4..12.min(message.body.len())]).unwrap_or(0);
                let pong = tl::enums::Pong::Pong(tl::types::Pong {
                    msg_id: message.msg_id,
                    ping_id,
                });
                self.send(pong.to_bytes(), true);
                true
            }
            GET_FUTURE_SALTS => {
                self.send(self.future_salts(message.msg_id), true);
                true
            }
            DESTROY_SESSION => {
                let session_id = i64::from_bytes(&message.body[4..]).unwrap_or(0);
                let mut body = 0xe22045fcu32.to_le_bytes().to_vec();
                session_id.serialize(&mut body);
                self.send(body, true);
                true
            }
            _ => self.rpc(message.msg_id, &message.body),
        }
    }

    fn future_salts(&self, req_msg_id: i64) -> Vec<u8> {
        let now = super::super::world::tl_build::now();
        let mut body = 0xae500895u32.to_le_bytes().to_vec();
        req_msg_id.serialize(&mut body);
        now.serialize(&mut body);
        // A bare vector of future_salt: count then (valid_since, valid_until, salt) each.
        // grammers asks again whenever it holds a single salt, so always hand out several.
        let salts = 4i32;
        salts.serialize(&mut body);
        for i in 0..salts {
            (now - 60 + i * 3600).serialize(&mut body);
            (now + (i + 1) * 3600).serialize(&mut body);
            self.shared
                .server_salt
                .wrapping_add(i as i64)
                .serialize(&mut body);
        }
        body
    }

    /// Unwraps invocation wrappers down to the API function.
    fn unwrap_wrappers<'b>(&mut self, mut body: &'b [u8]) -> Result<&'b [u8], ()> {
        loop {
            let constructor = mtproto::constructor_of(body).ok_or(())?;
            let mut cursor = Cursor::from_slice(&body[4..]);
            match constructor {
                INVOKE_WITH_LAYER => {
                    self.layer = Some(i32::deserialize(&mut cursor).map_err(|_| ())?);
                }
                INIT_CONNECTION => {
                    let flags = u32::deserialize(&mut cursor).map_err(|_| ())?;
                    let _api_id = i32::deserialize(&mut cursor).map_err(|_| ())?;
                    for _ in 0..6 {
                        String::deserialize(&mut cursor).map_err(|_| ())?;
                    }
                    if flags & 1 != 0 {
                        tl::enums::InputClientProxy::deserialize(&mut cursor).map_err(|_| ())?;
                    }
                    if flags & 2 != 0 {
                        tl::enums::Jsonvalue::deserialize(&mut cursor).map_err(|_| ())?;
                    }
                }
                INVOKE_WITHOUT_UPDATES => {}
                INVOKE_AFTER_MSG => {
                    i64::deserialize(&mut cursor).map_err(|_| ())?;
                }
                INVOKE_AFTER_MSGS => {
                    Vec::<i64>::deserialize(&mut cursor).map_err(|_| ())?;
                }
                _ => return Ok(body),
            }
            body = &body[4 + cursor.pos()..];
        }
    }

    fn rpc(&mut self, msg_id: i64, body: &[u8]) -> bool {
        let Ok(function) = self.unwrap_wrappers(body) else {
            self.send(
                mtproto::rpc_result(msg_id, &mtproto::rpc_error(400, "INPUT_REQUEST_INVALID")),
                true,
            );
            return true;
        };
        let constructor = mtproto::constructor_of(function).unwrap_or(0);
        let name = tl::name_for_id(constructor);
        let name = if name == "(unknown)" || name.is_empty() {
            "unknown"
        } else {
            name
        };
        self.shared.records.lock().unwrap().push(Recorded {
            name: name.to_string(),
            constructor_id: constructor,
            body: function[4..].to_vec(),
            connection: self.id,
            layer: self.layer,
        });

        let (fault, latency) = {
            let mut faults = self.shared.faults.lock().unwrap();
            (faults.check(name), faults.latency)
        };
        let mut delay = latency;
        let answer = match fault {
            Some(FaultAction::Drop) => return false,
            Some(FaultAction::DropAfterAnswer) => {
                let answer = match self.dispatch(constructor, function) {
                    Ok(bytes) => bytes,
                    Err(e) => mtproto::rpc_error(e.code, &e.message),
                };
                self.send(mtproto::rpc_result(msg_id, &answer), true);
                self.closing = true;
                return false;
            }
            Some(FaultAction::Silent) => return true,
            Some(FaultAction::BlackHole) => {
                self.dead = true;
                return false;
            }
            Some(FaultAction::Error { code, message }) => Err(RpcError::new(code, &message)),
            Some(FaultAction::FloodWait(seconds)) => {
                Err(RpcError::new(420, &format!("FLOOD_WAIT_{seconds}")))
            }
            Some(FaultAction::Delay(extra)) => {
                delay += extra;
                self.dispatch(constructor, function)
            }
            None => {
                // Checked apart: the handler takes the world's lock itself.
                let admitted = self.shared.world().rate_limiter.admit(name);
                match admitted {
                    Ok(()) => self.dispatch(constructor, function),
                    Err(seconds) => Err(RpcError::new(420, &format!("FLOOD_WAIT_{seconds}"))),
                }
            }
        };
        let result = match answer {
            Ok(bytes) => bytes,
            Err(e) => mtproto::rpc_error(e.code, &e.message),
        };
        let packet = mtproto::rpc_result(msg_id, &result);
        if delay.is_zero() {
            self.send(packet, true);
        } else {
            let out = self.out.clone();
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                let _ = out.send(Outgoing::Body {
                    body: packet,
                    answer: true,
                });
            });
        }
        true
    }

    fn dispatch(&self, constructor: u32, function: &[u8]) -> Result<Vec<u8>, RpcError> {
        let ctx = Ctx {
            dc: &self.shared,
            dc_id: self.dc_id,
            connection: self.id,
        };
        methods::dispatch(&ctx, constructor, &function[4..])
    }
}
