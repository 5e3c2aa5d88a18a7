import { bool, optional } from '../env';

/**
 * The detection settings, from the environment:
 *   CFLOGS_RULES (true): run the rules stage at all;
 *   CFLOGS_RULES_DIR: a directory of user rule files (loadUserRules);
 *   CFLOGS_RULES_ENABLE, CFLOGS_RULES_DISABLE: comma-separated rule ids to enable (a rule off by default, such as
 *     Cloudflare.HttpRequest.BotHighVolume) or to disable;
 *   CFLOGS_RULES_TABLE: the DynamoDB table of the detection state (the Lambda's; the CLI keeps it in memory);
 *   CFLOGS_ALERTS_TOPIC_ARN: the SNS topic alerts are published to.
 */
export interface RulesConfig {
  enabled: boolean;
  dir?: string;
  enable: string[];
  disable: string[];
  table?: string;
  topicArn?: string;
}

const ids = (v: string | undefined): string[] =>
  (optional(v) ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

export function rulesConfigFromEnv(env: NodeJS.ProcessEnv = process.env): RulesConfig {
  const dir = optional(env.CFLOGS_RULES_DIR);
  const table = optional(env.CFLOGS_RULES_TABLE);
  const topicArn = optional(env.CFLOGS_ALERTS_TOPIC_ARN);
  return {
    enabled: bool(env, 'CFLOGS_RULES', true),
    enable: ids(env.CFLOGS_RULES_ENABLE),
    disable: ids(env.CFLOGS_RULES_DISABLE),
    ...(dir !== undefined ? { dir } : {}),
    ...(table !== undefined ? { table } : {}),
    ...(topicArn !== undefined ? { topicArn } : {}),
  };
}
