//! Signing a receipt: a detached CMS SignedData (RFC 5652) with the signed attributes
//! content-type (id-data) and message-digest (SHA-256 of the receipt), signed with the
//! gateway's ECDSA P-256 key (deterministic, RFC 6979), the signing certificate included.

use std::path::Path;

use cms::builder::{SignedDataBuilder, SignerInfoBuilder};
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::signed_data::{EncapsulatedContentInfo, SignerIdentifier};
use der::asn1::{OctetString, SetOfVec};
use der::{DecodePem, Encode};
use p256::ecdsa::{DerSignature, SigningKey};
use p256::pkcs8::DecodePrivateKey;
use sha2::{Digest, Sha256};
use spki::{AlgorithmIdentifierOwned, EncodePublicKey};
use x509_cert::Certificate;
use x509_cert::attr::Attribute;

use crate::{Error, Result};

/// The gateway's signing certificate and key.
pub struct Signer {
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

impl Signer {
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
        Ok(Signer {
            certificate: certificate_parsed,
            key,
        })
    }

    /// The certificate's subject, as text (for logs).
    pub fn subject(&self) -> String {
        self.certificate.tbs_certificate.subject.to_string()
    }

    /// The signing certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// The detached CMS signature (DER) of `receipt`.
    pub fn sign(&self, receipt: &[u8]) -> Result<Vec<u8>> {
        self.sign_digest(&Sha256::digest(receipt), Profile::Receipt)
    }

    /// The detached CAdES signature (DER) of content whose SHA-256 is `digest`: the
    /// signed attributes also name the signing certificate (signing-certificate-v2, ETSI
    /// EN 319 122-1), and there is no signing time (a PDF carries it in `/M`), as
    /// PAdES-B-B asks.
    pub fn sign_cades_digest(&self, digest: &[u8]) -> Result<Vec<u8>> {
        self.sign_digest(digest, Profile::Cades)
    }

    fn sign_digest(&self, digest: &[u8], profile: Profile) -> Result<Vec<u8>> {
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
        let mut signer_info =
            SignerInfoBuilder::new(&self.key, sid, sha256.clone(), &content, Some(digest))
                .map_err(sign_error)?;
        if profile == Profile::Cades {
            signer_info
                .add_signed_attribute(signing_certificate_v2(&self.certificate)?)
                .map_err(sign_error)?;
        }
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

/// Which signed attributes a signature carries.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Profile {
    /// Content type and message digest (RFC 5652).
    Receipt,
    /// Those and signing-certificate-v2 (CAdES-B-B).
    Cades,
}

/// `id-aa-signingCertificateV2` (RFC 5035).
pub(crate) const SIGNING_CERTIFICATE_V2: const_oid::ObjectIdentifier =
    const_oid::ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");

/// `ESSCertIDv2` (RFC 5035) with the default hash algorithm, SHA-256, left out.
#[derive(der::Sequence)]
pub(crate) struct EssCertIdV2 {
    /// SHA-256 of the certificate's DER.
    pub cert_hash: OctetString,
}

/// `SigningCertificateV2` (RFC 5035): the one certificate that signed.
#[derive(der::Sequence)]
pub(crate) struct SigningCertificateV2 {
    /// The certificates; the first is the signer's.
    pub certs: Vec<EssCertIdV2>,
}

/// The signing-certificate-v2 attribute naming `certificate`.
fn signing_certificate_v2(certificate: &Certificate) -> Result<Attribute> {
    let hash = Sha256::digest(certificate.to_der().map_err(sign_error)?);
    let value = SigningCertificateV2 {
        certs: vec![EssCertIdV2 {
            cert_hash: OctetString::new(hash.to_vec()).map_err(sign_error)?,
        }],
    };
    let value = der::Any::encode_from(&value).map_err(sign_error)?;
    Ok(Attribute {
        oid: SIGNING_CERTIFICATE_V2,
        values: SetOfVec::try_from(vec![value]).map_err(sign_error)?,
    })
}
