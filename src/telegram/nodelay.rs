//! `TCP_NODELAY` on the connections grammers makes.
//!
//! grammers 0.11 connects with a plain `TcpStream::connect` and never turns Nagle's algorithm
//! off, nor lets a caller reach the socket. With Nagle on, a request written while the previous
//! one is unacknowledged waits for the acknowledgement, which the other side may delay by up
//! to 40 ms: about one concurrent burst in ten stalled that long. Every Telegram client sets
//! the option (TDLib, Telegram Desktop); here it is set from outside grammers, without a fork.
//!
//! The process takes a duplicate of each socket descriptor it holds (the same socket, not a
//! copy), and where the option is off sets it; a descriptor that is not a TCP socket refuses
//! the option and is left alone. The descriptors are listed from the process's own directory of
//! them, and duplicated in safe Rust by what each platform offers: on Linux `pidfd_getfd` on
//! the process's own pidfd (`/proc/self/fd` links to a socket cannot be opened), on macOS by
//! opening `/dev/fd/N`, which XNU's fdesc file system answers with a `dup` of that descriptor
//! (and whose `stat` reports a socket as one). Only sockets are ever duplicated: closing a
//! duplicate of a file would drop the POSIX locks SQLite holds on it.
//!
//! A sweep costs about 0.1 ms, so it runs when a request is answered, and only on a new pool's
//! first answer or a second after the last sweep: a new connection is swept before a burst can
//! meet it, and the calls of a busy minute pay for at most sixty sweeps. Elsewhere (Windows,
//! the BSDs without fdescfs) a sweep finds nothing to do.

/// The least time between two sweeps of the same pool.
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Sets `TCP_NODELAY` on sockets of this process that were not seen before.
#[derive(Default)]
pub struct NoDelay {
    #[cfg(any(target_os = "linux", target_os = "macos"))]
    state: std::sync::Mutex<descriptors::Sweeper>,
    /// When the last sweep ran, and for which pool.
    last: std::sync::Mutex<Option<(std::time::Instant, u64)>>,
}

impl NoDelay {
    /// A request on pool `generation` was answered: sweeps if that pool was never swept or
    /// the last sweep is [`SWEEP_EVERY`] old.
    pub fn answered(&self, generation: u64) {
        self.answered_at(generation, std::time::Instant::now());
    }

    fn answered_at(&self, generation: u64, now: std::time::Instant) {
        {
            let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
            match *last {
                Some((at, swept)) if swept == generation && now - at < SWEEP_EVERY => return,
                _ => *last = Some((now, generation)),
            }
        }
        self.sweep();
    }

    /// Sets the option on every TCP socket this process opened since the last sweep; answers
    /// how many it set. Never fails: a process that cannot look at its own descriptors keeps
    /// Nagle on, as before (said once in the log). A sweep already running elsewhere finds
    /// what this one would: this one then returns at once.
    pub fn sweep(&self) -> usize {
        #[cfg(any(target_os = "linux", target_os = "macos"))]
        {
            match self.state.try_lock() {
                Ok(mut sweeper) => sweeper.sweep(),
                Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner().sweep(),
                Err(std::sync::TryLockError::WouldBlock) => 0,
            }
        }
        #[cfg(not(any(target_os = "linux", target_os = "macos")))]
        {
            0
        }
    }
}

#[cfg(any(target_os = "linux", target_os = "macos"))]
mod descriptors {
    use rustix::fd::OwnedFd;
    use rustix::fs::{AtFlags, CWD, Dir, FileType, Mode, OFlags};

    /// Where the process lists its own descriptors.
    #[cfg(target_os = "linux")]
    const DIRECTORY: &str = "/proc/self/fd";
    #[cfg(target_os = "macos")]
    const DIRECTORY: &str = "/dev/fd";

    #[derive(Default)]
    pub struct Sweeper {
        /// This process's pidfd, opened on the first sweep.
        #[cfg(target_os = "linux")]
        pidfd: Option<OwnedFd>,
        /// Set once the platform refused: no more attempts, one log line.
        unavailable: bool,
    }

    impl Sweeper {
        pub fn sweep(&mut self) -> usize {
            if self.unavailable {
                return 0;
            }
            match self.try_sweep() {
                Ok(set) => set,
                Err(e) => {
                    self.unavailable = true;
                    tracing::debug!("TCP_NODELAY cannot be set on Telegram's sockets here: {e}");
                    0
                }
            }
        }

        fn try_sweep(&mut self) -> rustix::io::Result<usize> {
            let dir = rustix::fs::openat(
                CWD,
                DIRECTORY,
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
            )?;
            let mut set = 0;
            for entry in Dir::read_from(&dir)? {
                let entry = entry?;
                let Some(fd) = entry
                    .file_name()
                    .to_str()
                    .ok()
                    .and_then(|n| n.parse::<i32>().ok())
                else {
                    continue;
                };
                // What the descriptor is open on (the link followed on Linux; fdesc's own
                // answer on macOS). Anything but a socket is never duplicated.
                let Ok(stat) = rustix::fs::statat(&dir, entry.file_name(), AtFlags::empty()) else {
                    continue;
                };
                if FileType::from_raw_mode(stat.st_mode) != FileType::Socket {
                    continue;
                }
                let Ok(socket) = self.duplicate(&dir, entry.file_name(), fd) else {
                    continue;
                };
                // Unix and UDP sockets have no such option: nothing to do for them.
                if rustix::net::sockopt::tcp_nodelay(&socket) == Ok(false)
                    && rustix::net::sockopt::set_tcp_nodelay(&socket, true).is_ok()
                {
                    set += 1;
                }
            }
            Ok(set)
        }

        /// The same socket as descriptor `fd`, through this process's pidfd.
        #[cfg(target_os = "linux")]
        fn duplicate(
            &mut self,
            _dir: &OwnedFd,
            _name: &std::ffi::CStr,
            fd: i32,
        ) -> rustix::io::Result<OwnedFd> {
            use rustix::process::{PidfdFlags, PidfdGetfdFlags};
            let pidfd = match &self.pidfd {
                Some(pidfd) => pidfd,
                None => self.pidfd.insert(rustix::process::pidfd_open(
                    rustix::process::getpid(),
                    PidfdFlags::empty(),
                )?),
            };
            rustix::process::pidfd_getfd(pidfd, fd, PidfdGetfdFlags::empty())
        }

        /// The same socket as descriptor `fd`: opening `/dev/fd/N` duplicates it on macOS.
        #[cfg(target_os = "macos")]
        fn duplicate(
            &mut self,
            dir: &OwnedFd,
            name: &std::ffi::CStr,
            _fd: i32,
        ) -> rustix::io::Result<OwnedFd> {
            rustix::fs::openat(dir, name, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One test: a sweep sets the option on every socket of the process, so two tests
    /// sweeping side by side would set each other's.
    #[cfg(any(target_os = "linux", target_os = "macos"))]
    #[test]
    fn new_tcp_sockets_get_nodelay_on_answers_due_for_a_sweep() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let connect = || std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let client = connect();
        let (accepted, _) = listener.accept().unwrap();
        assert!(!client.nodelay().unwrap());
        let nodelay = NoDelay::default();
        assert!(nodelay.sweep() >= 2, "the client and the accepted socket");
        assert!(client.nodelay().unwrap());
        assert!(accepted.nodelay().unwrap());
        // A socket found with the option off again gets it again.
        client.set_nodelay(false).unwrap();
        assert!(nodelay.sweep() >= 1);
        assert!(client.nodelay().unwrap());

        // Answers sweep on a pool's first, then once the last sweep is a second old.
        let start = std::time::Instant::now();
        nodelay.answered_at(0, start);
        let second = connect();
        nodelay.answered_at(0, start + SWEEP_EVERY / 2);
        assert!(!second.nodelay().unwrap(), "swept half a second ago");
        nodelay.answered_at(0, start + SWEEP_EVERY);
        assert!(second.nodelay().unwrap(), "a second later");
        let third = connect();
        nodelay.answered_at(1, start + SWEEP_EVERY);
        assert!(third.nodelay().unwrap(), "a new pool's first answer");
    }
}
