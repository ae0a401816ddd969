//! TLS for the gRPC listeners (gateways and the Flight SQL endpoint): the server
//! certificate, and optionally mutual TLS, where only clients holding a certificate signed
//! by the province's client CA may connect at all. Bearer tokens still say *which unit*
//! is calling; mutual TLS says the call comes from a machine the province enrolled.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tonic::transport::{Certificate, Identity, ServerTlsConfig};

use crate::{Error, Result};

/// TLS settings of a listener (`[gateway.tls]`, `[sql.tls]`). All paths empty: plaintext,
/// for loopback and the demo only.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct TlsConfig {
    /// The server's certificate chain (PEM). Setting it turns TLS on.
    pub cert_file: PathBuf,
    /// The server's private key (PEM, PKCS#8 or SEC1).
    pub key_file: PathBuf,
    /// CA whose certificates clients must present (PEM). Setting it turns on mutual TLS.
    pub client_ca_file: PathBuf,
}

impl TlsConfig {
    /// True when a certificate is configured (the listener speaks TLS).
    pub fn enabled(&self) -> bool {
        !self.cert_file.as_os_str().is_empty()
    }

    /// The tonic server TLS config, or `None` for plaintext. Every file is read now, so a
    /// wrong path fails at start-up naming the setting, not at the first handshake.
    pub fn server_config(&self, section: &str) -> Result<Option<ServerTlsConfig>> {
        let key_set = !self.key_file.as_os_str().is_empty();
        let ca_set = !self.client_ca_file.as_os_str().is_empty();
        if !self.enabled() {
            if key_set || ca_set {
                return Err(Error::Config(format!(
                    "{section}.cert_file is empty but key_file or client_ca_file is set; \
                     TLS needs the server certificate"
                )));
            }
            return Ok(None);
        }
        if !key_set {
            return Err(Error::Config(format!(
                "{section}.key_file is empty; TLS needs the server's private key"
            )));
        }
        install_crypto_provider();
        let cert = read_pem(&self.cert_file, &format!("{section}.cert_file"))?;
        let key = read_pem(&self.key_file, &format!("{section}.key_file"))?;
        let mut config = ServerTlsConfig::new().identity(Identity::from_pem(cert, key));
        if ca_set {
            let ca = read_pem(&self.client_ca_file, &format!("{section}.client_ca_file"))?;
            config = config.client_ca_root(Certificate::from_pem(ca));
        }
        Ok(Some(config))
    }
}

impl TlsConfig {
    /// The rustls server config of an HTTPS listener (the portal), or `None` for
    /// plaintext; same files and checks as [`TlsConfig::server_config`]; with a client
    /// CA, only browsers holding a certificate it signed may connect.
    pub fn rustls_config(
        &self,
        section: &str,
    ) -> Result<Option<std::sync::Arc<rustls::ServerConfig>>> {
        if self.server_config(section)?.is_none() {
            return Ok(None);
        }
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let setting = |name: &str| format!("{section}.{name}");
        let tls_error =
            |setting: String, err: Box<dyn std::error::Error + Send + Sync>| Error::Tls {
                setting,
                source: err,
            };
        let pem_error = |name: &str, path: &Path, err: rustls::pki_types::pem::Error| {
            tls_error(
                format!("{} {}", setting(name), path.display()),
                Box::new(err),
            )
        };
        let certs = CertificateDer::pem_file_iter(&self.cert_file)
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .map_err(|err| pem_error("cert_file", &self.cert_file, err))?;
        let key = PrivateKeyDer::from_pem_file(&self.key_file)
            .map_err(|err| pem_error("key_file", &self.key_file, err))?;
        let builder = rustls::ServerConfig::builder();
        let builder = if self.client_ca_file.as_os_str().is_empty() {
            builder.with_no_client_auth()
        } else {
            let mut roots = rustls::RootCertStore::empty();
            for ca in CertificateDer::pem_file_iter(&self.client_ca_file)
                .map_err(|err| pem_error("client_ca_file", &self.client_ca_file, err))?
            {
                let ca =
                    ca.map_err(|err| pem_error("client_ca_file", &self.client_ca_file, err))?;
                roots
                    .add(ca)
                    .map_err(|err| tls_error(setting("client_ca_file"), Box::new(err)))?;
            }
            let verifier =
                rustls::server::WebPkiClientVerifier::builder(std::sync::Arc::new(roots))
                    .build()
                    .map_err(|err| tls_error(setting("client_ca_file"), Box::new(err)))?;
            builder.with_client_cert_verifier(verifier)
        };
        let mut config = builder
            .with_single_cert(certs, key)
            .map_err(|err| tls_error(setting("key_file"), Box::new(err)))?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Some(std::sync::Arc::new(config)))
    }
}

/// Makes aws-lc-rs the process's rustls provider (idempotent). rustls refuses to pick one
/// by itself when a dependency enables a second provider, so the binary decides here.
pub fn install_crypto_provider() {
    // Err only means a provider is already installed, which is what we want.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

fn read_pem(path: &Path, setting: &str) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).map_err(|source| Error::TlsFile {
        setting: setting.to_string(),
        path: path.to_path_buf(),
        source,
    })?;
    if !bytes.windows(11).any(|w| w == b"-----BEGIN ") {
        return Err(Error::Config(format!(
            "{setting} {}: not a PEM file (no -----BEGIN line)",
            path.display()
        )));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plaintext_when_nothing_is_set() -> Result<()> {
        assert!(TlsConfig::default().server_config("gateway.tls")?.is_none());
        Ok(())
    }

    #[test]
    fn half_configured_tls_names_the_missing_setting() {
        let only_ca = TlsConfig {
            client_ca_file: "ca.pem".into(),
            ..TlsConfig::default()
        };
        let err = only_ca
            .server_config("gateway.tls")
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("gateway.tls.cert_file")));
        let no_key = TlsConfig {
            cert_file: "cert.pem".into(),
            ..TlsConfig::default()
        };
        let err = no_key.server_config("sql.tls").err().map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("sql.tls.key_file")));
    }

    #[test]
    fn a_missing_or_non_pem_file_is_named() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let garbage = dir.path().join("server.pem");
        std::fs::write(&garbage, "not a certificate")?;
        let config = TlsConfig {
            cert_file: garbage,
            key_file: dir.path().join("absent.key"),
            client_ca_file: PathBuf::new(),
        };
        let err = config
            .server_config("gateway.tls")
            .err()
            .map(|e| e.to_string());
        assert!(
            err.as_deref()
                .is_some_and(|e| e.contains("gateway.tls.cert_file") && e.contains("not a PEM")),
            "{err:?}"
        );
        Ok(())
    }
}
