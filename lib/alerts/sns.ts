import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { AlertRecord } from '../rules/alert';
import type { AlertPublisher } from './alerting';

/** SNS subjects: printable ASCII, no line breaks, 100 characters at most. */
function subjectOf(r: AlertRecord): string {
  return `[${r.severity}] ${r.title}`.replace(/[^\x20-\x7e]+/g, ' ').slice(0, 100);
}

/**
 * Publishes an alert record to an SNS topic: the message is the record as JSON (Panther's alert payload fields and
 * what matched), with the severity and rule id as message attributes for subscription filter policies.
 */
export class SnsPublisher implements AlertPublisher {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(record: AlertRecord): Promise<void> {
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: subjectOf(record),
        Message: JSON.stringify(record),
        MessageAttributes: {
          severity: { DataType: 'String', StringValue: record.severity },
          ruleId: { DataType: 'String', StringValue: record.ruleId },
        },
      }),
    );
  }
}
