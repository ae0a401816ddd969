//! The portal's secret key and the two things it signs, so the server, not the client,
//! vouches for them:
//! - the login form's CSRF token (`issued.nonce.mac`): a client cannot make one up, and a
//!   token older than an hour is refused;
//! - the device cookie (`nonce.mac` over the user name): a browser that once signed in to
//!   a name is a *known device* of that name, which the sign-in throttle spares
//!   ([`crate::throttle`]).
//!
//! HMAC-SHA-256; the key lives in the accounts database (`server_keys`), created at first
//! start, so every replica on the same database shares it and a restart keeps it.

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::Result;

/// How long a login form stays valid.
pub const LOGIN_FORM_LIFETIME: Duration = Duration::hours(1);

/// The server's secret key (32 random bytes), with its HMAC state keyed once.
#[derive(Clone)]
pub struct ServerKey {
    bytes: [u8; 32],
    keyed: Hmac<Sha256>,
}

impl std::fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerKey(…)")
    }
}

fn nonce() -> Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)?;
    Ok(hex::encode(bytes))
}

impl ServerKey {
    /// A fresh random key.
    pub fn generate() -> Result<ServerKey> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)?;
        ServerKey::from_bytes(&bytes).ok_or_else(|| crate::Error::Hash("HMAC refused a key".into()))
    }

    /// The key of stored bytes (anything but 32 bytes is no key).
    pub fn from_bytes(bytes: &[u8]) -> Option<ServerKey> {
        let bytes: [u8; 32] = bytes.try_into().ok()?;
        let keyed = <Hmac<Sha256> as Mac>::new_from_slice(&bytes).ok()?;
        Some(ServerKey { bytes, keyed })
    }

    /// The key's bytes, to store.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    fn mac(&self, purpose: &str, parts: &[&str]) -> Hmac<Sha256> {
        let mut mac = self.keyed.clone();
        mac.update(purpose.as_bytes());
        for part in parts {
            mac.update(&[0]);
            mac.update(part.as_bytes());
        }
        mac
    }

    fn sign(&self, purpose: &str, parts: &[&str]) -> String {
        hex::encode(self.mac(purpose, parts).finalize().into_bytes())
    }

    fn verify(&self, purpose: &str, parts: &[&str], given_hex: &str) -> bool {
        match hex::decode(given_hex) {
            Ok(given) => self.mac(purpose, parts).verify_slice(&given).is_ok(),
            Err(_) => false,
        }
    }

    /// A login form's CSRF token issued `now`.
    pub fn login_token(&self, now: DateTime<Utc>) -> Result<String> {
        let issued = now.timestamp().to_string();
        let nonce = nonce()?;
        let mac = self.sign("login-form", &[&issued, &nonce]);
        Ok(format!("{issued}.{nonce}.{mac}"))
    }

    /// Whether `token` is one this server issued within the last hour.
    pub fn login_token_is_valid(&self, token: &str, now: DateTime<Utc>) -> bool {
        let mut parts = token.split('.');
        let (Some(issued), Some(nonce), Some(mac), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return false;
        };
        let Some(at) = issued
            .parse::<i64>()
            .ok()
            .and_then(|s| DateTime::from_timestamp(s, 0))
        else {
            return false;
        };
        let fresh = at <= now + Duration::minutes(1) && now - at <= LOGIN_FORM_LIFETIME;
        fresh && self.verify("login-form", &[issued, nonce], mac)
    }

    /// A device cookie for `username`: (the cookie's value, the device's id).
    pub fn device_token(&self, username: &str) -> Result<(String, String)> {
        let device = nonce()?;
        let mac = self.sign("device", &[username, &device]);
        Ok((format!("{device}.{mac}"), device))
    }

    /// The device id of a device cookie, if the cookie was issued for `username`.
    pub fn device_of(&self, token: &str, username: &str) -> Option<String> {
        let (device, mac) = token.split_once('.')?;
        self.verify("device", &[username, device], mac)
            .then(|| device.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_tokens_are_the_servers_own_and_expire() -> Result<()> {
        let key = ServerKey::generate()?;
        let now = Utc::now();
        let token = key.login_token(now)?;
        assert!(key.login_token_is_valid(&token, now));
        assert!(key.login_token_is_valid(&token, now + Duration::minutes(59)));
        assert!(!key.login_token_is_valid(&token, now + Duration::minutes(61)));
        assert!(!ServerKey::generate()?.login_token_is_valid(&token, now));
        for made_up in ["0000", "", "1.2.3", &token.replace('.', ":")] {
            assert!(!key.login_token_is_valid(made_up, now), "{made_up}");
        }
        let mut tampered = token.clone();
        tampered.replace_range(0..1, if token.starts_with('1') { "2" } else { "1" });
        assert!(!key.login_token_is_valid(&tampered, now));
        Ok(())
    }

    #[test]
    fn a_device_cookie_vouches_for_its_own_name_only() -> Result<()> {
        let key = ServerKey::generate()?;
        let (cookie, device) = key.device_token("14755")?;
        assert_eq!(key.device_of(&cookie, "14755"), Some(device));
        assert_eq!(key.device_of(&cookie, "14756"), None);
        assert_eq!(key.device_of("abc.def", "14755"), None);
        Ok(())
    }
}
