#!/usr/bin/env python3
"""Regenerate data/registers/2025/units/<province>.csv: the reporting units of Thanh Hóa
(38) and of the new Quảng Trị (44, from the 2023 Quảng Bình units) on the 2025 map,
derived from the 2023 units files by the map (data/maps/2023-2025/) and these rules
(docs/data.md, "Units on the 2025 map"):

  * a unit of a commune goes to the commune its commune lies in (a split commune: the
    package's default, unless data/maps/2023-2025/unit_overrides.csv says otherwise);
  * a province-level unit stays, in its province's successor; the Department of
    Information and Communications merged into the Department of Science and
    Technology (1/3/2025): the DIC's row becomes <province>.SKHCN, "Sở Khoa học và Công
    nghệ", of kind dic (the consolidating department), and the department's own row of
    that code is merged into it;
  * the district tier's own bodies are not carried over: district People's Committees
    (implied by the register, gone with it), district offices (district_office,
    abolished 1/7/2025) and district police (police at a district, abolished 1/3/2025);
  * any other unit of a district (market management teams, district service centres,
    schools run by the district) goes to the province, unless overridden;
  * a commune People's Committee's contact is that of the 2023 committee whose code the
    new commune kept, else of the lowest code folded into it;
  * a unit of Quảng Bình renamed for its new province where its name says "Quảng Bình".

Usage: python3 scripts/gen_units_2025.py
"""
import csv
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
OLD = ROOT / "data" / "registers" / "2023"
NEW = ROOT / "data" / "registers" / "2025"
MAP = ROOT / "data" / "maps" / "2023-2025"
# 2025 province ← the 2023 units file it is made from.
SOURCES = {"38": "38", "44": "44"}
ABOLISHED_DISTRICT_KINDS = {"district_office", "police"}
FIELDS = ["code", "kind", "name", "area_code", "person", "position", "phone", "email"]


def read_csv(path: pathlib.Path) -> list:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


def place(unit, areas, overrides, levels):
    """The 2025 area of a 2023 unit, or None when the rules drop it."""
    level = levels[unit["area_code"]]
    if unit["code"] in overrides:
        return overrides[unit["code"]]
    if level == "district" and unit["kind"] in ABOLISHED_DISTRICT_KINDS | {"people_committee"}:
        return None
    return areas[unit["area_code"]]


def renamed(unit, province: str, new_name: str) -> dict:
    row = dict(unit)
    if row["kind"] == "dic":
        row["code"] = f"{province}.SKHCN"
        row["name"] = row["name"].replace("Sở Thông tin và Truyền thông", "Sở Khoa học và Công nghệ")
        row["email"] = row["email"].replace("-stttt@", "-skhcn@")
    if new_name not in row["name"] and "Quảng Bình" in row["name"]:
        row["name"] = row["name"].replace("Quảng Bình", new_name)
    return row


def committees(units, areas, new_codes):
    """The contact row of each 2025 commune People's Committee."""
    by_new = {}
    for unit in units:
        if unit["kind"] != "people_committee" or unit["code"] not in areas:
            continue
        new = areas[unit["code"]]
        if new not in new_codes or new_codes[new]["level"] != "commune":
            continue
        by_new.setdefault(new, []).append(unit)
    rows = []
    for new, olds in sorted(by_new.items()):
        kept = [u for u in olds if u["code"] == new]
        source = (kept or sorted(olds, key=lambda u: u["code"]))[0]
        row = dict(source, code=new, area_code=new, name="")
        row["email"] = f"{new}@" + source["email"].split("@", 1)[1]
        rows.append(row)
    return rows


def main() -> None:
    areas = {r["from_code"]: r["to_code"] for r in read_csv(MAP / "areas.csv")}
    overrides_path = MAP / "unit_overrides.csv"
    overrides = ({r["unit_code"]: r["to_code"] for r in read_csv(overrides_path)}
                 if overrides_path.exists() else {})
    old_admin = {r["code"]: r for r in read_csv(OLD / "admin_units.csv")}
    levels = {code: r["level"] for code, r in old_admin.items()}
    new_admin = {r["code"]: r for r in read_csv(NEW / "admin_units.csv")}
    (NEW / "units").mkdir(parents=True, exist_ok=True)
    for province, source in SOURCES.items():
        units = read_csv(OLD / "units" / f"{source}.csv")
        new_name = new_admin[province]["name"]
        rows, dropped, dropped_merged = [], 0, None
        for unit in units:
            if unit["kind"] == "people_committee":
                if unit["code"] == source:
                    rows.append(dict(unit, code=province, area_code=province))
                continue
            if unit["code"] == f"{source}.SKHCN" and unit["kind"] != "dic":
                dropped_merged = unit["code"]  # merged with the DIC into one department
                continue
            area = place(unit, areas, overrides, levels)
            if area is None:
                dropped += 1
                continue
            assert area in new_admin, f"{unit['code']}: 2025 area {area} unknown"
            rows.append(dict(renamed(unit, province, new_name), area_code=area))
        rows += committees(units, areas, new_admin)
        out = NEW / "units" / f"{province}.csv"
        with out.open("w", newline="", encoding="utf-8") as f:
            f.write(f"# Reporting units of {new_admin[province]['name_with_type']} on the 2025 map "
                    "(no district tier), other than People's Committees, and contacts.\n"
                    f"# Generated by scripts/gen_units_2025.py from data/registers/2023/units/"
                    f"{source}.csv and data/maps/2023-2025/; rules in docs/data.md.\n"
                    "# person, position, phone, email: SYNTHETIC demo contacts (.example domain).\n")
            writer = csv.DictWriter(f, fieldnames=FIELDS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        print(f"wrote {out.relative_to(ROOT)}: {len(rows)} rows "
              f"({dropped} units of the abolished district tier not carried over; "
              f"{dropped_merged} merged with the DIC)")


if __name__ == "__main__":
    main()
