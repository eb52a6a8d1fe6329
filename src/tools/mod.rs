//! The MCP tools, one file per family. Handlers are thin: validate, call the Telegram facade,
//! format with the shared schema builders.

pub mod error;

use rmcp::handler::server::router::tool::ToolRouter;

pub use error::{Action, ToolError};

use crate::server::TelegramServer;

/// Every tool family's routes, combined.
pub fn router() -> ToolRouter<TelegramServer> {
    ToolRouter::new()
}
