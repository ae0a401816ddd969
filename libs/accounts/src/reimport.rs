//! A staff list read against the accounts already issued, so that importing a list again
//! (corrected, or with new people added) updates the people it made instead of issuing
//! them a second account.
//!
//! A row is the same person as an existing account, in this order: the user name the row
//! gives; else, within the row's unit, the same e-mail (any case), the same phone (its
//! digits, `+84` read as `0`), or the same full name (any case and spacing). Each account
//! is matched by one row at most. An empty cell keeps what the account has; a matched
//! account keeps its user name, password and state (a stopped account stays stopped).

use std::collections::HashSet;

use unicode_normalization::UnicodeNormalization;

use crate::roster::StaffRow;
use crate::{Account, Person};

/// What a staff list does to the accounts.
#[derive(Clone, Debug, Default)]
pub struct StaffPlan {
    /// People without an account: new accounts, each with a one-time password.
    pub create: Vec<Person>,
    /// Accounts whose details the list changes.
    pub update: Vec<PersonUpdate>,
    /// Accounts the list names without changing anything.
    pub unchanged: Vec<String>,
}

/// An account's details before and after a staff list (the same user name).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonUpdate {
    /// As the account is.
    pub before: Person,
    /// As the list says.
    pub after: Person,
}

impl PersonUpdate {
    /// Each changed field, as `field: before → after`.
    pub fn changes(&self) -> Vec<String> {
        let (b, a) = (&self.before, &self.after);
        let fields = [
            ("full_name", &b.full_name, &a.full_name),
            ("unit_code", &b.unit_code, &a.unit_code),
            ("scope", &b.scope, &a.scope),
            ("email", &b.email, &a.email),
            ("phone", &b.phone, &a.phone),
        ];
        let mut out: Vec<String> = Vec::new();
        if b.role != a.role {
            out.push(format!("role: {} → {}", b.role.as_str(), a.role.as_str()));
        }
        out.extend(
            fields
                .into_iter()
                .filter(|(_, before, after)| before != after)
                .map(|(name, before, after)| format!("{name}: {before} → {after}")),
        );
        out
    }
}

/// A name as compared: NFC, lower case, single spaces.
fn name_key(name: &str) -> String {
    name.nfc()
        .collect::<String>()
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// An e-mail as compared: trimmed, lower case.
fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A phone as compared: its digits, a leading `84` (from `+84`) read as `0`.
fn phone_key(phone: &str) -> String {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    match digits.strip_prefix("84") {
        Some(rest) if phone.trim_start().starts_with('+') => format!("0{rest}"),
        _ => digits,
    }
}

/// The existing account that `row` is, if any, among those not yet matched.
fn matching<'a>(
    row: &StaffRow,
    existing: &'a [Account],
    matched: &HashSet<&str>,
) -> Option<&'a Account> {
    let free = |a: &&Account| !matched.contains(a.person.username.as_str());
    if let Some(username) = &row.username {
        return existing
            .iter()
            .filter(free)
            .find(|a| &a.person.username == username);
    }
    let same_unit = || {
        existing
            .iter()
            .filter(free)
            .filter(|a| a.person.unit_code == row.unit_code)
    };
    let email = email_key(&row.email);
    let phone = phone_key(&row.phone);
    let name = name_key(&row.full_name);
    same_unit()
        .find(|a| !email.is_empty() && email_key(&a.person.email) == email)
        .or_else(|| same_unit().find(|a| !phone.is_empty() && phone_key(&a.person.phone) == phone))
        .or_else(|| same_unit().find(|a| name_key(&a.person.full_name) == name))
}

/// The account's details as `row` changes them. An empty cell, or one that says the
/// same in another way (case, spacing, a phone's punctuation), keeps the account's value.
fn updated(account: &Person, row: &StaffRow) -> Person {
    let keep = |given: &str, current: &str, key: fn(&str) -> String| {
        if given.trim().is_empty() || key(given) == key(current) {
            current.to_string()
        } else {
            given.trim().to_string()
        }
    };
    let role = row.role.unwrap_or(account.role);
    let scope = match (&row.scope, row.role) {
        (Some(scope), _) => scope.clone(),
        (None, Some(given)) if given != account.role => row.new_scope.clone(),
        (None, _) => account.scope.clone(),
    };
    Person {
        username: account.username.clone(),
        full_name: keep(&row.full_name, &account.full_name, name_key),
        unit_code: row.unit_code.clone(),
        role,
        scope,
        email: keep(&row.email, &account.email, email_key),
        phone: keep(&row.phone, &account.phone, phone_key),
    }
}

/// `base`, or `base.2`, `base.3`… whichever is free.
fn free_name(base: &str, taken: &HashSet<String>) -> String {
    if !taken.contains(base) {
        return base.to_string();
    }
    (2..)
        .map(|n| format!("{base}.{n}"))
        .find(|name| !taken.contains(name))
        .unwrap_or_else(|| base.to_string())
}

/// Matches the checked `rows` against the `existing` accounts. A user name given twice
/// in the list is a problem, named by row.
pub fn plan(rows: Vec<StaffRow>, existing: &[Account], problems: &mut Vec<String>) -> StaffPlan {
    let mut taken: HashSet<String> = existing.iter().map(|a| a.person.username.clone()).collect();
    let mut given: std::collections::HashMap<String, usize> = Default::default();
    let mut matched: HashSet<&str> = HashSet::new();
    let mut plan = StaffPlan::default();
    for row in rows {
        if let Some(username) = &row.username
            && let Some(first) = given.insert(username.clone(), row.number)
        {
            problems.push(format!(
                "row {}, column username: `{username}` is on row {first} too",
                row.number
            ));
            continue;
        }
        if let Some(account) = matching(&row, existing, &matched) {
            matched.insert(&account.person.username);
            let after = updated(&account.person, &row);
            if after == account.person {
                plan.unchanged.push(after.username);
            } else {
                plan.update.push(PersonUpdate {
                    before: account.person.clone(),
                    after,
                });
            }
            continue;
        }
        let username = row
            .username
            .clone()
            .unwrap_or_else(|| free_name(&row.unit_code.to_lowercase(), &taken));
        taken.insert(username.clone());
        plan.create.push(Person {
            username,
            full_name: row.full_name,
            unit_code: row.unit_code,
            role: row.new_role,
            scope: row.new_scope,
            email: row.email,
            phone: row.phone,
        });
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Role;

    fn row(number: usize, unit: &str, name: &str, email: &str, phone: &str) -> StaffRow {
        StaffRow {
            number,
            unit_code: unit.into(),
            full_name: name.into(),
            username: None,
            role: None,
            scope: None,
            email: email.into(),
            phone: phone.into(),
            new_role: Role::Clerk,
            new_scope: "380".into(),
        }
    }

    fn account(username: &str, unit: &str, name: &str, email: &str, phone: &str) -> Account {
        Account {
            person: Person {
                username: username.into(),
                full_name: name.into(),
                unit_code: unit.into(),
                role: Role::Clerk,
                scope: "380".into(),
                email: email.into(),
                phone: phone.into(),
            },
            must_change_password: false,
            disabled: false,
            failed_logins: 0,
            last_login: None,
        }
    }

    #[test]
    fn a_person_is_found_by_email_phone_or_name_within_the_unit() {
        let existing = [
            account("u1", "U1", "Lê Thị Hoa", "hoa@x.vn", "0912 345 678"),
            account("u1.2", "U1", "Trần Văn Nam", "", "+84 913 000 111"),
            account("u2", "U2", "Lê Thị Hoa", "", ""),
        ];
        let rows = vec![
            // E-mail in another case, a new phone: the same person, phone updated.
            row(2, "U1", "Lê Thị Hoa", "HOA@x.vn", "0912 999 999"),
            // The phone written another way, the name corrected: the same person.
            row(3, "U1", "Trần Văn Năm", "nam@x.vn", "0913000111"),
            // The same name in another unit: a different person.
            row(4, "U3", "Lê Thị Hoa", "", ""),
            // Same name, same unit, no contact: the same person, nothing changed.
            row(5, "U2", "lê thị hoa", "", ""),
        ];
        let mut problems = Vec::new();
        let plan = plan(rows, &existing, &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(plan.update.len(), 2, "{plan:?}");
        assert_eq!(
            plan.update[0].changes(),
            ["phone: 0912 345 678 → 0912 999 999"]
        );
        assert_eq!(
            plan.update[1].changes(),
            [
                "full_name: Trần Văn Nam → Trần Văn Năm",
                "email:  → nam@x.vn"
            ]
        );
        assert_eq!(plan.create.len(), 1);
        assert_eq!(plan.create[0].username, "u3");
        assert_eq!(plan.unchanged, ["u2"]);
    }

    #[test]
    fn one_account_is_matched_once_and_a_given_name_twice_is_a_problem() {
        let existing = [account("u1", "U1", "Nguyễn Văn An", "", "")];
        let rows = vec![
            row(2, "U1", "Nguyễn Văn An", "", ""),
            row(3, "U1", "Nguyễn Văn An", "", ""),
        ];
        let mut problems = Vec::new();
        let plan = plan(rows, &existing, &mut problems);
        assert_eq!(plan.unchanged, ["u1"]);
        assert_eq!(
            plan.create.len(),
            1,
            "two people of one name are two accounts"
        );
        assert_eq!(plan.create[0].username, "u1.2");
        let mut named = row(4, "U1", "A", "", "");
        named.username = Some("x".into());
        let mut again = row(7, "U1", "B", "", "");
        again.username = Some("x".into());
        plan_with_problem(
            vec![named, again],
            &existing,
            "row 7, column username: `x` is on row 4 too",
        );
    }

    fn plan_with_problem(rows: Vec<StaffRow>, existing: &[Account], expected: &str) {
        let mut problems = Vec::new();
        plan(rows, existing, &mut problems);
        assert_eq!(problems, [expected]);
    }
}
