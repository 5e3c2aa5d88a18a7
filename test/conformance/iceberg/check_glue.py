"""Loads each table glue.ts committed through pyiceberg's own Glue catalog (pyiceberg.catalog.glue.GlueCatalog, an
independent implementation) from moto's Glue, and checks that it holds exactly the rows cflogs wrote: the count, each
p_row_id once, the snapshots committed, and the inputs the snapshots name. Then commits through it (a table property,
with Glue's VersionId) and checks the Glue table moved to pyiceberg's metadata file, so that a table cflogs registered
is one other Iceberg writers (compaction, a person's pyiceberg) can commit to.

With CFLOGS_S3_ENDPOINT the tables' files are read from that S3 endpoint; `rowIds` null in EXPECTED_JSON checks that
each p_row_id is distinct instead of comparing the set.

usage: CFLOGS_GLUE_ENDPOINT=http://... CFLOGS_GLUE_DATABASE=cflogs [CFLOGS_S3_ENDPOINT=http://...] python check_glue.py EXPECTED_JSON"""
import json
import os
import sys

from pyiceberg.catalog.glue import GlueCatalog


def main(expected_path: str) -> int:
    with open(expected_path, encoding="utf-8") as f:
        expected = json.load(f)
    database = os.environ["CFLOGS_GLUE_DATABASE"]
    props = {
        "glue.endpoint": os.environ["CFLOGS_GLUE_ENDPOINT"],
        "glue.region": "us-east-1",
        "glue.access-key-id": "testing",
        "glue.secret-access-key": "testing",
    }
    if os.environ.get("CFLOGS_S3_ENDPOINT"):
        # The tables' files in S3 (moto's), read through pyiceberg's own FileIO.
        props.update({
            "s3.endpoint": os.environ["CFLOGS_S3_ENDPOINT"],
            "s3.region": "us-east-1",
            "s3.access-key-id": "testing",
            "s3.secret-access-key": "testing",
        })
    catalog = GlueCatalog("cflogs", **props)
    listed = {name for _, name in catalog.list_tables(database)}
    failures = 0
    for table, want in sorted(expected.items()):
        problems = []
        if table not in listed:
            problems.append("not listed")
        t = catalog.load_table(f"{database}.{table}")
        rows = t.scan(selected_fields=("p_row_id",)).to_arrow().column("p_row_id").to_pylist()
        if len(rows) != want["rows"]:
            problems.append(f"{len(rows)} rows, {want['rows']} written")
        if want["rowIds"] is None:
            if len(set(rows)) != want["rows"]:
                problems.append(f"{len(set(rows))} distinct p_row_id, {want['rows']} rows written")
        elif sorted(rows) != want["rowIds"]:
            problems.append(f"{len(set(rows))} distinct p_row_id, {len(set(want['rowIds']))} written")
        snapshots = t.metadata.snapshots
        if len(snapshots) != want["snapshots"]:
            problems.append(f"{len(snapshots)} snapshots, {want['snapshots']} committed")
        named = sorted(i for s in snapshots for i in json.loads(s.summary.additional_properties.get("cflogs.inputs", "[]")))
        if named != want["inputs"]:
            problems.append(f"snapshots name {named}, {want['inputs']} handed off")
        # A commit by another writer through Glue: pyiceberg's UpdateTable with the VersionId it read.
        before = t.metadata_location
        with t.transaction() as tx:
            tx.set_properties({"checked-by": "pyiceberg"})
        after = catalog.load_table(f"{database}.{table}")
        glue = catalog.glue.get_table(DatabaseName=database, Name=table)["Table"]["Parameters"]
        if after.metadata_location == before or glue.get("previous_metadata_location") != before:
            problems.append(f"pyiceberg's commit: metadata_location {after.metadata_location}, previous {glue.get('previous_metadata_location')}")
        status = "FAIL " + "; ".join(problems) if problems else "ok"
        print(f"pyiceberg GlueCatalog {database}.{table}: {len(rows)} rows, {len(snapshots)} snapshots: {status}")
        failures += 1 if problems else 0
    print(f"glue: {len(expected)} tables loaded by pyiceberg's GlueCatalog, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
