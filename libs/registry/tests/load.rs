//! Loads the shipped data directory and broken copies of it: every data error must name
//! the file, the line and the reason.

use std::path::{Path, PathBuf};

use baocao_registry::{AdminLevel, Error, RegisterChoice, Registry};

fn shipped_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data")
}

/// The shipped 2023 register (the seeds' campaigns run on it).
fn on_2023() -> RegisterChoice {
    RegisterChoice::Named("2023".to_string())
}

/// A minimal valid data directory: one province, one district, two communes, one school.
fn small_data() -> tempfile::TempDir {
    baocao_fixtures::DataDir::new()
        .admin(&[
            "38,province,Thanh Hóa,Tỉnh Thanh Hóa,tinh,",
            "380,district,Thanh Hóa,Thành phố Thanh Hóa,thanh-pho,38",
            "14758,commune,Hàm Rồng,Phường Hàm Rồng,phuong,380",
            "14761,commune,Đông Thọ,Phường Đông Thọ,phuong,380",
        ])
        .units(
            "38",
            &[
                "38.STTTT,dic,Sở TT&TT,38",
                "14758.TH,school,Trường Tiểu học Hàm Rồng,14758",
            ],
        )
        .campaign("c", &campaign_toml("2023-03-20"))
        .write()
        .expect("a data directory")
}

fn campaign_toml(unit_deadline: &str) -> String {
    format!(
        "id = \"c\"\nname = \"C\"\nprovince = \"38\"\nconsolidating_unit = \"38.STTTT\"\n\
         opens_on = \"2023-01-01\"\nrequired_unit_kinds = [\"people_committee\", \"school\"]\n\
         [[milestones]]\nid = \"levels\"\nname = \"L\"\nmeasure = \"levels_approved\"\n\
         unit_deadline = \"{unit_deadline}\"\nreport_deadline = \"2023-03-22\"\n"
    )
}

fn data_error(dir: &Path) -> (PathBuf, usize, String) {
    match Registry::load(dir) {
        Err(Error::Data { path, line, reason }) => (path, line, reason),
        other => panic!("expected a data error, got {other:?}"),
    }
}

#[test]
fn shipped_register_has_the_2023_counts_and_both_provinces() {
    let registry = Registry::load_register(shipped_data(), &on_2023()).expect("shipped data loads");
    let count = |level| {
        registry
            .units()
            .filter(|u| u.kind == "people_committee" && u.tier == level)
            .count()
    };
    assert_eq!(count(AdminLevel::Province), 63);
    assert_eq!(count(AdminLevel::District), 705);
    assert_eq!(count(AdminLevel::Commune), 10_599);
    let thanh_hoa_districts = registry
        .children("38")
        .iter()
        .filter(|c| c.len() == 3)
        .count();
    assert_eq!(thanh_hoa_districts, 27);

    let dic = registry.unit("38.STTTT").expect("Thanh Hóa DIC");
    assert_eq!(dic.kind, "dic");
    assert!(registry.unit("44.STTTT").is_some(), "Quảng Bình DIC");

    let campaign = registry.campaign("thanh-hoa-2023").expect("campaign");
    let levels = campaign.milestone("levels-approved").expect("milestone");
    assert_eq!(levels.unit_deadline.to_string(), "2023-03-20");
    assert_eq!(levels.report_deadline.to_string(), "2023-03-22");
    let plans = campaign.milestone("plans-implemented").expect("milestone");
    assert_eq!(plans.unit_deadline.to_string(), "2023-09-10");
    assert_eq!(plans.report_deadline.to_string(), "2023-09-20");
    let qb = registry.campaign("quang-binh-2023").expect("campaign");
    assert_eq!(qb.milestones[1].report_deadline.to_string(), "2023-09-30");

    // Expected units are inside the province only.
    let expected: Vec<_> = registry.expected_units(campaign).collect();
    assert!(expected.len() > 2_000, "{} expected units", expected.len());
    assert!(expected.iter().all(|u| registry.is_within(u, "38")));
}

#[test]
fn hierarchy_lookups_follow_the_area_chain() {
    let dir = small_data();
    let registry = Registry::load(dir.path()).expect("loads");
    let school = registry.unit("14758.TH").expect("school");
    assert_eq!(school.tier, AdminLevel::Commune);
    assert_eq!(school.parent_code, "14758");
    assert!(registry.is_within(school, "380"));
    assert!(registry.is_within(school, "38"));
    assert!(!registry.is_within(school, "14761"));
    assert_eq!(
        registry
            .area_at(school, AdminLevel::District)
            .map(|a| a.code.as_str()),
        Some("380")
    );
    assert_eq!(registry.children("14758"), ["14758.TH".to_string()]);
    assert_eq!(registry.children(""), ["38".to_string()]);
    let campaign = registry.campaign("c").expect("campaign");
    let mut expected: Vec<_> = registry
        .expected_units(campaign)
        .map(|u| u.code.as_str())
        .collect();
    expected.sort();
    // Not "38": the report goes to that committee's Chairman.
    assert_eq!(expected, ["14758", "14758.TH", "14761", "380"]);
}

#[test]
fn impossible_date_is_refused_with_file_line_and_reason() {
    let dir = small_data();
    std::fs::write(
        dir.path().join("campaigns/c.toml"),
        campaign_toml("2023-02-30"),
    )
    .expect("write");
    let (path, line, reason) = data_error(dir.path());
    assert!(path.ends_with("campaigns/c.toml"), "{path:?}");
    assert_eq!(line, 11);
    assert!(
        reason.contains("unit_deadline") && reason.contains("2023-02-30"),
        "{reason}"
    );
}

#[test]
fn unknown_parent_is_refused_with_file_line_and_reason() {
    let dir = small_data();
    let register = dir.path().join("admin_units.csv");
    let mut text = std::fs::read_to_string(&register).expect("read");
    text.push_str("99999,commune,Ma,Xã Ma,xa,999\n");
    std::fs::write(&register, text).expect("write");
    let (path, line, reason) = data_error(dir.path());
    assert!(path.ends_with("admin_units.csv"));
    assert_eq!(line, 7);
    assert!(reason.contains("unknown parent code `999`"), "{reason}");
}

#[test]
fn duplicate_codes_are_refused_with_file_line_and_reason() {
    let dir = small_data();
    let register = dir.path().join("admin_units.csv");
    let mut text = std::fs::read_to_string(&register).expect("read");
    text.push_str("14761,commune,Đông Thọ,Phường Đông Thọ,phuong,380\n");
    std::fs::write(&register, text).expect("write");
    let (_, line, reason) = data_error(dir.path());
    assert_eq!(line, 7);
    assert!(
        reason.contains("duplicate code `14761` (first on line 6)"),
        "{reason}"
    );

    let dir = small_data();
    std::fs::write(
        dir.path().join("units/38.csv"),
        "code,kind,name,area_code\n38.STTTT,dic,A,38\n38.STTTT,dic,B,38\n",
    )
    .expect("write");
    let (path, line, reason) = data_error(dir.path());
    assert!(path.ends_with("units/38.csv"));
    assert_eq!(line, 3);
    assert!(
        reason.contains("duplicate unit code `38.STTTT`"),
        "{reason}"
    );
}

#[test]
fn unknown_area_kind_and_campaign_references_are_refused() {
    let dir = small_data();
    std::fs::write(
        dir.path().join("units/38.csv"),
        "code,kind,name,area_code\n38.X,dic,X,77\n",
    )
    .expect("write");
    let (_, line, reason) = data_error(dir.path());
    assert_eq!((line, reason.as_str()), (2, "unknown area_code `77`"));

    let dir = small_data();
    std::fs::write(
        dir.path().join("units/38.csv"),
        "code,kind,name,area_code\n38.X,wizard,X,38\n",
    )
    .expect("write");
    let (_, _, reason) = data_error(dir.path());
    assert!(reason.contains("unknown kind `wizard`"), "{reason}");

    let dir = small_data();
    let text = campaign_toml("2023-03-20").replace("\"school\"", "\"wizards\"");
    std::fs::write(dir.path().join("campaigns/c.toml"), text).expect("write");
    let (_, line, reason) = data_error(dir.path());
    assert_eq!((line, reason.as_str()), (6, "unknown unit kind `wizards`"));
}

#[test]
fn milestone_windows_default_to_the_day_after_the_previous_deadline() {
    let dir = small_data();
    let second = "[[milestones]]\nid = \"plans\"\nname = \"P\"\nmeasure = \"plans_implemented\"\n\
                  unit_deadline = \"2023-09-10\"\nreport_deadline = \"2023-09-20\"\n";
    std::fs::write(
        dir.path().join("campaigns/c.toml"),
        format!("{}{second}", campaign_toml("2023-03-20")),
    )
    .expect("write");
    let registry = Registry::load(dir.path()).expect("loads");
    let campaign = registry.campaign("c").expect("campaign");
    let opens: Vec<String> = campaign
        .milestones
        .iter()
        .map(|m| m.opens_on.to_string())
        .collect();
    assert_eq!(opens, ["2023-01-01", "2023-03-21"]);

    // An explicit window after the unit deadline is refused, naming the line.
    let late = second.replace("unit_deadline", "opens_on = \"2023-09-11\"\nunit_deadline");
    std::fs::write(
        dir.path().join("campaigns/c.toml"),
        format!("{}{late}", campaign_toml("2023-03-20")),
    )
    .expect("write");
    let (_, line, reason) = data_error(dir.path());
    // Line 17 of the file: `opens_on = "2023-09-11"` of the second milestone.
    assert_eq!(line, 17);
    assert!(
        reason.contains("plans") && reason.contains("2023-09-11"),
        "{reason}"
    );
}

#[test]
fn peoples_committees_are_named_as_vietnamese_writes_them() {
    let registry = Registry::load_register(shipped_data(), &on_2023()).expect("shipped data loads");
    let name = |code: &str| registry.unit(code).map(|u| u.name.clone());
    assert_eq!(name("38").as_deref(), Some("UBND tỉnh Thanh Hóa"));
    assert_eq!(name("380").as_deref(), Some("UBND thành phố Thanh Hóa"));
    assert_eq!(name("381").as_deref(), Some("UBND thị xã Bỉm Sơn"));
    assert_eq!(name("14755").as_deref(), Some("UBND phường Hàm Rồng"));
}

#[test]
fn campaigns_outside_the_registers_period_are_warned_about() {
    let dir = small_data();
    let loaded = Registry::load(dir.path()).expect("loads");
    assert!(loaded.register().is_none());
    assert!(
        loaded.register_warnings().is_empty(),
        "no period, no warning"
    );

    std::fs::write(
        dir.path().join("register.toml"),
        "name = \"Danh mục 2023\"\nvalid_from = \"2023-01-01\"\nvalid_until = \"2023-03-21\"\n",
    )
    .expect("write");
    let loaded = Registry::load(dir.path()).expect("loads");
    let warnings = loaded.register_warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("campaign c runs 2023-01-01 → 2023-03-22")
            && warnings[0].contains("Danh mục 2023")
            && warnings[0].contains("2023-03-21"),
        "{}",
        warnings[0]
    );

    std::fs::write(
        dir.path().join("register.toml"),
        "name = \"Danh mục 2023\"\nvalid_from = \"2023-02-01\"\n",
    )
    .expect("write");
    let warnings = Registry::load(dir.path())
        .expect("loads")
        .register_warnings();
    assert!(
        warnings.len() == 1 && warnings[0].contains("only from 2023-02-01"),
        "{warnings:?}"
    );

    std::fs::write(
        dir.path().join("register.toml"),
        "name = \"Danh mục 2023\"\nvalid_until = \"2025-06-30\"\n",
    )
    .expect("write");
    assert!(
        Registry::load(dir.path())
            .expect("loads")
            .register_warnings()
            .is_empty()
    );
}

#[test]
fn a_bad_register_period_is_refused_with_file_line_and_reason() {
    let dir = small_data();
    std::fs::write(
        dir.path().join("register.toml"),
        "name = \"Danh mục 2023\"\n\nvalid_until = \"2025-06-31\"\n",
    )
    .expect("write");
    let (path, line, reason) = data_error(dir.path());
    assert!(path.ends_with("register.toml"), "{path:?}");
    assert_eq!(line, 3);
    assert!(reason.contains("2025-06-31"), "{reason}");
}

/// Contacts are optional columns of a units file; a `people_committee` row gives the
/// People's Committee the register implies its contact; a bad phone or e-mail is refused
/// at its line.
#[test]
fn contacts_come_from_the_units_files() {
    let dir = small_data();
    let units = dir.path().join("units/38.csv");
    std::fs::write(
        &units,
        "code,kind,name,area_code,person,position,phone,email\n\
         38.STTTT,dic,Sở TT&TT,38,,,,\n\
         14758.TH,school,Trường Tiểu học Hàm Rồng,14758,Lê Thị Hoa,Hiệu trưởng,0912 345 678,hoa@th-hamrong.example\n\
         14761,people_committee,,14761,Trần Văn Nam,Văn phòng - Thống kê,(0237) 385.2222,vp@dongtho.example\n",
    )
    .expect("write");
    let registry = Registry::load(dir.path()).expect("loads");
    let school = registry.unit("14758.TH").expect("school");
    assert_eq!(school.contact.person, "Lê Thị Hoa");
    assert_eq!(school.contact.phone, "0912 345 678");
    let committee = registry.unit("14761").expect("committee");
    assert_eq!(
        committee.name, "UBND phường Đông Thọ",
        "name kept when empty"
    );
    assert_eq!(committee.contact.email, "vp@dongtho.example");
    assert!(registry.unit("38.STTTT").expect("dic").contact.is_empty());
    assert_eq!(registry.unit_count(), 6, "the committee row added no unit");

    // The four columns may be left out altogether (the original format).
    let dir = small_data();
    let registry = Registry::load(dir.path()).expect("loads");
    assert!(
        registry
            .unit("14758.TH")
            .expect("school")
            .contact
            .is_empty()
    );

    let refused = [
        (
            "14758.TH,school,T,14758,A,B,12345,\n",
            "phone `12345`: expected 8 to 15 digits",
        ),
        (
            "14758.TH,school,T,14758,A,B,,a@b\n",
            "email `a@b`: expected one address",
        ),
        (
            "14758.TH,school,T,14758,A,B,,a@b.vn; c@d.vn\n",
            "email `a@b.vn; c@d.vn`",
        ),
        (
            "14758.X,people_committee,,14758,,,,\n",
            "code `14758.X` must equal area_code `14758`",
        ),
    ];
    for (row, expected) in refused {
        let dir = small_data();
        std::fs::write(
            dir.path().join("units/38.csv"),
            format!(
                "code,kind,name,area_code,person,position,phone,email\n38.STTTT,dic,S,38,,,,\n{row}"
            ),
        )
        .expect("write");
        let (path, line, reason) = data_error(dir.path());
        assert!(path.ends_with("units/38.csv"));
        assert_eq!(line, 3, "{reason}");
        assert!(reason.contains(expected), "{reason}");
    }
}

/// The report's letterhead comes from the register unless the campaign's `[document]`
/// table says otherwise; an unknown key or an empty required element is refused.
#[test]
fn the_document_elements_default_from_the_register_and_follow_the_campaign() {
    let registry = Registry::load_register(shipped_data(), &on_2023()).expect("shipped");
    let document = &registry
        .campaign("thanh-hoa-2023")
        .expect("campaign")
        .document;
    assert_eq!(document.parent_body, "UBND TỈNH THANH HÓA");
    assert_eq!(document.issuing_body, "SỞ THÔNG TIN VÀ TRUYỀN THÔNG");
    assert_eq!(document.issuer_name, "Sở Thông tin và Truyền thông");
    assert_eq!(document.symbol, "BC-STTTT");
    assert_eq!(document.place, "Thanh Hóa");
    assert_eq!(
        document.recipients,
        ["Chủ tịch Ủy ban nhân dân tỉnh Thanh Hóa"]
    );
    assert_eq!(document.copies_to, ["Như trên", "Lưu: VT, STTTT"]);

    let dir = small_data();
    let text = format!(
        "{}[document]\nissuing_body = \"SỞ KHOA HỌC VÀ CÔNG NGHỆ\"\nsymbol = \"BC-SKHCN\"\n\
         signer_deputy_title = \"PHÓ GIÁM ĐỐC\"\nsigner_name = \"Nguyễn Văn A\"\n",
        campaign_toml("2023-03-20")
    );
    std::fs::write(dir.path().join("campaigns/c.toml"), text).expect("write");
    let registry = Registry::load(dir.path()).expect("loads");
    let document = &registry.campaign("c").expect("campaign").document;
    assert_eq!(document.issuing_body, "SỞ KHOA HỌC VÀ CÔNG NGHỆ");
    assert_eq!(document.symbol, "BC-SKHCN");
    assert_eq!(document.signer_title, "GIÁM ĐỐC");
    assert_eq!(document.signer_deputy_title, "PHÓ GIÁM ĐỐC");
    for (table, expected) in [
        ("signer = \"x\"\n", "unknown field `signer`"),
        (
            "signer_title = \" \"\n",
            "document.signer_title must not be empty",
        ),
        ("recipients = []\n", "document.recipients must name"),
    ] {
        let dir = small_data();
        let text = format!("{}[document]\n{table}", campaign_toml("2023-03-20"));
        std::fs::write(dir.path().join("campaigns/c.toml"), text).expect("write");
        let (_, line, reason) = data_error(dir.path());
        assert!(reason.contains(expected), "{reason}");
        assert!(line >= 11, "line {line}: {reason}");
    }
}

#[test]
fn the_count_setting_is_read_and_an_unknown_one_refused_at_its_line() {
    let dir = small_data();
    let with_count = |count: &str| {
        campaign_toml("2023-03-20").replacen(
            "required_unit_kinds",
            &format!("count = \"{count}\"\nrequired_unit_kinds"),
            1,
        )
    };
    let file = dir.path().join("campaigns/c.toml");
    std::fs::write(&file, campaign_toml("2023-03-20")).expect("write");
    let registry = Registry::load(dir.path()).expect("loads");
    assert_eq!(
        registry.campaign("c").expect("c").count,
        baocao_registry::CountBasis::Received,
        "received by default"
    );
    std::fs::write(&file, with_count("approved")).expect("write");
    let registry = Registry::load(dir.path()).expect("loads");
    assert_eq!(
        registry.campaign("c").expect("c").count,
        baocao_registry::CountBasis::Approved
    );
    std::fs::write(&file, with_count("reviewed")).expect("write");
    let (path, line, reason) = data_error(dir.path());
    assert!(path.ends_with("campaigns/c.toml"), "{path:?}");
    assert_eq!(line, 6);
    assert!(
        reason.contains("reviewed") && reason.contains("received") && reason.contains("approved"),
        "{reason}"
    );
}

/// Names the published lists wrote with double spaces read with single ones, so a
/// document never prints `Xã  Hoàng Văn Thụ`.
#[test]
fn names_are_single_spaced() {
    let registry = Registry::load_register(shipped_data(), &on_2023()).expect("shipped");
    let commune = registry.admin_unit("06178").expect("Xã Hoàng Văn Thụ");
    assert_eq!(commune.name_with_type, "Xã Hoàng Văn Thụ");
    let doubled = registry
        .units()
        .map(|u| u.name.as_str())
        .chain(
            ["04138", "859"]
                .iter()
                .filter_map(|c| registry.admin_unit(c))
                .map(|a| a.name_with_type.as_str()),
        )
        .find(|name| name.contains("  "));
    assert_eq!(doubled, None);
}

/// `compare_with` names the campaign a report compares with; its own id or an empty one
/// is refused at its line.
#[test]
fn compare_with_is_read_and_the_campaigns_own_id_refused_at_its_line() {
    let dir = small_data();
    let file = dir.path().join("campaigns/c.toml");
    let with = |earlier: &str| {
        campaign_toml("2023-03-20").replacen(
            "required_unit_kinds",
            &format!("compare_with = \"{earlier}\"\nrequired_unit_kinds"),
            1,
        )
    };
    std::fs::write(&file, with("c-2022")).expect("write");
    let registry = Registry::load(dir.path()).expect("loads");
    assert_eq!(
        registry.campaign("c").expect("c").compare_with.as_deref(),
        Some("c-2022")
    );
    for refused in ["c", ""] {
        std::fs::write(&file, with(refused)).expect("write");
        let (path, line, reason) = data_error(dir.path());
        assert!(path.ends_with("campaigns/c.toml"), "{path:?}");
        assert_eq!(line, 6);
        assert!(reason.contains("compare_with"), "{reason}");
    }
}
