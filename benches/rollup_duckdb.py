#!/usr/bin/env python3
"""The national rollup's summary SQL in DuckDB, over the same Parquet files baocao reads.

Called by `baocao bench rollup` (which writes bench/summary.sql, bench/units.parquet,
bench/rollup_params.parquet and bench/reviews.parquet from its DataFusion session). Prints one JSON object: the
DuckDB version, the timed runs and their median; writes bench/duckdb_summary.parquet for
the agreement check. Needs `pip install duckdb`.
"""
import argparse
import json
import pathlib
import statistics
import time

import duckdb


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--campaign", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    root = pathlib.Path(args.dir)
    bench = root / "bench"
    landing = root / "landing"
    con = duckdb.connect()
    con.execute(f"SET threads = {args.threads}")
    con.execute("SET TimeZone = 'UTC'")
    for table in ("submissions", "systems"):
        files = f"{landing}/{table}/campaign={args.campaign}/*/*.parquet"
        con.execute(
            f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{files}', hive_partitioning = false)"
        )
    for table in ("units", "rollup_params", "reviews"):
        con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{bench / (table + '.parquet')}')")
    sql = (bench / "summary.sql").read_text()

    def run():
        cursor = con.execute(sql)
        # `to_arrow_table` in DuckDB >= 1.4, `fetch_arrow_table` before.
        fetch = getattr(cursor, "to_arrow_table", None) or cursor.fetch_arrow_table
        return fetch()

    run()  # warm-up (file metadata, OS cache)
    times = []
    for _ in range(args.runs):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    import pyarrow.parquet as pq

    pq.write_table(result, bench / "duckdb_summary.parquet")
    print(json.dumps({
        "duckdb_version": duckdb.__version__,
        "times_seconds": times,
        "median_seconds": statistics.median(times),
        "rows": result.num_rows,
    }))


if __name__ == "__main__":
    main()
