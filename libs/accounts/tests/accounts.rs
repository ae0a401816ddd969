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
        .map(|e| e.event)
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
        .map(|e| (e.event, e.actor))
        .collect();
    assert!(
        events.contains(&("account_unlocked".to_string(), "38.stttt".to_string())),
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
         14761,Phạm D,,,hai từ\n\
         14755,Phạm E,,,dup\n\
         14761,Phạm F,,,dup\n",
    )?;
    let err = roster::read(&csv, &registry(), &[])
        .expect_err("refused")
        .to_string();
    for expected in [
        "row 3, column unit_code: unit `38.XYZ` is not in the register",
        "row 4, column full_name: is empty",
        "row 5, column role: `chief`",
        "row 6, column scope: `999`",
        "row 7, column username: `hai từ` must be one word",
        "row 9, column username: `dup` is on row 8 too",
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
    let accounts = roster::read(&csv, &registry, &[])?.create;
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

#[tokio::test]
async fn an_administrator_resets_stops_restores_and_deletes_and_each_is_audited()
-> anyhow::Result<()> {
    use baocao_accounts::{AccountAction, AuditFilter};
    let dir = tempfile::tempdir()?;
    let store = AccountStore::open(&dir.path().join("a.db"), policy()).await?;
    let now = Utc::now();
    let issued = store
        .issue(vec![clerk("u", "14755"), clerk("v", "14761")], now)
        .await?;
    let first = issued[0].one_time_password.clone();
    let LoginOutcome::SignedIn { cookie, .. } = store.login("u", &first, now).await? else {
        anyhow::bail!("signs in");
    };
    // A new one-time password: the old one and the open session end with it.
    let fresh = store
        .administer("u", AccountAction::ResetPassword, "38.stttt", now)
        .await?
        .expect("a reset answers the new password");
    assert_ne!(fresh, first);
    assert!(store.session(&cookie, now).await?.is_none());
    assert!(matches!(
        store.login("u", &first, now).await?,
        LoginOutcome::Refused
    ));
    let LoginOutcome::SignedIn { cookie, session } = store.login("u", &fresh, now).await? else {
        anyhow::bail!("the new one-time password signs in");
    };
    assert!(session.account.must_change_password);
    // Stopped: the right password is refused like a wrong one, the session ends.
    store
        .administer("u", AccountAction::Disable, "38.stttt", now)
        .await?;
    assert!(store.session(&cookie, now).await?.is_none());
    assert!(matches!(
        store.login("u", &fresh, now).await?,
        LoginOutcome::Refused
    ));
    assert!(store.account("u").await?.expect("kept").disabled);
    store
        .administer("u", AccountAction::Enable, "38.stttt", now)
        .await?;
    assert!(matches!(
        store.login("u", &fresh, now).await?,
        LoginOutcome::SignedIn { .. }
    ));
    // Deleted: gone, but its events stay, with its unit.
    store
        .administer("u", AccountAction::Delete, "38.stttt", now)
        .await?;
    assert!(store.account("u").await?.is_none());
    assert!(
        store
            .administer("u", AccountAction::Unlock, "38.stttt", now)
            .await
            .is_err(),
        "no account `u` any more"
    );
    let by_admin = AuditFilter {
        person: "38.stttt".into(),
        ..AuditFilter::default()
    };
    let page = store.audit_page(&by_admin, 0, 10).await?;
    let events: Vec<&str> = page.entries.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(
        events,
        [
            "account_deleted",
            "account_enabled",
            "account_disabled",
            "password_reset"
        ],
        "newest first"
    );
    assert!(page.entries.iter().all(|e| e.unit_code == "14755"));
    assert_eq!(page.entries[0].detail, "Lê Thị Hoa, clerk");
    // The filters: unit, event, an area's units, dates, paging.
    let count = |filter: AuditFilter| {
        let store = store.clone();
        async move {
            store
                .audit_page(&filter, 0, 2)
                .await
                .map(|p| (p.total, p.entries.len()))
        }
    };
    let of_unit = |unit: &str| AuditFilter {
        unit: unit.into(),
        ..AuditFilter::default()
    };
    assert_eq!(count(of_unit("14761")).await?, (0, 0));
    let (total, shown) = count(of_unit("14755")).await?;
    assert!(total > 2 && shown == 2, "{total} {shown}");
    let resets = AuditFilter {
        event: "password_reset".into(),
        ..AuditFilter::default()
    };
    assert_eq!(count(resets).await?, (1, 1));
    let other_area = AuditFilter {
        units: Some(vec!["14761".into()]),
        ..AuditFilter::default()
    };
    assert_eq!(count(other_area).await?.0, 0);
    let tomorrow = AuditFilter {
        from: Some(now + chrono::Duration::days(1)),
        ..AuditFilter::default()
    };
    assert_eq!(count(tomorrow).await?.0, 0);
    Ok(())
}

#[tokio::test]
async fn a_staff_list_imported_again_updates_its_people_instead_of_duplicating()
-> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let store = AccountStore::open(&dir.path().join("a.db"), policy()).await?;
    let registry = registry();
    let list = dir.path().join("staff.csv");
    let import = |text: &'static str| {
        let (store, registry, list) = (store.clone(), &registry, list.clone());
        async move {
            std::fs::write(&list, text)?;
            let plan = roster::read(&list, registry, &store.accounts().await?)?;
            let counts = (plan.create.len(), plan.update.len(), plan.unchanged.len());
            store.apply_staff_plan(plan, "38.stttt", Utc::now()).await?;
            anyhow::Ok(counts)
        }
    };
    let first = "unit_code,full_name,email,phone\n\
        14755,Lê Thị Hoa,hoa@thieu.vn,0912345678\n\
        14755,Trần Văn Nam,,0913000111\n\
        14761,Phạm Thị Lan,lan@dong.vn,\n";
    assert_eq!(import(first).await?, (3, 0, 0));
    // Edited: a new phone, a corrected name (found by phone), an e-mail in capitals,
    // one person added.
    let edited = "unit_code,full_name,email,phone\n\
        14755,Lê Thị Hoa,hoa@thieu.vn,0987654321\n\
        14755,Trần Văn Năm,,+84 913 000 111\n\
        14761,Phạm Thị Lan,LAN@dong.vn,\n\
        14761,Đỗ Văn Hùng,hung@dong.vn,\n";
    assert_eq!(import(edited).await?, (1, 2, 1));
    assert_eq!(
        import(edited).await?,
        (0, 0, 4),
        "the same list again changes nothing"
    );
    let accounts = store.accounts().await?;
    assert_eq!(accounts.len(), 4, "one account per person");
    let hoa = store.account("14755").await?.expect("kept its user name");
    assert_eq!(hoa.person.phone, "0987654321");
    let updates: Vec<String> = store
        .audit_events("14755.2")
        .await?
        .into_iter()
        .filter(|e| e.event == "account_updated")
        .map(|e| e.detail)
        .collect();
    assert_eq!(updates, ["full_name: Trần Văn Nam → Trần Văn Năm"]);
    Ok(())
}
