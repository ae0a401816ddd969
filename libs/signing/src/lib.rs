//! What baocao signs, and how anyone checks it.
//!
//! Signed receipts: when a gateway accepts a report it answers with a [`Receipt`] —
//! unit, campaign, submission id, SHA-256 of the canonical report, when, which gateway,
//! and where the record sits in Kafka — serialised the same way every time, and a
//! detached CMS (PKCS#7, RFC 5652) signature of those bytes by the gateway's certificate
//! ([`Signer`]). Anyone holding the province's CA certificate can check a receipt
//! ([`verify`]), with `baocao verify` or `openssl cms -verify`, and a repeat of the same
//! report gets the same bytes (ECDSA P-256 with deterministic nonces, RFC 6979, and no
//! signing-time attribute).
//!
//! Signed documents: the Chairman's report and the urging letters are signed as PDFs
//! (PAdES-B-B, [`sign_pdf`] with the department's key file, or [`PreparedPdf`] for a
//! key on a person's token) and checked with [`verify_pdf`].

mod error;
mod files;
mod pdf;
mod receipt;
mod sign;
mod verify;

pub use error::{Error, Result};
pub use files::{DocumentSigning, SigningFiles};
pub use pdf::{
    PdfSignature, PdfSigner, PreparedPdf, SIGNATURE_SPACE, SignatureInfo, is_signed, sign_pdf,
    verify_pdf,
};
pub use receipt::{RECEIPT_SCHEMA, Receipt};
pub use sign::Signer;
pub use verify::{Verified, verify};
