//! A synthetic national register of reporting units, derived from the administrative
//! register (63 provinces, 705 districts, 10,599 communes in 2023) with the same rules as
//! `scripts/gen_units.py` uses for the shipped provinces, plus the commune-level units
//! that script leaves out (health stations, commune police): about 85,000 units at scale
//! 1. `copies` > 1 repeats the commune-level units (for the scaling benchmark).

/// One row of an administrative register (`data/registers/<id>/admin_units.csv`).
#[derive(Clone, Debug)]
pub struct AdminRow {
    /// Administrative code.
    pub code: String,
    /// `province`, `district` or `commune`.
    pub level: String,
    /// Short name.
    pub name: String,
    /// Name with its type.
    pub name_with_type: String,
    /// Type slug (`thanh-pho`, `quan`, …).
    pub unit_type: String,
    /// Parent's code.
    pub parent_code: String,
}

/// One row of a units file (`data/registers/<id>/units/*.csv`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitRow {
    /// Permanent unit code.
    pub code: String,
    /// Kind (see `data/unit_kinds.toml`).
    pub kind: String,
    /// Vietnamese name.
    pub name: String,
    /// The administrative unit it belongs to.
    pub area_code: String,
}

const PROVINCIAL: &[(&str, &str, &str)] = &[
    ("STTTT", "dic", "Sở Thông tin và Truyền thông"),
    ("VPUB", "department", "Văn phòng UBND tỉnh"),
    ("SNV", "department", "Sở Nội vụ"),
    ("STP", "department", "Sở Tư pháp"),
    ("SKHDT", "department", "Sở Kế hoạch và Đầu tư"),
    ("STC", "department", "Sở Tài chính"),
    ("SCT", "department", "Sở Công Thương"),
    (
        "SNNPTNT",
        "department",
        "Sở Nông nghiệp và Phát triển nông thôn",
    ),
    ("SGTVT", "department", "Sở Giao thông vận tải"),
    ("SXD", "department", "Sở Xây dựng"),
    ("STNMT", "department", "Sở Tài nguyên và Môi trường"),
    (
        "SLDTBXH",
        "department",
        "Sở Lao động - Thương binh và Xã hội",
    ),
    ("SVHTTDL", "department", "Sở Văn hóa, Thể thao và Du lịch"),
    ("SKHCN", "department", "Sở Khoa học và Công nghệ"),
    ("SGDDT", "department", "Sở Giáo dục và Đào tạo"),
    ("SYT", "department", "Sở Y tế"),
    ("TTT", "department", "Thanh tra tỉnh"),
    ("BDT", "department", "Ban Dân tộc tỉnh"),
    ("CA", "police", "Công an tỉnh"),
    ("QLTT", "market_management", "Cục Quản lý thị trường"),
    ("BAO", "media", "Báo"),
    ("PTTH", "media", "Đài Phát thanh và Truyền hình"),
    ("BVDK", "public_service_unit", "Bệnh viện Đa khoa tỉnh"),
    ("VNPT", "telecom", "VNPT"),
    ("VIETTEL", "telecom", "Viettel"),
    ("MOBIFONE", "telecom", "MobiFone"),
    ("FPT", "telecom", "FPT Telecom"),
    ("PC", "soe", "Công ty Điện lực"),
    ("CAPNUOC", "soe", "Công ty Cổ phần Cấp nước"),
    ("BUUDIEN", "soe", "Bưu điện tỉnh"),
];

const DISTRICT: &[(&str, &str, &str)] = &[
    ("CA", "police", "Công an"),
    ("PVHTT", "district_office", "Phòng Văn hóa và Thông tin"),
    ("PGDDT", "district_office", "Phòng Giáo dục và Đào tạo"),
    ("TTYT", "public_service_unit", "Trung tâm Y tế"),
    ("QLTT", "market_management", "Đội Quản lý thị trường"),
];

const COMMUNE: &[(&str, &str, &str)] = &[
    ("MN", "school", "Trường Mầm non"),
    ("TH", "school", "Trường Tiểu học"),
    ("THCS", "school", "Trường THCS"),
    ("TYT", "public_service_unit", "Trạm Y tế"),
    ("CA", "police", "Công an"),
];

/// The reporting units (other than People's Committees, which the register implies) of
/// `provinces` (all when empty).
pub fn national_units(admin: &[AdminRow], provinces: &[String], copies: usize) -> Vec<UnitRow> {
    let included = |code: &str| provinces.is_empty() || provinces.iter().any(|p| p == code);
    let mut units = Vec::new();
    for province in admin
        .iter()
        .filter(|a| a.level == "province" && included(&a.code))
    {
        for (suffix, kind, name) in PROVINCIAL {
            units.push(unit_row(
                format!("{}.{suffix}", province.code),
                kind,
                format!("{name} {}", province.name),
                &province.code,
            ));
        }
    }
    for district in admin.iter().filter(|a| a.level == "district") {
        if included(&district.parent_code) {
            district_units(district, &mut units);
        }
    }
    let district_province: std::collections::HashMap<&str, &str> = admin
        .iter()
        .filter(|a| a.level == "district")
        .map(|a| (a.code.as_str(), a.parent_code.as_str()))
        .collect();
    for commune in admin.iter().filter(|a| a.level == "commune") {
        // A commune's parent is its district (2023), or its province on a map without
        // districts (2025).
        let province = district_province
            .get(commune.parent_code.as_str())
            .copied()
            .unwrap_or(commune.parent_code.as_str());
        if included(province) {
            commune_units(commune, copies, &mut units);
        }
    }
    units
}

fn unit_row(code: String, kind: &str, name: String, area: &str) -> UnitRow {
    UnitRow {
        code,
        kind: kind.to_string(),
        name,
        area_code: area.to_string(),
    }
}

/// A district's offices and its upper-secondary schools (two in a city, town or urban
/// district).
fn district_units(district: &AdminRow, units: &mut Vec<UnitRow>) {
    for (suffix, kind, name) in DISTRICT {
        units.push(unit_row(
            format!("{}.{suffix}", district.code),
            kind,
            format!("{name} {}", district.name_with_type),
            &district.code,
        ));
    }
    let upper_secondary = if matches!(district.unit_type.as_str(), "thanh-pho" | "thi-xa" | "quan")
    {
        2
    } else {
        1
    };
    for i in 1..=upper_secondary {
        units.push(unit_row(
            format!("{}.THPT{i}", district.code),
            "school",
            format!("Trường THPT {} {i}", district.name),
            &district.code,
        ));
    }
}

/// A commune's units, `copies` times (copy 1 untagged, then "số 2", "số 3"…).
fn commune_units(commune: &AdminRow, copies: usize, units: &mut Vec<UnitRow>) {
    for copy in 1..=copies.max(1) {
        let tag = if copy == 1 {
            String::new()
        } else {
            copy.to_string()
        };
        for (suffix, kind, name) in COMMUNE {
            let name = if tag.is_empty() {
                format!("{name} {}", commune.name)
            } else {
                format!("{name} {} số {tag}", commune.name)
            };
            units.push(unit_row(
                format!("{}.{suffix}{tag}", commune.code),
                kind,
                name,
                &commune.code,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(code: &str, level: &str, parent: &str) -> AdminRow {
        AdminRow {
            code: code.into(),
            level: level.into(),
            name: format!("N{code}"),
            name_with_type: format!("Huyện N{code}"),
            unit_type: "huyen".into(),
            parent_code: parent.into(),
        }
    }

    /// On the 2025 map a commune's parent is its province: asking for that province
    /// still gives its communes' units.
    #[test]
    fn communes_right_under_a_province_belong_to_it() {
        let admin = vec![
            row("38", "province", ""),
            row("14755", "commune", "38"),
            row("44", "province", ""),
            row("20000", "commune", "44"),
        ];
        let units = national_units(&admin, &["38".to_string()], 1);
        assert_eq!(units.len(), PROVINCIAL.len() + COMMUNE.len());
        assert!(units.iter().any(|u| u.area_code == "14755"));
        assert!(!units.iter().any(|u| u.area_code == "20000"));
    }

    #[test]
    fn units_follow_the_register_and_copies_repeat_commune_units() {
        let admin = vec![
            row("01", "province", ""),
            row("001", "district", "01"),
            row("00001", "commune", "001"),
            row("02", "province", ""),
        ];
        let one = national_units(&admin, &[], 1);
        assert_eq!(
            one.len(),
            2 * PROVINCIAL.len() + DISTRICT.len() + 1 + COMMUNE.len()
        );
        let two = national_units(&admin, &[], 2);
        assert_eq!(two.len(), one.len() + COMMUNE.len());
        assert!(two.iter().any(|u| u.code == "00001.MN2"));
        let only_02 = national_units(&admin, &["02".to_string()], 1);
        assert_eq!(only_02.len(), PROVINCIAL.len());
        // Codes are unique.
        let mut codes: Vec<_> = two.iter().map(|u| &u.code).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), two.len());
    }
}
