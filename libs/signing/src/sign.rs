//! Signing a receipt or a document's digest: a detached CMS SignedData (RFC 5652) with
//! the signed attributes content-type (id-data) and message-digest (SHA-256), the signing
//! certificate included, signed with an ECDSA P-256 key (deterministic, RFC 6979) or an
//! RSA key (PKCS#1 v1.5 with SHA-256: what most certification authorities issue, the
//! Government Cipher Committee's included).

use std::path::Path;

use cms::builder::{SignedDataBuilder, SignerInfoBuilder};
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::signed_data::{EncapsulatedContentInfo, SignerIdentifier};
use der::asn1::{OctetString, SetOfVec};
use der::{Decode, DecodePem, Encode};
use p256::pkcs8::DecodePrivateKey;
use sha2::{Digest, Sha256};
use signature::Keypair;
use spki::{
    AlgorithmIdentifierOwned, DynSignatureAlgorithmIdentifier, EncodePublicKey,
    SignatureBitStringEncoding,
};
use x509_cert::Certificate;
use x509_cert::attr::Attribute;

use crate::{Error, Result};

/// A signing certificate and its key.
pub struct Signer {
    certificate: Certificate,
    key: SigningKey,
}

/// The private key of a [`Signer`].
enum SigningKey {
    /// ECDSA on P-256.
    P256(p256::ecdsa::SigningKey),
    /// RSA, signing with PKCS#1 v1.5 and SHA-256 (boxed: its key is large).
    Rsa(Box<rsa::pkcs1v15::SigningKey<Sha256>>),
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

impl SigningKey {
    /// Reads an unencrypted PEM key: PKCS#8 (P-256 or RSA), PKCS#1 RSA or SEC1 P-256.
    fn from_pem_file(path: &Path) -> Result<Self> {
        let pem = read(path)?;
        let refused = |source: Box<dyn std::error::Error + Send + Sync>| Error::Key {
            path: path.to_path_buf(),
            source,
        };
        if pem.contains("BEGIN RSA PRIVATE KEY") {
            use rsa::pkcs1::DecodeRsaPrivateKey;
            let key = rsa::RsaPrivateKey::from_pkcs1_pem(&pem).map_err(|e| refused(e.into()))?;
            return Ok(SigningKey::Rsa(Box::new(rsa::pkcs1v15::SigningKey::new(
                key,
            ))));
        }
        if pem.contains("BEGIN EC PRIVATE KEY") {
            let key = p256::SecretKey::from_sec1_pem(&pem).map_err(|e| refused(e.into()))?;
            return Ok(SigningKey::P256(key.into()));
        }
        Self::from_pkcs8(&pem, path)
    }

    /// A PKCS#8 key (PEM text or DER bytes) of P-256 or RSA; `path` names it in errors.
    fn from_pkcs8(pem: &str, path: &Path) -> Result<Self> {
        let refused = |source: Box<dyn std::error::Error + Send + Sync>| Error::Key {
            path: path.to_path_buf(),
            source,
        };
        match p256::ecdsa::SigningKey::from_pkcs8_pem(pem) {
            Ok(key) => Ok(SigningKey::P256(key)),
            Err(p256_error) => rsa::RsaPrivateKey::from_pkcs8_pem(pem)
                .map(|key| SigningKey::Rsa(Box::new(rsa::pkcs1v15::SigningKey::new(key))))
                // The P-256 decoder's error says what was wrong with an EC key; for any
                // other key, the RSA decoder's.
                .map_err(|rsa_error| match pem.contains("BEGIN PRIVATE KEY") {
                    true => refused(rsa_error.into()),
                    false => refused(p256_error.into()),
                }),
        }
    }

    /// A PKCS#8 DER key (what a PKCS#12 file holds) of P-256 or RSA.
    fn from_pkcs8_der(der: &[u8], path: &Path) -> Result<Self> {
        match p256::ecdsa::SigningKey::from_pkcs8_der(der) {
            Ok(key) => Ok(SigningKey::P256(key)),
            Err(_) => rsa::RsaPrivateKey::from_pkcs8_der(der)
                .map(|key| SigningKey::Rsa(Box::new(rsa::pkcs1v15::SigningKey::new(key))))
                .map_err(|source| Error::Key {
                    path: path.to_path_buf(),
                    source: source.into(),
                }),
        }
    }

    /// The public key, as a SubjectPublicKeyInfo (DER).
    fn public_key_der(&self) -> Result<Vec<u8>> {
        let document = match self {
            SigningKey::P256(key) => key.verifying_key().to_public_key_der(),
            SigningKey::Rsa(key) => key.verifying_key().to_public_key_der(),
        };
        Ok(document.map_err(sign_error)?.as_bytes().to_vec())
    }
}

impl Signer {
    /// The signer of a PEM certificate and its unencrypted PEM key (ECDSA P-256 or RSA;
    /// PKCS#8, PKCS#1 or SEC1); refuses a key that is not the certificate's.
    pub fn from_pem_files(certificate: &Path, key: &Path) -> Result<Self> {
        let pem = read(certificate)?;
        let certificate_parsed =
            Certificate::from_pem(pem.as_bytes()).map_err(|source| Error::Certificate {
                what: certificate.display().to_string(),
                source,
            })?;
        Self::new(certificate_parsed, SigningKey::from_pem_file(key)?)
    }

    /// The signer of a PKCS#12 file (`.p12`, `.pfx`) opened with `password`: its private
    /// key (P-256 or RSA) and that key's certificate.
    pub fn from_pkcs12_file(path: &Path, password: &str) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|source| Error::File {
            path: path.to_path_buf(),
            source,
        })?;
        let store = p12_keystore::KeyStore::from_pkcs12(&bytes, password).map_err(|source| {
            Error::Pkcs12 {
                path: path.to_path_buf(),
                source,
            }
        })?;
        let no_key = || Error::Pkcs12NoKey {
            path: path.to_path_buf(),
        };
        let (_, chain) = store.private_key_chain().ok_or_else(no_key)?;
        let certificate = chain.chain().first().ok_or_else(no_key)?;
        let certificate =
            Certificate::from_der(certificate.as_der()).map_err(|source| Error::Certificate {
                what: path.display().to_string(),
                source,
            })?;
        Self::new(certificate, SigningKey::from_pkcs8_der(chain.key(), path)?)
    }

    /// `certificate` with `key`, refused when the key is not the certificate's.
    fn new(certificate_parsed: Certificate, key: SigningKey) -> Result<Self> {
        let in_certificate = certificate_parsed
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(sign_error)?;
        if key.public_key_der()? != in_certificate {
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
        match &self.key {
            SigningKey::P256(key) => {
                self.signed_data::<_, p256::ecdsa::DerSignature>(key, digest, profile)
            }
            SigningKey::Rsa(key) => {
                self.signed_data::<_, rsa::pkcs1v15::Signature>(key.as_ref(), digest, profile)
            }
        }
    }

    /// The SignedData of `digest` signed by `key` with signature type `Sig`.
    fn signed_data<S, Sig>(&self, key: &S, digest: &[u8], profile: Profile) -> Result<Vec<u8>>
    where
        S: Keypair + DynSignatureAlgorithmIdentifier + signature::Signer<Sig>,
        S::VerifyingKey: EncodePublicKey,
        Sig: SignatureBitStringEncoding,
    {
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
            SignerInfoBuilder::new(key, sid, sha256.clone(), &content, Some(digest))
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
            .add_signer_info::<S, Sig>(signer_info)
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
