//! `baocao submit`: send a report file to a gateway, retrying an unavailable gateway or
//! broker with the same submission id (safe: the id is the idempotency key).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use baocao_proto::v1::reporting_service_client::ReportingServiceClient;
use baocao_proto::v1::{StatusReport, SubmitReportRequest, SubmitReportResponse};
use tonic::metadata::MetadataValue;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};
use tonic::{Code, Status};
use tonic_types::StatusExt;

/// Flags of `baocao submit`.
#[derive(clap::Args)]
pub struct SubmitArgs {
    /// Report file: `.toml` or `.json` (`baocao report template` writes one).
    #[arg(long)]
    file: PathBuf,
    #[command(flatten)]
    gateway: GatewayArgs,
    /// Retries when the gateway answers UNAVAILABLE or cannot be reached.
    #[arg(long, default_value_t = 3)]
    retries: u32,
    /// Keep the signed receipt (when the gateway signs them): the receipt at this path,
    /// its signature beside it with `.p7s` added (`baocao verify` checks them).
    #[arg(long)]
    receipt_out: Option<PathBuf>,
}

/// Writes the receipt and its signature the answer carries to `path` and `path.p7s`.
fn keep_receipt(answer: &SubmitReportResponse, path: &Path) -> anyhow::Result<()> {
    anyhow::ensure!(
        !answer.receipt.is_empty(),
        "--receipt-out: this gateway does not sign receipts ([gateway.receipts] is not set); the report was accepted"
    );
    let signature = PathBuf::from(format!("{}.p7s", path.display()));
    std::fs::write(path, &answer.receipt).with_context(|| format!("writing {}", path.display()))?;
    std::fs::write(&signature, &answer.receipt_signature)
        .with_context(|| format!("writing {}", signature.display()))?;
    eprintln!(
        "signed receipt: {} and {} (check: baocao verify --receipt {} --signature {} --ca <the province's CA>)",
        path.display(),
        signature.display(),
        path.display(),
        signature.display()
    );
    Ok(())
}

/// How a client reaches a gateway, and as whom: the flags of `submit` and `import`.
#[derive(clap::Args)]
pub struct GatewayArgs {
    /// The bearer token (`baocao token issue`): a unit's, or a district office's.
    #[arg(long, env = "BAOCAO_TOKEN", hide_env_values = true)]
    pub token: String,
    /// Gateway address; `https://` for a gateway with TLS.
    #[arg(long, default_value = "http://127.0.0.1:50051")]
    pub gateway: String,
    /// CA that signed the gateway's certificate (PEM); default: the system's roots.
    #[arg(long)]
    ca_cert: Option<PathBuf>,
    /// This machine's client certificate (PEM), for a gateway with mutual TLS.
    #[arg(long, requires = "client_key")]
    client_cert: Option<PathBuf>,
    /// The client certificate's private key (PEM).
    #[arg(long, requires = "client_cert")]
    client_key: Option<PathBuf>,
}

impl GatewayArgs {
    /// The gateway endpoint these flags name, with their TLS settings.
    pub fn endpoint(&self) -> anyhow::Result<Endpoint> {
        let identity = self.client_cert.as_deref().zip(self.client_key.as_deref());
        gateway_endpoint(&self.gateway, self.ca_cert.as_deref(), identity)
    }
}

/// Reads a report from TOML or JSON (protobuf JSON mapping; snake_case names accepted).
pub fn read_report_file(path: &Path) -> anyhow::Result<StatusReport> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let report = match path.extension().and_then(|e| e.to_str()) {
        Some("json") => serde_json::from_str(&text)
            .with_context(|| format!("{} is not a valid report", path.display()))?,
        _ => toml::from_str(&text)
            .with_context(|| format!("{} is not a valid report", path.display()))?,
    };
    Ok(report)
}

/// The gateway endpoint with TLS settings: plaintext for `http://`, TLS for `https://`
/// (with the given CA, else the system roots), and a client certificate when given.
fn gateway_endpoint(
    url: &str,
    ca_cert: Option<&Path>,
    client_identity: Option<(&Path, &Path)>,
) -> anyhow::Result<Endpoint> {
    let endpoint =
        Endpoint::from_shared(url.to_string()).with_context(|| format!("gateway `{url}`"))?;
    if !url.starts_with("https://") {
        anyhow::ensure!(
            ca_cert.is_none() && client_identity.is_none(),
            "--ca-cert/--client-cert need an https:// gateway address"
        );
        return Ok(endpoint);
    }
    baocao_access::tls::install_crypto_provider();
    let mut tls = ClientTlsConfig::new().with_native_roots();
    if let Some(ca) = ca_cert {
        let pem = std::fs::read(ca).with_context(|| format!("--ca-cert {}", ca.display()))?;
        tls = tls.ca_certificate(Certificate::from_pem(pem));
    }
    if let Some((cert, key)) = client_identity {
        let cert =
            std::fs::read(cert).with_context(|| format!("--client-cert {}", cert.display()))?;
        let key = std::fs::read(key).with_context(|| format!("--client-key {}", key.display()))?;
        tls = tls.identity(Identity::from_pem(cert, key));
    }
    endpoint.tls_config(tls).context("TLS settings")
}

/// Submits once over gRPC with the bearer token.
pub async fn submit_once(
    gateway: &Endpoint,
    token: &str,
    report: &StatusReport,
) -> Result<SubmitReportResponse, Status> {
    let channel = gateway.connect().await.map_err(|err| {
        Status::unavailable(format!("cannot reach gateway {}: {err:?}", gateway.uri()))
    })?;
    submit_on(
        &mut ReportingServiceClient::new(channel),
        token,
        report.clone(),
    )
    .await
}

/// One SubmitReport call with the unit's bearer token on an open connection.
pub async fn submit_on(
    client: &mut ReportingServiceClient<Channel>,
    token: &str,
    report: StatusReport,
) -> Result<SubmitReportResponse, Status> {
    submit_request(client, token, report, false).await
}

/// One SubmitReport call, or with `validate_only` a check that writes nothing.
pub async fn submit_request(
    client: &mut ReportingServiceClient<Channel>,
    token: &str,
    report: StatusReport,
    validate_only: bool,
) -> Result<SubmitReportResponse, Status> {
    let mut request = tonic::Request::new(SubmitReportRequest {
        report: Some(report),
        validate_only,
    });
    request.set_timeout(Duration::from_secs(30));
    let bearer: MetadataValue<_> = format!("Bearer {token}").parse().map_err(|_| {
        Status::invalid_argument("the token contains characters not allowed in metadata")
    })?;
    request.metadata_mut().insert("authorization", bearer);
    client
        .submit_report(request)
        .await
        .map(tonic::Response::into_inner)
}

/// Prints a refusal with every field violation.
/// Prints a refusal: in Vietnamese (the status's `vi-VN` messages, where it has them)
/// when the language is Vietnamese ([`crate::lang`]), else in English.
pub fn print_refusal(status: &Status) {
    let vietnamese = crate::lang::vietnamese();
    let localized = status
        .get_details_localized_message()
        .filter(|_| vietnamese)
        .map(|m| m.message);
    match localized {
        Some(message) => eprintln!("không được chấp nhận: {message}"),
        None => eprintln!("refused: {:?}: {}", status.code(), status.message()),
    }
    if let Some(bad_request) = status.get_details_bad_request() {
        for violation in bad_request.field_violations {
            let said = violation
                .localized_message
                .filter(|_| vietnamese)
                .map_or(violation.description, |m| m.message);
            eprintln!("  - {}: {said}", violation.field);
        }
    }
}

pub async fn run(args: SubmitArgs) -> anyhow::Result<ExitCode> {
    let mut report = read_report_file(&args.file)?;
    if report.submission_id.is_empty() {
        report.submission_id = uuid::Uuid::now_v7().to_string();
        eprintln!(
            "submission_id {} generated; to retry this exact report, put it in the file",
            report.submission_id
        );
    }
    let gateway = args.gateway.endpoint()?;
    let mut attempt = 0;
    loop {
        match submit_once(&gateway, &args.gateway.token, &report).await {
            Ok(receipt) => {
                println!("{}", serde_json::to_string_pretty(&receipt)?);
                if let Some(path) = &args.receipt_out {
                    keep_receipt(&receipt, path)?;
                }
                return Ok(ExitCode::SUCCESS);
            }
            Err(status) if status.code() == Code::Unavailable && attempt < args.retries => {
                attempt += 1;
                let wait = Duration::from_secs(1 << attempt.min(5));
                eprintln!(
                    "unavailable ({}); retry {attempt}/{} in {wait:?} with the same submission_id",
                    status.message(),
                    args.retries
                );
                tokio::time::sleep(wait).await;
            }
            Err(status) => {
                print_refusal(&status);
                return Ok(ExitCode::from(2));
            }
        }
    }
}
