//! Checking a signed PDF's last signature: its byte range covers the whole file but the
//! signature itself, the CAdES signature holds for those bytes, and (given the CA) its
//! certificate chains to the province's CA and was valid when signed (`/M`).

use std::ops::Range;

use chrono::{DateTime, FixedOffset};
use sha2::{Digest, Sha256};

use super::parse::{find, rfind};
use crate::Result;
use crate::verify::{ca_certificate, chains_to, check_detached, invalid};

/// What the check of a PDF's last signature established.
#[derive(Clone, Debug)]
pub struct PdfSignature {
    /// The signing certificate's subject.
    pub signer: String,
    /// `/M`: when the signer says it signed, when it is stated.
    pub signed_at: Option<DateTime<FixedOffset>>,
    /// Whether the signature covers the whole file (nothing was appended after it).
    pub whole_document: bool,
    /// Whether the certificate was checked against a CA (`false`: only the signature).
    pub checked_against_ca: bool,
}

/// The four numbers of the last `/ByteRange[...]` in `pdf`.
fn last_byte_range(pdf: &[u8]) -> Result<([usize; 4], usize)> {
    let at = rfind(pdf, b"/ByteRange").ok_or_else(|| invalid("the PDF has no signature"))?;
    let rest = &pdf[at + "/ByteRange".len()..];
    let close = find(rest, b"]").ok_or_else(|| invalid("/ByteRange has no end"))?;
    let text = String::from_utf8_lossy(&rest[..close]).replace('[', " ");
    let numbers: Vec<usize> = text
        .split_ascii_whitespace()
        .map(str::parse)
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| invalid("/ByteRange is not four numbers"))?;
    let range: [usize; 4] = numbers
        .try_into()
        .map_err(|_| invalid("/ByteRange is not four numbers"))?;
    Ok((range, at))
}

/// The hole (`<…>` of `/Contents`, brackets included) of the file's last signature.
pub(crate) fn last_hole(pdf: &[u8]) -> Result<Range<usize>> {
    let ([first, first_len, second, second_len], _) = last_byte_range(pdf)?;
    // Numbers from the file: added with a check, so that a hostile range cannot overflow.
    let hole = first.saturating_add(first_len)..second;
    let fits = first == 0
        && hole.start < hole.end
        && second
            .checked_add(second_len)
            .is_some_and(|end| end <= pdf.len())
        && pdf.get(hole.start) == Some(&b'<')
        && pdf.get(hole.end - 1) == Some(&b'>');
    if !fits {
        return Err(invalid(
            "the byte range does not surround the signature's /Contents",
        ));
    }
    Ok(hole)
}

/// The DER object at the start of `bytes` (a signature padded with zeros).
fn der_object(bytes: &[u8]) -> Result<&[u8]> {
    let bad = || invalid("/Contents is not a DER signature");
    let length = *bytes.get(1).ok_or_else(bad)?;
    let (header, body) = if length < 0x80 {
        (2, length as usize)
    } else {
        let count = (length & 0x7f) as usize;
        let digits = bytes.get(2..2 + count).ok_or_else(bad)?;
        if count > 4 {
            return Err(bad());
        }
        (
            2 + count,
            digits.iter().fold(0usize, |n, d| n << 8 | *d as usize),
        )
    };
    bytes.get(..header + body).ok_or_else(bad)
}

/// `/M` of the signature dictionary around `byte_range_at`.
fn signing_time(pdf: &[u8], byte_range_at: usize) -> Option<DateTime<FixedOffset>> {
    let dict_start = rfind(&pdf[..byte_range_at], b"<<")?;
    let rest = &pdf[dict_start..];
    let dict = &rest[..find(rest, b"endobj").unwrap_or(rest.len())];
    let m = find(dict, b"/M(")? + 3;
    let close = find(&dict[m..], b")")? + m;
    let text = String::from_utf8_lossy(&dict[m..close]).into_owned();
    let digits = text.strip_prefix("D:")?.replace('\'', "");
    DateTime::parse_from_str(&digits, "%Y%m%d%H%M%S%z").ok()
}

/// Checks the last signature of `pdf`; with `ca_pem`, also that the province's CA
/// issued its certificate (directly or through CAs the signature carries), valid when
/// it was signed.
pub fn verify_pdf(pdf: &[u8], ca_pem: Option<&[u8]>) -> Result<PdfSignature> {
    let ([_, _, second, second_len], at) = last_byte_range(pdf)?;
    let hole = last_hole(pdf)?;
    let hex_text = &pdf[hole.start + 1..hole.end - 1];
    let raw = hex::decode(hex_text).map_err(|_| invalid("/Contents is not hexadecimal"))?;
    let signature = der_object(&raw)?;
    let mut hasher = Sha256::new();
    hasher.update(&pdf[..hole.start]);
    hasher.update(&pdf[hole.end..second + second_len]);
    let holds = check_detached(&hasher.finalize(), signature)?;
    let signed_at = signing_time(pdf, at);
    if let Some(pem) = ca_pem {
        let at = signed_at.map_or_else(|| chrono::Utc::now().timestamp(), |t| t.timestamp());
        chains_to(
            &holds.certificate,
            &holds.carried,
            &ca_certificate(pem)?,
            at,
        )?;
    }
    Ok(PdfSignature {
        signer: holds.certificate.tbs_certificate.subject.to_string(),
        signed_at,
        whole_document: second + second_len == pdf.len(),
        checked_against_ca: ca_pem.is_some(),
    })
}
