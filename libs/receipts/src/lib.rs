//! Signed receipts: when a gateway accepts a report it answers with a [`Receipt`] —
//! unit, campaign, submission id, SHA-256 of the canonical report, when, which gateway,
//! and where the record sits in Kafka — serialised the same way every time, and a
//! detached CMS (PKCS#7, RFC 5652) signature of those bytes by the gateway's certificate
//! ([`ReceiptSigner`]). Anyone holding the province's CA certificate can check a receipt
//! ([`verify`]), with `baocao verify` or `openssl cms -verify`, and a repeat of the same
//! report gets the same bytes (ECDSA P-256 with deterministic nonces, RFC 6979, and no
//! signing-time attribute).

mod error;
mod files;
mod receipt;
mod sign;
mod verify;

pub use error::{Error, Result};
pub use files::SigningFiles;
pub use receipt::{RECEIPT_SCHEMA, Receipt};
pub use sign::ReceiptSigner;
pub use verify::{Verified, verify};
