import type { AlertMetrics } from '../alerts/alerting';
import type { ObjectMetrics, ObjectOutcome } from './object';

/** Metrics that share their dimensions: one EMF record. */
export interface MetricRecord {
  dimensions?: Record<string, string>;
  metrics: [name: string, value: number][];
}

/** Where records go: Powertools (lib/aws/powertools.ts) writes each as one EMF line. */
export type MetricSink = (records: MetricRecord[]) => void;

/** Groups one event's metrics by their dimensions, and hands them to the sink in one call. */
function batched(sink: MetricSink, emit: (put: (name: string, value: number, dimensions?: Record<string, string>) => void) => void): void {
  const records = new Map<string, MetricRecord>();
  emit((name, value, dimensions) => {
    const key = JSON.stringify(dimensions ?? {});
    let r = records.get(key);
    if (!r) records.set(key, (r = { ...(dimensions ? { dimensions } : {}), metrics: [] }));
    r.metrics.push([name, value]);
  });
  sink([...records.values()]);
}

/**
 * Maps outcomes to metric values: objects processed / skipped (by reason) / failed / salvaged, lines, rows,
 * rejects (in all and by reason), filtered (by filter), bytes in, decompressed and written, per log type. An
 * object's metrics go out as one record per dimension set (the log type's, each reason's, each filter's ...).
 */
export function outcomeMetrics(sink: MetricSink): ObjectMetrics {
  return {
    objectDone: (o) => batched(sink, (put) => objectMetrics(o, put)),
    objectFailed() {
      sink([{ metrics: [['ObjectsFailed', 1]] }]);
    },
  };
}

function objectMetrics(o: ObjectOutcome, put: (name: string, value: number, dimensions?: Record<string, string>) => void): void {
  if (o.status === 'skipped') {
    put('ObjectsSkipped', 1, { reason: o.reason });
    return;
  }
  const s = o.summary;
  const lt = { logType: s.logType };
  put('ObjectsProcessed', 1, lt);
  put('LinesRead', s.lines, lt);
  put('RowsWritten', s.rows, lt);
  put('Rejects', s.rejected, lt);
  for (const [reason, n] of Object.entries(s.rejectsByReason)) put('RejectsByReason', n ?? 0, { ...lt, reason });
  put('Filtered', s.filtered, lt);
  for (const [filter, n] of Object.entries(s.filteredBy)) put('FilteredByFilter', n, { ...lt, filter });
  put('BlankLines', s.blank, lt);
  put('BytesIn', s.bytesIn, lt);
  put('BytesDecompressed', s.decompressedBytes, lt);
  put('BytesWritten', s.outputs.reduce((a, f) => a + f.bytes, 0), lt);
  put('UnknownFieldNames', Object.keys(s.unknownFields).length, lt);
  // Rows that kept a field in p_invalid_fields, per field: a job's drift shows which field changed shape.
  for (const [field, n] of Object.entries(s.invalidFields)) put('InvalidFields', n, { ...lt, field });
  if (s.salvaged) put('ObjectsSalvaged', 1, lt);
  if (s.suspectLogType) put('SuspectLogTypeRows', s.suspectLogType.rows, lt);
  for (const [ruleId, n] of Object.entries(s.detections?.matchesByRule ?? {})) put('RuleMatches', n, { ruleId });
  for (const e of s.detections?.ruleErrors ?? []) put('RuleErrors', e.count, { ruleId: e.ruleId });
}

/** Alerts fired per rule, and publishes that failed (the alarm's metric: no dimension but the service). */
export function alertMetrics(sink: MetricSink): AlertMetrics {
  return {
    fired: (ruleId, n) => sink([{ dimensions: { ruleId }, metrics: [['AlertsFired', n]] }]),
    publishFailed: (n) => sink([{ metrics: [['AlertPublishFailures', n]] }]),
  };
}
