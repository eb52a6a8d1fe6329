//! Telegram's `FLOOD_WAIT_n`: a short wait is slept through once, a long one or a second in a
//! row is returned at once with `retry_after_seconds`, and the threshold is configurable.

use std::process::Stdio;

use grammers_tl_types as tl;

use testkit::fake_dc::{FaultAction, FaultRule};
use testkit::harness::{Harness, read_babbage, spawn, warm_up};

#[tokio::test]
async fn reliability_a_short_flood_wait_is_waited_out() {
    let (h, client) = Harness::warmed_up().await;
    h.dc.clear_requests_and_inject(
        FaultRule::on("messages.getHistory", FaultAction::FloodWait(1)).times(1),
    );
    let (err, v) = read_babbage(&client).await;
    assert!(!err, "waited out (1 s ≤ the 10 s default): {v}");
    assert_eq!(
        h.dc.count_of::<tl::functions::messages::GetHistory>(),
        2,
        "asked again after the wait"
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn reliability_a_long_flood_wait_is_returned_at_once_with_retry_after() {
    let (h, client) = Harness::warmed_up().await;
    h.dc.clear_requests_and_inject(
        FaultRule::on("messages.getHistory", FaultAction::FloodWait(11)).times(1),
    );
    let (err, v) = read_babbage(&client).await;
    assert!(err);
    assert_eq!(v["action"], "retry", "{v}");
    assert_eq!(v["retry_after_seconds"], 11, "{v}");
    assert_eq!(v["error_code"], "FLOOD_WAIT_11", "{v}");
    assert_eq!(
        h.dc.count_of::<tl::functions::messages::GetHistory>(),
        1,
        "not slept through"
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn reliability_a_second_flood_wait_in_a_row_is_returned_not_slept() {
    let (h, client) = Harness::warmed_up().await;
    h.dc.clear_requests_and_inject(
        FaultRule::on("messages.getHistory", FaultAction::FloodWait(1)).times(2),
    );
    let (err, v) = read_babbage(&client).await;
    assert!(err, "slept once, then gave up: {v}");
    assert_eq!(v["retry_after_seconds"], 1, "{v}");
    assert_eq!(h.dc.count_of::<tl::functions::messages::GetHistory>(), 2);
    let (err, v) = read_babbage(&client).await;
    assert!(!err, "{v}");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn reliability_the_flood_wait_threshold_is_configurable() {
    let h = Harness::signed_in().await;
    let mut cmd = h.command();
    cmd.env("FLOOD_WAIT_MAX_SECONDS", "0");
    let client = spawn(cmd).await;
    warm_up(&client).await;
    h.dc.inject(FaultRule::on("messages.getHistory", FaultAction::FloodWait(1)).times(1));
    let (err, v) = read_babbage(&client).await;
    assert!(err, "FLOOD_WAIT_MAX_SECONDS=0 never sleeps: {v}");
    assert_eq!(v["retry_after_seconds"], 1, "{v}");
    client.cancel().await.unwrap();
    // The flag works too, and a bad value is a configuration error.
    let mut bad = h.command();
    bad.arg("--flood-wait-max-seconds=soon")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = bad.output().await.unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("FLOOD_WAIT_MAX_SECONDS"));
}
