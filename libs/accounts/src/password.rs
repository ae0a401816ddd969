//! Passwords: argon2id hashes in PHC strings (the parameters travel with the hash), and
//! the one-time passwords handed out on paper.
//!
//! Two costs, on purpose. A password a person chooses gets OWASP's argon2id parameters
//! (19 MiB, 2 passes): people choose guessable passwords, the cost is what protects them.
//! A one-time password is 12 random characters (≈ 59 bits): guessing it from a stolen hash
//! is out of reach at any cost, so it is hashed cheaply (4 MiB, 1 pass) and a province's
//! 2,460 accounts are issued in seconds. It is replaced at first login.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::{Error, Result};

/// Letters and digits that cannot be mistaken for one another on paper (no 0/O, 1/l/I).
const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// Characters in a one-time password (without its dashes).
const ONE_TIME_LEN: usize = 12;

/// The shortest password a person may choose.
pub const MIN_CHOSEN_LEN: usize = 10;

/// A fresh one-time password, `xxxx-xxxx-xxxx`.
pub fn one_time_password() -> Result<String> {
    let mut bytes = [0u8; ONE_TIME_LEN];
    getrandom::fill(&mut bytes)?;
    let chars: Vec<char> = bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect();
    Ok(chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-"))
}

/// How much work a hash costs.
#[derive(Clone, Copy, Debug)]
pub enum Cost {
    /// A random one-time password.
    OneTime,
    /// A password a person chose.
    Chosen,
}

fn hasher(cost: Cost) -> Result<Argon2<'static>> {
    let params = match cost {
        Cost::OneTime => Params::new(4 * 1024, 1, 1, None),
        Cost::Chosen => Ok(Params::DEFAULT),
    }
    .map_err(|err| Error::Hash(err.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// The PHC string of `password` at `cost`, with a fresh salt.
pub fn hash(password: &str, cost: Cost) -> Result<String> {
    let hashed = hasher(cost)?
        .hash_password(password.as_bytes())
        .map_err(|err| Error::Hash(err.to_string()))?;
    Ok(hashed.to_string())
}

/// Whether `password` matches the PHC string `stored` (its own parameters are used).
pub fn verify(password: &str, stored: &str) -> Result<bool> {
    let parsed = PasswordHash::new(stored).map_err(|err| Error::Hash(err.to_string()))?;
    Ok(Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok())
}

/// Why a chosen password is refused, in Vietnamese, if it is.
pub fn weakness(chosen: &str, username: &str) -> Option<&'static str> {
    let chars = chosen.chars().count();
    if chars < MIN_CHOSEN_LEN {
        return Some("Mật khẩu phải có ít nhất 10 ký tự.");
    }
    if chosen.eq_ignore_ascii_case(username) {
        return Some("Mật khẩu không được trùng tên đăng nhập.");
    }
    let mut distinct: Vec<char> = chosen.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 4 {
        return Some("Mật khẩu quá đơn giản: cần ít nhất 4 ký tự khác nhau.");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_time_passwords_are_readable_and_differ() -> Result<()> {
        let a = one_time_password()?;
        let b = one_time_password()?;
        assert_eq!(a.len(), 14);
        assert_ne!(a, b);
        assert!(a.chars().all(|c| c == '-' || ALPHABET.contains(&(c as u8))));
        Ok(())
    }

    #[test]
    fn both_costs_verify_and_a_wrong_password_does_not() -> Result<()> {
        for cost in [Cost::OneTime, Cost::Chosen] {
            let stored = hash("mật khẩu đúng", cost)?;
            assert!(stored.starts_with("$argon2id$"), "{stored}");
            assert!(verify("mật khẩu đúng", &stored)?);
            assert!(!verify("mật khẩu sai", &stored)?);
        }
        Ok(())
    }

    #[test]
    fn weak_choices_are_named() {
        assert!(weakness("ngắn", "u").is_some());
        assert!(weakness("aaaaaaaaaaaa", "u").is_some());
        assert!(weakness("38.STTTT.hoa", "38.sttttt.hoa").is_none());
        assert!(weakness("canbo.xa.01", "CANBO.XA.01").is_some());
        assert!(weakness("Hàm Rồng 2026!", "u").is_none());
    }
}
