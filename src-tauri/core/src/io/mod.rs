//! Moving registrants in and out as CSV.

pub mod export;
pub mod folder;
pub mod import;
pub mod mapping;
pub mod output;
pub mod prescan;
