"""pySigma's side of `npm run conformance:sigma` (run.ts): convert each corpus rule to DuckDB SQL with
pysigma-backend-duckdb, through a processing pipeline that maps Sigma's field names onto the columns cflogs maps them
to (mapping.json, written from lib/sigma/fields.ts), run it over the same rows (one NDJSON table per dataset) and
write the matching row ids per rule to pysigma.json.

Usage: check_pysigma.py OUT_DIR (holding mapping.json, rules.json and <dataset>.ndjson)
"""

import json
import os
import sys

import duckdb
from sigma.collection import SigmaCollection
from sigma.processing.conditions import LogsourceCondition
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations import FieldMappingTransformation
from sigma_backend_duckdb import DuckDBBackend


class KeywordDuckDBBackend(DuckDBBackend):
    """The DuckDB backend, with keyword searches (which it refuses) as a case-insensitive search anywhere in any of
    the category's keyword columns: the columns cflogs searches (docs/sigma.md, field mapping)."""

    keyword_columns: list = []

    def convert_condition_val_str(self, cond, state):
        value = self.convert_value_str(cond.value, state, no_quote=True)
        ors = [f"CAST(\"{c}\" AS VARCHAR) ILIKE '%{value}%'" for c in self.keyword_columns]
        return "(" + " OR ".join(ors) + ")"

    def convert_condition_val_num(self, cond, state):
        ors = [f"CAST(\"{c}\" AS VARCHAR) ILIKE '%{cond.value}%'" for c in self.keyword_columns]
        return "(" + " OR ".join(ors) + ")"


def main(out):
    with open(os.path.join(out, "mapping.json")) as f:
        mapping = json.load(f)
    with open(os.path.join(out, "rules.json")) as f:
        rules = json.load(f)

    con = duckdb.connect()
    for category, m in mapping.items():
        path = os.path.join(out, m["table"] + ".ndjson")
        # Every column as text: a number is matched as its text (`sc-status: 200`, `|startswith: '4'`) on both sides.
        columns = ", ".join(f"'{c}': 'VARCHAR'" for c in m["columns"])
        con.execute(
            f"CREATE TABLE {m['table']} AS SELECT * FROM read_json('{path}', format='newline_delimited', columns={{{columns}}})"
        )

    pipeline = ProcessingPipeline(
        name="cflogs field mapping",
        items=[
            ProcessingItem(
                identifier=f"cflogs_{category}",
                transformation=FieldMappingTransformation(m["fields"]),
                rule_conditions=[LogsourceCondition(category=category)],
            )
            for category, m in mapping.items()
        ],
    )

    results = {}
    for r in rules:
        want = r["id"].removeprefix("Sigma.")
        with open(r["file"]) as f:
            collection = SigmaCollection.from_yaml(f.read())
        rule = next((x for x in collection.rules if str(getattr(x, "id", "")) == want), None)
        if rule is None:
            results[r["id"]] = {"error": "rule not found in its file"}
            continue
        backend = KeywordDuckDBBackend(processing_pipeline=pipeline)
        backend.table = r["table"]
        backend.keyword_columns = mapping[r["category"]]["keywords"]
        try:
            queries = backend.convert_rule(rule)
        except Exception as e:  # a rule pySigma cannot convert is reported, not compared
            results[r["id"]] = {"error": f"conversion: {type(e).__name__}: {e}"}
            continue
        rows = set()
        sql = []
        try:
            for q in queries:
                sql.append(q)
                rows.update(x[0] for x in con.execute(f"SELECT p_row_id FROM ({q})").fetchall())
        except Exception as e:
            results[r["id"]] = {"error": f"DuckDB: {type(e).__name__}: {e}", "sql": sql}
            continue
        results[r["id"]] = {"rows": sorted(rows), "sql": sql}

    with open(os.path.join(out, "pysigma.json"), "w") as f:
        json.dump(results, f, indent=1)
    converted = sum(1 for v in results.values() if "rows" in v)
    print(f"pySigma: {converted} of {len(rules)} rules converted and run in DuckDB {duckdb.__version__}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
