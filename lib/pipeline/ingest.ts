import type { OutputCodec } from '../lake/codec';
import type { DecodedStream } from '../decode/decompress';
import type { ObjectLocation } from '../errors';
import { eventColumns, LakeFormat } from '../lake/format';
import type { Alerting } from '../alerts/alerting';
import { LakeWriter, LakeWriterOptions } from '../lake/writer';
import type { LogSchema } from '../schema/model';
import type { Log } from '../log';
import { formatDate } from '../record/timestamps';
import type { RouteMatch } from '../route/router';
import type { SchemaRegistry } from '../record/registry';
import type { ObjectStore, RowSink } from '../lake/types';
import { handoffOf } from '../iceberg/commit';
import type { HandoffTarget } from '../iceberg/handoff';
import { Limits, processStream, ProcessSummary, summaryFields } from './process';
import type { ScanAhead } from './scan-ahead';

/**
 * An input's bytes as read, or a stream already being decompressed (an HTTP body, whose start was looked at to
 * classify it): the core then reads the decoded bytes as they are, and the summary reports the input's own
 * compression and compressed size.
 */
export type IngestBody = AsyncIterable<Buffer> | Iterable<Buffer> | DecodedStream;


/** One input, whatever brought it: an S3 object, an HTTP delivery, a file or stdin. */
export interface IngestInput {
  /** `s3://bucket/key`, `http:<request id>`, a file path: written into reject records. */
  source: string;
  /** Stable identity of this exact content: seeds p_row_id. */
  identity: string;
  route: RouteMatch;
  /** Attached to errors so they name the input. */
  location: ObjectLocation;
  /**
   * The input's own time (an S3 object's LastModified): rejects are filed under its hour, so a retry in a later
   * hour overwrites its rejects file instead of adding one. Without it, the processing time.
   */
  time?: Date;
  /** In place of the route's (the CLI's flags). */
  sourceId?: string;
  sourceLabel?: string;
}

/** The lake settings of one deployment; Config has them. */
export interface LakeConfig {
  outputPrefix: string;
  codec: OutputCodec;
  /** Rows as NDJSON or Parquet. */
  format: LakeFormat;
  maxOpenFiles: number;
}

/**
 * Where rows and rejects go: the lake (S3 and HTTP), in files named `baseName` (lib/lake/layout.ts names inputs),
 * or a sink of the caller's (the CLI's stdout).
 */
export type IngestOutput = { store: ObjectStore; config: LakeConfig; baseName: string } | { sink: RowSink };

export interface IngestOptions {
  /** p_parse_time, and the reject hour of an input without a time of its own. */
  now: Date;
  limits: Limits;
  /** See ProcessDeps.salvageCorrupt. */
  salvageCorrupt?: boolean;
  /** The rules stage and what follows it (detection state, alert records, SNS); none: no rules run. */
  alerting?: Alerting;
  /** See ProcessDeps.registry: the deployment's log types, the router's. */
  registry?: SchemaRegistry;
  /** See ProcessDeps.scanAhead. */
  scanAhead?: ScanAhead;
  /** Hand the input's Parquet files to the Iceberg committer once they are written (none: files only). */
  handoff?: HandoffTarget;
  /** The summary line, logged when the input is done: `message` with `fields`, the route and the counts. */
  summary?: { log: Log; message: string; fields: Record<string, unknown> };
}

/**
 * One input into its output: the path every entry point (S3, HTTP, the CLI) takes. Throws what processStream
 * throws (nothing of this attempt is then visible in the output); the callers decide what a failure means for
 * their transport.
 */
export async function ingest(body: IngestBody, input: IngestInput, output: IngestOutput, opts: IngestOptions): Promise<ProcessSummary> {
  const { route } = input;
  const sink =
    'sink' in output
      ? output.sink
      : new LakeWriter({
          store: output.store,
          prefix: output.config.outputPrefix,
          baseName: output.baseName,
          rejectTime: formatDate(input.time ?? opts.now),
          codec: output.config.codec,
          maxOpenFiles: output.config.maxOpenFiles,
          format: lakeFormat(output.config.format, route.entry.schema),
          ...(opts.handoff ? { eventsSuffix: opts.handoff.attempt() } : {}),
        });
  const sourceId = input.sourceId ?? route.sourceId;
  const sourceLabel = input.sourceLabel ?? route.sourceLabel;
  const summary = await processStream(
    body,
    {
      source: input.source,
      identity: input.identity,
      entry: route.entry,
      filters: route.filters,
      ...(sourceId !== undefined ? { sourceId } : {}),
      ...(sourceLabel !== undefined ? { sourceLabel } : {}),
      location: input.location,
    },
    {
      sink,
      now: opts.now,
      limits: opts.limits,
      ...(opts.salvageCorrupt ? { salvageCorrupt: true } : {}),
      ...(opts.alerting ? { rules: opts.alerting.rules } : {}),
      ...(opts.registry ? { registry: opts.registry } : {}),
      ...(opts.scanAhead ? { scanAhead: opts.scanAhead } : {}),
    },
  );
  if (opts.handoff && !('sink' in output)) await handOff(opts.handoff, input, summary);
  // After the rows are in the lake: a failure here fails the input, whose retry rewrites the same rows.
  const alerts = opts.alerting && summary.detections ? await opts.alerting.afterInput(input.identity, summary.detections.contributions) : undefined;
  if (alerts) summary.alerts = { fired: alerts.fired, updated: alerts.updated, records: alerts.records };
  opts.summary?.log.info(opts.summary.message, { ...opts.summary.fields, route: route.via, ...summaryFields(summary) });
  if (summary.suspectLogType) {
    // Once per input: rows written under a log type whose fields they lack are a routing mistake to fix.
    const { rows, bestFit } = summary.suspectLogType;
    opts.summary?.log.warn(
      `${rows} rows have none of ${summary.logType}'s fields but the event time: ${bestFit ? `they look like ${bestFit}` : 'no log type fits them'}; check the route or --log-type`,
      { ...opts.summary.fields, route: route.via, logType: summary.logType, suspectRows: rows, ...(bestFit ? { bestFit } : {}) },
    );
  }
  return summary;
}

/**
 * The input's data files to the committer, one hand-off per table. A failure fails the input: its retry writes new
 * files and hands them off, and the committer takes the first hand-off of an input that reaches it.
 */
async function handOff(target: HandoffTarget, input: IngestInput, summary: ProcessSummary): Promise<void> {
  const tables = [...new Set(summary.outputs.filter((o) => o.kind === 'events').map((o) => o.table))];
  const messages = tables
    .map((table) => ({
      table,
      handoff: handoffOf(input.identity, summary.outputs.filter((o) => o.table === table), target.locate),
      ...(input.time ? { landed: input.time.getTime() } : {}),
    }))
    .filter((m) => m.handoff.files.length > 0);
  if (messages.length > 0) await target.sender.send(messages);
}

/** The writer's format setting for one input's log type: its table's columns, worked out once per input. */
function lakeFormat(name: LakeFormat, schema: LogSchema): LakeWriterOptions['format'] {
  const columns = eventColumns(schema, name);
  return { name, columns: () => columns };
}
