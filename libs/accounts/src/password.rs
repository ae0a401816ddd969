//! Passwords: argon2id hashes in PHC strings (the parameters travel with the hash), and
//! the one-time passwords handed out on paper.
//!
//! One cost for every hash, OWASP's argon2id (19 MiB, 2 passes), whether the password was
//! chosen by a person or printed on a one-time sheet: a sign-in then costs the same work
//! whatever the account's state, so its timing does not tell an unknown name from an
//! account still on its one-time password (docs/security.md). Issuing a province's 2,460
//! accounts takes about half a minute on two cores. Hashes written before with the old
//! cheaper one-time parameters still verify (the parameters travel with the hash).
//!
//! Every password is taken in Unicode NFC before it is hashed or compared.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::{Error, Result};

/// Letters and digits that cannot be mistaken for one another on paper (no 0/O, 1/l/I).
const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// Characters in a one-time password (without its dashes).
const ONE_TIME_LEN: usize = 12;

use crate::strength::nfc;
pub use crate::strength::{MIN_CHOSEN_LEN, weakness};

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

fn hasher() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::DEFAULT)
}

/// The PHC string of `password` (taken in NFC), with a fresh salt.
pub fn hash(password: &str) -> Result<String> {
    let hashed = hasher()
        .hash_password(nfc(password).as_bytes())
        .map_err(|err| Error::Hash(Box::new(err)))?;
    Ok(hashed.to_string())
}

/// Whether `password` (taken in NFC) matches the PHC string `stored` (its own parameters
/// are used).
pub fn verify(password: &str, stored: &str) -> Result<bool> {
    let parsed = PasswordHash::new(stored).map_err(|err| Error::Hash(Box::new(err)))?;
    Ok(Argon2::default()
        .verify_password(nfc(password).as_bytes(), &parsed)
        .is_ok())
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
    fn the_right_password_verifies_in_either_unicode_form() -> Result<()> {
        use unicode_normalization::UnicodeNormalization;
        let stored = hash("mật khẩu đúng")?;
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert!(verify("mật khẩu đúng", &stored)?);
        let typed_nfd: String = "mật khẩu đúng".nfd().collect();
        assert!(verify(&typed_nfd, &stored)?, "NFD typing signs in");
        assert!(!verify("mật khẩu sai", &stored)?);
        Ok(())
    }

    #[test]
    fn hashes_of_the_old_one_time_cost_still_verify() -> Result<()> {
        let old = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(4 * 1024, 1, 1, None).map_err(|e| Error::Hash(Box::new(e)))?,
        );
        let stored = old
            .hash_password(b"abcd-efgh-jkmn")
            .map_err(|e| Error::Hash(Box::new(e)))?
            .to_string();
        assert!(verify("abcd-efgh-jkmn", &stored)?);
        Ok(())
    }
}
