"""Reads the manifests and manifest lists written by write-manifests.ts with pyiceberg and checks every field.

    npx tsx test/conformance/iceberg/write-manifests.ts <dir>
    .out/pyenv/bin/python test/conformance/iceberg/check_manifests.py <dir>

Checks: the Avro header metadata; that the files' Avro schemas, read as Iceberg schemas by pyiceberg, have the field ids,
names, types and optionality of pyiceberg's v2 MANIFEST_ENTRY / MANIFEST_LIST schemas; and that every value round-trips
through read_manifest_list and ManifestFile.fetch_manifest_entry (with sequence-number inheritance), bounds included.
"""

import json
import os
import sys

from pyiceberg.avro.file import AvroFile
from pyiceberg.conversions import to_bytes
from pyiceberg.io.pyarrow import PyArrowFileIO
from pyiceberg.manifest import (
    DATA_FILE_TYPE,
    MANIFEST_ENTRY_SCHEMAS,
    MANIFEST_LIST_FILE_SCHEMAS,
    DataFileContent,
    FileFormat,
    ManifestContent,
    ManifestEntryStatus,
    read_manifest_list,
)
from pyiceberg.partitioning import PartitionField, PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.transforms import DayTransform, HourTransform, IdentityTransform
from pyiceberg.types import (
    BooleanType,
    DoubleType,
    IntegerType,
    ListType,
    LongType,
    NestedField,
    StringType,
    StructType,
    TimestamptzType,
)

checks = 0


def eq(what, got, want):
    global checks
    checks += 1
    if got != want:
        raise AssertionError(f"{what}: got {got!r}, want {want!r}")


def header(io, path):
    with AvroFile(io.new_input(path)) as f:
        return f.header.meta, f.schema


def compare_struct(what, got, want, skip=()):
    """Field ids, names, types and required flags of two Iceberg structs, in order."""
    eq(f"{what} field ids", [f.field_id for f in got.fields], [f.field_id for f in want.fields])
    for g, w in zip(got.fields, want.fields):
        if g.field_id in skip:
            continue
        eq(f"{what}.{w.name} name", g.name, w.name)
        eq(f"{what}.{w.name} required", g.required, w.required)
        if isinstance(w.field_type, StructType):
            compare_struct(f"{what}.{w.name}", g.field_type, w.field_type, skip)
        else:
            eq(f"{what}.{w.name} type", g.field_type, w.field_type)


def main(directory):
    expected = json.load(open(os.path.join(directory, "expected.json")))
    io = PyArrowFileIO()
    table_schema = Schema.model_validate_json(expected["schema_json"])
    transforms = {"hour": HourTransform(), "day": DayTransform(), "identity": IdentityTransform()}
    spec = PartitionSpec(
        *[PartitionField(p["sourceId"], p["fieldId"], transforms[p["transform"]], p["name"]) for p in expected["partition_fields"]],
        spec_id=0,
    )
    partition_type = spec.partition_type(table_schema)

    for lst in expected["lists"]:
        list_path = os.path.join(directory, lst["file"])
        meta, list_schema = header(io, list_path)
        eq("list snapshot-id", meta["snapshot-id"], lst["snapshot_id"])
        eq("list parent-snapshot-id", meta["parent-snapshot-id"], lst["parent_snapshot_id"])
        eq("list sequence-number", meta["sequence-number"], lst["sequence_number"])
        eq("list format-version", meta["format-version"], "2")
        eq("list avro.codec", meta["avro.codec"], "null")
        compare_struct("manifest_file", list_schema.as_struct(), MANIFEST_LIST_FILE_SCHEMAS[2].as_struct())

        manifests = list(read_manifest_list(io.new_input(list_path)))
        eq("manifest count", len(manifests), len(lst["manifests"]))
        seq = int(lst["sequence_number"])
        snapshot_id = int(lst["snapshot_id"])
        for mf, want in zip(manifests, lst["manifests"]):
            files = want["files"]
            eq("manifest_path", mf.manifest_path, want["path"])
            eq("manifest_length", mf.manifest_length, want["length"])
            eq("manifest_length is the file size", mf.manifest_length, os.path.getsize(want["path"]))
            eq("partition_spec_id", mf.partition_spec_id, 0)
            eq("content", mf.content, ManifestContent.DATA)
            eq("sequence_number", mf.sequence_number, seq)
            eq("min_sequence_number", mf.min_sequence_number, seq)
            eq("added_snapshot_id", mf.added_snapshot_id, snapshot_id)
            eq("added_files_count", mf.added_files_count, len(files))
            eq("existing_files_count", mf.existing_files_count, 0)
            eq("deleted_files_count", mf.deleted_files_count, 0)
            eq("added_rows_count", mf.added_rows_count, sum(f["record_count"] for f in files))
            eq("existing_rows_count", mf.existing_rows_count, 0)
            eq("deleted_rows_count", mf.deleted_rows_count, 0)
            eq("key_metadata", mf.key_metadata, None)
            eq("partition summaries", len(mf.partitions), len(spec.fields))
            for i, (summary, pf) in enumerate(zip(mf.partitions, partition_type.fields)):
                values = [f["partition"][i] for f in files]
                present = [v for v in values if v is not None]
                eq(f"partitions[{i}].contains_null", summary.contains_null, None in values)
                eq(f"partitions[{i}].contains_nan", summary.contains_nan, False)
                eq(f"partitions[{i}].lower_bound", summary.lower_bound, to_bytes(pf.field_type, min(present)) if present else None)
                eq(f"partitions[{i}].upper_bound", summary.upper_bound, to_bytes(pf.field_type, max(present)) if present else None)

            # The manifest's header and its schema.
            meta, entry_schema = header(io, want["path"])
            eq("manifest schema", Schema.model_validate_json(meta["schema"]), table_schema)
            eq("manifest schema-id", meta["schema-id"], str(table_schema.schema_id))
            eq("manifest partition-spec", json.loads(meta["partition-spec"]), json.loads(spec.model_dump_json())["fields"])
            eq("manifest partition-spec parses", [PartitionField.model_validate(p) for p in json.loads(meta["partition-spec"])], list(spec.fields))
            eq("manifest partition-spec-id", meta["partition-spec-id"], "0")
            eq("manifest format-version", meta["format-version"], "2")
            eq("manifest content", meta["content"], "data")
            eq("manifest avro.codec", meta["avro.codec"], "null")
            # Iceberg writes partition fields as optional; equality_ids is list<int> in the spec (pyiceberg says long).
            want_partition = StructType(*[NestedField(f.field_id, f.name, f.field_type, required=False) for f in partition_type.fields])
            want_data_file = StructType(
                *[
                    NestedField(102, "partition", want_partition, required=True)
                    if f.field_id == 102
                    else NestedField(135, "equality_ids", ListType(136, IntegerType(), element_required=True), required=False)
                    if f.field_id == 135
                    else f
                    for f in DATA_FILE_TYPE[2].fields
                ]
            )
            want_entry = StructType(*[NestedField(2, "data_file", want_data_file, required=True) if f.field_id == 2 else f for f in MANIFEST_ENTRY_SCHEMAS[2].fields])
            compare_struct("manifest_entry", entry_schema.as_struct(), want_entry)

            # The entries, read as pyiceberg reads them for a scan.
            entries = mf.fetch_manifest_entry(io, discard_deleted=True)
            eq("entry count", len(entries), len(files))
            for j, (e, f) in enumerate(zip(entries, files)):
                w = f"entry {j}"
                eq(f"{w} status", e.status, ManifestEntryStatus.ADDED)
                eq(f"{w} snapshot_id", e.snapshot_id, int(want["snapshot_id"]))
                eq(f"{w} sequence_number", e.sequence_number, seq)
                eq(f"{w} file_sequence_number", e.file_sequence_number, seq)
                d = e.data_file
                eq(f"{w} content", d.content, DataFileContent.DATA)
                eq(f"{w} file_path", d.file_path, f["file_path"])
                eq(f"{w} file_format", d.file_format, FileFormat.PARQUET)
                eq(f"{w} partition", [d.partition[k] for k in range(len(spec.fields))], f["partition"])
                eq(f"{w} record_count", d.record_count, f["record_count"])
                eq(f"{w} file_size_in_bytes", d.file_size_in_bytes, f["file_size_in_bytes"])
                ints = lambda m: None if m is None else {int(k): v for k, v in m.items()}  # noqa: E731
                hexes = lambda m: None if m is None else {int(k): bytes.fromhex(v) for k, v in m.items()}  # noqa: E731
                eq(f"{w} column_sizes", d.column_sizes, ints(f["column_sizes"]))
                eq(f"{w} value_counts", d.value_counts, ints(f["value_counts"]))
                eq(f"{w} null_value_counts", d.null_value_counts, ints(f["null_value_counts"]))
                eq(f"{w} nan_value_counts", d.nan_value_counts, None)
                eq(f"{w} lower_bounds", d.lower_bounds, hexes(f["lower_bounds"]))
                eq(f"{w} upper_bounds", d.upper_bounds, hexes(f["upper_bounds"]))
                eq(f"{w} key_metadata", d.key_metadata, None)
                eq(f"{w} split_offsets", d.split_offsets, None)
                eq(f"{w} equality_ids", d.equality_ids, None)
                eq(f"{w} sort_order_id", d.sort_order_id, None)
                eq(f"{w} spec_id", d.spec_id, 0)

    # boundBytes against pyiceberg's own single-value serialization (the first manifest's first file).
    first = next(iter(read_manifest_list(io.new_input(os.path.join(directory, expected["lists"][0]["file"])))))
    data_file = first.fetch_manifest_entry(io)[0].data_file
    types = {"int": IntegerType(), "long": LongType(), "timestamptz": TimestamptzType(), "double": DoubleType(), "boolean": BooleanType(), "string": StringType()}
    parse = {"int": int, "long": int, "timestamptz": int, "double": float, "boolean": lambda s: s == "true", "string": str}
    for b in expected["bound_values"]:
        t = b["type"]
        eq(f"lower bound of {b['field_id']} ({t})", data_file.lower_bounds[b["field_id"]], to_bytes(types[t], parse[t](b["lower"])))
        eq(f"upper bound of {b['field_id']} ({t})", data_file.upper_bounds[b["field_id"]], to_bytes(types[t], parse[t](b["upper"])))

    scan_check(directory, expected)
    print(f"OK: {len(expected['lists'])} manifest lists and their manifests read by pyiceberg, {checks} checks passed")


def scan_check(directory, expected):
    """Plans scans of a table whose current snapshot is the first manifest list, as a query engine would: pyiceberg
    prunes files by their partition values (hour and day projections of the filter) and by their column bounds."""
    from pyiceberg.expressions import And, EqualTo, GreaterThan, GreaterThanOrEqual, LessThan
    from pyiceberg.table import StaticTable

    lst = expected["lists"][0]
    schema = json.loads(expected["schema_json"])
    metadata = {
        "format-version": 2,
        "table-uuid": "9c12d441-03fe-4693-9a96-a0705ddf69c1",
        "location": directory,
        "last-sequence-number": int(lst["sequence_number"]),
        "last-updated-ms": 1781913600000,
        "last-column-id": max(f["id"] for f in schema["fields"]),
        "schemas": [schema],
        "current-schema-id": schema["schema-id"],
        "partition-specs": [{"spec-id": 0, "fields": [{"name": p["name"], "transform": p["transform"], "source-id": p["sourceId"], "field-id": p["fieldId"]} for p in expected["partition_fields"]]}],
        "default-spec-id": 0,
        "last-partition-id": max(p["fieldId"] for p in expected["partition_fields"]),
        "sort-orders": [{"order-id": 0, "fields": []}],
        "default-sort-order-id": 0,
        "snapshots": [
            {
                "snapshot-id": int(lst["snapshot_id"]),
                "sequence-number": int(lst["sequence_number"]),
                "timestamp-ms": 1781913600000,
                "manifest-list": os.path.join(directory, lst["file"]),
                "summary": {"operation": "append"},
                "schema-id": schema["schema-id"],
            }
        ],
        "current-snapshot-id": int(lst["snapshot_id"]),
        "properties": {},
    }
    path = os.path.join(directory, "v1.metadata.json")
    with open(path, "w") as f:
        json.dump(metadata, f)
    table = StaticTable.from_metadata(path)
    a, b = [f["file_path"] for f in lst["manifests"][0]["files"]]
    hour0 = lst["manifests"][0]["files"][0]["partition"][0] * 3_600_000_000

    def planned(row_filter):
        return sorted(t.file.file_path for t in table.scan(row_filter=row_filter).plan_files())

    from pyiceberg.expressions import AlwaysTrue

    eq("scan: all files", planned(AlwaysTrue()), sorted([a, b]))
    eq("scan: pruned by hour partition", planned(GreaterThanOrEqual("EdgeStartTimestamp", hour0 + 3_600_000_000)), [b])
    eq("scan: pruned by hour partition (before)", planned(LessThan("EdgeStartTimestamp", hour0 + 3_600_000_000)), [a])
    eq("scan: pruned by timestamptz bounds", planned(And(GreaterThan("EdgeStartTimestamp", hour0 + 3_599_000_000), LessThan("EdgeStartTimestamp", hour0 + 3_600_000_000))), [])
    eq("scan: long upper bound kept", planned(EqualTo("ZoneID", 9007199254740993)), sorted([a, b]))
    eq("scan: pruned by long upper bound", planned(GreaterThan("ZoneID", 9007199254740993)), [b])
    eq("scan: pruned by negative long lower bound", planned(LessThan("ZoneID", -5_000_000_000)), [b])
    eq("scan: pruned by string lower bound", planned(LessThan("ClientIP", "2001")), [b])
    eq("scan: pruned by int bounds", planned(GreaterThan("EdgeResponseStatus", 504)), [b])
    eq("scan: pruned by double bounds", planned(LessThan("OriginResponseTime", -0.25)), [b])


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".out/iceberg-manifests")
