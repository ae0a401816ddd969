//! Registers as dated versions and the map between them: the shipped 2023 and 2025
//! registers, which one each campaign runs on, the refusals, and the 2023 units placed on
//! the 2025 map.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use baocao_registry::{AdminLevel, AreaMap, Error, RegisterChoice, Registry};

fn shipped_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data")
}

fn named(id: &str) -> RegisterChoice {
    RegisterChoice::Named(id.to_string())
}

fn committees(registry: &Registry, level: AdminLevel) -> usize {
    registry
        .units()
        .filter(|u| u.kind == "people_committee" && u.tier == level)
        .count()
}

#[test]
fn the_shipped_registers_have_their_counts_and_campaigns() {
    let old = Registry::load_register(shipped_data(), &named("2023")).expect("2023 loads");
    assert_eq!(committees(&old, AdminLevel::Province), 63);
    assert_eq!(committees(&old, AdminLevel::District), 705);
    assert_eq!(committees(&old, AdminLevel::Commune), 10_599);
    assert!(old.campaign("thanh-hoa-2023").is_some());
    assert_eq!(old.campaign_elsewhere("thanh-hoa-2026"), Some("2025"));

    let new = Registry::load_register(shipped_data(), &named("2025")).expect("2025 loads");
    assert_eq!(new.register_id(), Some("2025"));
    assert_eq!(committees(&new, AdminLevel::Province), 34);
    assert_eq!(committees(&new, AdminLevel::District), 0);
    assert_eq!(committees(&new, AdminLevel::Commune), 3_321);
    assert_eq!(new.tiers(), vec![AdminLevel::Province, AdminLevel::Commune]);
    let campaign = new.campaign("thanh-hoa-2026").expect("the 2026 campaign");
    assert_eq!(campaign.register, "2025");
    assert_eq!(
        new.unit(&campaign.consolidating_unit)
            .map(|u| u.kind.as_str()),
        Some("dic")
    );
    assert_eq!(
        new.kind("dic").map(|k| k.name.as_str()),
        Some("Sở Khoa học và Công nghệ")
    );
    assert!(
        new.kind("district_office").is_none(),
        "no district offices on the 2025 map"
    );
    let communes = new
        .admin_unit("38")
        .map(|_| {
            new.units()
                .filter(|u| u.kind == "people_committee" && u.parent_code == "38")
                .count()
        })
        .unwrap_or_default();
    assert_eq!(communes, 166, "Thanh Hóa's communes in 2025");
    assert_eq!(
        new.admin_unit("44").map(|a| a.name.as_str()),
        Some("Quảng Trị")
    );

    // Without a choice, a server takes the register in force today (2026: the 2025 one);
    // a campaign's commands take its own.
    let today = Registry::load(shipped_data()).expect("loads");
    assert_eq!(today.register_id(), Some("2025"));
    let of_campaign = Registry::load_register(
        shipped_data(),
        &RegisterChoice::OfCampaign("thanh-hoa-2023".to_string()),
    )
    .expect("loads");
    assert_eq!(of_campaign.register_id(), Some("2023"));
}

/// A data directory with dated registers `a` (until 2025-06-30) and `b` (from
/// 2025-07-01), each of one province, and the campaign `campaign`.
fn two_registers(campaign: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    for (id, period) in [
        ("a", "valid_until = \"2025-06-30\""),
        ("b", "valid_from = \"2025-07-01\""),
    ] {
        let register = p.join("registers").join(id);
        std::fs::create_dir_all(register.join("units")).expect("mkdir");
        std::fs::write(
            register.join("register.toml"),
            format!("name = \"{id}\"\n{period}\n"),
        )
        .expect("write");
        std::fs::write(
            register.join("admin_units.csv"),
            "code,level,name,name_with_type,type,parent_code\n38,province,Thanh Hóa,Tỉnh Thanh Hóa,tinh,\n",
        )
        .expect("write");
        std::fs::write(
            register.join("units/38.csv"),
            "code,kind,name,area_code\n38.S,dic,Sở,38\n",
        )
        .expect("write");
    }
    std::fs::copy(
        shipped_data().join("unit_kinds.toml"),
        p.join("unit_kinds.toml"),
    )
    .expect("copy");
    std::fs::create_dir_all(p.join("campaigns")).expect("mkdir");
    std::fs::write(p.join("campaigns/c.toml"), campaign).expect("write");
    dir
}

fn campaign(extra: &str, opens: &str, closes: &str) -> String {
    format!(
        "id = \"c\"\nname = \"C\"\nprovince = \"38\"\nconsolidating_unit = \"38.S\"\n{extra}\
         opens_on = \"{opens}\"\ncloses_on = \"{closes}\"\nrequired_unit_kinds = [\"dic\"]\n"
    )
}

fn refusal(dir: &Path) -> (PathBuf, usize, String) {
    match Registry::load_register(dir, &named("b")) {
        Err(Error::Data { path, line, reason }) => (path, line, reason),
        other => panic!("expected a data error, got {other:?}"),
    }
}

#[test]
fn a_campaign_takes_the_register_in_force_on_its_first_day() {
    let dir = two_registers(&campaign("", "2026-01-01", "2026-12-31"));
    let registry = Registry::load_register(dir.path(), &named("b")).expect("loads");
    assert_eq!(
        registry.campaign("c").map(|c| c.register.as_str()),
        Some("b")
    );
    let other = Registry::load_register(dir.path(), &named("a")).expect("loads");
    assert!(other.campaign("c").is_none());
    assert_eq!(other.campaign_elsewhere("c"), Some("b"));
}

#[test]
fn a_campaign_outside_its_registers_dates_is_refused_at_its_line() {
    // Named register a (until 2025-06-30), but the campaign runs in 2026.
    let dir = two_registers(&campaign("register = \"a\"\n", "2026-01-01", "2026-12-31"));
    let (path, line, reason) = refusal(dir.path());
    assert!(path.ends_with("campaigns/c.toml"), "{path:?}");
    assert_eq!(line, 5, "the register line");
    assert!(
        reason.contains("register a") && reason.contains("replaced after 2025-06-30"),
        "{reason}"
    );

    // On no register's dates: opens under a, ends under b.
    let dir = two_registers(&campaign("", "2025-03-01", "2025-09-30"));
    let (_, _, reason) = refusal(dir.path());
    assert!(
        reason.contains("register a") && reason.contains("2025-09-30"),
        "{reason}"
    );

    // An unknown register.
    let dir = two_registers(&campaign(
        "register = \"2030\"\n",
        "2026-01-01",
        "2026-12-31",
    ));
    let (_, line, reason) = refusal(dir.path());
    assert_eq!(line, 5);
    assert!(
        reason.contains("unknown register `2030`") && reason.contains("a, b"),
        "{reason}"
    );
}

#[test]
fn an_unknown_register_or_campaign_choice_is_refused_by_name() {
    let dir = two_registers(&campaign("", "2026-01-01", "2026-12-31"));
    for (choice, expected) in [
        (named("z"), "no such register `z`"),
        (
            RegisterChoice::OfCampaign("nope".to_string()),
            "unknown campaign `nope`",
        ),
    ] {
        match Registry::load_register(dir.path(), &choice) {
            Err(Error::Choice(reason)) => assert!(reason.contains(expected), "{reason}"),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
}

fn map_rows(file: &str) -> Vec<HashMap<String, String>> {
    let text = std::fs::read_to_string(shipped_data().join("maps/2023-2025").join(file))
        .expect("map file");
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    reader
        .deserialize()
        .map(|row| row.expect("a row"))
        .collect()
}

#[test]
fn every_2023_area_is_mapped_or_reported_and_the_seeds_provinces_are_all_mapped() {
    let old = Registry::load_register(shipped_data(), &named("2023")).expect("2023 loads");
    let new = Registry::load_register(shipped_data(), &named("2025")).expect("2025 loads");
    let map = AreaMap::load(&shipped_data(), "2023", "2025").expect("the map loads");
    let unmapped = map_rows("unmapped.csv");
    let unmapped_codes: HashSet<&str> = unmapped.iter().map(|r| r["from_code"].as_str()).collect();
    for area in old.units().filter(|u| u.kind == "people_committee") {
        match map.area(&area.code) {
            Some(mapped) => assert!(
                new.admin_unit(&mapped.to_code).is_some(),
                "{} → {} is not a 2025 area",
                area.code,
                mapped.to_code
            ),
            None => assert!(
                unmapped_codes.contains(area.code.as_str()),
                "{} neither mapped nor reported",
                area.code
            ),
        }
    }
    let seeds = ["38", "44", "45", "30", "31", "04"];
    let in_seeds: Vec<_> = unmapped
        .iter()
        .filter(|r| seeds.contains(&r["province"].as_str()))
        .collect();
    assert!(
        in_seeds.is_empty(),
        "unmapped in the seeds' provinces: {in_seeds:?}"
    );
    // Provinces: 45 (Quảng Trị) folds into 44, 30 (Hải Dương) into 31 (Hải Phòng).
    for (from, to) in [
        ("38", "38"),
        ("44", "44"),
        ("45", "44"),
        ("30", "31"),
        ("31", "31"),
        ("04", "04"),
    ] {
        assert_eq!(
            map.area(from).map(|a| a.to_code.as_str()),
            Some(to),
            "province {from}"
        );
    }
    // The five island districts without communes became special zones.
    let islands: Vec<_> = map.areas().filter(|a| a.rule == "island").collect();
    assert_eq!(islands.len(), 5, "{islands:?}");
    for island in islands {
        assert_eq!(
            new.admin_unit(&island.to_code)
                .map(|a| a.unit_type.as_str()),
            Some("dac-khu")
        );
    }
}

#[test]
fn units_follow_the_map_and_their_overrides_and_are_placed_once() {
    let old = Registry::load_register(shipped_data(), &named("2023")).expect("2023 loads");
    let new = Registry::load_register(shipped_data(), &named("2025")).expect("2025 loads");
    let map = AreaMap::load(&shipped_data(), "2023", "2025").expect("the map loads");

    let thanh_hoa = old.on_map(&new, &map, "38").expect("Thanh Hóa placed");
    let expected_2023 = old
        .campaign("thanh-hoa-2023")
        .map(|c| old.expected_units(c).count());
    let placed = thanh_hoa
        .campaign("thanh-hoa-2023")
        .expect("the campaign comes along");
    assert_eq!(
        thanh_hoa.expected_units(placed).count(),
        expected_2023.unwrap_or_default()
    );
    assert!(
        thanh_hoa
            .units()
            .all(|u| new.admin_unit(&u.area_code).is_some())
    );
    assert!(thanh_hoa.units().all(|u| u.tier != AdminLevel::District));
    // Đông Thọ (14758) was divided: its units go to the default successor, Hạc Thành
    // (14797), except the primary school, which its override sends to Hàm Rồng (14758).
    assert_eq!(map.area("14758").map(|a| a.to_code.as_str()), Some("14797"));
    assert_eq!(
        thanh_hoa.unit("14758.MN").map(|u| u.area_code.as_str()),
        Some("14797")
    );
    assert_eq!(
        thanh_hoa.unit("14758.TH").map(|u| u.area_code.as_str()),
        Some("14758")
    );
    // A district People's Committee goes to the province.
    assert_eq!(
        thanh_hoa.unit("388").map(|u| u.area_code.as_str()),
        Some("38")
    );

    // Quảng Bình's 2023 units roll into the new Quảng Trị (44).
    let quang_binh = old.on_map(&new, &map, "44").expect("Quảng Bình placed");
    let campaign = quang_binh
        .campaign("quang-binh-2023")
        .expect("the campaign");
    assert_eq!(campaign.province, "44");
    assert_eq!(
        quang_binh.admin_unit("44").map(|a| a.name.as_str()),
        Some("Quảng Trị")
    );
    assert_eq!(
        quang_binh.expected_units(campaign).count(),
        old.campaign("quang-binh-2023")
            .map(|c| old.expected_units(c).count())
            .unwrap_or_default()
    );
}

#[test]
fn a_unit_with_no_place_on_the_map_is_refused_by_name() {
    let old = Registry::load_register(shipped_data(), &named("2023")).expect("2023 loads");
    let new = Registry::load_register(shipped_data(), &named("2025")).expect("2025 loads");
    let map = AreaMap::load(&shipped_data(), "2023", "2025").expect("the map loads");
    // Bến Tre's Phú An Hòa (28825) is in unmapped.csv.
    match old.on_map(&new, &map, "83") {
        Err(Error::Choice(reason)) => {
            assert!(
                reason.contains("28825") && reason.contains("unit_overrides.csv"),
                "{reason}"
            )
        }
        other => panic!(
            "expected a refusal, got {:?}",
            other.map(|r| r.unit_count())
        ),
    }
}

/// Who reports for whom is data: on the 2025 map a commune's People's Committee enters its
/// commune's schools' reports and the consolidating department any unit's of its
/// province; a school enters only its own, a province's People's Committee no school's,
/// and no one crosses a province. On the 2023 map a district office still enters its
/// district's commune units.
#[test]
fn who_reports_for_whom_follows_each_registers_kinds() {
    let new = Registry::load_register(shipped_data(), &named("2025")).expect("2025 loads");
    // Thanh Hóa's schools, in code order (the register's own order is a hash map's).
    let mut schools: Vec<_> = new
        .units()
        .filter(|u| u.kind == "school" && u.area_code.len() == 5 && new.is_within(u, "38"))
        .collect();
    schools.sort_by(|a, b| a.code.cmp(&b.code));
    let school = *schools.first().expect("a commune's school of Thanh Hóa");
    let commune = new.unit(&school.area_code).expect("its People's Committee");
    let department = new.unit("38.SKHCN").expect("the department");
    let province = new.unit("38").expect("the province's People's Committee");
    let elsewhere = *schools
        .iter()
        .find(|u| u.area_code != school.area_code)
        .expect("a school of another commune of Thanh Hóa");
    assert!(new.may_submit_for(commune, school));
    assert!(!new.may_submit_for(commune, elsewhere));
    assert!(new.may_submit_for(department, school) && new.may_submit_for(department, elsewhere));
    assert!(!new.may_submit_for(school, elsewhere));
    assert!(!new.may_submit_for(province, school));
    assert!(new.submits_for_others(commune) && !new.submits_for_others(province));
    let other_province = new
        .units()
        .find(|u| !new.is_within(u, "38"))
        .expect("a unit of another province");
    assert!(!new.may_submit_for(department, other_province));

    let old = Registry::load_register(shipped_data(), &named("2023")).expect("2023 loads");
    let office = old
        .units()
        .find(|u| u.kind == "district_office")
        .expect("a district office");
    let commune_unit = old
        .units()
        .find(|u| u.tier == AdminLevel::Commune && old.is_within(u, &office.area_code))
        .expect("a commune unit of its district");
    assert!(old.may_submit_for(office, commune_unit));
}

/// Pages, sheets and reminders group a unit by the area under its province: its district
/// on the 2023 map, its commune on the 2025 map; a provincial unit has none.
#[test]
fn units_group_by_the_area_under_their_province_on_both_maps() {
    for (register, level) in [
        ("2023", AdminLevel::District),
        ("2025", AdminLevel::Commune),
    ] {
        let registry = Registry::load_register(shipped_data(), &named(register)).expect("loads");
        let school = registry
            .units()
            .find(|u| u.kind == "school" && registry.is_within(u, "38"))
            .expect("a school of Thanh Hóa");
        let area = registry.area_under_province(school).expect("an area");
        assert_eq!(area.level, level, "{register}");
        assert!(registry.is_within(school, &area.code));
        let department = registry
            .units()
            .find(|u| u.kind == "dic" && registry.is_within(u, "38"))
            .expect("the consolidating department");
        assert!(
            registry.area_under_province(department).is_none(),
            "{register}"
        );
    }
}

/// The Chairman's report is addressed to the Chairman of the provincial People's
/// Committee: a provincial campaign never expects that committee itself (its office,
/// Văn phòng UBND tỉnh, reports its cameras), while the communes' committees and the
/// office are expected; a national campaign expects the provinces' committees.
#[test]
fn a_provincial_campaign_does_not_expect_the_committee_it_reports_to() {
    let registry = Registry::load_register(shipped_data(), &named("2025")).expect("2025 loads");
    let campaign = registry
        .campaign("thanh-hoa-2026")
        .expect("the 2026 campaign");
    let expects = |code: &str| {
        registry
            .unit(code)
            .is_some_and(|unit| registry.expects(campaign, unit))
    };
    assert!(!expects("38"), "the provincial People's Committee");
    assert!(expects("38.VPUB"), "its office");
    let commune = registry
        .units()
        .find(|u| u.kind == "people_committee" && u.parent_code == "38")
        .expect("a commune of Thanh Hóa");
    assert!(registry.expects(campaign, commune));
    assert_eq!(registry.expected_units(campaign).count(), 1_957);
    let mut national = campaign.clone();
    national.province = String::new();
    let committee = registry.unit("38").expect("Thanh Hóa's committee");
    assert!(registry.expects(&national, committee));
}
