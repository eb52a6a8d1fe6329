//! Bounded polling, for what a test or an example waits on in another process or task. No
//! timing assertions anywhere: a wait ends as soon as its condition holds, and only a limit far
//! above any healthy run makes it fail.

use std::time::Duration;

/// How often a condition is checked.
const POLL: Duration = Duration::from_millis(10);

/// How long a condition may take before the wait fails.
const LIMIT: Duration = Duration::from_secs(20);

/// Polls `check` every 10 ms until it holds; panics naming `what` after 20 s.
pub async fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + LIMIT;
    while !check() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(POLL).await;
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn a_wait_ends_as_soon_as_its_condition_holds() {
        let mut polls = 0;
        super::wait_until("the third poll", || {
            polls += 1;
            polls == 3
        })
        .await;
        assert_eq!(polls, 3);
    }
}
