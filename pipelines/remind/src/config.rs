//! `[remind]`: where reminders are recorded, the SMTP server and the webhook.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The reminders' settings (`[remind]` of the configuration).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RemindConfig {
    /// The Kafka topic every reminder is recorded on (kept forever, one partition).
    pub topic: String,
    /// The SMTP server's host; empty: no e-mail.
    pub smtp_host: String,
    /// Its port (587 for STARTTLS, 465 for TLS, 25 without).
    pub smtp_port: u16,
    /// `starttls`, `tls` or `none` (only for a relay on the same host or a test server).
    pub smtp_security: String,
    /// SMTP user name; empty: no authentication.
    pub smtp_username: String,
    /// SMTP password (set it in the environment: `BAOCAO_REMIND__SMTP_PASSWORD`).
    pub smtp_password: String,
    /// A PEM file of a CA to trust besides the system's (a provincial mail server's own).
    pub smtp_ca_cert: Option<PathBuf>,
    /// The sender, e.g. `Sở Khoa học và Công nghệ Thanh Hóa <baocao@skhcn.thanhhoa.gov.vn>`.
    pub from: String,
    /// Where replies go, if not to `from`.
    pub reply_to: String,
    /// The portal's address, named in the message as where to report; empty: not named.
    pub portal_url: String,
    /// A URL to POST each reminder to as JSON (an SMS or Zalo gateway); empty: none.
    pub webhook_url: String,
    /// Sent as `Authorization: Bearer …` to the webhook when set
    /// (`BAOCAO_REMIND__WEBHOOK_TOKEN`).
    pub webhook_token: String,
    /// How long a claim of a run that did not finish holds a reminder before another run
    /// may send it (seconds): longer than one send takes.
    pub lease_seconds: u64,
    /// Pause between two sends, in milliseconds (a mail server's rate limit).
    pub pace_ms: u64,
}

impl Default for RemindConfig {
    fn default() -> Self {
        RemindConfig {
            topic: "baocao.reminders.v1".to_string(),
            smtp_host: String::new(),
            smtp_port: 587,
            smtp_security: "starttls".to_string(),
            smtp_username: String::new(),
            smtp_password: String::new(),
            smtp_ca_cert: None,
            from: String::new(),
            reply_to: String::new(),
            portal_url: String::new(),
            webhook_url: String::new(),
            webhook_token: String::new(),
            lease_seconds: 600,
            pace_ms: 0,
        }
    }
}
