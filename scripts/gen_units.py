#!/usr/bin/env python3
"""Regenerate data/registers/2023/units/<province>.csv: the reporting units other than People's Committees.

People's Committees (UBND tỉnh/huyện/xã) are implied by data/registers/2023/admin_units.csv, one per
administrative unit, with the administrative code as unit code. This script writes the
*other* units of a province from its administrative register, deterministically: provincial
departments (incl. the DIC), provincial police, market management, media, telecom
branches, state-owned enterprises, district police and district offices, upper-secondary
schools per district and kindergarten/primary/lower-secondary schools per commune.

Unit codes are `<area code>.<suffix>`, permanent once published: a unit that closes is
removed from the file but its code is never given to another unit.

Every unit, and every People's Committee (a `people_committee` row whose code is its area's
code), gets a *synthetic* contact: a made-up person, a position fitting the kind, a phone
number and an e-mail address under the reserved `.example` domain (RFC 2606), so that
reminders sent from demo data can never reach anybody.

Usage: python3 scripts/gen_units.py 38 44
"""
import csv
import hashlib
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
REGISTER = ROOT / "data" / "registers" / "2023" / "admin_units.csv"

# (suffix, kind, Vietnamese name; {p} = province name)
PROVINCIAL = [
    ("STTTT", "dic", "Sở Thông tin và Truyền thông {p}"),
    ("VPUB", "department", "Văn phòng UBND tỉnh {p}"),
    ("SNV", "department", "Sở Nội vụ {p}"),
    ("STP", "department", "Sở Tư pháp {p}"),
    ("SKHDT", "department", "Sở Kế hoạch và Đầu tư {p}"),
    ("STC", "department", "Sở Tài chính {p}"),
    ("SCT", "department", "Sở Công Thương {p}"),
    ("SNNPTNT", "department", "Sở Nông nghiệp và Phát triển nông thôn {p}"),
    ("SGTVT", "department", "Sở Giao thông vận tải {p}"),
    ("SXD", "department", "Sở Xây dựng {p}"),
    ("STNMT", "department", "Sở Tài nguyên và Môi trường {p}"),
    ("SLDTBXH", "department", "Sở Lao động - Thương binh và Xã hội {p}"),
    ("SVHTTDL", "department", "Sở Văn hóa, Thể thao và Du lịch {p}"),
    ("SKHCN", "department", "Sở Khoa học và Công nghệ {p}"),
    ("SGDDT", "department", "Sở Giáo dục và Đào tạo {p}"),
    ("SYT", "department", "Sở Y tế {p}"),
    ("TTT", "department", "Thanh tra tỉnh {p}"),
    ("BDT", "department", "Ban Dân tộc tỉnh {p}"),
    ("CA", "police", "Công an tỉnh {p}"),
    ("QLTT", "market_management", "Cục Quản lý thị trường {p}"),
    ("BAO", "media", "Báo {p}"),
    ("PTTH", "media", "Đài Phát thanh và Truyền hình {p}"),
    ("BVDK", "public_service_unit", "Bệnh viện Đa khoa tỉnh {p}"),
    ("VNPT", "telecom", "VNPT {p}"),
    ("VIETTEL", "telecom", "Viettel {p}"),
    ("MOBIFONE", "telecom", "MobiFone {p}"),
    ("FPT", "telecom", "FPT Telecom {p}"),
    ("PC", "soe", "Công ty Điện lực {p}"),
    ("CAPNUOC", "soe", "Công ty Cổ phần Cấp nước {p}"),
    ("BUUDIEN", "soe", "Bưu điện tỉnh {p}"),
]
# Per district: (suffix, kind, name; {d} = district name with type)
DISTRICT = [
    ("CA", "police", "Công an {d}"),
    ("PVHTT", "district_office", "Phòng Văn hóa và Thông tin {d}"),
    ("PGDDT", "district_office", "Phòng Giáo dục và Đào tạo {d}"),
    ("TTYT", "public_service_unit", "Trung tâm Y tế {d}"),
    ("QLTT", "market_management", "Đội Quản lý thị trường {d}"),
]
COMMUNE_SCHOOLS = [
    ("MN", "school", "Trường Mầm non {c}"),
    ("TH", "school", "Trường Tiểu học {c}"),
    ("THCS", "school", "Trường THCS {c}"),
]


FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đỗ", "Bùi", "Đặng", "Ngô", "Dương", "Lý"]
MIDDLE = ["Văn", "Thị", "Đức", "Minh", "Thu", "Ngọc", "Quang", "Hữu", "Thanh", "Xuân"]
GIVEN = ["An", "Bình", "Hoa", "Lan", "Hùng", "Dũng", "Hương", "Mai", "Nam", "Tuấn", "Hà",
         "Linh", "Sơn", "Thảo", "Trang", "Phúc", "Giang", "Hải", "Yến", "Long"]
POSITION = {
    "people_committee": "Công chức Văn phòng - Thống kê",
    "dic": "Chuyên viên phòng Bưu chính, Viễn thông và CNTT",
    "department": "Chuyên viên Văn phòng Sở",
    "police": "Cán bộ phòng An ninh mạng",
    "market_management": "Kiểm soát viên",
    "media": "Phóng viên, biên tập viên",
    "telecom": "Chuyên viên kỹ thuật",
    "soe": "Chuyên viên Phòng Tổng hợp",
    "district_office": "Chuyên viên",
    "public_service_unit": "Chuyên viên Phòng Tổ chức - Hành chính",
    "school": "Phó Hiệu trưởng",
}


def contact(code: str, kind: str, province_slug: str) -> list[str]:
    """A deterministic synthetic contact for a unit: person, position, phone, e-mail."""
    h = int.from_bytes(hashlib.sha256(code.encode()).digest()[:8], "big")
    person = f"{FAMILY[h % len(FAMILY)]} {MIDDLE[h // 13 % len(MIDDLE)]} {GIVEN[h // 131 % len(GIVEN)]}"
    digits = f"{h % 10**8:08d}"
    phone = f"09{digits[:2]} {digits[2:5]} {digits[5:]}"
    email = f"{code.lower().replace('.', '-')}@{province_slug}.example"
    return [person, POSITION.get(kind, "Chuyên viên"), phone, email]


def main(provinces: list[str]) -> None:
    with REGISTER.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(line for line in f if not line.startswith("#")))
    by_code = {r["code"]: r for r in rows}
    for province in provinces:
        p = by_code[province]
        districts = [r for r in rows if r["level"] == "district" and r["parent_code"] == province]
        out = ROOT / "data" / "registers" / "2023" / "units" / f"{province}.csv"
        # People's Committees carry no name here: the register gives it.
        units = [(province, "people_committee", "", province)]
        units += [(f"{province}.{s}", k, n.format(p=p["name"]), province) for s, k, n in PROVINCIAL]
        for d in districts:
            dname = d["name_with_type"]
            units.append((d["code"], "people_committee", "", d["code"]))
            units += [(f"{d['code']}.{s}", k, n.format(d=dname), d["code"]) for s, k, n in DISTRICT]
            # Upper-secondary schools: one per district, two in towns and cities.
            n_thpt = 2 if d["type"] in ("thanh-pho", "thi-xa", "quan") else 1
            for i in range(1, n_thpt + 1):
                units.append((f"{d['code']}.THPT{i}", "school", f"Trường THPT {d['name']} {i}", d["code"]))
            communes = [r for r in rows if r["level"] == "commune" and r["parent_code"] == d["code"]]
            for c in communes:
                units.append((c["code"], "people_committee", "", c["code"]))
                units += [(f"{c['code']}.{s}", k, n.format(c=c["name"]), c["code"]) for s, k, n in COMMUNE_SCHOOLS]
        with out.open("w", newline="", encoding="utf-8") as f:
            f.write(f"# Reporting units of {p['name_with_type']} other than People's Committees, and contacts.\n")
            f.write("# Generated by scripts/gen_units.py from data/registers/2023/admin_units.csv; see docs/data.md.\n")
            f.write("# code: permanent unit code; kind: see data/unit_kinds.toml; area_code: the\n")
            f.write("# administrative unit (province/district/commune code) the unit belongs to.\n")
            f.write("# A people_committee row gives the committee its area implies a contact.\n")
            f.write("# person, position, phone, email: SYNTHETIC demo contacts (.example domain).\n")
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["code", "kind", "name", "area_code", "person", "position", "phone", "email"])
            slug = "".join(ch for ch in ascii_slug(p["name"]) if ch.isalnum())
            w.writerows([*u, *contact(u[0], u[1], slug)] for u in units)
        print(f"wrote {out.relative_to(ROOT)}: {sum(u[1] != 'people_committee' for u in units)} units")


def ascii_slug(text: str) -> str:
    """`Thanh Hóa` → `thanhhoa`: Vietnamese letters without their marks, lower case."""
    import unicodedata
    text = text.replace("Đ", "D").replace("đ", "d")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c)).lower()


if __name__ == "__main__":
    main(sys.argv[1:] or ["38", "44"])
