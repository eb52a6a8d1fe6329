//! One process per session: an advisory lock on `<name>.session.lock` (flock), with the
//! holder's pid written inside so a refusal can name it. The lock dies with its process, so a
//! crash never leaves a session locked.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "session {session} is in use by another fast-mcp-telegram process{}; stop it first \
         (each session can be used by one server or setup at a time)",
        .pid.map(|p| format!(" (pid {p})")).unwrap_or_default()
    )]
    Held { session: String, pid: Option<u32> },
    #[error("cannot lock {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Holds the session lock until dropped.
#[derive(Debug)]
pub struct SessionLock {
    file: File,
    path: PathBuf,
}

impl SessionLock {
    /// Takes the lock at `lock_path` for the session named `session`, or says who holds it.
    pub fn acquire(lock_path: &Path, session: &str) -> Result<SessionLock, LockError> {
        let io = |source| LockError::Io {
            path: lock_path.to_path_buf(),
            source,
        };
        if let Some(dir) = lock_path.parent() {
            super::ensure_dir(dir).map_err(io)?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(lock_path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(LockError::Held {
                    session: session.to_string(),
                    pid: read_pid(&mut file),
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        file.set_len(0).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        // Not synced to disk: the pid only names the holder in a refusal, and a lock outlives
        // no crash, so a pid lost with the machine's power would name no one.
        writeln!(file, "{}", std::process::id()).map_err(io)?;
        Ok(SessionLock {
            file,
            path: lock_path.to_path_buf(),
        })
    }

    /// Like [`SessionLock::acquire`], but waits up to `grace` for a holder to let go: MCP
    /// hosts restart a server by starting the new process before the old one has exited.
    /// A lock left by a dead process is free at once (the kernel drops it with the process).
    pub async fn acquire_waiting(
        lock_path: &Path,
        session: &str,
        grace: std::time::Duration,
    ) -> Result<SessionLock, LockError> {
        let until = std::time::Instant::now() + grace;
        let mut announced = false;
        loop {
            match SessionLock::acquire(lock_path, session) {
                Err(LockError::Held { pid, .. }) if std::time::Instant::now() < until => {
                    if !announced {
                        tracing::info!(
                            ?pid,
                            "session in use; waiting for the other process to exit"
                        );
                        announced = true;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                other => return other,
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for SessionLock {
    fn drop(&mut self) {
        // Clear the pid, keep the file: deleting it could let two processes lock two inodes.
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

/// The pid written in a lock file, if readable.
pub fn read_pid(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_with_the_holder_pid() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.session.lock");
        let first = SessionLock::acquire(&path, "t").unwrap();
        match SessionLock::acquire(&path, "t") {
            Err(LockError::Held { pid, .. }) => assert_eq!(pid, Some(std::process::id())),
            other => panic!("expected Held, got {other:?}"),
        }
        drop(first);
        SessionLock::acquire(&path, "t").expect("released on drop");
    }
}
