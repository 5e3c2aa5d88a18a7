import { CflogsError, messageOf } from '../errors';
import type { OutputCodec } from '../lake/codec';
import { alertKey } from '../lake/layout';
import type { ObjectStore } from '../lake/types';
import { AlertRecord, alertRecord } from '../rules/alert';
import type { RuleSet } from '../rules/engine';
import type { AlertStateStore } from '../rules/store';
import type { AlertState, GroupContribution } from '../rules/windows';

/** Where fired alerts go besides the lake: SNS in the Lambda (lib/alerts/sns.ts). */
export interface AlertPublisher {
  publish(record: AlertRecord): Promise<void>;
}

/** Counts for metrics: alerts fired per rule, and publishes that failed. */
export interface AlertMetrics {
  fired(ruleId: string, count: number): void;
  publishFailed(count: number): void;
}

export interface AlertingDeps {
  rules: RuleSet;
  /** Detection state: DynamoDB in the Lambda, memory in the CLI. */
  state: AlertStateStore;
  /** The lake, for alert records (alerts/...); none: records are only returned. */
  lake?: { store: ObjectStore; prefix: string; codec: OutputCodec };
  publisher?: AlertPublisher;
  metrics?: AlertMetrics;
  clock: () => Date;
}

export interface AlertingResult {
  /** Alerts this input made fire (or that an earlier attempt made fire and did not publish). */
  fired: AlertRecord[];
  /** Alerts that had fired and that this input's matches joined. */
  updated: AlertRecord[];
}

/** Publishing an alert failed: the input fails too, so its retry publishes what the state still marks unpublished. */
export class AlertPublishError extends CflogsError {
  override readonly name = 'AlertPublishError';
  readonly retryable = true;
}

/**
 * The stage after an input's rows are in the lake: its rule matches go to the detection state once (keyed by the
 * input's identity, so a redelivery changes nothing), the alerts that fired or grew are written to the lake as
 * their current records, and the fired ones are published, then marked published. Any failure throws: the caller
 * retries the input, whose rows are rewritten identically and whose matches are not counted again.
 */
export class Alerting {
  constructor(private readonly deps: AlertingDeps) {}

  get rules(): RuleSet {
    return this.deps.rules;
  }

  async afterInput(identity: string, contributions: readonly GroupContribution[]): Promise<AlertingResult> {
    const { deps } = this;
    if (contributions.length === 0) return { fired: [], updated: [] };
    // The state records the input by a hash of its identity (bucket, key, version; windows.ts inputTag).
    const { fired, updated } = await deps.state.apply(identity, contributions);
    const now = deps.clock();
    const record = (a: AlertState): AlertRecord => alertRecord(deps.rules.get(a.ruleId), a, now);
    const result = { fired: fired.map(record), updated: updated.map(record) };
    if (deps.lake) await Promise.all([...result.fired, ...result.updated].map((r) => this.writeRecord(r)));
    const counts = new Map<string, number>();
    for (const r of result.fired) counts.set(r.ruleId, (counts.get(r.ruleId) ?? 0) + 1);
    for (const [ruleId, n] of counts) deps.metrics?.fired(ruleId, n);
    if (fired.length > 0) {
      // Without a publisher the lake record is the alert's delivery: marked, so the state may prune it later.
      if (deps.publisher) await this.publish(fired, result.fired);
      else await deps.state.markPublished(fired);
    }
    return result;
  }

  /** Publishes each fired alert; marks those that went out; throws when any did not. */
  private async publish(alerts: AlertState[], records: AlertRecord[]): Promise<void> {
    const publisher = this.deps.publisher as AlertPublisher;
    const outcomes = await Promise.allSettled(records.map((r) => publisher.publish(r)));
    const sent = alerts.filter((_a, i) => outcomes[i]?.status === 'fulfilled');
    if (sent.length > 0) await this.deps.state.markPublished(sent);
    const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed.length > 0) {
      this.deps.metrics?.publishFailed(failed.length);
      throw new AlertPublishError(`publishing ${failed.length} of ${records.length} alerts failed: ${messageOf(failed[0]?.reason)}`, {
        cause: failed[0]?.reason,
      });
    }
  }

  /** One file per alert, rewritten with the state this input read: the lake holds each alert's latest record. */
  private async writeRecord(r: AlertRecord): Promise<void> {
    const { store, prefix, codec } = this.deps.lake as NonNullable<AlertingDeps['lake']>;
    const target = store.openWrite(alertKey(prefix, r.windowStart, r.alertId, codec.extension));
    const out = codec.create({ chunkSize: 16 * 1024, writableHighWaterMark: 16 * 1024 });
    out.pipe(target.stream);
    out.end(`${JSON.stringify(r)}\n`);
    await target.result;
  }
}
