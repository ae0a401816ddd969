//! The one canonical form of a report, shared by every front door, the submission index
//! and the landing: a submission id written one way (lower-case hyphenated UUID), line
//! breaks written one way (LF), and the content digest that tells a repeat from a reuse.

use sha2::{Digest, Sha256};

use crate::v1::StatusReport;

/// The canonical spelling of a submission id: a UUID in lower-case hyphenated form, so
/// `0192F0C1-…`, `{0192f0c1-…}` and `0192f0c17a4e…` are one id. `None` when it is not a UUID.
pub fn canonical_submission_id(id: &str) -> Option<String> {
    uuid::Uuid::parse_str(id.trim())
        .ok()
        .map(|uuid| uuid.hyphenated().to_string())
}

/// Whether `id` is already a submission id in canonical form (lower-case hyphenated
/// UUID), so that readers of landed files can skip the parse for the common case.
pub fn is_canonical_submission_id(id: &str) -> bool {
    id.len() == 36
        && id.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
        })
}

/// Free text with CR LF (what every browser textarea and Windows sends) and lone CR
/// written as LF.
pub fn normalize_line_breaks(text: &mut String) {
    if text.contains('\r') {
        *text = text.replace("\r\n", "\n").replace('\r', "\n");
    }
}

/// Puts `report` in canonical form in place: the submission id canonical when it is a
/// UUID (left as sent otherwise, for validation to name), line breaks as LF in every
/// free-text field.
pub fn normalize_report(report: &mut StatusReport) {
    if let Some(id) = canonical_submission_id(&report.submission_id) {
        report.submission_id = id;
    }
    if let Some(reporter) = report.reporter.as_mut() {
        for text in [
            &mut reporter.full_name,
            &mut reporter.position,
            &mut reporter.phone,
            &mut reporter.email,
        ] {
            normalize_line_breaks(text);
        }
    }
    for system in &mut report.systems {
        normalize_line_breaks(&mut system.name);
        normalize_line_breaks(&mut system.location);
        if let Some(approval) = system.approval.as_mut() {
            normalize_line_breaks(&mut approval.decision_number);
            normalize_line_breaks(&mut approval.approving_authority);
        }
    }
    if let Some(regulation) = report.internal_regulation.as_mut() {
        normalize_line_breaks(&mut regulation.document_number);
    }
    normalize_line_breaks(&mut report.notes);
}

/// SHA-256 of the protobuf encoding of a report in canonical form: two deliveries of one
/// submission have the same digest; a reused id with other content has another. For a
/// report as read from anywhere (the topic, an old record): it is put in canonical form
/// on a copy first.
pub fn content_digest(report: &StatusReport) -> [u8; 32] {
    let mut canonical = report.clone();
    normalize_report(&mut canonical);
    canonical_digest(&canonical)
}

/// [`content_digest`] of a report already put in canonical form by [`normalize_report`]
/// (the gateway's hot path: no copy of the report).
pub fn canonical_digest(canonical: &StatusReport) -> [u8; 32] {
    Sha256::digest(prost::Message::encode_to_vec(canonical)).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_uuid_has_one_spelling() {
        let canonical = "0192f0c1-7a4e-7cc2-9f0e-5b1d2c3e4f50";
        for spelling in [
            canonical,
            "0192F0C1-7A4E-7CC2-9F0E-5B1D2C3E4F50",
            "0192f0c17a4e7cc29f0e5b1d2c3e4f50",
            "{0192f0c1-7a4e-7cc2-9f0e-5b1d2c3e4f50}",
            " 0192f0c1-7a4e-7cc2-9f0e-5b1d2c3e4f50 ",
        ] {
            assert_eq!(
                canonical_submission_id(spelling).as_deref(),
                Some(canonical)
            );
        }
        assert_eq!(canonical_submission_id("not-a-uuid"), None);
    }

    #[test]
    fn spellings_of_one_report_have_one_digest() {
        let report = StatusReport {
            submission_id: "0192f0c1-7a4e-7cc2-9f0e-5b1d2c3e4f50".into(),
            notes: "dòng 1\ndòng 2".into(),
            ..Default::default()
        };
        let mut other = report.clone();
        other.submission_id = other.submission_id.to_uppercase();
        other.notes = "dòng 1\r\ndòng 2".into();
        assert_eq!(content_digest(&report), content_digest(&other));
        other.notes = "dòng 1\r\ndòng 3".into();
        assert_ne!(content_digest(&report), content_digest(&other));
    }

    #[test]
    fn line_breaks_become_lf() {
        let mut text = "a\r\nb\rc\nd".to_string();
        normalize_line_breaks(&mut text);
        assert_eq!(text, "a\nb\nc\nd");
    }
}
