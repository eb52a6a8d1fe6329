//! Telegram requests per tool call, cold (the first call after a restart, on a session that
//! met the chat before) and warm (the same call again), measured through the loopback DC's
//! request record. Prints the Markdown table README.md shows.
//!
//! ```text
//! cargo run --example request_budget
//! ```

use testkit::request_budget::{describe, measure_all, total};

#[tokio::main]
async fn main() {
    let measured = measure_all().await;
    let date = chrono::Utc::now().format("%Y-%m-%d");
    println!(
        "Telegram requests per call (generated {date} by `cargo run --example request_budget`):\n"
    );
    println!("| tool | case | cold | warm |");
    println!("|---|---|---|---|");
    for m in measured {
        println!(
            "| `{}` | {} | {} ({}) | {} ({}) |",
            m.tool,
            m.case,
            total(&m.cold),
            describe(&m.cold),
            total(&m.warm),
            describe(&m.warm)
        );
    }
}
