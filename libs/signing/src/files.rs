//! Where the signing certificates and keys are: a front door's for receipts
//! (`[gateway.receipts]`, `[portal.receipts]`) and the department's for the PDFs it
//! issues (`[document.signing]`). Both files set, things are signed; neither, they are not.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::{Error, PdfSigner, Result, Signer};

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
    pub fn signer(&self) -> Result<Option<Signer>> {
        match (
            self.cert_file.as_os_str().is_empty(),
            self.key_file.as_os_str().is_empty(),
        ) {
            (true, true) => Ok(None),
            (false, false) => Signer::from_pem_files(&self.cert_file, &self.key_file).map(Some),
            _ => Err(Error::HalfConfigured),
        }
    }
}

/// `[document.signing]`: the department's signing certificate and key for the PDFs it
/// issues (the Chairman's report, the urging letters), and the reason written in each
/// signature. Neither file set: the PDFs are not signed (a person signs them later with
/// `baocao sign`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct DocumentSigning {
    /// The department's signing certificate (PEM).
    pub cert_file: PathBuf,
    /// Its private key (PKCS#8 PEM, ECDSA P-256).
    pub key_file: PathBuf,
    /// `/Reason` of each signature.
    pub reason: String,
}

impl Default for DocumentSigning {
    fn default() -> Self {
        DocumentSigning {
            cert_file: PathBuf::new(),
            key_file: PathBuf::new(),
            reason: "Ký ban hành văn bản".to_string(),
        }
    }
}

impl DocumentSigning {
    /// The PDF signer, when a certificate is configured; a wrong file fails at once.
    pub fn signer(&self) -> Result<Option<PdfSigner>> {
        let files = SigningFiles {
            cert_file: self.cert_file.clone(),
            key_file: self.key_file.clone(),
        };
        Ok(files.signer()?.map(|signer| PdfSigner {
            signer,
            reason: self.reason.clone(),
        }))
    }
}
