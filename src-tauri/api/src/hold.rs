//! A pause point for tests of long work.

/// Test-only: when `BR_TEST_HOLD_AFTER_BATCH` names a file, an import waits after each committed batch for
/// as long as that file exists. A test can then press Ctrl-C, or see the progress bar, between two batches
/// without racing the import, however fast or loaded the machine is.
pub(crate) struct HoldAfterBatch {
    file: Option<std::path::PathBuf>,
    rows_committed: std::sync::atomic::AtomicU64,
}

impl HoldAfterBatch {
    pub(crate) fn from_env() -> HoldAfterBatch {
        let file = std::env::var_os("BR_TEST_HOLD_AFTER_BATCH").map(std::path::PathBuf::from);
        HoldAfterBatch { file, rows_committed: Default::default() }
    }

    pub(crate) fn wait(&self, p: &br_core::io::import::ImportProgress) {
        let Some(file) = &self.file else { return };
        // Progress within a batch repeats the rows read before it; a larger count means a batch committed.
        if p.rows_read > self.rows_committed.swap(p.rows_read, std::sync::atomic::Ordering::SeqCst) {
            while file.exists() {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
        }
    }
}
