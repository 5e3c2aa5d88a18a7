import type { AlertMetrics } from '../alerts/alerting';
import type { ObjectMetrics } from './object';

export type MetricSink = (name: string, value: number, dimensions?: Record<string, string>) => void;

/**
 * Maps outcomes to metric values: objects processed / skipped (by reason) / failed / salvaged, lines, rows,
 * rejects (in all and by reason), filtered (by filter), bytes in, decompressed and written, per log type.
 */
export function outcomeMetrics(put: MetricSink): ObjectMetrics {
  return {
    objectDone(o) {
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
    },
    objectFailed() {
      put('ObjectsFailed', 1);
    },
  };
}

/** Alerts fired per rule, and publishes that failed (the alarm's metric: no dimension but the service). */
export function alertMetrics(put: MetricSink): AlertMetrics {
  return {
    fired: (ruleId, n) => put('AlertsFired', n, { ruleId }),
    publishFailed: (n) => put('AlertPublishFailures', n),
  };
}
