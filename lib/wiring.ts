import { S3Client } from '@aws-sdk/client-s3';
import { Config, loadConfig } from './config';
import { ConfigError } from './errors';
import { HttpConfig, HttpConfigOptions, loadHttpConfig } from './http/config';
import type { HttpDeps } from './http/handler';
import { S3Store } from './lake/s3-store';
import type { Log } from './log';
import { Router } from './route/router';
import type { ObjectDeps, ObjectMetrics } from './s3/object';
import { builtInRegistry } from './record/registry';
import type { ObjectStore } from './lake/types';

/**
 * The composition root: configuration read once, clients and the router built once, for the two Lambda functions,
 * `cflogs serve` and the soak. Only entry points (functions/, lib/cli, scripts/) import it.
 */
export interface WireOptions {
  /** Settings in place of the environment's (the soak writes without a prefix). */
  config?: Partial<Config>;
  /** The S3 client (a local S3 server's); by default one for AWS, created only when something needs it. */
  s3?: S3Client;
  /** Where the lake goes; by default S3 under CFLOGS_OUTPUT_BUCKET. */
  store?: ObjectStore;
  log: Log;
  clock?: () => Date;
}

/** What every entry point shares. */
interface Wired {
  config: Config;
  router: Router;
  store: ObjectStore;
  clock: () => Date;
  log: Log;
}

function wire(env: NodeJS.ProcessEnv, opts: WireOptions): { deps: Wired; s3: () => S3Client } {
  const config = { ...loadConfig(env), ...opts.config };
  let s3 = opts.s3;
  const client = (): S3Client => (s3 ??= new S3Client({ forcePathStyle: config.s3ForcePathStyle }));
  let store = opts.store;
  if (!store) {
    if (!config.outputBucket) throw new ConfigError('CFLOGS_OUTPUT_BUCKET is required');
    store = new S3Store(client(), config.outputBucket);
  }
  const deps = {
    config,
    router: new Router(config.routes, builtInRegistry(), config),
    store,
    clock: opts.clock ?? (() => new Date()),
    log: opts.log,
  };
  return { deps, s3: client };
}

/** What the S3 handler needs: S3 events in, the lake out. */
export function wireS3(env: NodeJS.ProcessEnv, opts: WireOptions & { metrics?: ObjectMetrics }): ObjectDeps {
  const { deps, s3 } = wire(env, opts);
  return { ...deps, s3: s3(), ...(opts.metrics ? { metrics: opts.metrics } : {}) };
}

/**
 * What the Logpush HTTP handler needs, with the whole HTTP configuration (where the secret comes from, for a
 * startup message).
 */
export function wireHttp(env: NodeJS.ProcessEnv, opts: WireOptions & { http?: HttpConfigOptions }): HttpDeps & { http: HttpConfig } {
  const { deps } = wire(env, opts);
  return { ...deps, http: loadHttpConfig(env, opts.http) };
}
