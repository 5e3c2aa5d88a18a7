/**
 * Cold-start module initialisation, measured the way Lambda pays it: a fresh `node` process requires the bundle
 * (compile + top-level code: config, clients, registry), timed around the require only. Everything a handler
 * reads at init is set to harmless local values, and every AWS endpoint points at a closed loopback port, so
 * nothing can leave the machine even if a handler starts a request during init (the process exits right after
 * the measurement anyway).
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

/** The environment Lambda would give the functions, minus anything real. */
export function measurementEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    AWS_SESSION_TOKEN: 'example',
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_LAMBDA_FUNCTION_NAME: 'cflogs-measure',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1769',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    CFLOGS_OUTPUT_BUCKET: 'cflogs-measure-output',
    CFLOGS_SECRET_ID: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:cflogs-measure',
    CFLOGS_SECRET_HEADER: 'x-cflogs-secret',
    // The detections' state and topic (infra/detections.yml): required in Lambda while the rules are on.
    CFLOGS_RULES_TABLE: 'cflogs-measure-rules',
    CFLOGS_ALERTS_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:cflogs-measure-alerts',
    // The Iceberg committer's catalog (infra/iceberg.yml).
    CFLOGS_ICEBERG_DATABASE: 'cflogs_measure',
    CFLOGS_ICEBERG_WAREHOUSE: 's3://cflogs-measure-output/logs',
    ...extra,
  };
}

const PROBE = `
const t0 = process.hrtime.bigint();
const mod = require(process.argv[1]);
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
if (typeof mod.handler !== 'function') { process.stderr.write('no handler export'); process.exit(3); }
process.stdout.write(String(ms));
process.exit(0);
`;

export interface InitTiming {
  runs: number[];
  median: number;
  min: number;
}

export function measureOnce(js: string, env: Record<string, string>, nodeFlags: string[]): number {
  const r = spawnSync(process.execPath, [...nodeFlags, '--no-warnings', '-e', PROBE, resolve(js)], {
    env: { ...env, PATH: process.env.PATH ?? '' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  const ms = Number(r.stdout);
  if (r.status !== 0 || !Number.isFinite(ms)) {
    throw new Error(`requiring ${js} failed (exit ${r.status ?? r.signal}): ${r.stderr.trim().slice(0, 2000)}`);
  }
  return ms;
}

export function summarise(runs: number[]): InitTiming {
  const sorted = [...runs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { runs, median, min: sorted[0]! };
}
