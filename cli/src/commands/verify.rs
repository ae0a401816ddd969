//! `baocao verify`: checks a signed receipt — the gateway's detached CMS signature of the
//! receipt's bytes, and with `--ca` that the province's CA issued the signing certificate
//! and it was valid when the report was accepted — and says what the receipt certifies;
//! or, with `--pdf`, a signed report or letter: its last signature, that it covers the
//! whole file, and with `--ca` who issued the certificate.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

/// Flags of `baocao verify`.
#[derive(clap::Args)]
pub struct VerifyArgs {
    /// The receipt (`baocao submit --receipt-out`, or the portal's download).
    #[arg(long, required_unless_present = "pdf", conflicts_with = "pdf")]
    receipt: Option<PathBuf>,
    /// A signed PDF (the Chairman's report, an urging letter) instead of a receipt.
    #[arg(long)]
    pdf: Option<PathBuf>,
    /// Its signature (DER); default: the receipt's path with `.p7s` added.
    #[arg(long)]
    signature: Option<PathBuf>,
    /// The province's CA certificate (PEM); without it only the signature is checked,
    /// not who holds the certificate.
    #[arg(long)]
    ca: Option<PathBuf>,
}

fn read(path: &PathBuf) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

/// " (issued by the CA given)", or the hint to add one.
fn ca_note(checked: bool) -> &'static str {
    if checked {
        " (issued by the CA given)"
    } else {
        " (not checked against a CA: add --ca)"
    }
}

pub fn run(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let ca = args.ca.as_ref().map(read).transpose()?;
    let (Some(receipt_path), None) = (&args.receipt, &args.pdf) else {
        let pdf = args.pdf.as_ref().context("--receipt or --pdf")?;
        return verify_pdf(&read(pdf)?, ca.as_deref());
    };
    let signature_path = args
        .signature
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{}.p7s", receipt_path.display())));
    let receipt = read(receipt_path)?;
    let signature = read(&signature_path)?;
    match baocao_signing::verify(&receipt, &signature, ca.as_deref()) {
        Ok(verified) => {
            let r = &verified.receipt;
            println!(
                "valid: unit {} reported in campaign {} (submission {}, report SHA-256 {}), accepted at {} by gateway {}, written to {} partition {} offset {}",
                r.unit_code,
                r.campaign_id,
                r.submission_id,
                r.report_sha256,
                r.received_at,
                r.gateway_id,
                r.topic,
                r.partition,
                r.offset
            );
            println!(
                "signed by: {}{}",
                verified.signer,
                ca_note(verified.checked_against_ca)
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(err) => {
            eprintln!("NOT valid: {}", baocao_errors::Chain(&err));
            Ok(ExitCode::from(2))
        }
    }
}

/// Checks a signed PDF's last signature; a signature that does not cover the whole file
/// (something was appended after it) is not valid for the document as it is.
fn verify_pdf(pdf: &[u8], ca: Option<&[u8]>) -> anyhow::Result<ExitCode> {
    match baocao_signing::verify_pdf(pdf, ca) {
        Ok(checked) if checked.whole_document => {
            println!(
                "valid: signed by {}{}, at {}; the signature covers the whole document",
                checked.signer,
                ca_note(checked.checked_against_ca),
                checked.signed_at.map_or_else(
                    || "an unstated time".to_string(),
                    |t| t.format("%d/%m/%Y %H:%M:%S (UTC%:z)").to_string()
                )
            );
            Ok(ExitCode::SUCCESS)
        }
        Ok(checked) => {
            eprintln!(
                "NOT valid as it is: the signature by {} holds, but the file was changed after it was signed",
                checked.signer
            );
            Ok(ExitCode::from(2))
        }
        Err(err) => {
            eprintln!("NOT valid: {}", baocao_errors::Chain(&err));
            Ok(ExitCode::from(2))
        }
    }
}
