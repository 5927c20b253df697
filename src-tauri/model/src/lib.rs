//! The Beneficiary Registry's domain without storage. `br-core` builds the registry on it; the central
//! server will too. Nothing here opens a file, a database or a socket.

pub mod audit;
pub mod clock;
pub mod detail;
pub mod disbursement;
pub mod error;
pub mod money;
pub mod normalize;
pub mod op;
pub mod privacy;
pub mod program;
pub mod registry;
pub mod roles;
pub mod rules;
pub mod spelling;
pub mod validation;

pub use error::{ErrorCode, ModelError};
