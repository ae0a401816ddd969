//! `baocao tls dev-certs`: a private CA with a server and a client certificate, for
//! trials and tests of TLS and mutual TLS. Production certificates come from the
//! province's PKI; these are the same shape (PEM files the `[gateway.tls]` settings read).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

/// `baocao tls …`
#[derive(clap::Subcommand)]
pub enum TlsCommand {
    /// Write ca.pem, server.pem/server.key, client.pem/client.key, receipt.pem/.key
    /// (receipts) and document.pem/.key (signed reports) into a directory.
    DevCerts(DevCertsArgs),
}

/// Flags of `baocao tls dev-certs`.
#[derive(clap::Args)]
pub struct DevCertsArgs {
    /// Directory to write into (created if absent).
    #[arg(long, default_value = "certs")]
    out: PathBuf,
    /// Names the server certificate is valid for (DNS names or IP addresses).
    #[arg(long = "server-name", default_values_t = ["localhost".to_string(), "127.0.0.1".to_string()])]
    server_names: Vec<String>,
    /// Common name of the client certificate (e.g. the machine of a district office).
    #[arg(long, default_value = "baocao-client")]
    client_name: String,
}

/// PEM texts of a development CA and the certificates it signed.
pub struct DevCertificates {
    /// The CA certificate: the gateway's `client_ca_file` and the client's `--ca-cert`.
    pub ca_pem: String,
    /// The server certificate and its key.
    pub server_pem: String,
    /// The server's private key.
    pub server_key: String,
    /// The client certificate and its key.
    pub client_pem: String,
    /// The client's private key.
    pub client_key: String,
    /// The gateway's receipt-signing certificate (digital signature, non-repudiation).
    pub receipt_pem: String,
    /// Its private key (PKCS#8).
    pub receipt_key: String,
    /// The department's document-signing certificate (`[document.signing]`).
    pub document_pem: String,
    /// Its private key (PKCS#8).
    pub document_key: String,
}

/// A signing certificate (digital signature, non-repudiation) for `name` issued by
/// `issuer`, and its PKCS#8 key, in PEM.
fn signing_certificate(
    name: &str,
    issuer: &Issuer<'_, KeyPair>,
) -> Result<(String, String), rcgen::Error> {
    let key = KeyPair::generate()?;
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::ContentCommitment,
    ];
    Ok((params.signed_by(&key, issuer)?.pem(), key.serialize_pem()))
}

/// Makes a CA, a server certificate for `server_names`, a client certificate, a
/// receipt-signing certificate and a document-signing certificate.
pub fn make_dev_certificates(
    server_names: &[String],
    client_name: &str,
) -> Result<DevCertificates, rcgen::Error> {
    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "baocao development CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca_params.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca_params, ca_key);

    let server_key = KeyPair::generate()?;
    let mut server_params = CertificateParams::new(server_names.to_vec())?;
    server_params
        .distinguished_name
        .push(DnType::CommonName, "baocao gateway");
    server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server_cert = server_params.signed_by(&server_key, &issuer)?;

    let client_key = KeyPair::generate()?;
    let mut client_params = CertificateParams::new(Vec::<String>::new())?;
    client_params
        .distinguished_name
        .push(DnType::CommonName, client_name);
    client_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let client_cert = client_params.signed_by(&client_key, &issuer)?;

    let (receipt_pem, receipt_key) = signing_certificate("baocao gateway receipts", &issuer)?;
    let (document_pem, document_key) =
        signing_certificate("Sở Khoa học và Công nghệ (thử nghiệm)", &issuer)?;
    Ok(DevCertificates {
        receipt_pem,
        receipt_key,
        document_pem,
        document_key,
        ca_pem: ca_cert.pem(),
        server_pem: server_cert.pem(),
        server_key: server_key.serialize_pem(),
        client_pem: client_cert.pem(),
        client_key: client_key.serialize_pem(),
    })
}

pub fn run(command: TlsCommand) -> anyhow::Result<ExitCode> {
    let TlsCommand::DevCerts(args) = command;
    let certs = make_dev_certificates(&args.server_names, &args.client_name)
        .context("generating certificates")?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    write(&args.out, "ca.pem", &certs.ca_pem, false)?;
    write(&args.out, "server.pem", &certs.server_pem, false)?;
    write(&args.out, "server.key", &certs.server_key, true)?;
    write(&args.out, "client.pem", &certs.client_pem, false)?;
    write(&args.out, "client.key", &certs.client_key, true)?;
    write(&args.out, "receipt.pem", &certs.receipt_pem, false)?;
    write(&args.out, "receipt.key", &certs.receipt_key, true)?;
    write(&args.out, "document.pem", &certs.document_pem, false)?;
    write(&args.out, "document.key", &certs.document_key, true)?;
    println!(
        "wrote {dir}/ca.pem, server.pem, server.key (for {names}), client.pem, client.key ({client}), receipt.pem, receipt.key, document.pem, document.key\n\
         gateway: [gateway.tls] cert_file = \"{dir}/server.pem\", key_file = \"{dir}/server.key\", \
         client_ca_file = \"{dir}/ca.pem\"\n\
         client:  baocao submit --gateway https://{first}:50051 --ca-cert {dir}/ca.pem \
         --client-cert {dir}/client.pem --client-key {dir}/client.key …\n\
         receipts: [gateway.receipts] cert_file = \"{dir}/receipt.pem\", key_file = \"{dir}/receipt.key\"\n\
         reports:  [document.signing] cert_file = \"{dir}/document.pem\", key_file = \"{dir}/document.key\"",
        dir = args.out.display(),
        names = args.server_names.join(", "),
        client = args.client_name,
        first = args
            .server_names
            .first()
            .map(String::as_str)
            .unwrap_or("localhost"),
    );
    Ok(ExitCode::SUCCESS)
}

/// Writes one PEM file; private keys are readable by the owner only.
fn write(dir: &Path, name: &str, pem: &str, private: bool) -> anyhow::Result<()> {
    let path = dir.join(name);
    std::fs::write(&path, pem).with_context(|| format!("writing {}", path.display()))?;
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}
