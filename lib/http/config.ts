import { arnPattern, int, optional } from '../env';
import { ConfigError, messageOf } from '../errors';
import type { SchemaRegistry } from '../record/registry';

/** The function URL (and Lambda invocation) payload limit: a bigger body never reaches the function. */
export const DEFAULT_MAX_BODY_BYTES = 6 * 1024 * 1024;
/** Panther locks its Cloudflare HTTP source to this header, so a job made for Panther works unchanged. */
export const DEFAULT_SECRET_HEADER = 'x-panther-cloudflare';
export const DEFAULT_SECRET_MAX_AGE_SECONDS = 300;

/** What the HTTP entry points need beyond the core Config, parsed once at cold start. */
export interface HttpConfig {
  /** Header carrying the shared secret, lower-cased (header names are case-insensitive). */
  secretHeader: string;
  /** Where the secret comes from, for a startup message: never the secret itself. */
  secretSource: 'env' | 'cli' | `ssm:${string}` | `secretsmanager:${string}`;
  /**
   * The expected secret, trimmed. Fetched once and cached (by the fetchers given: Powertools' cached providers, CFLOGS_SECRET_MAX_AGE_SECONDS)
   * when it lives in SSM or Secrets Manager. Held in a closure so the config object can be logged or
   * serialised without it.
   */
  getSecret: () => Promise<string>;
  /** Largest accepted request body (as received, before decompression): 413 above it. */
  maxBodyBytes: number;
  /** Log type for requests whose path and query name none (a dataset or log type name), if any. */
  defaultDataset: string | undefined;
}

/** The fetchers behind the SSM / Secrets Manager secret; tests replace them. */
export interface SecretFetchers {
  getParameter: (name: string, options: { decrypt: true; maxAge: number }) => Promise<unknown>;
  getSecret: (id: string, options: { maxAge: number }) => Promise<unknown>;
}

/** Without fetchers a stored secret cannot be read: each request's check fails as a fetch failure would. */
const NO_FETCHERS: SecretFetchers = {
  getParameter: () => Promise.reject(new Error('no SSM fetcher was given (HttpConfigOptions.fetchers)')),
  getSecret: () => Promise.reject(new Error('no Secrets Manager fetcher was given (HttpConfigOptions.fetchers)')),
};

export interface HttpConfigOptions {
  /** A secret given on the command line (`cflogs serve --secret`): wins over the environment. */
  secret?: string;
  /** A default dataset given on the command line: wins over CFLOGS_DEFAULT_DATASET. */
  defaultDataset?: string;
  /** The deployment's log types (lib/wiring.ts), which CFLOGS_DEFAULT_DATASET must name. */
  registry: SchemaRegistry;
  /** Needed when the secret lives in SSM or Secrets Manager (lib/aws/secrets.ts; lib/wiring.ts passes it). */
  fetchers?: SecretFetchers;
}

/**
 * Variables:
 *   CFLOGS_SECRET_HEADER            header name carrying the secret (x-panther-cloudflare)
 *   CFLOGS_SHARED_SECRET            the secret itself (local runs), or
 *   CFLOGS_SECRET_PARAMETER         name of an SSM parameter (SecureString) holding it, or
 *   CFLOGS_SECRET_ID                id or ARN of a Secrets Manager secret (a plain string) holding it
 *   CFLOGS_SECRET_MAX_AGE_SECONDS   how long a fetched secret is cached (300)
 *   CFLOGS_MAX_BODY_BYTES           largest accepted body, as received (6291456)
 *   CFLOGS_DEFAULT_DATASET          log type for requests that name none (unset: such requests get 400)
 * Exactly one secret source is required. Messages never include the secret.
 */
export function loadHttpConfig(env: NodeJS.ProcessEnv, opts: HttpConfigOptions): HttpConfig {
  const registry = opts.registry;
  const fetchers = opts.fetchers ?? NO_FETCHERS;

  const secretHeader = (optional(env.CFLOGS_SECRET_HEADER) ?? DEFAULT_SECRET_HEADER).toLowerCase();
  // An HTTP token (RFC 9110 section 5.6.2).
  if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(secretHeader)) {
    throw new ConfigError(`CFLOGS_SECRET_HEADER is not a valid HTTP header name: ${JSON.stringify(secretHeader)}`);
  }

  const maxAge = int(env, 'CFLOGS_SECRET_MAX_AGE_SECONDS', DEFAULT_SECRET_MAX_AGE_SECONDS, 0, 86400);
  const maxBodyBytes = int(env, 'CFLOGS_MAX_BODY_BYTES', DEFAULT_MAX_BODY_BYTES, 1, 1024 ** 3);

  const defaultDataset = opts.defaultDataset ?? optional(env.CFLOGS_DEFAULT_DATASET);
  if (defaultDataset !== undefined && !registry.get(defaultDataset) && !registry.forDataset(defaultDataset)) {
    throw new ConfigError(
      `CFLOGS_DEFAULT_DATASET: unknown dataset ${JSON.stringify(defaultDataset)} (known: ${[
        ...registry.datasets(),
        ...registry.logTypes(),
      ].join(', ')})`,
    );
  }

  let secretSource: HttpConfig['secretSource'];
  let getSecret: () => Promise<string>;
  if (opts.secret !== undefined) {
    const value = checkSecret(opts.secret, '--secret');
    secretSource = 'cli';
    getSecret = () => Promise.resolve(value);
  } else {
    const local = optional(env.CFLOGS_SHARED_SECRET);
    const parameter = optional(env.CFLOGS_SECRET_PARAMETER);
    const secretId = optional(env.CFLOGS_SECRET_ID);
    const set = [local !== undefined, parameter !== undefined, secretId !== undefined].filter(Boolean).length;
    if (set === 0) {
      throw new ConfigError(
        'no shared secret configured: set CFLOGS_SECRET_PARAMETER (SSM SecureString name), CFLOGS_SECRET_ID ' +
          '(Secrets Manager) or, for local runs, CFLOGS_SHARED_SECRET',
      );
    }
    if (set > 1) {
      throw new ConfigError('set only one of CFLOGS_SHARED_SECRET, CFLOGS_SECRET_PARAMETER and CFLOGS_SECRET_ID');
    }
    if (local !== undefined) {
      // The variable as set, not as optional() trimmed it: a trailing non-ASCII space must be refused, not dropped.
      const value = checkSecret(env.CFLOGS_SHARED_SECRET, 'CFLOGS_SHARED_SECRET');
      secretSource = 'env';
      getSecret = () => Promise.resolve(value);
    } else if (parameter !== undefined) {
      checkLocation('CFLOGS_SECRET_PARAMETER', 'an SSM parameter', parameter, SSM_PARAMETER, SSM_PARAMETER_ARN);
      secretSource = `ssm:${parameter}`;
      getSecret = async () =>
        checkSecret(
          await fetchOrFail(() => fetchers.getParameter(parameter, { decrypt: true, maxAge }), `SSM parameter ${parameter}`),
          `SSM parameter ${parameter}`,
        );
    } else {
      const id = secretId as string;
      checkLocation('CFLOGS_SECRET_ID', 'a Secrets Manager secret', id, SECRET_NAME, SECRET_ARN);
      secretSource = `secretsmanager:${id}`;
      getSecret = async () =>
        checkSecret(await fetchOrFail(() => fetchers.getSecret(id, { maxAge }), `secret ${id}`), `secret ${id}`);
    }
  }
  return { secretHeader, secretSource, getSecret, maxBodyBytes, defaultDataset };
}

/**
 * SSM parameter names (a hierarchy's with '/'), optionally with a version or label selector (`name:3`); Secrets
 * Manager secret names. Anything else would be accepted here and fail at the first request (500 until fixed).
 */
const SSM_PARAMETER = /^[A-Za-z0-9_./-]{1,2048}(?::[A-Za-z0-9_.-]{1,100})?$/;
const SSM_PARAMETER_ARN = arnPattern('ssm', 'parameter/[A-Za-z0-9_./-]{1,2048}(?::[A-Za-z0-9_.-]{1,100})?');
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const SECRET_ARN = arnPattern('secretsmanager', 'secret:[A-Za-z0-9/_+=.@-]{1,512}');

function checkLocation(name: string, what: string, value: string, shape: RegExp, arn: RegExp): void {
  if (!shape.test(value) && !arn.test(value)) throw new ConfigError(`${name} is not ${what} name or ARN: ${JSON.stringify(value)}`);
}

async function fetchOrFail(fetch: () => Promise<unknown>, what: string): Promise<unknown> {
  try {
    return await fetch();
  } catch (e) {
    // The SDK's message names the parameter and the failure (AccessDenied, ParameterNotFound), never a value.
    throw new ConfigError(`cannot read the shared secret from ${what}: ${messageOf(e)}`, {
      cause: e,
    });
  }
}

/**
 * A usable secret: text that an HTTP header value carries unchanged, so that a request can match it. Spaces,
 * tabs and line breaks around it are removed (a value stored with a trailing newline is common, and HTTP strips
 * the spaces around a header value: the presented value is trimmed too). What remains must be non-empty and
 * printable ASCII, spaces inside allowed: a header cannot carry control characters, and any other character
 * would arrive changed (node:http reads header bytes as Latin-1, a UTF-8 secret's bytes are not its characters),
 * so such a secret would be accepted here and then refuse every request. The error names where the secret comes
 * from (the variable, the option, the parameter), never the value.
 */
function checkSecret(v: unknown, what: string): string {
  const text = v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v;
  if (typeof text !== 'string') throw new ConfigError(`${what}: the shared secret is missing or not text`);
  const s = text.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
  if (s === '') throw new ConfigError(`${what}: the shared secret is empty`);
  if (/[\x00-\x1f\x7f]/.test(s)) {
    throw new ConfigError(`${what}: the shared secret contains control characters, which an HTTP header cannot carry`);
  }
  if (/[^\x20-\x7e]/.test(s)) {
    throw new ConfigError(
      `${what}: the shared secret contains characters outside printable ASCII, which HTTP headers do not carry ` +
        'reliably (clients send UTF-8, servers read Latin-1), so every request would be refused: use letters, ' +
        'digits and ASCII punctuation only',
    );
  }
  return s;
}
