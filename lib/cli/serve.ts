import { once } from 'node:events';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, relative, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { createLogpushServer } from '../http/server';
import type { Log } from '../log';
import { LocalStore } from '../lake/local-store';
import { wireHttp } from '../wiring';
import { compileSchemas } from './schemas';
import { CliOptions, parseCommandArgs, UsageError } from './usage';

export const SERVE_USAGE = 'cflogs serve [--port P] [--secret S] [--out DIR] [--dataset D]';
export const DEFAULT_SERVE_PORT = 8787;
export const DEFAULT_SERVE_OUT = './.out/http';

export interface ServeIo {
  stdout: Writable;
  stderr: Writable;
  env?: NodeJS.ProcessEnv;
  /** Stops the server (tests); without it SIGINT / SIGTERM do. */
  signal?: AbortSignal;
  clock?: () => Date;
  /** Where request log lines go (default: JSON lines on stderr). */
  log?: Log;
  onListening?: (url: string) => void;
}

export const SERVE_OPTIONS = {
  port: { type: 'string', value: 'P', description: 'port on 127.0.0.1 (default 8787; 0 picks a free one)' },
  secret: { type: 'string', value: 'S', description: 'the shared secret (prefer CFLOGS_SHARED_SECRET: arguments show in ps)' },
  out: { type: 'string', value: 'DIR', description: 'where the lake goes (default ./.out/http)' },
  dataset: { type: 'string', value: 'D', description: 'the dataset of requests whose path names none' },
} satisfies CliOptions;

/**
 * `cflogs serve`: the Logpush HTTP handler (the one the Lambda runs) behind a node:http server on 127.0.0.1,
 * writing the lake layout to a local directory. The secret comes from --secret or the same variables as the
 * Lambda (CFLOGS_SHARED_SECRET, CFLOGS_SECRET_PARAMETER, CFLOGS_SECRET_ID). Runs until interrupted; exit 0.
 */
export async function serveCommand(argv: string[], io: ServeIo): Promise<number> {
  const args = parseCommandArgs({
    args: argv,
    allowPositionals: false,
    options: SERVE_OPTIONS,
  }, SERVE_USAGE);
  const opts = args.values;
  const port = opts.port === undefined ? DEFAULT_SERVE_PORT : Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`--port must be an integer from 0 to 65535\nusage: ${SERVE_USAGE}`);
  }
  if (opts.secret !== undefined && opts.secret.trim() === '') throw new UsageError('--secret must not be empty');
  const out = resolve(opts.out ?? DEFAULT_SERVE_OUT);
  const deps = wireHttp(io.env ?? process.env, {
    compileSchemas,
    store: new LocalStore(out),
    log: io.log ?? jsonLinesLog(io.stderr),
    ...(io.clock ? { clock: io.clock } : {}),
    http: {
      ...(opts.secret !== undefined ? { secret: opts.secret } : {}),
      ...(opts.dataset !== undefined ? { defaultDataset: opts.dataset } : {}),
    },
  });
  const { http } = deps;
  const server = createLogpushServer(deps);

  server.listen(port, '127.0.0.1');
  try {
    await Promise.race([once(server, 'listening'), once(server, 'error').then(([e]) => Promise.reject(e))]);
  } catch (e) {
    io.stderr.write(`cflogs serve: cannot listen on 127.0.0.1:${port}: ${(e as Error).message}\n`);
    return 1;
  }
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const datasets = deps.router.registry.datasets();
  // The repository's sample batch (samples/, beside lib/), so the example posts a file that exists.
  const sample = join(__dirname, '..', '..', 'samples', 'http_requests.log.gz');
  const batch = existsSync(sample) ? relative(process.cwd(), sample) : 'batch.log.gz';
  io.stderr.write(
    `cflogs serve: listening on ${url}, writing to ${out}\n` +
      `  POST a Logpush batch (NDJSON, plain, gzip or zstd) to ${url}/<dataset>, one of: ${datasets.join(', ')}\n` +
      `  with the shared secret (from ${http.secretSource === 'cli' ? '--secret' : http.secretSource}) in the header ${http.secretHeader}, e.g.\n` +
      `  curl --data-binary @${batch} -H "${http.secretHeader}: $SECRET" ${url}/http_requests\n` +
      `  Ctrl-C stops.\n`,
  );
  io.onListening?.(url);

  await new Promise<void>((done) => {
    if (io.signal) {
      if (io.signal.aborted) return done();
      io.signal.addEventListener('abort', () => done(), { once: true });
      return;
    }
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  server.closeIdleConnections();
  await new Promise<void>((done) => server.close(() => done()));
  io.stderr.write('cflogs serve: stopped\n');
  return 0;
}

/** One JSON object per line (time, level, message, fields), like the Lambda's logs. */
function jsonLinesLog(out: Writable): Log {
  const write = (level: string) => (message: string, ...extra: Record<string, unknown>[]) => {
    out.write(`${JSON.stringify(Object.assign({ time: new Date().toISOString(), level, message }, ...extra))}\n`);
  };
  return { info: write('INFO'), warn: write('WARN'), error: write('ERROR') };
}
