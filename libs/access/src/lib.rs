//! Who may call baocao: bearer tokens with their role (a unit submits; an analyst
//! queries within a scope), kept hashed in one token file that gateways and the SQL
//! endpoint re-read when it changes; and TLS / mutual TLS for every listener. A library
//! of its own so that every front door (gRPC gateway, Flight SQL, the portal) checks
//! callers the same way without depending on another front door.

mod bearer;
mod error;
pub mod tls;
pub mod tokens;

pub use bearer::{BearerError, bearer_token};
pub use error::{Error, Result};
pub use tls::{TlsConfig, install_crypto_provider};
pub use tokens::{TokenRecord, TokenRole, TokenStore};
