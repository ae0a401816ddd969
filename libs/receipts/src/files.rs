//! Where a front door's receipt-signing certificate and key are (`[gateway.receipts]`,
//! `[portal.receipts]`): both set, receipts are signed; neither, they are not.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::{Error, ReceiptSigner, Result};

/// The receipt-signing certificate (PEM) and its ECDSA P-256 key (PKCS#8 PEM).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct SigningFiles {
    /// The signing certificate (PEM), issued by the province's CA.
    pub cert_file: PathBuf,
    /// Its private key (PKCS#8 PEM, ECDSA P-256).
    pub key_file: PathBuf,
}

impl SigningFiles {
    /// The signer, when one is configured; a wrong file fails at once (at start).
    pub fn signer(&self) -> Result<Option<ReceiptSigner>> {
        match (
            self.cert_file.as_os_str().is_empty(),
            self.key_file.as_os_str().is_empty(),
        ) {
            (true, true) => Ok(None),
            (false, false) => {
                ReceiptSigner::from_pem_files(&self.cert_file, &self.key_file).map(Some)
            }
            _ => Err(Error::HalfConfigured),
        }
    }
}
