//! `baocao sign`: signs a PDF the department issues (PAdES-B-B) — at once with the key
//! file of `[document.signing]` (`sign pdf`), or in two steps for a key on a person's
//! token or a remote signing service: `sign prepare` writes the file with room for the
//! signature and the SHA-256 to sign; `sign finish` puts the CMS signature the service
//! returned into it, after checking it is for this document.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use baocao_signing::{PreparedPdf, SignatureInfo};
use base64::Engine;

use crate::config::Config;

/// `baocao sign` subcommands.
#[derive(clap::Subcommand)]
pub enum SignCommand {
    /// Sign a PDF now with the certificate and key of [document.signing] (PEM files or a
    /// PKCS#12 file).
    Pdf(SignPdfArgs),
    /// Step 1 of signing with a token: write the PDF with room for the signature and
    /// print the SHA-256 to sign (also written to --digest-out).
    Prepare(PrepareArgs),
    /// Step 2: put the detached CMS signature of that digest (DER, PEM or Base64)
    /// into the prepared PDF.
    Finish(FinishArgs),
}

/// Who signs and why, as the signature dictionary says it.
#[derive(clap::Args)]
pub struct SignatureText {
    /// The signer's name (`/Name`); default for `sign pdf`: the certificate's subject.
    #[arg(long, default_value = "")]
    name: String,
    /// Why (`/Reason`); default: [document.signing] reason.
    #[arg(long)]
    reason: Option<String>,
    /// Where (`/Location`), e.g. the province.
    #[arg(long, default_value = "")]
    location: String,
}

/// Flags of `baocao sign pdf`.
#[derive(clap::Args)]
pub struct SignPdfArgs {
    /// The PDF to sign (a report or letter baocao wrote).
    #[arg(long)]
    pdf: PathBuf,
    /// Where to write the signed PDF.
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    text: SignatureText,
}

/// Flags of `baocao sign prepare`.
#[derive(clap::Args)]
pub struct PrepareArgs {
    /// The PDF to sign.
    #[arg(long)]
    pdf: PathBuf,
    /// Where to write the prepared PDF (keep it for `sign finish`).
    #[arg(long)]
    out: PathBuf,
    /// Where to write the SHA-256 to sign, in hex; default: --out with `.sha256` added.
    #[arg(long)]
    digest_out: Option<PathBuf>,
    #[command(flatten)]
    text: SignatureText,
}

/// Flags of `baocao sign finish`.
#[derive(clap::Args)]
pub struct FinishArgs {
    /// The prepared PDF (`sign prepare --out`).
    #[arg(long)]
    prepared: PathBuf,
    /// The detached CMS (PKCS#7) signature of the digest: DER, PEM or Base64 text.
    #[arg(long)]
    signature: PathBuf,
    /// Where to write the signed PDF.
    #[arg(long)]
    out: PathBuf,
}

pub fn run(config: &Config, command: SignCommand) -> anyhow::Result<ExitCode> {
    match command {
        SignCommand::Pdf(args) => sign_now(config, args),
        SignCommand::Prepare(args) => prepare(config, args),
        SignCommand::Finish(args) => finish(args),
    }
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

fn write(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

fn sign_now(config: &Config, args: SignPdfArgs) -> anyhow::Result<ExitCode> {
    let mut signing = config.document.signing.clone();
    if let Some(reason) = args.text.reason {
        signing.reason = reason;
    }
    let signer = signing.signer().context("[document.signing]")?.context(
        "[document.signing] names no cert_file and key_file, nor pkcs12_file (for a token: sign prepare, then sign finish)",
    )?;
    let pdf = read(&args.pdf)?;
    let signed = signer
        .sign(&pdf, &args.text.name, &args.text.location)
        .with_context(|| format!("signing {}", args.pdf.display()))?;
    write(&args.out, &signed)?;
    println!(
        "{}: signed (PAdES-B-B) by {}",
        args.out.display(),
        signer.subject()
    );
    Ok(ExitCode::SUCCESS)
}

fn prepare(config: &Config, args: PrepareArgs) -> anyhow::Result<ExitCode> {
    let reason = args
        .text
        .reason
        .unwrap_or_else(|| config.document.signing.reason.clone());
    let info = SignatureInfo::now(&args.text.name, &reason, &args.text.location);
    let pdf = read(&args.pdf)?;
    let prepared = PreparedPdf::prepare(&pdf, &info)
        .with_context(|| format!("preparing {}", args.pdf.display()))?;
    write(&args.out, prepared.bytes())?;
    let digest = prepared.digest();
    let digest_out = args
        .digest_out
        .unwrap_or_else(|| PathBuf::from(format!("{}.sha256", args.out.display())));
    write(&digest_out, format!("{}\n", hex::encode(digest)).as_bytes())?;
    println!("prepared: {}", args.out.display());
    println!("SHA-256 to sign (hex):    {}", hex::encode(digest));
    println!(
        "SHA-256 to sign (Base64): {}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    );
    println!(
        "have it signed as a detached CMS signature with signing-certificate-v2 (CAdES), then: baocao sign finish --prepared {} --signature SIG --out SIGNED.pdf",
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// A signature file as DER: DER as is, PEM (any label) or bare Base64 decoded.
fn signature_der(bytes: &[u8]) -> anyhow::Result<Vec<u8>> {
    if bytes.first() == Some(&0x30) {
        return Ok(bytes.to_vec());
    }
    let text = String::from_utf8_lossy(bytes);
    let body: String = text
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .flat_map(|line| line.split_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body.as_bytes())
        .context("the signature is neither DER nor PEM nor Base64")
}

fn finish(args: FinishArgs) -> anyhow::Result<ExitCode> {
    let prepared = PreparedPdf::from_prepared(read(&args.prepared)?)
        .with_context(|| format!("reading {}", args.prepared.display()))?;
    let signature = signature_der(&read(&args.signature)?)
        .with_context(|| format!("reading {}", args.signature.display()))?;
    let signed = prepared
        .finish(&signature)
        .with_context(|| format!("putting {} into the PDF", args.signature.display()))?;
    write(&args.out, &signed)?;
    let checked = baocao_signing::verify_pdf(&signed, None)?;
    println!("{}: signed by {}", args.out.display(), checked.signer);
    Ok(ExitCode::SUCCESS)
}
