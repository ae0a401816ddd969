//! Receipts signed with a certificate of a test CA verify with `baocao_signing::verify`
//! and with `openssl cms -verify`; the same receipt signs to the same bytes; a changed
//! byte of the receipt or of the signature, another CA, or a key not the certificate's
//! are refused.

use std::process::Command;

mod common;

use baocao_signing::{Receipt, Signer, verify};
use common::{test_ca, test_signer};

fn receipt() -> Vec<u8> {
    Receipt::new(
        "14755",
        "th-open",
        "0190f3c2-7d2a-7c3e-9a55-1d2e3f405060",
        [42; 32],
        (chrono_now(), 5),
        "commune-38",
        ("reports", 1, 17),
    )
    .to_bytes()
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// `openssl cms -verify` of `receipt.p7s` in `dir` over `content` against `ca.pem`.
fn openssl_cms_verify(
    dir: &std::path::Path,
    content: &str,
) -> std::io::Result<std::process::Output> {
    Command::new("openssl")
        .args([
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            "receipt.p7s",
            "-content",
            content,
            "-CAfile",
            "ca.pem",
            "-out",
            "/dev/null",
        ])
        .current_dir(dir)
        .output()
}

#[test]
fn a_receipt_verifies_here_and_with_openssl_and_nothing_else_does() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let ca = test_ca(dir.path(), "CA tỉnh thử nghiệm")?;
    let signer = test_signer(dir.path())?;
    let bytes = receipt();
    let signature = signer.sign(&bytes)?;
    assert_eq!(
        signature,
        signer.sign(&bytes)?,
        "a repeat gets the same bytes"
    );
    let verified = verify(&bytes, &signature, Some(ca.as_bytes()))?;
    assert!(verified.checked_against_ca);
    assert_eq!(verified.receipt.unit_code, "14755");
    assert!(
        verified.signer.contains("cổng tiếp nhận"),
        "{}",
        verified.signer
    );

    // OpenSSL agrees.
    std::fs::write(dir.path().join("receipt.json"), &bytes)?;
    std::fs::write(dir.path().join("receipt.p7s"), &signature)?;
    let openssl = |content: &str| openssl_cms_verify(dir.path(), content);
    let agreed = openssl("receipt.json")?;
    assert!(
        agreed.status.success(),
        "{}",
        String::from_utf8_lossy(&agreed.stderr)
    );

    // One byte changed: refused by both.
    let mut changed = bytes.clone();
    changed[20] ^= 1;
    assert!(verify(&changed, &signature, Some(ca.as_bytes())).is_err());
    std::fs::write(dir.path().join("changed.json"), &changed)?;
    assert!(!openssl("changed.json")?.status.success());
    let mut forged = signature.clone();
    let last = forged.len() - 3;
    forged[last] ^= 1;
    assert!(verify(&bytes, &forged, Some(ca.as_bytes())).is_err());

    // Another CA did not issue it; a key that is not the certificate's is refused.
    let other = tempfile::tempdir()?;
    let other_ca = test_ca(other.path(), "CA khác")?;
    let refused = verify(&bytes, &signature, Some(other_ca.as_bytes()));
    assert!(refused.is_err());
    assert!(
        Signer::from_pem_files(
            &dir.path().join("signer.pem"),
            &other.path().join("signer.key")
        )
        .is_err()
    );
    Ok(())
}

/// A gateway with an RSA certificate: the receipt's signature (PKCS#1 v1.5, SHA-256) is
/// the same bytes on a repeat and verifies here and with `openssl cms -verify`.
#[test]
fn an_rsa_receipt_verifies_here_and_with_openssl() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let ca = common::rsa_test_ca(dir.path())?;
    let signer = Signer::from_pem_files(
        &dir.path().join("signer.pem"),
        &dir.path().join("signer-pkcs1.key"),
    )?;
    let bytes = receipt();
    let signature = signer.sign(&bytes)?;
    assert_eq!(
        signature,
        signer.sign(&bytes)?,
        "a repeat gets the same bytes"
    );
    let verified = verify(&bytes, &signature, Some(ca.as_bytes()))?;
    assert!(verified.checked_against_ca);
    std::fs::write(dir.path().join("receipt.json"), &bytes)?;
    std::fs::write(dir.path().join("receipt.p7s"), &signature)?;
    let agreed = openssl_cms_verify(dir.path(), "receipt.json")?;
    assert!(
        agreed.status.success(),
        "{}",
        String::from_utf8_lossy(&agreed.stderr)
    );
    Ok(())
}
