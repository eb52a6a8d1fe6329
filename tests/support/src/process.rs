//! What the kernel says about a running server: its memory, read from `/proc/<pid>/status`
//! (Linux; `None` elsewhere). Used by the soak test and the benchmarks.

/// A `kB` figure of `/proc/<pid>/status`, e.g. `VmRSS` (resident now) or `VmHWM` (the peak).
pub fn status_kb(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The resident set size of `pid` in kB.
pub fn rss_kb(pid: u32) -> Option<u64> {
    status_kb(pid, "VmRSS")
}

/// The peak resident set size of `pid` in kB.
pub fn peak_rss_kb(pid: u32) -> Option<u64> {
    status_kb(pid, "VmHWM")
}
