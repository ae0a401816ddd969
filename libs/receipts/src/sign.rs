//! Signing a receipt: a detached CMS SignedData (RFC 5652) with the signed attributes
//! content-type (id-data) and message-digest (SHA-256 of the receipt), signed with the
//! gateway's ECDSA P-256 key (deterministic, RFC 6979), the signing certificate included.

use std::path::Path;

use cms::builder::{SignedDataBuilder, SignerInfoBuilder};
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::signed_data::{EncapsulatedContentInfo, SignerIdentifier};
use der::{DecodePem, Encode};
use p256::ecdsa::{DerSignature, SigningKey};
use p256::pkcs8::DecodePrivateKey;
use sha2::{Digest, Sha256};
use spki::{AlgorithmIdentifierOwned, EncodePublicKey};
use x509_cert::Certificate;

use crate::{Error, Result};

/// The gateway's signing certificate and key.
pub struct ReceiptSigner {
    certificate: Certificate,
    key: SigningKey,
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| Error::File {
        path: path.to_path_buf(),
        source,
    })
}

fn sign_error(err: impl std::fmt::Display) -> Error {
    Error::Sign(err.to_string())
}

impl ReceiptSigner {
    /// The signer of a PEM certificate and its PKCS#8 PEM ECDSA P-256 key; refuses a key
    /// that is not the certificate's.
    pub fn from_pem_files(certificate: &Path, key: &Path) -> Result<Self> {
        let pem = read(certificate)?;
        let certificate_parsed =
            Certificate::from_pem(pem.as_bytes()).map_err(|source| Error::Certificate {
                what: certificate.display().to_string(),
                source,
            })?;
        let key = SigningKey::from_pkcs8_pem(&read(key)?).map_err(|source| Error::Key {
            path: key.to_path_buf(),
            source,
        })?;
        let public = key
            .verifying_key()
            .to_public_key_der()
            .map_err(sign_error)?;
        let in_certificate = certificate_parsed
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(sign_error)?;
        if public.as_bytes() != in_certificate.as_slice() {
            return Err(Error::KeyMismatch);
        }
        Ok(ReceiptSigner {
            certificate: certificate_parsed,
            key,
        })
    }

    /// The certificate's subject, as text (for logs).
    pub fn subject(&self) -> String {
        self.certificate.tbs_certificate.subject.to_string()
    }

    /// The detached CMS signature (DER) of `receipt`.
    pub fn sign(&self, receipt: &[u8]) -> Result<Vec<u8>> {
        let digest = Sha256::digest(receipt);
        let content = EncapsulatedContentInfo {
            econtent_type: const_oid::db::rfc5911::ID_DATA,
            econtent: None,
        };
        let sha256 = AlgorithmIdentifierOwned {
            oid: const_oid::db::rfc5912::ID_SHA_256,
            parameters: None,
        };
        let sid = SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: self.certificate.tbs_certificate.issuer.clone(),
            serial_number: self.certificate.tbs_certificate.serial_number.clone(),
        });
        let signer_info =
            SignerInfoBuilder::new(&self.key, sid, sha256.clone(), &content, Some(&digest))
                .map_err(sign_error)?;
        let mut builder = SignedDataBuilder::new(&content);
        let signed = builder
            .add_digest_algorithm(sha256)
            .map_err(sign_error)?
            .add_certificate(CertificateChoices::Certificate(self.certificate.clone()))
            .map_err(sign_error)?
            .add_signer_info::<SigningKey, DerSignature>(signer_info)
            .map_err(sign_error)?
            .build()
            .map_err(sign_error)?;
        signed.to_der().map_err(sign_error)
    }
}
