//! What the operating system says about a process: this one's memory and CPU time (for the
//! state record), and whether the process that wrote a record is still alive. Linux reads
//! `/proc`; elsewhere the figures are absent and liveness falls back to `kill(pid, 0)`.

use std::path::Path;

/// This process's resident memory, in bytes (`/proc/self/statm`).
pub fn rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * page_size()?)
}

/// CPU time this process has used, user plus system, in seconds (`/proc/self/stat`).
pub fn cpu_seconds() -> Option<f64> {
    let fields = stat_fields(Path::new("/proc/self/stat"))?;
    // After the command name: state is field 3, utime 14 and stime 15 (1-based, man proc).
    let ticks: u64 =
        fields.get(14 - 3)?.parse::<u64>().ok()? + fields.get(15 - 3)?.parse::<u64>().ok()?;
    Some(ticks as f64 / clock_ticks()? as f64)
}

/// When a process started, in clock ticks since boot: with its pid, it names the process
/// uniquely (a pid alone may be reused after the process exits).
pub fn start_ticks(pid: u32) -> Option<u64> {
    let fields = stat_fields(&Path::new("/proc").join(pid.to_string()).join("stat"))?;
    fields.get(22 - 3)?.parse().ok()
}

/// Whether the process `pid` is alive (and, when `started` is known, is the same process that
/// started then). Zombies count as dead: they run nothing.
pub fn is_alive(pid: u32, started: Option<u64>) -> bool {
    if pid == 0 || i32::try_from(pid).is_err() {
        return false;
    }
    let stat = Path::new("/proc").join(pid.to_string()).join("stat");
    if Path::new("/proc/self/stat").exists() {
        let Some(fields) = stat_fields(&stat) else {
            return false;
        };
        let zombie = matches!(fields.first().map(String::as_str), Some("Z" | "X" | "x"));
        let same = match (
            started,
            fields.get(22 - 3).and_then(|t| t.parse::<u64>().ok()),
        ) {
            (Some(recorded), Some(now)) => recorded == now,
            _ => true,
        };
        return !zombie && same;
    }
    signal_zero(pid)
}

#[cfg(unix)]
fn signal_zero(pid: u32) -> bool {
    let Some(pid) = rustix::process::Pid::from_raw(pid as i32) else {
        return false;
    };
    match rustix::process::test_kill_process(pid) {
        Ok(()) => true,
        // The process exists but belongs to someone else.
        Err(e) => e == rustix::io::Errno::PERM,
    }
}

#[cfg(not(unix))]
fn signal_zero(_pid: u32) -> bool {
    false
}

/// The fields of a `/proc/<pid>/stat` line after the command name (which may hold spaces and
/// parentheses, so it is skipped up to the last `)`), starting with the state (field 3).
fn stat_fields(path: &Path) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(path).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    Some(rest.split_whitespace().map(str::to_string).collect())
}

#[cfg(unix)]
fn page_size() -> Option<u64> {
    Some(rustix::param::page_size() as u64)
}

#[cfg(not(unix))]
fn page_size() -> Option<u64> {
    None
}

#[cfg(unix)]
fn clock_ticks() -> Option<u64> {
    Some(rustix::param::clock_ticks_per_second()).filter(|t| *t > 0)
}

#[cfg(not(unix))]
fn clock_ticks() -> Option<u64> {
    None
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_measured_and_alive() {
        assert!(rss_bytes().unwrap() > 0);
        assert!(cpu_seconds().unwrap() >= 0.0);
        let me = std::process::id();
        let started = start_ticks(me);
        assert!(started.is_some());
        assert!(is_alive(me, started));
        assert!(
            !is_alive(me, started.map(|t| t + 1)),
            "another process with a reused pid"
        );
    }

    #[test]
    fn a_reaped_child_is_dead() {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert!(!is_alive(pid, None));
    }
}
