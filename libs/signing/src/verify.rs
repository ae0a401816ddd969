//! Checking a receipt: its detached CMS signature holds for these bytes (message digest,
//! ECDSA P-256 over the signed attributes, with the certificate the signature carries),
//! and, given the province's CA certificate, that certificate was issued by it and was
//! valid when the receipt says the report was accepted.

use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo};
use const_oid::ObjectIdentifier;
use der::asn1::OctetString;
use der::{Decode, DecodePem, Encode};
use p256::ecdsa::{Signature, VerifyingKey};
use sha2::{Digest, Sha256};
use signature::Verifier;
use spki::DecodePublicKey;
use x509_cert::Certificate;

use crate::{Error, Receipt, Result};

/// What a verification established.
#[derive(Clone, Debug)]
pub struct Verified {
    /// The receipt, read.
    pub receipt: Receipt,
    /// The signing certificate's subject.
    pub signer: String,
    /// Whether the certificate was checked against a CA (`false`: only the signature).
    pub checked_against_ca: bool,
}

pub(crate) fn invalid(reason: impl Into<String>) -> Error {
    Error::Invalid(reason.into())
}

/// The single signer and the SignedData of a detached signature.
fn signed_data(signature: &[u8]) -> Result<(SignedData, SignerInfo)> {
    let info = ContentInfo::from_der(signature).map_err(|e| invalid(format!("not CMS: {e}")))?;
    if info.content_type != const_oid::db::rfc5911::ID_SIGNED_DATA {
        return Err(invalid("not a CMS SignedData"));
    }
    let data: SignedData = info
        .content
        .decode_as()
        .map_err(|e| invalid(format!("SignedData: {e}")))?;
    if data.encap_content_info.econtent.is_some() {
        return Err(invalid(
            "the signature carries content; a detached one is expected",
        ));
    }
    let mut signers = data.signer_infos.0.iter();
    let (Some(signer), None) = (signers.next().cloned(), signers.next()) else {
        return Err(invalid("the signature must have exactly one signer"));
    };
    Ok((data, signer))
}

/// The value of the signed attribute `oid`, the one value it must have.
fn attribute(signer: &SignerInfo, oid: ObjectIdentifier) -> Result<der::Any> {
    let attributes = signer
        .signed_attrs
        .as_ref()
        .ok_or_else(|| invalid("no signed attributes"))?;
    let found = attributes
        .iter()
        .find(|a| a.oid == oid)
        .ok_or_else(|| invalid(format!("no signed attribute {oid}")))?;
    let mut values = found.values.iter();
    match (values.next(), values.next()) {
        (Some(value), None) => Ok(value.clone()),
        _ => Err(invalid(format!("attribute {oid} must have one value"))),
    }
}

/// The certificate the signature names as its signer.
fn signing_certificate(data: &SignedData, signer: &SignerInfo) -> Result<Certificate> {
    let SignerIdentifier::IssuerAndSerialNumber(id) = &signer.sid else {
        return Err(invalid(
            "the signer is not named by issuer and serial number",
        ));
    };
    data.certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .find_map(|choice| match choice {
            CertificateChoices::Certificate(c)
                if c.tbs_certificate.issuer == id.issuer
                    && c.tbs_certificate.serial_number == id.serial_number =>
            {
                Some(c.clone())
            }
            _ => None,
        })
        .ok_or_else(|| invalid("the signing certificate is not in the signature"))
}

/// `signature` of `message` by the key of `holder`, made with `algorithm`: ECDSA P-256
/// with SHA-256 (baocao's own keys) or RSA PKCS#1 v1.5 with SHA-256 (what the
/// certificates of Vietnam's public-duty CA and its tokens use).
fn key_holds(
    holder: &Certificate,
    algorithm: ObjectIdentifier,
    message: &[u8],
    signature: &[u8],
) -> Result<()> {
    use const_oid::db::rfc5912;
    let spki = holder
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| invalid(e.to_string()))?;
    if [rfc5912::ECDSA_WITH_SHA_256, rfc5912::ID_EC_PUBLIC_KEY].contains(&algorithm) {
        let key = VerifyingKey::from_public_key_der(&spki)
            .map_err(|_| invalid("the certificate's key is not ECDSA P-256"))?;
        let signature =
            Signature::from_der(signature).map_err(|_| invalid("not an ECDSA signature"))?;
        return key
            .verify(message, &signature)
            .map_err(|_| invalid("the ECDSA signature does not match"));
    }
    if [
        rfc5912::SHA_256_WITH_RSA_ENCRYPTION,
        rfc5912::RSA_ENCRYPTION,
    ]
    .contains(&algorithm)
    {
        let key = rsa::RsaPublicKey::from_public_key_der(&spki)
            .map_err(|_| invalid("the certificate's key is not RSA"))?;
        let signature = rsa::pkcs1v15::Signature::try_from(signature)
            .map_err(|_| invalid("not an RSA signature"))?;
        return rsa::pkcs1v15::VerifyingKey::<Sha256>::new(key)
            .verify(message, &signature)
            .map_err(|_| invalid("the RSA signature does not match"));
    }
    Err(invalid(format!(
        "signature algorithm {algorithm} (ECDSA or RSA with SHA-256 are checked)"
    )))
}

/// Checks that `certificate` chains to `ca` through the certificates the signature
/// carries (a signer's certificate, then any intermediate CAs), each signed by the next
/// and valid at `at` (seconds since 1970).
pub(crate) fn chains_to(
    certificate: &Certificate,
    carried: &[Certificate],
    ca: &Certificate,
    at: i64,
) -> Result<()> {
    let mut current = certificate.clone();
    for _ in 0..8 {
        valid_at(&current, at)?;
        let tbs = &current.tbs_certificate;
        let issuer = if tbs.issuer == ca.tbs_certificate.subject {
            ca.clone()
        } else {
            carried
                .iter()
                .find(|c| c.tbs_certificate.subject == tbs.issuer && **c != current)
                .cloned()
                .ok_or_else(|| {
                    invalid(format!(
                        "the certificate was issued by {}, which is neither the CA {} nor carried in the signature",
                        tbs.issuer, ca.tbs_certificate.subject
                    ))
                })?
        };
        let message = tbs.to_der().map_err(|e| invalid(e.to_string()))?;
        key_holds(
            &issuer,
            current.signature_algorithm.oid,
            &message,
            current.signature.raw_bytes(),
        )
        .map_err(|_| {
            invalid(format!(
                "the signature of {} by its issuer does not hold",
                tbs.subject
            ))
        })?;
        if issuer == *ca {
            return Ok(());
        }
        current = issuer;
    }
    Err(invalid("the certificate chain is longer than 8"))
}

/// Checks that `certificate` was valid at `at` (seconds since 1970).
fn valid_at(certificate: &Certificate, at: i64) -> Result<()> {
    let validity = &certificate.tbs_certificate.validity;
    let seconds = |t: x509_cert::time::Time| t.to_unix_duration().as_secs() as i64;
    if at < seconds(validity.not_before) || at > seconds(validity.not_after) {
        return Err(invalid(format!(
            "the certificate of {} was not valid at the time signed",
            certificate.tbs_certificate.subject
        )));
    }
    Ok(())
}

/// What a detached signature holds for: its signer's certificate and the certificates
/// it carries.
pub(crate) struct Holds {
    /// The signing certificate.
    pub certificate: Certificate,
    /// Every certificate in the signature (the signer's and any intermediate CAs').
    pub carried: Vec<Certificate>,
}

/// Checks the detached CMS `signature` of content whose SHA-256 is `digest`: the
/// message-digest attribute, the content type, and the signer's signature over the
/// signed attributes.
pub(crate) fn check_detached(digest: &[u8], signature: &[u8]) -> Result<Holds> {
    let (data, signer) = signed_data(signature)?;
    if signer.digest_alg.oid != const_oid::db::rfc5912::ID_SHA_256 {
        return Err(invalid("the digest is not SHA-256"));
    }
    let signed_digest = attribute(&signer, const_oid::db::rfc5911::ID_MESSAGE_DIGEST)?
        .decode_as::<OctetString>()
        .map_err(|_| invalid("the message digest is not an octet string"))?;
    if signed_digest.as_bytes() != digest {
        return Err(invalid(
            "the bytes are not the ones signed (digest differs)",
        ));
    }
    let content_type = attribute(&signer, const_oid::db::rfc5911::ID_CONTENT_TYPE)?
        .decode_as::<ObjectIdentifier>()
        .map_err(|_| invalid("the content type is not an OID"))?;
    if content_type != const_oid::db::rfc5911::ID_DATA {
        return Err(invalid("the signed content type is not id-data"));
    }
    let certificate = signing_certificate(&data, &signer)?;
    let signed_attributes = signer
        .signed_attrs
        .as_ref()
        .map(|a| a.to_der())
        .transpose()
        .map_err(|e| invalid(e.to_string()))?
        .unwrap_or_default();
    key_holds(
        &certificate,
        signer.signature_algorithm.oid,
        &signed_attributes,
        signer.signature.as_bytes(),
    )?;
    let carried = data
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .filter_map(|choice| match choice {
            CertificateChoices::Certificate(c) => Some(c.clone()),
            _ => None,
        })
        .collect();
    Ok(Holds {
        certificate,
        carried,
    })
}

/// The PEM CA certificate `pem`.
pub(crate) fn ca_certificate(pem: &[u8]) -> Result<Certificate> {
    Certificate::from_pem(pem).map_err(|source| Error::Certificate {
        what: "the CA certificate".into(),
        source,
    })
}

/// Verifies the detached CMS `signature` (DER) of the `receipt` bytes; with `ca_pem`, also
/// that the province's CA issued the signing certificate, valid when the receipt says the
/// report was accepted.
pub fn verify(receipt: &[u8], signature: &[u8], ca_pem: Option<&[u8]>) -> Result<Verified> {
    let holds = check_detached(&Sha256::digest(receipt), signature)?;
    let receipt = Receipt::from_bytes(receipt)?;
    if let Some(pem) = ca_pem {
        let at = chrono::DateTime::parse_from_rfc3339(&receipt.received_at)
            .map_err(|_| invalid("the receipt's received_at is not a time"))?;
        chains_to(
            &holds.certificate,
            &holds.carried,
            &ca_certificate(pem)?,
            at.timestamp(),
        )?;
    }
    Ok(Verified {
        receipt,
        signer: holds.certificate.tbs_certificate.subject.to_string(),
        checked_against_ca: ca_pem.is_some(),
    })
}
