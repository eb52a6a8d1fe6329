//! Safe file sources for sending files: a local path inside an allowed root, or an http(s) URL
//! fetched under an anti-SSRF policy. The string comes from the model, which may have been
//! steered by a message it read, so every rule here treats it as hostile:
//!
//! - local files only inside allowed roots (`ALLOWED_FILE_ROOTS`, narrowed by the MCP host's
//!   roots, or the host's alone; none by default), judged after symlinks and `..` are resolved,
//!   opened without following symlinks; never the session, its companions, the settings file
//!   or the log, whatever the roots say;
//! - URLs only over https (unless `ALLOW_HTTP_URLS`), never to loopback, private, link-local,
//!   metadata… addresses (unless `BLOCK_PRIVATE_IPS=false`), connected to the very address
//!   that was checked, redirects checked hop by hop;
//! - everything capped at `MAX_FILE_SIZE_MB`, downloads counted while they stream into a
//!   private temporary file.
//!
//! Files downloaded from Telegram are saved under the same rules, in reverse (`save`: inside
//! the roots, never over a file, never into the session's or the settings' directory).
//!
//! Use: [`FileSpec::parse`] the argument, [`prepare`] it, then upload
//! [`PreparedFile::into_reader`] with its [`PreparedFile::size`] and [`PreparedFile::name`].

mod address;
mod error;
mod fetch;
mod local;
mod naming;
mod policy;
mod prepared;
mod protected;
mod resolve;
mod roots;
pub mod save;
mod spec;

use std::path::PathBuf;

pub use address::{AddressClass, classify, is_metadata_host};
pub use error::FileError;
/// The type of [`FilePolicy::with_exempt_networks`]'s networks.
pub use ipnet::IpNet;
pub use naming::{FALLBACK_MIME, FALLBACK_NAME};
pub use policy::{
    BYTES_PER_MB, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_FILE_SIZE_MB, DEFAULT_MAX_REDIRECTS,
    DEFAULT_READ_TIMEOUT, DEFAULT_TOTAL_TIMEOUT, FilePolicy,
};
pub use prepared::{FileReader, Origin, PreparedFile};
pub use protected::ProtectedPaths;
pub use resolve::{HostResolver, SystemResolver};
pub use roots::{canonical_root, roots_from_uris};
pub use spec::{FileSpec, MAX_SPEC_BYTES};

/// Checks a file source against the policy and opens it: a local file in place, a URL
/// downloaded to a temporary file. `host_roots` are the MCP host's declared roots (from
/// [`roots_from_uris`]); they narrow the configured roots, never widen them.
pub async fn prepare(
    spec: &FileSpec,
    policy: &FilePolicy,
    host_roots: Option<&[PathBuf]>,
) -> Result<PreparedFile, FileError> {
    match spec {
        FileSpec::Local(path) => local::prepare(path, policy, host_roots).await,
        FileSpec::Url(url) => fetch::download(url, policy).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>(_: &T) {}

    #[test]
    fn preparing_can_run_in_a_spawned_task() {
        // Tool handlers run on a multi-threaded runtime: the future and its result must be Send.
        let spec = FileSpec::Local(PathBuf::from("/nonexistent"));
        let policy = FilePolicy::new();
        let future = prepare(&spec, &policy, None);
        assert_send(&future);
        fn send_sync<T: Send + Sync>() {}
        send_sync::<FilePolicy>();
        send_sync::<PreparedFile>();
        send_sync::<FileError>();
    }
}
