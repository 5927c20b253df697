//! Moving registrants in and out as CSV.

pub mod export;
pub mod import;
pub mod mapping;
pub mod prescan;

pub use crate::files::{folder, output};
