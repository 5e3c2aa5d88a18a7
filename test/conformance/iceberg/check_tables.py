"""Reads each Iceberg table write-tables.ts wrote with pyiceberg (an independent implementation) and checks that it
holds exactly the rows cflogs wrote: the count, the set of p_row_id, each row's event time to the microsecond, and
typed columns; that its snapshot history has the operations written (a compacted table's last is a replace); and that
a replace snapshot's manifests hold its added, deleted and carried files with Iceberg's statuses and sequence numbers.
usage: python check_tables.py OUT_DIR"""
import json
import sys

import pyarrow as pa
from pyiceberg.table import StaticTable


def replace_problems(t: StaticTable) -> list:
    """A replace snapshot's own manifests, as pyiceberg reads them (deleted entries too): the files its summary says it
    added (ADDED, inheriting its sequence number) and deleted (DELETED, keeping the sequence numbers they were added
    with), and any others EXISTING with theirs."""
    s = t.current_snapshot()
    if s is None or s.summary.operation.value != "replace":
        return []
    statuses = {"ADDED": 0, "DELETED": 0, "EXISTING": 0}
    problems = []
    for m in s.manifests(t.io):
        if m.added_snapshot_id != s.snapshot_id:
            continue
        for e in m.fetch_manifest_entry(t.io, discard_deleted=False):
            statuses[e.status.name] += 1
            if e.status.name == "ADDED" and e.sequence_number != s.sequence_number:
                problems.append(f"an added file has sequence number {e.sequence_number}, not {s.sequence_number}")
            if e.status.name != "ADDED" and not e.sequence_number < s.sequence_number:
                problems.append(f"a {e.status.name} file has sequence number {e.sequence_number}")
    if statuses["ADDED"] != int(s.summary["added-data-files"]) or statuses["DELETED"] != int(s.summary["deleted-data-files"]):
        problems.append(f"replace manifests hold {statuses}, the summary {dict(s.summary)}")
    return problems


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
        operations = [s.summary.operation.value for s in t.metadata.snapshots]
        if operations != want["operations"]:
            problems.append(f"snapshot operations {operations}, {want['operations']} committed")
        problems.extend(replace_problems(t))
        status = "FAIL " + "; ".join(problems) if problems else "ok"
        print(f"{table}: {len(rows)} rows, {snapshots} snapshots: {status}")
        failures += 1 if problems else 0
    print(f"iceberg: {len(expected)} table versions read by pyiceberg, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
