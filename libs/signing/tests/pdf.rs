//! PDFs signed here (PAdES-B-B, one incremental update) verify here and with poppler's
//! `pdfsig`, cover the whole document and keep the original bytes; a changed byte, a
//! signature of another document, or signing twice are refused. The two-step path (a
//! digest out to a signing service, its CMS signature back in) gives the same result.

mod common;

use std::process::Command;

use baocao_signing::{PreparedPdf, SignatureInfo, sign_pdf, verify_pdf};
use common::{test_ca, test_signer};

/// A one-page PDF with a classic cross-reference table, as baocao's renderer writes.
fn one_page_pdf() -> Vec<u8> {
    let content = "BT /F1 12 Tf 72 760 Td (Bao cao) Tj ET";
    let objects = [
        "<</Type/Catalog/Pages 2 0 R>>".to_string(),
        "<</Type/Pages/Kids[3 0 R]/Count 1>>".to_string(),
        "<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>".to_string(),
        format!("<</Length {}>>\nstream\n{content}\nendstream", content.len()),
        "<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>".to_string(),
    ];
    let mut pdf = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(b"xref\n0 6\n0000000000 65535 f\r\n");
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n\r\n").as_bytes());
    }
    pdf.extend_from_slice(
        format!("trailer\n<</Size 6/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
    );
    pdf
}

fn info() -> SignatureInfo {
    SignatureInfo {
        name: "Nguyễn Văn A".into(),
        reason: "Ký ban hành báo cáo".into(),
        location: "Thanh Hóa".into(),
        time: chrono::Utc::now().fixed_offset(),
    }
}

/// What `pdfsig` prints about `pdf`.
fn pdfsig(dir: &std::path::Path, pdf: &[u8]) -> anyhow::Result<String> {
    let path = dir.join("checked.pdf");
    std::fs::write(&path, pdf)?;
    let output = Command::new("pdfsig").arg(&path).output()?;
    Ok(format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    ))
}

#[test]
fn a_signed_pdf_verifies_here_and_with_pdfsig_and_a_changed_byte_does_not() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let ca = test_ca(dir.path(), "CA tỉnh thử nghiệm")?;
    let signer = test_signer(dir.path())?;
    let original = one_page_pdf();
    let signed = sign_pdf(&original, &signer, &info())?;
    assert!(signed.starts_with(&original), "the original bytes are kept");
    let verified = verify_pdf(&signed, Some(ca.as_bytes()))?;
    assert!(verified.whole_document && verified.checked_against_ca);
    let signed_at = verified.signed_at.map(|t| t.timestamp());
    assert!(signed_at.is_some_and(|t| (chrono::Utc::now().timestamp() - t).abs() < 60));
    let said = pdfsig(dir.path(), &signed)?;
    assert!(said.contains("Signature is Valid"), "{said}");
    assert!(said.contains("Total document signed"), "{said}");
    assert!(said.contains("ETSI.CAdES.detached"), "{said}");

    let mut changed = signed.clone();
    let at = changed
        .windows(7)
        .position(|w| w == b"Bao cao")
        .unwrap_or_default();
    changed[at] = b'X';
    let refused = verify_pdf(&changed, Some(ca.as_bytes()))
        .err()
        .map(|e| e.to_string());
    assert!(refused.is_some_and(|e| e.contains("digest differs")));
    let said = pdfsig(dir.path(), &changed)?;
    assert!(!said.contains("Signature is Valid"), "{said}");

    std::fs::create_dir_all(dir.path().join("other"))?;
    let other_ca = test_ca(&dir.path().join("other"), "CA khác")?;
    assert!(verify_pdf(&signed, Some(other_ca.as_bytes())).is_err());
    let twice = sign_pdf(&signed, &signer, &info())
        .err()
        .map(|e| e.to_string());
    assert!(twice.is_some_and(|e| e.contains("already has a form")));
    assert!(sign_pdf(b"not a pdf", &signer, &info()).is_err());
    Ok(())
}

#[test]
fn a_digest_signed_elsewhere_finishes_the_prepared_pdf() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let ca = test_ca(dir.path(), "CA tỉnh thử nghiệm")?;
    let signer = test_signer(dir.path())?;
    let prepared = PreparedPdf::prepare(&one_page_pdf(), &info())?;
    let written = prepared.bytes().to_vec();
    // The signing service sees only the digest.
    let signature = signer.sign_cades_digest(&prepared.digest())?;
    let read_back = PreparedPdf::from_prepared(written.clone())?;
    assert_eq!(read_back.digest(), prepared.digest());
    let signed = read_back.finish(&signature)?;
    assert!(verify_pdf(&signed, Some(ca.as_bytes()))?.whole_document);
    assert!(pdfsig(dir.path(), &signed)?.contains("Signature is Valid"));

    let other = PreparedPdf::prepare(&one_page_pdf(), &info())?;
    let wrong = signer.sign_cades_digest(&[7; 32])?;
    let refused = other.finish(&wrong).err().map(|e| e.to_string());
    assert!(refused.is_some_and(|e| e.contains("digest differs")));
    assert!(
        PreparedPdf::from_prepared(signed).is_err(),
        "already filled in"
    );
    assert!(
        PreparedPdf::from_prepared(one_page_pdf()).is_err(),
        "not prepared"
    );
    Ok(())
}

/// A file whose byte range is hostile (numbers that overflow, a range past the end) is
/// refused with a reason, never a panic.
#[test]
fn a_hostile_byte_range_is_refused() {
    for range in [
        "[0 18446744073709551615 1 1]",
        "[0 10 99999999 5]",
        "[0 0 0 0]",
        "[0 a b c]",
    ] {
        let pdf = format!("%PDF-1.7\n<</ByteRange{range}/Contents<00>>>\n%%EOF\n");
        assert!(verify_pdf(pdf.as_bytes(), None).is_err(), "{range}");
        assert!(
            PreparedPdf::from_prepared(pdf.into_bytes()).is_err(),
            "{range}"
        );
    }
}

/// A department's certificate is usually RSA (the Government Cipher Committee's CA issues
/// RSA 2048): a PDF signed with an RSA key, PKCS#8 or PKCS#1, verifies here and with
/// `pdfsig`; a key of another certificate is refused.
#[test]
fn an_rsa_key_signs_and_pdfsig_verifies() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let ca = common::rsa_test_ca(dir.path())?;
    for key in ["signer.key", "signer-pkcs1.key"] {
        let signer = baocao_signing::Signer::from_pem_files(
            &dir.path().join("signer.pem"),
            &dir.path().join(key),
        )?;
        let signed = sign_pdf(&one_page_pdf(), &signer, &info())?;
        let verified = verify_pdf(&signed, Some(ca.as_bytes()))?;
        assert!(
            verified.whole_document && verified.checked_against_ca,
            "{key}"
        );
        let said = pdfsig(dir.path(), &signed)?;
        assert!(said.contains("Signature is Valid"), "{key}: {said}");
        assert!(said.contains("Total document signed"), "{key}: {said}");
    }
    let mismatch = baocao_signing::Signer::from_pem_files(
        &dir.path().join("signer.pem"),
        &dir.path().join("ca.key"),
    );
    assert!(matches!(mismatch, Err(baocao_signing::Error::KeyMismatch)));
    std::fs::write(
        dir.path().join("junk.key"),
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    )?;
    let junk = baocao_signing::Signer::from_pem_files(
        &dir.path().join("signer.pem"),
        &dir.path().join("junk.key"),
    )
    .err()
    .map(|e| e.to_string());
    assert!(junk.is_some_and(|e| e.contains("junk.key") && e.contains("RSA")));
    Ok(())
}

/// A department's certificate exported as a PKCS#12 file (`.p12`/`.pfx`), with the
/// modern encryption (PBES2, AES-256) or the legacy one Windows and older tools write
/// (3DES, SHA-1 MAC), signs through `pkcs12_file` and `pkcs12_password_file`; a wrong
/// password, or PEM files beside it, are refused.
#[test]
fn a_pkcs12_file_signs_and_a_wrong_password_is_refused() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let ca = common::rsa_test_ca(dir.path())?;
    std::fs::write(dir.path().join("password.txt"), "mật khẩu sở\n")?;
    let export = |out: &str, extra: &[&str]| {
        let mut args = vec![
            "pkcs12",
            "-export",
            "-inkey",
            "signer.key",
            "-in",
            "signer.pem",
            "-out",
            out,
            "-passout",
            "file:password.txt",
        ];
        args.extend_from_slice(extra);
        common::openssl(dir.path(), &args)
    };
    export("modern.p12", &[])?;
    export(
        "legacy.pfx",
        &[
            "-keypbe",
            "PBE-SHA1-3DES",
            "-certpbe",
            "PBE-SHA1-3DES",
            "-macalg",
            "sha1",
        ],
    )?;
    for file in ["modern.p12", "legacy.pfx"] {
        let files = baocao_signing::SigningFiles {
            pkcs12_file: dir.path().join(file),
            pkcs12_password_file: dir.path().join("password.txt"),
            ..Default::default()
        };
        let signer = files.signer()?.expect("configured");
        let signed = sign_pdf(&one_page_pdf(), &signer, &info())?;
        let verified = verify_pdf(&signed, Some(ca.as_bytes()))?;
        assert!(verified.checked_against_ca, "{file}");
        let said = pdfsig(dir.path(), &signed)?;
        assert!(said.contains("Signature is Valid"), "{file}: {said}");
    }
    std::fs::write(dir.path().join("wrong.txt"), "sai\n")?;
    let wrong = baocao_signing::SigningFiles {
        pkcs12_file: dir.path().join("modern.p12"),
        pkcs12_password_file: dir.path().join("wrong.txt"),
        ..Default::default()
    }
    .signer()
    .err()
    .map(|e| e.to_string());
    assert!(wrong.is_some_and(|e| e.contains("modern.p12") && e.contains("password")));
    let both = baocao_signing::SigningFiles {
        cert_file: dir.path().join("signer.pem"),
        key_file: dir.path().join("signer.key"),
        pkcs12_file: dir.path().join("modern.p12"),
        pkcs12_password_file: dir.path().join("password.txt"),
    }
    .signer();
    assert!(matches!(both, Err(baocao_signing::Error::TwoSources)));
    Ok(())
}
