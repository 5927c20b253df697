//! Moving registrants in (from CSV files, workbooks and form servers' exports) and out (as CSV).

pub mod export;
pub mod guess;
pub mod import;
pub mod mapping;
pub mod prescan;
pub mod preview;
pub mod rejects;
mod rows;
pub mod table;
mod writing;

pub use crate::files::{folder, output};
