//! A test CA and a signing certificate it issued, for the signing tests.

use std::path::Path;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};

/// A CA (its PEM) and a signing certificate and key it issued, written into `dir`.
pub fn test_ca(dir: &Path, name: &str) -> anyhow::Result<String> {
    let ca_key = KeyPair::generate()?;
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.distinguished_name.push(DnType::CommonName, name);
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    let ca_pem = ca.self_signed(&ca_key)?.pem();
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate()?;
    let mut signer = CertificateParams::new(Vec::<String>::new())?;
    signer
        .distinguished_name
        .push(DnType::CommonName, "cổng tiếp nhận cấp xã 38");
    signer.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::ContentCommitment,
    ];
    std::fs::write(
        dir.join("signer.pem"),
        signer.signed_by(&key, &issuer)?.pem(),
    )?;
    std::fs::write(dir.join("signer.key"), key.serialize_pem())?;
    std::fs::write(dir.join("ca.pem"), &ca_pem)?;
    Ok(ca_pem)
}

/// The signer [`test_ca`] wrote into `dir`.
pub fn test_signer(dir: &Path) -> anyhow::Result<baocao_signing::Signer> {
    Ok(baocao_signing::Signer::from_pem_files(
        &dir.join("signer.pem"),
        &dir.join("signer.key"),
    )?)
}

/// Runs `openssl` with `args` in `dir`, failing on an error.
pub fn openssl(dir: &Path, args: &[&str]) -> anyhow::Result<()> {
    let output = std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()?;
    anyhow::ensure!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(())
}

/// An RSA 2048 CA and a signing certificate it issued, made by `openssl` as a CA's
/// tools make them, written into `dir` (`ca.pem`, `signer.pem`, `signer.key` as PKCS#8
/// and `signer-pkcs1.key` as PKCS#1); returns the CA's PEM.
pub fn rsa_test_ca(dir: &Path) -> anyhow::Result<String> {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "30",
            "-subj",
            "/CN=CA RSA thử nghiệm",
            "-utf8",
            "-addext",
            "basicConstraints=critical,CA:true",
            "-addext",
            "keyUsage=critical,keyCertSign",
        ],
    )?;
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "signer.key",
            "-out",
            "signer.csr",
            "-subj",
            "/CN=Sở Khoa học và Công nghệ",
            "-utf8",
        ],
    )?;
    std::fs::write(
        dir.join("signer.ext"),
        "keyUsage=critical,digitalSignature,nonRepudiation\n",
    )?;
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "signer.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "signer.pem",
            "-days",
            "30",
            "-extfile",
            "signer.ext",
        ],
    )?;
    openssl(
        dir,
        &[
            "rsa",
            "-in",
            "signer.key",
            "-traditional",
            "-out",
            "signer-pkcs1.key",
        ],
    )?;
    Ok(std::fs::read_to_string(dir.join("ca.pem"))?)
}
