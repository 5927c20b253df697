//! The sync protocol between a desk and the central server (docs/sync.md): what travels, how a request is
//! signed, and which office owns and may see what each op touches. Both sides build on this crate, so the
//! rules are written once and tested without a server or a registry.

pub mod codes;
pub mod disburse;
pub mod ownership;
pub mod signing;
pub mod tls;
pub mod wire;

/// The protocol this build speaks. A desk or server of another version is told `upgrade_required`.
pub const PROTOCOL_VERSION: u32 = 1;

/// Largest request body the server reads (a push page). A page of ten 10,000-row set ops fits.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// How far a request's timestamp may be from the server's clock.
pub const MAX_CLOCK_SKEW_MS: i64 = 5 * 60 * 1000;

/// A desk fills a push page up to about this many bytes of ops (always at least one op).
pub const PUSH_PAGE_BYTES: usize = 4 * 1024 * 1024;

/// Most ops a push page or a pull page carries.
pub const MAX_PAGE_OPS: usize = 2_000;

/// A snapshot chunk holds at most this many ops, and at most this many bytes before compression: the
/// memory either side needs for one chunk, whatever the office's size.
pub const SNAPSHOT_CHUNK_OPS: usize = 10_000;
pub const SNAPSHOT_CHUNK_BYTES: usize = 16 * 1024 * 1024;

/// Request headers that carry the signature.
pub mod headers {
    pub const PROTOCOL: &str = "x-br-protocol";
    pub const DEVICE: &str = "x-br-device";
    pub const TIMESTAMP: &str = "x-br-timestamp";
    pub const NONCE: &str = "x-br-nonce";
    pub const SIGNATURE: &str = "x-br-signature";
}
