//! `baocao verify`: checks a signed receipt — the gateway's detached CMS signature of the
//! receipt's bytes, and with `--ca` that the province's CA issued the signing certificate
//! and it was valid when the report was accepted — and says what the receipt certifies.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

/// Flags of `baocao verify`.
#[derive(clap::Args)]
pub struct VerifyArgs {
    /// The receipt (`baocao submit --receipt-out`, or the portal's download).
    #[arg(long)]
    receipt: PathBuf,
    /// Its signature (DER); default: the receipt's path with `.p7s` added.
    #[arg(long)]
    signature: Option<PathBuf>,
    /// The province's CA certificate (PEM); without it only the signature is checked,
    /// not who holds the certificate.
    #[arg(long)]
    ca: Option<PathBuf>,
}

pub fn run(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let read =
        |path: &PathBuf| std::fs::read(path).with_context(|| format!("reading {}", path.display()));
    let signature_path = args
        .signature
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{}.p7s", args.receipt.display())));
    let receipt = read(&args.receipt)?;
    let signature = read(&signature_path)?;
    let ca = args.ca.as_ref().map(read).transpose()?;
    match baocao_receipts::verify(&receipt, &signature, ca.as_deref()) {
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
                if verified.checked_against_ca {
                    " (issued by the CA given)"
                } else {
                    " (not checked against a CA: add --ca)"
                }
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(err) => {
            eprintln!("NOT valid: {}", baocao_errors::Chain(&err));
            Ok(ExitCode::from(2))
        }
    }
}
