#!/usr/bin/env python3
"""Python ADBC (adbc_driver_flightsql) against baocao's Flight SQL endpoint.

Run by tests/sql_e2e.rs with a live server: python3 scripts/adbc_check.py URI NATIONAL_TOKEN DISTRICT_TOKEN
Exits non-zero with the reason if a check fails. Also a working example of connecting
from Python (pandas: cursor.fetch_df()).
"""
import sys

import adbc_driver_flightsql.dbapi as flightsql
from adbc_driver_flightsql import DatabaseOptions


def connect(uri: str, token: str):
    return flightsql.connect(uri, db_kwargs={DatabaseOptions.AUTHORIZATION_HEADER.value: f"Bearer {token}"})


def scalar(conn, sql: str):
    with conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchone()[0]


def main() -> None:
    uri, national, district = sys.argv[1:4]
    with connect(uri, national) as conn:
        assert scalar(conn, "SELECT count(*) FROM submissions") == 4, "national analyst sees 4 submissions"
        objects = conn.adbc_get_objects(depth="tables").read_all().to_pylist()
        tables = {t["table_name"] for c in objects for s in c["catalog_db_schemas"] or [] for t in s["db_schema_tables"] or []}
        for name in ("summaries", "units", "submissions", "unit_state"):
            assert name in tables, f"{name} not listed: {sorted(tables)}"
        with conn.cursor() as cur:
            cur.execute("SELECT name, cameras FROM summaries WHERE tier = 'district' ORDER BY code")
            rows = cur.fetchall()
        assert ("Thành phố Thanh Hóa", 60) in rows, rows
    with connect(uri, district) as conn:
        assert scalar(conn, "SELECT count(*) FROM submissions") == 2, "district analyst sees its 2 submissions"
        assert scalar(conn, "SELECT count(*) FROM summaries WHERE tier = 'province'") == 0
    print("adbc ok")


if __name__ == "__main__":
    main()
