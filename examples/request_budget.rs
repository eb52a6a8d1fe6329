//! Telegram requests per tool call, cold (the first call after a restart, on a session that
//! met the chat before) and warm (the same call again), measured through the loopback DC's
//! request record. Prints the table README.md shows (a test checks README.md has these rows).
//!
//! ```text
//! cargo run --example request_budget
//! ```

use testkit::request_budget::{measure_all, table_row};

#[tokio::main]
async fn main() {
    let measured = measure_all().await;
    let date = chrono::Utc::now().format("%Y-%m-%d");
    println!("Generated {date} by `cargo run --example request_budget`.\n");
    println!("| tool | case | cold | warm |");
    println!("|---|---|---|---|");
    for m in &measured {
        println!("{}", table_row(m));
    }
}
