//! Placeholder until this concern is implemented.

use super::{Ctx, RpcResult};

pub fn route(_ctx: &Ctx, _id: u32, _body: &[u8]) -> Option<RpcResult<Vec<u8>>> {
    None
}
