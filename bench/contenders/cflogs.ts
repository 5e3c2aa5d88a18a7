/**
 * cflogs: the real core (`processStream`: sniffing, streaming gunzip, Buffer framing, raw filters, exact JSON
 * parsing, the precompiled validator, normalisation, enrichment) writing through the real `LakeWriter` (one
 * compressed file per event hour, backpressure, LRU of open files) into an object store whose write streams count
 * and discard the bytes. Settings (output codec and level, open files, limits) are the defaults of `loadConfig`, as
 * the Lambda has them: zstd level 3.
 *
 * params.filter: adds a raw exclude filter on the corpus's needle (about half the lines), the figure issue 8 asks.
 * params.compression: the output codec, set as the Lambda would be (`CFLOGS_OUTPUT_COMPRESSION`, at that codec's
 * default level): 'gzip' is the `cflogs_gzip` reference row. Absent: the default (zstd).
 * params.format: 'parquet' writes Parquet lake files (`CFLOGS_OUTPUT_FORMAT=parquet`, the `cflogs_parquet` row),
 * with the table's columns as the pipeline gives them (lib/lake/format.ts eventColumns); each file's footer is then
 * read back (hyparquet's parquetMetadata) and its row count and columns checked. Absent: NDJSON.
 * params.rules: runs the detection stage with the default rule set, as a Lambda's cold start builds it with no
 * CFLOGS_RULES_DIR, ENABLE or DISABLE (`loadRuleSetSync`: the built-in rules, those enabled in their files), passed
 * to processStream as `rules` (the `cflogs_rules` row). When the log type has enabled rules, the stage must have seen
 * every row written and no rule may have failed. Only the stage is timed: applying its matches to the detection state
 * and writing alerts happen after processStream, in lib/alerts. params.rulesEnable / rulesDisable (rule ids, bench's
 * --rules-enable / --rules-disable) change the set as CFLOGS_RULES_ENABLE / CFLOGS_RULES_DISABLE do.
 */
import { closeSync, createReadStream, fstatSync, mkdtempSync, openSync, readSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetMetadata } from 'hyparquet';
import { loadConfig } from '../../lib/config';
import { eventColumns } from '../../lib/lake/format';
import { compileFilters } from '../../lib/filter/filters';
import { processStream } from '../../lib/pipeline/process';
import { processScanThread } from '../../lib/pipeline/scan-ahead';
import { builtInRegistry } from '../../lib/record/registry';
import { LakeWriter } from '../../lib/lake/writer';
import { loadRuleSetSync } from '../../lib/rules/builtin';
import { LocalCatalog, localFiles } from '../../lib/iceberg/catalog';
import { appendHandoffs, currentDataFiles, handoffOf } from '../../lib/iceberg/commit';
import { LocalStore } from '../../lib/lake/local-store';
import type { Contender } from '../contender';
import { DiscardStore } from '../discard-store';

/** The five columns of the bench's query-bytes figure: when, who, what, and the answer, as a dashboard asks. */
const QUERY_COLUMNS = ['p_event_time', 'ClientIP', 'ClientRequestHost', 'ClientRequestPath', 'EdgeResponseStatus'];

const cflogs: Contender = {
  async prepare(corpus, params) {
    const config = loadConfig({
      ...(params.compression === undefined ? {} : { CFLOGS_OUTPUT_COMPRESSION: String(params.compression) }),
      // NDJSON unless params.format says (`cflogs_parquet`): the other cflogs rows compare with DuckDB's NDJSON.
      CFLOGS_OUTPUT_FORMAT: params.format === undefined ? 'ndjson' : String(params.format),
      // To compare the two-core rows with and without the scan thread: CFLOGS_SCAN_THREAD=off npm run bench.
      CFLOGS_SCAN_THREAD: process.env.CFLOGS_SCAN_THREAD,
    });
    const entry = builtInRegistry().forDataset(corpus.options.dataset);
    if (!entry) throw new Error(`no log type for dataset ${corpus.options.dataset}`);
    const parquet = config.format === 'parquet';
    // As lib/pipeline/ingest.ts gives the writer its format: the table's columns, worked out once per input.
    const columns = eventColumns(entry.schema, config.format);
    const filter = params.filter === true;
    const filters = filter
      ? compileFilters([{ name: 'drop-needle', exclude: { raw: { contains: corpus.needle } } }])
      : undefined;
    // As lib/wiring.ts builds it at a cold start, with no rules directory and nothing enabled or disabled.
    // params.rulesEnable / rulesDisable: rule ids, as CFLOGS_RULES_ENABLE / CFLOGS_RULES_DISABLE give them.
    const ids = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);
    const rules =
      params.rules === true
        ? loadRuleSetSync({ knownLogTypes: builtInRegistry().logTypes(), enable: ids(params.rulesEnable), disable: ids(params.rulesDisable) })
        : undefined;
    const enabledRules = rules?.forLogType(entry.plan.logType)?.rules.length ?? 0;
    // As lib/wiring.ts starts it: for Parquet where a second CPU is there (cflogs_parquet_2core), unless
    // CFLOGS_SCAN_THREAD says otherwise.
    const scanAhead = config.scanThread ? processScanThread((e) => console.error(`the scan thread failed: ${String(e)}`)) : undefined;
    const now = new Date('2026-11-24T12:00:00Z');
    const store = new DiscardStore(parquet);
    // params.iceberg: the files are then committed to an Iceberg table (a local catalog in a temporary directory).
    const iceberg = params.iceberg === true ? mkdtempSync(join(tmpdir(), 'cflogs-bench-iceberg-')) : undefined;
    // params.compact: a lake on disk, whose table is compacted after each commit.
    const lakeDir = params.compact === true && iceberg !== undefined ? join(iceberg, 'lake') : undefined;
    let round = 0;

    let compacted: string[] | undefined;
    let compactMs = 0;
    return async () => {
      const disk = lakeDir === undefined ? undefined : new LocalStore(join(lakeDir, String(round + 1)));
      const sink = new LakeWriter({
        store: disk ?? store,
        prefix: '',
        baseName: 'bench',
        rejectTime: '2026-11-24 12:00:00.000000000',
        codec: config.codec,
        maxOpenFiles: config.maxOpenFiles,
        format: { name: config.format, columns: () => columns },
      });
      const s = await processStream(
        createReadStream(corpus.path),
        {
          source: `s3://bench/${corpus.key}`,
          identity: `bench/${corpus.key}/etag`,
          entry,
          ...(filters ? { filters } : {}),
          location: { bucket: 'bench', key: corpus.key },
        },
        { sink, now, limits: config.limits, ...(rules ? { rules } : {}), ...(scanAhead ? { scanAhead } : {}) },
      );
      const expectedFiltered = filter ? corpus.needleLines : 0;
      const problems: string[] = [];
      if (s.lines !== corpus.lines) problems.push(`read ${s.lines} lines, the corpus has ${corpus.lines}`);
      if (s.rejected !== 0) problems.push(`${s.rejected} rejects: ${JSON.stringify(s.rejectsByReason)}`);
      if (s.filtered !== expectedFiltered) problems.push(`filtered ${s.filtered}, expected ${expectedFiltered}`);
      const outRows = s.outputs.filter((o) => o.kind === 'events').reduce((a, o) => a + o.rows, 0);
      if (outRows !== s.rows) problems.push(`output files hold ${outRows} rows, the summary says ${s.rows}`);
      const outBytes = s.outputs.reduce((a, o) => a + o.bytes, 0);
      if (disk === undefined && outBytes !== store.totalBytes()) problems.push(`store got ${store.totalBytes()} bytes, outputs say ${outBytes}`);
      const d = s.detections;
      if (rules && enabledRules > 0) {
        if (!d) problems.push(`${enabledRules} rules enabled for ${entry.plan.logType}, but the stage did not run`);
        else {
          if (d.rows !== s.rows) problems.push(`the rules saw ${d.rows} rows, ${s.rows} were written`);
          if (d.ruleErrors.length) problems.push(`rules failed: ${JSON.stringify(d.ruleErrors)}`);
        }
      } else if (d) problems.push('the rules stage ran without enabled rules');
      if (iceberg !== undefined) {
        // Each timed run is another input: one snapshot each, on a table that grows as a committer's does.
        round++;
        const h = handoffOf(`bench/${corpus.key}/${round}`, s.outputs, (key) => (lakeDir === undefined ? `/bench/${round}/${key}` : join(lakeDir, String(round), key)));
        const catalog = new LocalCatalog(iceberg);
        const c = await appendHandoffs({ catalog, ...localFiles, now: () => now.getTime() }, entry.plan.table, columns, [h]);
        if (c.committed.length !== 1) problems.push(`the commit took ${c.committed.length} inputs, 1 expected`);
        if (lakeDir !== undefined) {
          // Loaded here: the other rows of this contender do not load the compaction's modules.
          // eslint-disable-next-line @typescript-eslint/no-require-imports
          const { COMPACTION_DEFAULTS, compactTables } = require('../../lib/cli/compact') as typeof import('../../lib/cli/compact');
          const t0 = performance.now();
          const [r] = await compactTables(catalog, [entry.plan.table], COMPACTION_DEFAULTS, () => now.getTime());
          compactMs = performance.now() - t0;
          if (r?.snapshotId === undefined) problems.push('the compaction made no snapshot');
          const t = await catalog.load(entry.plan.table);
          // This round's files: the table's files under this round's lake (earlier rounds' are compacted already).
          compacted = t ? (await currentDataFiles(localFiles.read, t.metadata)).filter((f) => f.startsWith(join(lakeDir, String(round), '/'))) : [];
        }
      }
      let rowGroups = 0;
      let queryBytes = 0;
      let compactedBytes = 0;
      if (compacted !== undefined) {
        let rows = 0;
        for (const f of compacted) {
          const { size, tail } = footerOf(f);
          compactedBytes += size;
          const meta = parquetMetadata(tail);
          rowGroups += meta.row_groups.length;
          rows += Number(meta.num_rows);
          queryBytes += meta.metadata_length + 8;
          for (const g of meta.row_groups) {
            for (const c of g.columns) if (QUERY_COLUMNS.includes(c.meta_data?.path_in_schema[0] ?? '')) queryBytes += Number(c.meta_data?.total_compressed_size ?? 0n);
          }
        }
        if (rows !== s.rows) problems.push(`the compacted files hold ${rows} rows, ${s.rows} were written`);
      } else if (parquet) {
        for (const o of s.outputs) {
          if (o.kind !== 'events') continue;
          const ends = store.ends.get(o.key);
          if (!o.key.endsWith('.parquet') || !ends || ends.head.toString('latin1') !== 'PAR1') {
            problems.push(`${o.key} is not a Parquet file`);
            continue;
          }
          const meta = parquetMetadata(ends.tail);
          rowGroups += meta.row_groups.length;
          // What a query naming QUERY_COLUMNS reads of the file: their column chunks and the footer.
          queryBytes += meta.metadata_length + 8;
          for (const g of meta.row_groups) {
            for (const c of g.columns) if (QUERY_COLUMNS.includes(c.meta_data?.path_in_schema[0] ?? '')) queryBytes += Number(c.meta_data?.total_compressed_size ?? 0n);
          }
          if (Number(meta.num_rows) !== o.rows) problems.push(`${o.key}: its footer says ${meta.num_rows} rows, the writer ${o.rows}`);
          // One leaf per column: a list column's is its element.
          const bad = meta.row_groups.find((g) => g.columns.length !== columns.length || Number(g.num_rows) <= 0);
          if (bad) problems.push(`${o.key}: a row group of ${bad.num_rows} rows has ${bad.columns.length} column chunks, ${columns.length} columns expected`);
        }
      }
      if (problems.length) throw new Error(`cflogs output does not check out: ${problems.join('; ')}`);
      return {
        rows: s.rows,
        expectedRows: corpus.lines - expectedFiltered,
        bytesOut: compacted !== undefined ? compactedBytes : store.totalBytes(),
        notes: {
          filtered: s.filtered,
          files: compacted !== undefined ? compacted.length : s.outputs.length,
          ...(compacted !== undefined ? { compact_ms: Math.round(compactMs), ingest_bytes: outBytes } : {}),
          unknown_fields: Object.keys(s.unknownFields).length,
          codec: compacted !== undefined ? 'parquet zstd 3, compacted' : parquet ? `parquet zstd ${config.codec.compression === 'zstd' ? config.codec.level : 3}` : `${config.codec.compression} ${config.codec.level}`,
          ...(parquet ? { row_groups: rowGroups, query_bytes: queryBytes, query_columns: QUERY_COLUMNS.join(', ') } : {}),
          ...(rules ? { log_type: entry.plan.logType, rules_enabled: enabledRules, rule_rows: d?.rows ?? 0, rule_matches: d?.matches ?? 0, rule_groups: d?.contributions.length ?? 0 } : {}),
        },
      };
    };
  },
};

/** A Parquet file's size and its last 512 KiB (the footer and its length): what parquetMetadata reads. */
function footerOf(path: string): { size: number; tail: ArrayBuffer } {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const n = Math.min(size, 512 * 1024);
    const buf = Buffer.alloc(n);
    readSync(fd, buf, 0, n, size - n);
    return { size, tail: buf.buffer.slice(buf.byteOffset, buf.byteOffset + n) };
  } finally {
    closeSync(fd);
  }
}

export default cflogs;
