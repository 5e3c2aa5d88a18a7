"""Reads each Iceberg table write-tables.ts wrote with pyiceberg (an independent implementation) and checks that it
holds exactly the rows cflogs wrote: the count, the set of p_row_id, each row's event time to the microsecond, and
typed columns. usage: python check_tables.py OUT_DIR"""
import json
import sys

import pyarrow as pa
from pyiceberg.table import StaticTable


def main(out: str) -> int:
    with open(f"{out}/expected.json", encoding="utf-8") as f:
        expected = json.load(f)
    failures = 0
    for table, want in sorted(expected.items()):
        t = StaticTable.from_metadata(want["metadata"])
        arrow = t.scan().to_arrow()
        rows = arrow.to_pylist()
        problems = []
        if len(rows) != len(want["rows"]):
            problems.append(f"{len(rows)} rows, {len(want['rows'])} written")
        got = {r["p_row_id"]: r["p_event_time"] for r in rows}
        ips = {r["p_row_id"]: r["p_any_ip_addresses"] for r in rows}
        if len(got) != len(rows):
            problems.append("a p_row_id more than once")
        for w in want["rows"]:
            ts = got.get(w["rowId"])
            if ts is None:
                problems.append(f"row {w['rowId']} missing")
                break
            # The lake's text, YYYY-MM-DD HH:MM:SS.fffffffff, to the microsecond.
            if ts.strftime("%Y-%m-%d %H:%M:%S.%f") != w["eventTime"][:26]:
                problems.append(f"row {w['rowId']}: p_event_time {ts} against {w['eventTime']}")
                break
            # A list column, read through the table's name mapping (the files carry names, not field ids).
            if ips[w["rowId"]] != w["ips"]:
                problems.append(f"row {w['rowId']}: p_any_ip_addresses {ips[w['rowId']]} against {w['ips']}")
                break
        field = arrow.schema.field("p_event_time")
        if not pa.types.is_timestamp(field.type) or field.type.tz is None:
            problems.append(f"p_event_time is {field.type}")
        snapshots = len(t.metadata.snapshots)
        if snapshots != want["snapshots"]:
            problems.append(f"{snapshots} snapshots, {want['snapshots']} committed")
        status = "FAIL " + "; ".join(problems) if problems else "ok"
        print(f"{table}: {len(rows)} rows, {snapshots} snapshots: {status}")
        failures += 1 if problems else 0
    print(f"iceberg: {len(expected)} tables read by pyiceberg, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
