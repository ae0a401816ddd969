//! Where the signing certificates and keys are: a front door's for receipts
//! (`[gateway.receipts]`, `[portal.receipts]`) and the department's for the PDFs it
//! issues (`[document.signing]`). Both files set, things are signed; neither, they are not.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::{Error, PdfSigner, Result, Signer};

/// A signing certificate and its key: two PEM files, or one PKCS#12 file (`.p12`,
/// `.pfx`, as a CA or Windows exports them) and the file holding its password.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct SigningFiles {
    /// The signing certificate (PEM), issued by the province's CA.
    pub cert_file: PathBuf,
    /// Its private key (unencrypted PEM: RSA or ECDSA P-256).
    pub key_file: PathBuf,
    /// Instead of the two: a PKCS#12 file with the key and its certificate.
    pub pkcs12_file: PathBuf,
    /// The file whose first line is the PKCS#12 file's password (none: no password).
    pub pkcs12_password_file: PathBuf,
}

impl SigningFiles {
    /// The signer, when one is configured; a wrong file fails at once (at start).
    pub fn signer(&self) -> Result<Option<Signer>> {
        let set = |path: &PathBuf| !path.as_os_str().is_empty();
        match (
            set(&self.cert_file),
            set(&self.key_file),
            set(&self.pkcs12_file),
        ) {
            (false, false, false) => Ok(None),
            (true, true, false) => {
                Signer::from_pem_files(&self.cert_file, &self.key_file).map(Some)
            }
            (false, false, true) => {
                Signer::from_pkcs12_file(&self.pkcs12_file, &self.password()?).map(Some)
            }
            (_, _, true) => Err(Error::TwoSources),
            _ => Err(Error::HalfConfigured),
        }
    }

    /// The PKCS#12 password: the first line of `pkcs12_password_file`, or empty.
    fn password(&self) -> Result<String> {
        if self.pkcs12_password_file.as_os_str().is_empty() {
            return Ok(String::new());
        }
        let text =
            std::fs::read_to_string(&self.pkcs12_password_file).map_err(|source| Error::File {
                path: self.pkcs12_password_file.clone(),
                source,
            })?;
        Ok(text.lines().next().unwrap_or_default().to_string())
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
    /// Its private key (unencrypted PEM: RSA or ECDSA P-256).
    pub key_file: PathBuf,
    /// Instead of the two: a PKCS#12 file with the key and its certificate.
    pub pkcs12_file: PathBuf,
    /// The file whose first line is the PKCS#12 file's password.
    pub pkcs12_password_file: PathBuf,
    /// `/Reason` of each signature.
    pub reason: String,
}

impl Default for DocumentSigning {
    fn default() -> Self {
        DocumentSigning {
            cert_file: PathBuf::new(),
            key_file: PathBuf::new(),
            pkcs12_file: PathBuf::new(),
            pkcs12_password_file: PathBuf::new(),
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
            pkcs12_file: self.pkcs12_file.clone(),
            pkcs12_password_file: self.pkcs12_password_file.clone(),
        };
        Ok(files.signer()?.map(|signer| PdfSigner {
            signer,
            reason: self.reason.clone(),
        }))
    }
}
