//! The floor for start-up: an rmcp stdio server with no tools, no configuration and no
//! session, built with the same compiler, profile and rmcp as the server. `examples/bench.rs`
//! starts it alternately with ours; what ours takes beyond it is ours to close.
//!
//! ```text
//! cargo run --release --example minimal_server
//! ```

use rmcp::model::{ServerCapabilities, ServerConfig};
use rmcp::{ServerHandler, ServiceExt};

struct Minimal;

impl ServerHandler for Minimal {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let running = Minimal.serve(rmcp::transport::stdio()).await?;
    running.waiting().await?;
    Ok(())
}
