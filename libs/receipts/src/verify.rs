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

fn invalid(reason: impl Into<String>) -> Error {
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
            "the signature carries content; a receipt's is detached",
        ));
    }
    let mut signers = data.signer_infos.0.iter();
    let (Some(signer), None) = (signers.next().cloned(), signers.next()) else {
        return Err(invalid("a receipt has exactly one signer"));
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

/// `signature` (DER ECDSA) of `message` by the P-256 key of `holder`.
fn ecdsa_holds(holder: &Certificate, message: &[u8], signature: &[u8]) -> Result<()> {
    let spki = holder
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| invalid(e.to_string()))?;
    let key = VerifyingKey::from_public_key_der(&spki)
        .map_err(|_| invalid("the certificate's key is not ECDSA P-256"))?;
    let signature =
        Signature::from_der(signature).map_err(|_| invalid("not an ECDSA signature"))?;
    key.verify(message, &signature)
        .map_err(|_| invalid("the ECDSA signature does not match"))
}

/// Checks that `ca` issued `certificate` and that it was valid at `at` (RFC 3339).
fn issued_by(certificate: &Certificate, ca: &Certificate, at: &str) -> Result<()> {
    let tbs = &certificate.tbs_certificate;
    if tbs.issuer != ca.tbs_certificate.subject {
        return Err(invalid(format!(
            "the certificate was issued by {}, not by the CA {}",
            tbs.issuer, ca.tbs_certificate.subject
        )));
    }
    if certificate.signature_algorithm.oid != const_oid::db::rfc5912::ECDSA_WITH_SHA_256 {
        return Err(invalid("the certificate is not signed with ECDSA-SHA256"));
    }
    let message = tbs.to_der().map_err(|e| invalid(e.to_string()))?;
    ecdsa_holds(ca, &message, certificate.signature.raw_bytes())
        .map_err(|_| invalid("the certificate's signature by the CA does not hold"))?;
    let at = chrono::DateTime::parse_from_rfc3339(at)
        .map_err(|_| invalid("the receipt's received_at is not a time"))?;
    let seconds = |t: x509_cert::time::Time| t.to_unix_duration().as_secs() as i64;
    let (from, until) = (
        seconds(tbs.validity.not_before),
        seconds(tbs.validity.not_after),
    );
    if at.timestamp() < from || at.timestamp() > until {
        return Err(invalid(
            "the certificate was not valid when the report was accepted",
        ));
    }
    Ok(())
}

/// Verifies the detached CMS `signature` (DER) of the `receipt` bytes; with `ca_pem`, also
/// that the province's CA issued the signing certificate.
pub fn verify(receipt: &[u8], signature: &[u8], ca_pem: Option<&[u8]>) -> Result<Verified> {
    let (data, signer) = signed_data(signature)?;
    if signer.digest_alg.oid != const_oid::db::rfc5912::ID_SHA_256 {
        return Err(invalid("the digest is not SHA-256"));
    }
    let digest = attribute(&signer, const_oid::db::rfc5911::ID_MESSAGE_DIGEST)?
        .decode_as::<OctetString>()
        .map_err(|_| invalid("the message digest is not an octet string"))?;
    if digest.as_bytes() != Sha256::digest(receipt).as_slice() {
        return Err(invalid(
            "the receipt's bytes are not the ones signed (digest differs)",
        ));
    }
    let content_type = attribute(&signer, const_oid::db::rfc5911::ID_CONTENT_TYPE)?
        .decode_as::<ObjectIdentifier>()
        .map_err(|_| invalid("the content type is not an OID"))?;
    if content_type != const_oid::db::rfc5911::ID_DATA {
        return Err(invalid("the signed content type is not id-data"));
    }
    if signer.signature_algorithm.oid != const_oid::db::rfc5912::ECDSA_WITH_SHA_256 {
        return Err(invalid("the signature is not ECDSA-SHA256"));
    }
    let certificate = signing_certificate(&data, &signer)?;
    let signed_attributes = signer
        .signed_attrs
        .as_ref()
        .map(|a| a.to_der())
        .transpose()
        .map_err(|e| invalid(e.to_string()))?
        .unwrap_or_default();
    ecdsa_holds(
        &certificate,
        &signed_attributes,
        signer.signature.as_bytes(),
    )?;
    let receipt = Receipt::from_bytes(receipt)?;
    if let Some(pem) = ca_pem {
        let ca = Certificate::from_pem(pem).map_err(|source| Error::Certificate {
            what: "the CA certificate".into(),
            source,
        })?;
        issued_by(&certificate, &ca, &receipt.received_at)?;
    }
    Ok(Verified {
        receipt,
        signer: certificate.tbs_certificate.subject.to_string(),
        checked_against_ca: ca_pem.is_some(),
    })
}
