//! The accounts database and staff lists: one-time passwords work once and must be
//! replaced, wrong passwords never lock (the department's unlock is recorded), a
//! Vietnamese password typed in NFD signs in, sessions end and survive restarts, a staff list's
//! problems are all named by row and column, and a province's list is issued at once.

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use baocao_accounts::{AccountStore, LoginOutcome, LoginPolicy, Person, Role, roster, sheet};
use baocao_registry::Registry;
use chrono::Utc;

fn registry() -> Registry {
    Registry::load_register(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data"),
        &baocao_registry::RegisterChoice::Named("2023".to_string()),
    )
    .expect("shipped data")
}

fn clerk(username: &str, unit: &str) -> Person {
    Person {
        username: username.into(),
        full_name: "Lê Thị Hoa".into(),
        unit_code: unit.into(),
        role: Role::Clerk,
        scope: unit.into(),
        email: String::new(),
        phone: String::new(),
    }
}

fn policy() -> LoginPolicy {
    LoginPolicy {
        session_lifetime: Duration::from_secs(3600),
    }
}

#[tokio::test]
async fn a_one_time_password_signs_in_and_must_be_replaced() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("accounts.db");
    let store = AccountStore::open(&db, policy()).await?;
    let now = Utc::now();
    let issued = store.issue(vec![clerk("14755", "14755")], now).await?;
    let otp = &issued[0].one_time_password;
    let LoginOutcome::SignedIn { cookie, session } = store.login("14755", otp, now).await? else {
        anyhow::bail!("the one-time password signs in");
    };
    assert!(session.account.must_change_password);
    assert_eq!(session.csrf_token.len(), 64);
    store
        .change_password("14755", "Hàm Rồng 2026!", &cookie, now)
        .await?;
    assert!(matches!(
        store.login("14755", otp, now).await?,
        LoginOutcome::Refused
    ));
    let LoginOutcome::SignedIn { session, .. } =
        store.login("14755", "Hàm Rồng 2026!", now).await?
    else {
        anyhow::bail!("the chosen password signs in");
    };
    assert!(!session.account.must_change_password);
    // The database is the state: a restart keeps accounts and sessions.
    drop(store);
    let reopened = AccountStore::open(&db, policy()).await?;
    assert!(
        reopened.session(&cookie, now).await?.is_some(),
        "the session that changed the password stays"
    );
    reopened.end_session(&cookie, now).await?;
    assert!(reopened.session(&cookie, now).await?.is_none());
    let events: Vec<String> = reopened
        .audit_events("14755")
        .await?
        .into_iter()
        .map(|e| e.1)
        .collect();
    assert_eq!(
        events,
        [
            "login",
            "password_changed",
            "login_failed",
            "login",
            "logout"
        ]
    );
    Ok(())
}

#[tokio::test]
async fn wrong_passwords_never_lock_and_an_unlock_is_recorded() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let store = AccountStore::open(&dir.path().join("a.db"), policy()).await?;
    let now = Utc::now();
    let issued = store.issue(vec![clerk("u", "14755")], now).await?;
    let otp = issued[0].one_time_password.clone();
    for _ in 0..12 {
        assert!(matches!(
            store.login("u", "wrong", now).await?,
            LoginOutcome::Refused
        ));
    }
    assert_eq!(store.failed_logins().await?, [("u".to_string(), 12)]);
    let later = now + chrono::Duration::seconds(5);
    store.unlock("u", "38.stttt", later).await?;
    assert_eq!(
        store.unlocked_at("u").await?.map(|t| t.timestamp()),
        Some(later.timestamp())
    );
    assert_eq!(store.unlocked_at("nobody").await?, None);
    assert!(store.unlock("nobody", "38.stttt", later).await.is_err());
    let LoginOutcome::SignedIn { cookie, .. } = store.login("u", &otp, later).await? else {
        anyhow::bail!("the right password signs in after any number of wrong ones");
    };
    // A Vietnamese password typed in decomposed form (NFD) is the same password.
    use unicode_normalization::UnicodeNormalization;
    store
        .change_password("u", "Hàm Rồng 2026!", &cookie, later)
        .await?;
    let typed_nfd: String = "Hàm Rồng 2026!".nfd().collect();
    assert!(matches!(
        store.login("u", &typed_nfd, later).await?,
        LoginOutcome::SignedIn { .. }
    ));
    // Unknown names are refused like wrong passwords (nothing tells which names exist).
    assert!(matches!(
        store.login("nobody", "x", now).await?,
        LoginOutcome::Refused
    ));
    let events: Vec<(String, String)> = store
        .audit_events("u")
        .await?
        .into_iter()
        .map(|(_, event, detail)| (event, detail))
        .collect();
    assert!(
        events.contains(&("account_unlocked".to_string(), "by 38.stttt".to_string())),
        "{events:?}"
    );
    Ok(())
}

#[tokio::test]
async fn the_server_key_is_made_once_and_shared() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("a.db");
    let first = AccountStore::open(&db, policy()).await?;
    let second = AccountStore::open(&db, policy()).await?;
    assert_eq!(
        first.server_key().as_bytes(),
        second.server_key().as_bytes()
    );
    let token = first.server_key().login_token(Utc::now())?;
    assert!(second.server_key().login_token_is_valid(&token, Utc::now()));
    Ok(())
}

#[tokio::test]
async fn sessions_expire_and_a_taken_name_refuses_the_whole_list() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let store = AccountStore::open(&dir.path().join("a.db"), policy()).await?;
    let now = Utc::now();
    let issued = store.issue(vec![clerk("a", "14755")], now).await?;
    let LoginOutcome::SignedIn { cookie, .. } =
        store.login("a", &issued[0].one_time_password, now).await?
    else {
        anyhow::bail!("signs in");
    };
    assert!(
        store
            .session(&cookie, now + chrono::Duration::seconds(3599))
            .await?
            .is_some()
    );
    assert!(
        store
            .session(&cookie, now + chrono::Duration::seconds(3601))
            .await?
            .is_none()
    );
    let refused = store
        .issue(vec![clerk("b", "14755"), clerk("a", "14755")], now)
        .await;
    assert!(refused.is_err());
    assert_eq!(store.accounts().await?.len(), 1, "all or none");
    Ok(())
}

#[test]
fn a_staff_list_names_every_problem_by_row_and_column() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let csv = dir.path().join("staff.csv");
    std::fs::write(
        &csv,
        "\u{feff}Mã đơn vị,Họ và tên,Vai trò,Phạm vi,username\n\
         14755,Lê Thị Hoa,,,\n\
         38.XYZ,Nguyễn Văn A,,,\n\
         14755,,clerk,,\n\
         380.PVHTT,Trần Văn B,chief,,\n\
         380.PVHTT,Trần Văn C,,999,\n\
         14761,Phạm D,,,taken\n",
    )?;
    let taken: HashSet<String> = ["taken".to_string()].into();
    let err = roster::read(&csv, &registry(), &taken)
        .expect_err("refused")
        .to_string();
    for expected in [
        "row 3, column unit_code: unit `38.XYZ` is not in the register",
        "row 4, column full_name: is empty",
        "row 5, column role: `chief`",
        "row 6, column scope: `999`",
        "row 7, column username: `taken` is already taken",
    ] {
        assert!(err.contains(expected), "{expected} in:\n{err}");
    }
    assert!(!err.contains("row 2"), "{err}");
    Ok(())
}

#[tokio::test]
async fn a_province_is_issued_in_one_command_with_its_password_sheet() -> anyhow::Result<()> {
    let registry = registry();
    let dir = tempfile::tempdir()?;
    let csv = dir.path().join("staff.csv");
    let mut text = String::from("unit_code,full_name\n");
    let units: Vec<String> = registry
        .units()
        .filter(|u| registry.is_within(u, "38"))
        .map(|u| u.code.clone())
        .collect();
    for code in &units {
        text.push_str(&format!("{code},Cán bộ {code}\n"));
    }
    std::fs::write(&csv, text)?;
    let accounts = roster::read(&csv, &registry, &HashSet::new())?;
    assert_eq!(accounts.len(), units.len());
    let office = accounts
        .iter()
        .find(|a| a.unit_code == "380.PVHTT")
        .expect("office");
    assert_eq!(
        (office.role, office.scope.as_str()),
        (Role::DistrictOffice, "380")
    );
    let dic = accounts
        .iter()
        .find(|a| a.unit_code == "38.STTTT")
        .expect("dic");
    assert_eq!((dic.role, dic.scope.as_str()), (Role::Province, "38"));
    let started = std::time::Instant::now();
    let store = AccountStore::open(&dir.path().join("a.db"), policy()).await?;
    let issued = store.issue(accounts, Utc::now()).await?;
    println!(
        "issued {} accounts in {:.1} s",
        issued.len(),
        started.elapsed().as_secs_f64()
    );
    let distinct: HashSet<&str> = issued
        .iter()
        .map(|i| i.one_time_password.as_str())
        .collect();
    assert_eq!(distinct.len(), issued.len());
    let out = dir.path().join("otp.xlsx");
    sheet::write(&out, &registry, &issued)?;
    // Read back: every account's line is on the sheet.
    use calamine::Reader;
    let mut workbook = calamine::open_workbook_auto(&out)?;
    let range = workbook.worksheet_range("Mật khẩu một lần")?;
    let cells: HashSet<String> = range.cells().map(|(_, _, c)| c.to_string()).collect();
    for i in &issued {
        assert!(cells.contains(&i.one_time_password) && cells.contains(&i.account.username));
    }
    assert!(cells.contains("Thành phố Thanh Hóa"), "grouped by district");
    Ok(())
}
