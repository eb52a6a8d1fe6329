//! What the kernel says about a running server: its memory, read from `/proc/<pid>/status`,
//! and the CPU time it used, from `/proc/<pid>/stat` (Linux; `None` elsewhere). Used by the
//! soak test and the benchmarks. And the options of its sockets, through a duplicate of each
//! descriptor (`pidfd_getfd`, which a parent may take of its child).

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

/// Clock ticks a second in `/proc/<pid>/stat` (`USER_HZ`: 100 on every architecture Linux
/// runs this on).
const USER_HZ: f64 = 100.0;

/// The CPU time (user + system, every thread) `pid` has used, in seconds; 10 ms resolution.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    cpu_ticks(&stat).map(|ticks| ticks as f64 / USER_HZ)
}

/// `utime` + `stime` of a `/proc/<pid>/stat` line (fields 14 and 15; counted after the
/// command name, which is in parentheses and may hold spaces and parentheses itself).
fn cpu_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(user + system)
}

/// For each TCP connection of `pid` to 127.0.0.1:`port`, whether `TCP_NODELAY` is set.
#[cfg(target_os = "linux")]
pub fn nodelay_of_connections_to(pid: u32, port: u16) -> Vec<bool> {
    use rustix::process::{Pid, PidfdFlags, PidfdGetfdFlags};
    let target = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let pidfd = rustix::process::pidfd_open(
        Pid::from_raw(pid as i32).expect("a pid"),
        PidfdFlags::empty(),
    )
    .expect("pidfd_open on the server");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(format!("/proc/{pid}/fd")).expect("the server's descriptors") {
        let Some(fd) = entry
            .ok()
            .and_then(|e| e.file_name().to_str()?.parse::<i32>().ok())
        else {
            continue;
        };
        let Ok(socket) = rustix::process::pidfd_getfd(&pidfd, fd, PidfdGetfdFlags::empty()) else {
            continue;
        };
        let peer = rustix::net::getpeername(&socket)
            .ok()
            .flatten()
            .and_then(|a| std::net::SocketAddr::try_from(a).ok());
        if peer == Some(target) {
            found.push(rustix::net::sockopt::tcp_nodelay(&socket).expect("a TCP socket"));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    #[test]
    fn cpu_ticks_are_counted_after_the_command_name() {
        let stat = "4242 (a (weird) name) S 1 4242 4242 0 -1 4194560 900 0 0 0 37 5 0 0 20 0 3 0";
        assert_eq!(super::cpu_ticks(stat), Some(42));
        assert_eq!(super::cpu_ticks("4242 (x) S 1 2"), None);
        assert_eq!(super::cpu_ticks("no name at all"), None);
    }

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
