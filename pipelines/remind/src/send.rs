//! Delivering a reminder: an e-mail through the SMTP server (STARTTLS, TLS or, for a
//! local relay, none), and a JSON POST to the webhook.

use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::{Error, RemindConfig, Reminder, Result};

/// The SMTP transport `config` describes; `None` when no server is configured.
pub(crate) fn smtp_transport(
    config: &RemindConfig,
) -> Result<Option<AsyncSmtpTransport<Tokio1Executor>>> {
    if config.smtp_host.is_empty() {
        return Ok(None);
    }
    let host = config.smtp_host.as_str();
    let tls = || -> Result<TlsParameters> {
        let mut builder = TlsParameters::builder(host.to_string());
        if let Some(path) = &config.smtp_ca_cert {
            let pem = std::fs::read(path).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
            builder = builder.add_root_certificate(Certificate::from_pem(&pem)?);
        }
        Ok(builder.build_rustls()?)
    };
    let security = match config.smtp_security.as_str() {
        "starttls" => Tls::Required(tls()?),
        "tls" => Tls::Wrapper(tls()?),
        "none" => Tls::None,
        other => {
            return Err(Error::Config(format!(
                "remind.smtp_security `{other}` must be starttls, tls or none"
            )));
        }
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(config.smtp_port)
        .tls(security)
        .timeout(Some(std::time::Duration::from_secs(30)));
    if !config.smtp_username.is_empty() {
        builder = builder.credentials(Credentials::new(
            config.smtp_username.clone(),
            config.smtp_password.clone(),
        ));
    }
    Ok(Some(builder.build()))
}

fn mailbox(address: &str) -> Result<Mailbox> {
    address.parse().map_err(|source| Error::Address {
        address: address.to_string(),
        source,
    })
}

/// A plain-text message from the reminders' sender (and reply-to) to `to`, named
/// `to_name` when the address allows it.
fn message_to(
    config: &RemindConfig,
    to_name: &str,
    to: &str,
    subject: &str,
) -> Result<lettre::message::MessageBuilder> {
    let mut builder = Message::builder()
        .from(mailbox(&config.from)?)
        .to(mailbox(&format!("{to_name} <{to}>")).or_else(|_| mailbox(to))?)
        .subject(subject)
        .header(ContentType::TEXT_PLAIN);
    if !config.reply_to.is_empty() {
        builder = builder.reply_to(mailbox(&config.reply_to)?);
    }
    Ok(builder)
}

/// Sends `reminder` by e-mail to `to`.
pub(crate) async fn send_email(
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    config: &RemindConfig,
    reminder: &Reminder,
    to: &str,
) -> Result<()> {
    let message = message_to(
        config,
        &reminder.planned.unit.name,
        to,
        &reminder.text.subject,
    )?
    .message_id(Some(reminder.message_id.clone()))
    .body(reminder.text.body.clone())?;
    transport.send(message).await?;
    Ok(())
}

/// POSTs `reminder` as JSON to the webhook, with its message id as `Idempotency-Key`.
pub(crate) async fn send_webhook(
    client: &reqwest::Client,
    config: &RemindConfig,
    reminder: &Reminder,
) -> Result<()> {
    let unit = &reminder.planned.unit;
    let body = serde_json::json!({
        "idempotency_key": reminder.message_id,
        "key": reminder.key,
        "unit_code": unit.code,
        "unit_name": unit.name,
        "person": unit.contact.person,
        "phone": unit.contact.phone,
        "email": unit.contact.email,
        "step": reminder.planned.step.id,
        "subject": reminder.text.subject,
        "text": reminder.text.body,
    });
    let mut request = client
        .post(&config.webhook_url)
        .header("Idempotency-Key", &reminder.message_id)
        .header("Content-Type", "application/json")
        .body(serde_json::to_vec(&body)?);
    if !config.webhook_token.is_empty() {
        request = request.bearer_auth(&config.webhook_token);
    }
    let response = request.send().await?;
    if !response.status().is_success() {
        return Err(Error::WebhookStatus {
            url: config.webhook_url.clone(),
            status: response.status().as_u16(),
        });
    }
    Ok(())
}

/// Sends one plain-text e-mail through the reminders' SMTP settings (`[remind]`): what
/// else the department mails people, such as a new one-time password.
pub async fn send_mail(
    config: &RemindConfig,
    to_name: &str,
    to: &str,
    subject: &str,
    body: &str,
) -> Result<()> {
    let Some(transport) = smtp_transport(config)? else {
        return Err(Error::Config(
            "no e-mail server: set remind.smtp_host (and remind.from) to send mail".into(),
        ));
    };
    let message = message_to(config, to_name, to, subject)?.body(body.to_string())?;
    transport.send(message).await?;
    Ok(())
}
