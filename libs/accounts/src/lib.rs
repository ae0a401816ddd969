//! The people who use the portal: an [`Account`] belongs to one reporting unit and has a
//! [`Role`] (a unit's clerk, a district office entering for its communes, a provincial
//! officer viewing the province, an analyst viewing a subtree). Passwords are argon2id
//! hashes; a new account has a one-time password it must change at first login; five
//! wrong passwords lock it for a while; sessions carry their CSRF token; every login,
//! failure, lockout and password change is written to the audit log. All of it lives in
//! one embedded SQLite database ([`AccountStore`]), safe under concurrent use and restarts.
//!
//! Accounts are issued in bulk from a staff list ([`roster`]) and their one-time
//! passwords printed for distribution ([`sheet`]).

mod error;
pub mod password;
pub mod roster;
pub mod sheet;
mod store;

pub use error::{Error, Result};
pub use store::{
    Account, AccountStore, IssuedAccount, LoginOutcome, LoginPolicy, Person, Role, Session,
};
