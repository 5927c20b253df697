//! Files the registry writes whole or not at all: outputs moved into place once flushed, and folders
//! built beside their target and renamed in (a kill leaves the old state or the new, never half).

pub mod folder;
pub mod output;
