//! The people who use the portal: an [`Account`] belongs to one reporting unit and has a
//! [`Role`] (a unit's clerk, a district office entering for its communes, a provincial
//! officer viewing the province, an analyst viewing a subtree). Passwords are argon2id
//! hashes; a new account has a one-time password it must change at first login; wrong
//! passwords never lock an account but are slowed by the portal's sign-in [`throttle`];
//! sessions carry their CSRF token; the server key ([`signing`]) signs login forms and
//! device cookies; every login, failure, administrator's action and password change is written
//! to the audit log. All of it lives in
//! one embedded SQLite database ([`AccountStore`]), safe under concurrent use and restarts.
//!
//! Accounts are issued in bulk from a staff list ([`roster`]; a list imported again
//! updates the people it made, [`reimport`]) and their one-time passwords printed for
//! distribution ([`sheet`]). The department administers them ([`AccountAction`]: a new
//! one-time password, unlock, stop, restore, delete) and reads the audit log
//! ([`AuditFilter`]).

mod error;
pub mod password;
pub mod reimport;
pub mod roster;
pub mod sheet;
pub mod signing;
mod store;
pub mod strength;
pub mod throttle;

pub use error::{Error, Result};
pub use store::{
    AUDIT_EVENTS, Account, AccountAction, AccountStore, AuditEntry, AuditFilter, AuditPage,
    IssuedAccount, LoginOutcome, LoginPolicy, Person, Role, Session, audit_csv, event_label,
};
