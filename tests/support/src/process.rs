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

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(target_os = "linux")]
    fn the_running_process_has_a_resident_set_no_larger_than_its_peak() {
        let pid = std::process::id();
        let rss = super::rss_kb(pid).expect("VmRSS of this process");
        let peak = super::peak_rss_kb(pid).expect("VmHWM of this process");
        assert!(
            rss > 0 && rss <= peak,
            "{rss} kB now, {peak} kB at the peak"
        );
    }

    #[test]
    fn a_field_the_kernel_does_not_report_is_none() {
        assert_eq!(super::status_kb(std::process::id(), "VmNoSuchField"), None);
        assert_eq!(
            super::status_kb(std::process::id(), "VmRS"),
            None,
            "a prefix is not a field"
        );
    }
}
