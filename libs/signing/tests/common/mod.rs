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
