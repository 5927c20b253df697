//! What every step of one sync run (push, snapshot, pull) works with.

use std::sync::atomic::AtomicBool;

use super::progress::SyncProgress;
use super::transport::Transport;
use crate::auth::Session;
use crate::store::Store;

#[derive(Clone, Copy)]
pub(super) struct SyncRun<'a> {
    pub store: &'a Store,
    pub session: &'a Session,
    pub transport: &'a Transport,
    pub progress: &'a dyn Fn(&SyncProgress),
    pub cancel: &'a AtomicBool,
}
