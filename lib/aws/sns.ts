import { MessageAttributeValue, PublishBatchCommand, PublishBatchRequestEntry, SNSClient } from '@aws-sdk/client-sns';
import { CflogsError, Disposition, Dispositions } from '../errors';
import type { AlertMessage, AlertPublisher, PublishOutcome } from '../alerts/alerting';

/** SNS's limits on one PublishBatch call: entries, and bytes of all messages, subjects and attributes together. */
export const SNS_BATCH_ENTRIES = 10;
export const SNS_BATCH_BYTES = 256 * 1024;

/** SNS subjects: printable ASCII, no line breaks, 100 characters at most. */
function subjectOf(r: AlertMessage): string {
  return `[${r.severity}] ${r.title}`.replace(/[^\x20-\x7e]+/g, ' ').slice(0, 100);
}

/** One message SNS listed as failed: `senderFault` says whether sending it again can help. */
export class SnsEntryError extends CflogsError {
  override readonly name = 'SnsEntryError';
  constructor(
    readonly code: string,
    message: string,
    readonly senderFault: boolean,
  ) {
    super(`SNS refused the message: ${code}: ${message}`);
  }

  override get disposition(): Disposition {
    return this.senderFault ? Dispositions.deadLetter : Dispositions.retry;
  }
}

function entryOf(m: AlertMessage, id: string): PublishBatchRequestEntry {
  const attributes: Record<string, MessageAttributeValue> = {
    severity: { DataType: 'String', StringValue: m.severity },
    ruleId: { DataType: 'String', StringValue: m.ruleId },
  };
  // A flood summary says so, for subscription filter policies.
  if ('summary' in m) attributes.summarisedAlerts = { DataType: 'Number', StringValue: String(m.summary.alerts) };
  return { Id: id, Subject: subjectOf(m), Message: JSON.stringify(m), MessageAttributes: attributes };
}

/** What SNS counts towards a batch's size. */
function entryBytes(e: PublishBatchRequestEntry): number {
  let n = Buffer.byteLength(e.Message ?? '') + Buffer.byteLength(e.Subject ?? '');
  for (const [name, v] of Object.entries(e.MessageAttributes ?? {})) n += Buffer.byteLength(name) + Buffer.byteLength(v.DataType ?? '') + Buffer.byteLength(v.StringValue ?? '');
  return n;
}

/**
 * Publishes alert messages to an SNS topic with PublishBatch: each message is an alert's record (or a flood
 * summary) as JSON (Panther's alert payload fields and what matched), with the severity and rule id as message
 * attributes for subscription filter policies. SNS answers per message; each outcome is passed on, so a message
 * that failed is retried alone. Messages are split into calls SNS accepts (10 entries, 256 KiB in all).
 */
export class SnsPublisher implements AlertPublisher {
  readonly batchSize = SNS_BATCH_ENTRIES;

  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(messages: readonly AlertMessage[]): Promise<PublishOutcome[]> {
    const entries = messages.map((m, i) => entryOf(m, `m${i}`));
    const outcomes: PublishOutcome[] = [];
    for (let i = 0; i < entries.length; ) {
      let bytes = entryBytes(entries[i] as PublishBatchRequestEntry);
      let j = i + 1;
      while (j < entries.length && j - i < SNS_BATCH_ENTRIES && bytes + entryBytes(entries[j] as PublishBatchRequestEntry) <= SNS_BATCH_BYTES) {
        bytes += entryBytes(entries[j] as PublishBatchRequestEntry);
        j++;
      }
      outcomes.push(...(await this.send(entries.slice(i, j))));
      i = j;
    }
    return outcomes;
  }

  /** One PublishBatch call; a failure of the whole call is every entry's. */
  private async send(batch: PublishBatchRequestEntry[]): Promise<PublishOutcome[]> {
    let answer;
    try {
      answer = await this.client.send(new PublishBatchCommand({ TopicArn: this.topicArn, PublishBatchRequestEntries: batch }));
    } catch (error) {
      return batch.map(() => ({ ok: false, error }));
    }
    const ok = new Set((answer.Successful ?? []).map((s) => s.Id));
    const failed = new Map((answer.Failed ?? []).map((f) => [f.Id, f]));
    return batch.map((e): PublishOutcome => {
      if (ok.has(e.Id)) return { ok: true };
      const f = failed.get(e.Id);
      return { ok: false, error: f ? new SnsEntryError(f.Code ?? 'Unknown', f.Message ?? '', f.SenderFault === true) : new SnsEntryError('NoAnswer', 'SNS listed the message neither as sent nor as failed', false) };
    });
  }
}
