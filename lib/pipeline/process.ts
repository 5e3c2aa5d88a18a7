import type { DecodedStream } from '../decode/decompress';
import { InputRun } from './input-run';
import type { InputInfo, ProcessDeps, ProcessSummary } from './process-types';

export { DEFAULT_LIMITS, type DetectionSummary, type InputInfo, type Limits, type ProcessDeps, type ProcessSummary } from './process-types';

/**
 * The core: bytes of one input -> rows and rejects in the sink. Pure apart from the sink it is handed;
 * no AWS here. Per-line problems become reject records; a failure of the input or the sink aborts the sink
 * (nothing from this attempt stays visible) and throws an error naming the input and position.
 */
export async function processStream(
  /** The input's bytes as read, or a stream already being decompressed (read as it is, never decompressed again). */
  body: AsyncIterable<Buffer> | Iterable<Buffer> | DecodedStream,
  input: InputInfo,
  deps: ProcessDeps,
): Promise<ProcessSummary> {
  const run = new InputRun(input, deps);
  try {
    await run.read(body);
    await run.commit();
  } catch (e) {
    await deps.sink.abort();
    throw e;
  }
  return run.summary();
}

/** The per-input summary line's fields (counts and keys only; never data). */
export function summaryFields(s: ProcessSummary): Record<string, unknown> {
  return {
    logType: s.logType,
    compression: s.compression,
    linesRead: s.lines,
    rowsWritten: s.rows,
    rejectsByReason: s.rejectsByReason,
    filtered: s.filtered,
    filteredBy: s.filteredBy,
    blank: s.blank,
    unknownFields: s.unknownFields,
    invalidFields: s.invalidFields,
    ...(s.suspectLogType ? { suspectLogType: s.suspectLogType } : {}),
    ...(s.detections
      ? {
          ruleMatches: s.detections.matchesByRule,
          // A rule's error message may quote the value it choked on: the log has the rule, the count and the row id.
          ...(s.detections.ruleErrors.length > 0 ? { ruleErrors: s.detections.ruleErrors.map(({ message: _m, ...e }) => e) } : {}),
        }
      : {}),
    ...(s.alerts ? { alertsFired: s.alerts.records.slice(0, s.alerts.fired).map((a) => a.alertId), alertsUpdated: s.alerts.updated } : {}),
    bytesIn: s.bytesIn,
    decompressedBytes: s.decompressedBytes,
    outputs: s.outputs.map((o) => o.key),
    durationMs: s.durationMs,
    ...(s.salvaged ? { salvaged: true } : {}),
  };
}
