import { arnPattern, bool, optional } from '../env';
import { ConfigError } from '../errors';

/**
 * The detection settings, from the environment:
 *   CFLOGS_RULES (true): run the rules stage at all;
 *   CFLOGS_RULES_DIR: a directory of user rule files (loadUserRules);
 *   CFLOGS_SIGMA_DIR: a directory of Sigma rules, compiled at start and run beside the others (lib/sigma);
 *   CFLOGS_RULES_ENABLE, CFLOGS_RULES_DISABLE: comma-separated rule ids to enable (a rule off by default, such as
 *     Cloudflare.HttpRequest.BotHighVolume) or to disable; no id in both, none twice, no empty item;
 *   CFLOGS_RULES_TABLE: the DynamoDB table of the detection state (the Lambda's; the CLI keeps it in memory), a
 *     table name or a table ARN;
 *   CFLOGS_ALERTS_TOPIC_ARN: the SNS topic alerts are published to.
 * A topic or table ARN must be in AWS_REGION's region when that is set: the clients are made for that region.
 */
export interface RulesConfig {
  enabled: boolean;
  dir?: string;
  sigmaDir?: string;
  enable: string[];
  disable: string[];
  table?: string;
  topicArn?: string;
}

export function rulesConfigFromEnv(env: NodeJS.ProcessEnv = process.env): RulesConfig {
  const dir = optional(env.CFLOGS_RULES_DIR);
  const sigmaDir = optional(env.CFLOGS_SIGMA_DIR);
  const table = optional(env.CFLOGS_RULES_TABLE);
  const topicArn = optional(env.CFLOGS_ALERTS_TOPIC_ARN);
  if (table !== undefined) checkTable(table, env);
  if (topicArn !== undefined) checkTopicArn(topicArn, env);
  return {
    enabled: bool(env, 'CFLOGS_RULES', true),
    ...ruleSwitches(env),
    ...(dir !== undefined ? { dir } : {}),
    ...(sigmaDir !== undefined ? { sigmaDir } : {}),
    ...(table !== undefined ? { table } : {}),
    ...(topicArn !== undefined ? { topicArn } : {}),
  };
}

/**
 * The rule ids to switch on and off: each list from the command line when given (`cflogs detect --enable`,
 * `--disable`), else from CFLOGS_RULES_ENABLE / CFLOGS_RULES_DISABLE. Refused, naming where each list came from:
 * an empty item or an id twice (a typo the list would otherwise hide), and an id in both lists (the rule set would
 * silently keep it off).
 */
export function ruleSwitches(
  env: NodeJS.ProcessEnv,
  given: { enable?: readonly string[] | undefined; disable?: readonly string[] | undefined } = {},
): { enable: string[]; disable: string[] } {
  const on = given.enable !== undefined ? idList('--enable', given.enable) : idList('CFLOGS_RULES_ENABLE', itemsOf(env.CFLOGS_RULES_ENABLE));
  const off = given.disable !== undefined ? idList('--disable', given.disable) : idList('CFLOGS_RULES_DISABLE', itemsOf(env.CFLOGS_RULES_DISABLE));
  const both = on.ids.find((id) => off.ids.includes(id));
  if (both !== undefined) throw new ConfigError(`${on.from} and ${off.from} both name ${both}: switch a rule on or off, not both`);
  return { enable: on.ids, disable: off.ids };
}

/** A comma-separated variable's items as written (blank: none). */
function itemsOf(v: string | undefined): string[] {
  const text = optional(v);
  return text === undefined ? [] : text.split(',');
}

/** Rule ids, trimmed, from `from`: none empty, none twice. */
function idList(from: string, items: readonly string[]): { from: string; ids: string[] } {
  const ids = items.map((id) => id.trim());
  if (ids.includes('')) throw new ConfigError(`${from} has an empty item (two commas in a row, or one at an end): ${JSON.stringify(ids.join(','))}`);
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice !== undefined) throw new ConfigError(`${from} names ${twice} twice`);
  return { from, ids };
}

/** SNS topic names: 1-256 letters, digits, _ and -, a FIFO topic's ending in .fifo (within the 256). */
const TOPIC_ARN = arnPattern('sns', '[A-Za-z0-9_-]+(?:\\.fifo)?');
/** DynamoDB table names: 3-255 letters, digits, _, . and -. */
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
const TABLE_ARN = arnPattern('dynamodb', 'table/[A-Za-z0-9_.-]{3,255}');

function checkTopicArn(arn: string, env: NodeJS.ProcessEnv): void {
  const m = TOPIC_ARN.exec(arn);
  if (!m || (m[2] as string).length > 256) {
    throw new ConfigError(
      `CFLOGS_ALERTS_TOPIC_ARN is not an SNS topic ARN (arn:<partition>:sns:<region>:<12-digit account>:<topic name>): ${JSON.stringify(arn)}`,
    );
  }
  sameRegion('CFLOGS_ALERTS_TOPIC_ARN', 'a topic', m[1] as string, env, 'SNS publishes only to topics of its own region');
}

function checkTable(table: string, env: NodeJS.ProcessEnv): void {
  if (TABLE_NAME.test(table)) return;
  const m = TABLE_ARN.exec(table);
  if (!m) {
    throw new ConfigError(
      `CFLOGS_RULES_TABLE is neither a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -) nor a table ARN: ${JSON.stringify(table)}`,
    );
  }
  sameRegion('CFLOGS_RULES_TABLE', 'a table', m[1] as string, env, 'DynamoDB serves only tables of its own region');
}

/** The clients take their region from AWS_REGION (Lambda sets it): a resource elsewhere would fail every call. */
function sameRegion(name: string, what: string, region: string, env: NodeJS.ProcessEnv, why: string): void {
  const here = optional(env.AWS_REGION);
  if (here !== undefined && here !== region) {
    throw new ConfigError(`${name} is ${what} in ${region}, and this runs in ${here} (AWS_REGION): ${why}`);
  }
}
