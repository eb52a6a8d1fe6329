//! The loopback DC driven by the real grammers client: the DC is faithful enough that the
//! client library itself works against it.

mod arrivals;
mod client;
mod connections;
mod downloads;
mod login;
mod message_actions;
mod read_state;
mod reading;
mod writing;
