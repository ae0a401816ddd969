//! "Quản lý tài khoản": the department administers the accounts of its province (an
//! office those of its own unit): finds a person among thousands, issues a new one-time
//! password, ends sign-in waits, stops, restores or deletes an account, each confirmed
//! first when it takes something away and written to the audit log ([`audit`]) with who
//! did it.

pub mod audit;
mod pager;

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use baocao_accounts::strength::skeleton;
use baocao_accounts::{Account, AccountAction, Role, Session};
use baocao_errors::Chain;
use baocao_registry::Registry;
use chrono::Utc;

use crate::auth::{PostedForm, SignedIn, user_bar};
use crate::pages::{self, UserBar};
use crate::state::AppState;
pub use pager::{Pager, link_with};

/// Accounts shown per page.
const PAGE_SIZE: usize = 50;

/// Whose accounts a person administers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reach {
    /// Every account (a provincial officer whose scope is the whole register).
    All,
    /// Accounts of the units within this administrative area (a provincial officer).
    Area(String),
    /// Accounts of this unit (an office's own staff).
    Unit(String),
}

impl Reach {
    /// What a person may administer, if anything: the department its scope, an office
    /// its own unit; clerks and analysts nothing.
    pub fn of(session: &Session) -> Option<Reach> {
        let person = &session.account.person;
        match person.role {
            Role::Province if person.scope.is_empty() => Some(Reach::All),
            Role::Province => Some(Reach::Area(person.scope.clone())),
            Role::DistrictOffice => Some(Reach::Unit(person.unit_code.clone())),
            Role::Clerk | Role::Analyst => None,
        }
    }

    /// Whether `account`'s unit is within reach (never one's own account: that is the
    /// password page's, and nobody stops or deletes themselves).
    pub fn covers(&self, registry: &Registry, account: &Account, me: &str) -> bool {
        let unit = &account.person.unit_code;
        account.person.username != me
            && match self {
                Reach::All => true,
                Reach::Area(area) => registry
                    .unit(unit)
                    .is_some_and(|u| registry.is_within(u, area)),
                Reach::Unit(code) => {
                    unit == code
                        && matches!(account.person.role, Role::Clerk | Role::DistrictOffice)
                }
            }
    }

    /// The units whose audit events the person reads; `None`: all.
    pub fn units(&self, registry: &Registry) -> Option<Vec<String>> {
        match self {
            Reach::All => None,
            Reach::Area(area) => Some(
                registry
                    .units()
                    .filter(|u| registry.is_within(u, area))
                    .map(|u| u.code.clone())
                    .collect(),
            ),
            Reach::Unit(code) => Some(vec![code.clone()]),
        }
    }
}

/// The person's reach, or the page refusing them.
fn reach_or_refuse(state: &AppState, session: &Session) -> Result<Reach, Box<Response>> {
    Reach::of(session).ok_or_else(|| {
        Box::new(pages::message(
            StatusCode::FORBIDDEN,
            Some(user_bar(state, session)),
            "Không có quyền",
            "Chỉ Sở (cán bộ cấp tỉnh) và cơ quan theo dõi địa bàn quản lý tài khoản.",
        ))
    })
}

/// An account's state as the list says it.
fn state_of(account: &Account) -> &'static str {
    if account.disabled {
        "Ngừng sử dụng"
    } else if account.failed_logins > 0 {
        "Nhập sai mật khẩu"
    } else if account.must_change_password {
        "Chưa đổi mật khẩu lần đầu"
    } else {
        "Đang sử dụng"
    }
}

/// The filter of the state select: (code, label).
const STATES: [(&str, &str); 5] = [
    ("", "Tất cả"),
    ("active", "Đang sử dụng"),
    ("first", "Chưa đổi mật khẩu lần đầu"),
    ("wrong", "Nhập sai mật khẩu"),
    ("disabled", "Ngừng sử dụng"),
];

fn in_state(account: &Account, state: &str) -> bool {
    match state {
        "active" => !account.disabled,
        "first" => !account.disabled && account.must_change_password,
        "wrong" => account.failed_logins > 0,
        "disabled" => account.disabled,
        _ => true,
    }
}

/// One account's row.
pub struct AccountRow {
    pub username: String,
    pub full_name: String,
    pub unit: String,
    pub place: String,
    pub role: &'static str,
    pub state: &'static str,
    pub last_login: String,
    pub contact: String,
    /// (code, label) of the actions offered.
    pub actions: Vec<(&'static str, &'static str)>,
}

fn row_of(registry: &Registry, account: &Account) -> AccountRow {
    let p = &account.person;
    let unit = registry.unit(&p.unit_code);
    let actions = AccountAction::ALL
        .into_iter()
        .filter(|a| match a {
            AccountAction::Unlock => account.failed_logins > 0,
            AccountAction::Disable => !account.disabled,
            AccountAction::Enable => account.disabled,
            AccountAction::ResetPassword | AccountAction::Delete => true,
        })
        .map(|a| (a.as_str(), a.label()))
        .collect();
    AccountRow {
        username: p.username.clone(),
        full_name: p.full_name.clone(),
        unit: unit.map_or_else(|| p.unit_code.clone(), |u| u.name.clone()),
        place: unit
            .and_then(|u| registry.admin_unit(&u.area_code))
            .map_or_else(String::new, |a| a.name_with_type.clone()),
        role: p.role.label(),
        state: state_of(account),
        last_login: account
            .last_login
            .map_or_else(|| "Chưa".into(), pages::vn_time),
        contact: [p.email.as_str(), p.phone.as_str()]
            .into_iter()
            .filter(|c| !c.is_empty())
            .collect::<Vec<_>>()
            .join(" · "),
        actions,
    }
}

/// What a search matches: names, codes, contacts and the unit's name, folded.
fn haystack(registry: &Registry, account: &Account) -> String {
    let p = &account.person;
    let unit = registry.unit(&p.unit_code).map_or("", |u| u.name.as_str());
    skeleton(&format!(
        "{} {} {} {} {} {}",
        p.username, p.full_name, p.unit_code, unit, p.email, p.phone
    ))
}

#[derive(Template)]
#[template(path = "accounts.html")]
pub struct AccountsPage {
    pub user: UserBar,
    pub reach: String,
    pub q: String,
    pub state: String,
    pub states: Vec<(&'static str, &'static str)>,
    pub rows: Vec<AccountRow>,
    pub total: usize,
    pub pager: Pager,
    pub notice: String,
    pub audit: bool,
}

/// How the page names the reach.
fn reach_text(registry: &Registry, reach: &Reach) -> String {
    match reach {
        Reach::All => "Tất cả tài khoản".into(),
        Reach::Area(code) => registry.admin_unit(code).map_or_else(
            || format!("Tài khoản của địa bàn {code}"),
            |a| format!("Tài khoản của các đơn vị thuộc {}", a.name_with_type),
        ),
        Reach::Unit(code) => registry.unit(code).map_or_else(
            || format!("Tài khoản của đơn vị {code}"),
            |u| format!("Tài khoản của cán bộ {}", u.name),
        ),
    }
}

/// The notice after an action (`?done=disable&user=x`).
fn notice_of(query: &HashMap<String, String>) -> String {
    let action = query.get("done").and_then(|d| AccountAction::parse(d));
    match (action, query.get("user")) {
        (Some(action), Some(user)) => format!("{}: {user}.", action.done()),
        _ => String::new(),
    }
}

/// `GET /accounts?q=&state=&page=`: the accounts within reach, searched and paged.
pub async fn page(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let reach = match reach_or_refuse(&state, &session) {
        Ok(reach) => reach,
        Err(answer) => return *answer,
    };
    let accounts = match state.accounts().accounts().await {
        Ok(accounts) => accounts,
        Err(err) => return broken(&state, &session, &err),
    };
    let registry = state.core().registry();
    let me = &session.account.person.username;
    let q = query.get("q").map_or("", |q| q.trim()).to_string();
    let wanted = skeleton(&q);
    let filter = query.get("state").cloned().unwrap_or_default();
    let mut matching: Vec<&Account> = accounts
        .iter()
        .filter(|a| reach.covers(&registry, a, me))
        .filter(|a| in_state(a, &filter))
        .filter(|a| wanted.is_empty() || haystack(&registry, a).contains(&wanted))
        .collect();
    matching.sort_by(|a, b| {
        (&a.person.unit_code, &a.person.username).cmp(&(&b.person.unit_code, &b.person.username))
    });
    let pager = Pager::new(&query, matching.len(), PAGE_SIZE, "/accounts");
    let rows = matching[pager.range()]
        .iter()
        .map(|a| row_of(&registry, a))
        .collect();
    let page = AccountsPage {
        user: user_bar(&state, &session),
        reach: reach_text(&registry, &reach),
        q,
        state: filter,
        states: STATES.to_vec(),
        rows,
        total: matching.len(),
        pager,
        notice: notice_of(&query),
        audit: session.account.person.role == Role::Province,
    };
    pages::render(StatusCode::OK, &page)
}

fn broken(state: &AppState, session: &Session, err: &baocao_accounts::Error) -> Response {
    tracing::error!(error = %Chain(err), "portal: reading the accounts failed");
    pages::message(
        StatusCode::INTERNAL_SERVER_ERROR,
        Some(user_bar(state, session)),
        "Lỗi hệ thống",
        "Không đọc được danh sách tài khoản. Hãy thử lại sau ít phút.",
    )
}

#[derive(Template)]
#[template(path = "account_confirm.html")]
pub struct ConfirmPage {
    pub user: UserBar,
    pub row: AccountRow,
    pub action: &'static str,
    pub label: &'static str,
    pub consequence: &'static str,
}

#[derive(Template)]
#[template(path = "account_password.html")]
pub struct PasswordIssuedPage {
    pub user: UserBar,
    pub row: AccountRow,
    pub one_time_password: String,
}

/// What an action that takes something away will do, said before it is confirmed.
fn consequence(action: AccountAction) -> &'static str {
    match action {
        AccountAction::ResetPassword => {
            "Mật khẩu hiện tại sẽ không dùng được nữa và các phiên đăng nhập đang mở sẽ kết thúc. Hệ thống cấp một mật khẩu dùng một lần mới để bạn trao cho người dùng; người dùng phải đổi mật khẩu ở lần đăng nhập đầu tiên."
        }
        AccountAction::Disable => {
            "Người dùng sẽ không đăng nhập được và các phiên đăng nhập đang mở sẽ kết thúc. Có thể cho sử dụng lại bất cứ lúc nào."
        }
        AccountAction::Delete => {
            "Tài khoản sẽ bị xóa hẳn và không khôi phục được; nhật ký hoạt động của tài khoản vẫn được giữ. Nếu người dùng chỉ tạm nghỉ, hãy chọn Ngừng sử dụng."
        }
        AccountAction::Unlock | AccountAction::Enable => "",
    }
}

/// `POST /accounts`: an action on one account (confirmed first when it takes something
/// away); a new one-time password is shown once.
pub async fn act(State(state): State<AppState>, form: PostedForm) -> Response {
    let session = &form.session;
    let reach = match reach_or_refuse(&state, session) {
        Ok(reach) => reach,
        Err(answer) => return *answer,
    };
    let registry = state.core().registry();
    let username = form.field("username").trim().to_lowercase();
    let target = match state.accounts().account(&username).await {
        Ok(Some(account))
            if reach.covers(&registry, &account, &session.account.person.username) =>
        {
            account
        }
        Ok(_) => return not_within_reach(&state, session),
        Err(err) => return broken(&state, session, &err),
    };
    let Some(action) = AccountAction::parse(form.field("action")) else {
        return pages::message(
            StatusCode::BAD_REQUEST,
            Some(user_bar(&state, session)),
            "Thao tác không hợp lệ",
            "Trường action phải là một thao tác trong danh sách. Hãy quay lại trang Quản lý tài khoản.",
        );
    };
    let row = row_of(&registry, &target);
    if action.needs_confirmation() && form.field("confirmed") != "yes" {
        let page = ConfirmPage {
            user: user_bar(&state, session),
            row,
            action: action.as_str(),
            label: action.label(),
            consequence: consequence(action),
        };
        return pages::render(StatusCode::OK, &page);
    }
    let by = &session.account.person.username;
    match state
        .accounts()
        .administer(&username, action, by, Utc::now())
        .await
    {
        Ok(Some(one_time_password)) => pages::render(
            StatusCode::OK,
            &PasswordIssuedPage {
                user: user_bar(&state, session),
                row,
                one_time_password,
            },
        ),
        Ok(None) => {
            let to = format!(
                "/accounts?done={}&user={}",
                action.as_str(),
                url::form_urlencoded::byte_serialize(username.as_bytes()).collect::<String>()
            );
            Redirect::to(&to).into_response()
        }
        Err(err) => broken(&state, session, &err),
    }
}

fn not_within_reach(state: &AppState, session: &Session) -> Response {
    pages::message(
        StatusCode::NOT_FOUND,
        Some(user_bar(state, session)),
        "Không tìm thấy tài khoản",
        "Tài khoản này không có, đã bị xóa, hoặc không thuộc phạm vi bạn quản lý.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use baocao_accounts::Person;

    fn account(username: &str, unit: &str, role: Role, scope: &str) -> Account {
        Account {
            person: Person {
                username: username.into(),
                full_name: format!("Cán bộ {unit}"),
                unit_code: unit.into(),
                role,
                scope: scope.into(),
                email: String::new(),
                phone: String::new(),
            },
            must_change_password: false,
            disabled: false,
            failed_logins: 0,
            last_login: None,
        }
    }

    fn session(account: Account) -> Session {
        Session {
            account,
            csrf_token: String::new(),
            expires_at: Utc::now(),
        }
    }

    /// The department administers its province's accounts (not another province's,
    /// never its own); an office its own unit's staff; a clerk nobody.
    #[test]
    fn each_reaches_only_its_own_people() {
        let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data");
        let registry = Registry::load_register(
            data,
            &baocao_registry::RegisterChoice::Named("2023".to_string()),
        )
        .unwrap_or_else(|err| panic!("the shipped 2023 register: {err}"));
        let dic = account("38.stttt", "38.STTTT", Role::Province, "38");
        let office = account("380.pvhtt", "380.PVHTT", Role::DistrictOffice, "380");
        let colleague = account("380.pvhtt.2", "380.PVHTT", Role::DistrictOffice, "380");
        let clerk = account("14755", "14755", Role::Clerk, "14755");
        let elsewhere = account("44.stttt", "44.STTTT", Role::Province, "44");
        let department = Reach::of(&session(dic.clone())).unwrap_or(Reach::Unit(String::new()));
        assert_eq!(department, Reach::Area("38".into()));
        for (target, expected) in [
            (&clerk, true),
            (&office, true),
            (&elsewhere, false),
            (&dic, false),
        ] {
            assert_eq!(
                department.covers(&registry, target, "38.stttt"),
                expected,
                "{}",
                target.person.username
            );
        }
        let own = Reach::of(&session(office)).unwrap_or(Reach::All);
        assert!(own.covers(&registry, &colleague, "380.pvhtt"));
        assert!(!own.covers(&registry, &clerk, "380.pvhtt"));
        assert_eq!(own.units(&registry), Some(vec!["380.PVHTT".to_string()]));
        assert!(Reach::of(&session(clerk)).is_none());
        let area_units = department.units(&registry).unwrap_or_default();
        assert!(area_units.contains(&"14755".to_string()));
        assert!(!area_units.contains(&"44.STTTT".to_string()));
    }
}
