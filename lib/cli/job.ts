import type { Writable } from 'node:stream';
import type { SchemaRegistry } from '../record/registry';
import { BUCKET_NAME } from '../lake/layout';
import type { DatasetScope, LogSchema } from '../schema/model';
import { cliRegistry } from './schemas';
import { CliOptions, parseCommandArgs, UsageError } from './usage';

export const JOB_USAGE =
  'cflogs job DATASET (--zone ID | --account ID) (--bucket NAME --region REGION [--prefix P] | --url URL [--secret-id ID]) [--name N] [--timestamp-format F] [--json]';

export const JOB_HELP = `Prints the Cloudflare API requests that create a Logpush job for DATASET, ready to run with curl
(CLOUDFLARE_API_TOKEN in the environment, a token with Logs Edit on the zone or account): every field cflogs reads in
field_names (Cloudflare has no "all fields"), the timestamp format, and the destination. An S3 destination needs the
ownership challenge first: Cloudflare writes a file into the bucket, and the job is created with its content; the
output shows both steps. Nothing secret is printed.`;

/** Logpush's timestamp formats; cflogs reads each exactly (unixnano as an exact integer, not a rounded double). */
const TIMESTAMP_FORMATS = ['unixnano', 'unix', 'rfc3339', 'rfc3339ms', 'rfc3339ns'] as const;
const API = 'https://api.cloudflare.com/client/v4';
const DEFAULT_PREFIX = 'cloudflare/';
const DEFAULT_SECRET_HEADER = 'x-panther-cloudflare';

export interface JobRequest {
  /** `zones/<id>` or `accounts/<id>`. */
  scopePath: string;
  body: {
    name: string;
    dataset: string;
    destination_conf: string;
    output_options: { field_names: string[]; timestamp_format: string; output_type: 'ndjson' };
    enabled: boolean;
    ownership_challenge?: string;
  };
  /** The S3 destination, whose ownership Cloudflare checks first. */
  ownership?: { destination_conf: string; bucket: string; prefix: string };
  /** The HTTP destination's secret: where to read it, and the placeholder the body carries for it. */
  secret?: { id?: string; header: string };
}

/** Names a valid Cloudflare id (32 hex digits). */
const CLOUDFLARE_ID = /^[0-9a-f]{32}$/;
const SECRET_PLACEHOLDER = '${CFLOGS_SECRET}';

/**
 * The job a dataset needs: the endpoint by the dataset's scope, every schema field in field_names, the destination.
 * Pure: the command prints it, the tests check it against Cloudflare's dataset facts.
 */
export function logpushJob(
  schema: LogSchema,
  o: { zone?: string; account?: string; bucket?: string; region?: string; prefix?: string; url?: string; secretId?: string; secretHeader?: string; name?: string; timestampFormat?: string },
): JobRequest {
  const dataset = schema.dataset;
  if (dataset === undefined || schema.scopes === undefined) throw new UsageError(`${schema.logType} is not a Logpush dataset (a custom schema): no job to create`);
  const scope: DatasetScope = o.zone !== undefined ? 'zone' : 'account';
  const id = o.zone ?? o.account;
  if ((o.zone === undefined) === (o.account === undefined)) throw new UsageError(`give --zone or --account: ${dataset} is offered ${scopesText(schema.scopes)}`);
  if (!schema.scopes.includes(scope)) {
    throw new UsageError(`${dataset} is ${scopesText(schema.scopes)}: use --${schema.scopes[0]} (Cloudflare refuses a ${scope}-level job for it)`);
  }
  if (!CLOUDFLARE_ID.test(id as string)) throw new UsageError(`--${scope} must be a Cloudflare ${scope} id (32 hex digits), got ${JSON.stringify(id)}`);
  const timestampFormat = o.timestampFormat ?? 'unixnano';
  if (!(TIMESTAMP_FORMATS as readonly string[]).includes(timestampFormat)) throw new UsageError(`--timestamp-format must be one of ${TIMESTAMP_FORMATS.join(', ')}`);
  if ((o.bucket === undefined) === (o.url === undefined)) throw new UsageError('give one destination: --bucket (S3) or --url (HTTP)');
  // The printed script expands $CHALLENGE and $CFLOGS_SECRET in its here-document: no other value may carry what a
  // shell would read there ($, backquote, backslash) or end a quoted string.
  if (o.name !== undefined && !/^[A-Za-z0-9._-]{1,64}$/.test(o.name)) throw new UsageError('--name must be 1-64 letters, digits, ".", "_" or "-"');
  const base = { name: o.name ?? `cflogs-${dataset.replace(/_/g, '-')}`, dataset, output_options: { field_names: schema.fields.map((f) => f.name), timestamp_format: timestampFormat, output_type: 'ndjson' as const }, enabled: true };
  const scopePath = `${scope}s/${id}`;
  if (o.bucket !== undefined) {
    if (!BUCKET_NAME.test(o.bucket)) throw new UsageError(`--bucket is not a bucket name: ${JSON.stringify(o.bucket)}`);
    if (o.region === undefined || !/^[a-z]{2}(-[a-z]+)+-\d$/.test(o.region)) throw new UsageError('--region must name the bucket\'s AWS region (us-east-1, eu-west-1, ...)');
    const prefix = o.prefix ?? DEFAULT_PREFIX;
    if (prefix !== '' && (!prefix.endsWith('/') || prefix.startsWith('/') || !/^[A-Za-z0-9!_.*()\/-]+$/.test(prefix))) {
      throw new UsageError('--prefix must be key segments ending in / (letters, digits and !_.*()-), as the stack\'s inputPrefixes');
    }
    // {DATE} is Logpush's own placeholder (a folder a day); the dataset's name in the key routes the objects.
    const destination = `s3://${o.bucket}/${prefix}${dataset}/{DATE}?region=${o.region}`;
    return { scopePath, body: { ...base, destination_conf: destination, ownership_challenge: '${CHALLENGE}' }, ownership: { destination_conf: destination, bucket: o.bucket, prefix: `${prefix}${dataset}/` } };
  }
  const url = o.url as string;
  if (!/^https:\/\/[A-Za-z0-9.-]+(:\d+)?(\/[A-Za-z0-9._~%/-]*)?$/.test(url)) throw new UsageError('--url must be the https:// function URL, without a query');
  const header = o.secretHeader ?? DEFAULT_SECRET_HEADER;
  if (!/^[A-Za-z0-9-]+$/.test(header)) throw new UsageError('--secret-header must be a header name');
  // Logpush sends `header_<name>` query parameters as request headers; the dataset in the path routes the batches.
  const destination = `${url.replace(/\/+$/, '')}/${dataset}?header_${header}=${SECRET_PLACEHOLDER}`;
  return { scopePath, body: { ...base, destination_conf: destination }, secret: { header, ...(o.secretId !== undefined ? { id: o.secretId } : {}) } };
}

function scopesText(scopes: readonly DatasetScope[]): string {
  return scopes.length > 1 ? 'offered for zones and for accounts' : `${scopes[0]}-scoped`;
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The requests as a shell script: comments say what each step is for; nothing secret is printed. */
export function jobScript(job: JobRequest): string {
  const auth = '-H "Authorization: Bearer $CLOUDFLARE_API_TOKEN" -H "Content-Type: application/json"';
  const lines: string[] = [`# Logpush job for ${job.body.dataset} (${job.body.output_options.field_names.length} fields), to ${job.ownership ? 'S3' : 'HTTP'}.`];
  if (job.ownership) {
    lines.push(
      '',
      '# 1. Ownership challenge: Cloudflare writes a file into the bucket; the job is created with its content.',
      `curl -sS -X POST "${API}/${job.scopePath}/logpush/ownership" ${auth} \\`,
      `  --data ${shellQuote(JSON.stringify({ destination_conf: job.ownership.destination_conf }))}`,
      '# The answer names the file (result.filename); read it, under the same prefix:',
      `CHALLENGE=$(aws s3 cp "s3://${job.ownership.bucket}/${job.ownership.prefix}<result.filename>" -)`,
      '# (cflogs skips ownership-challenge files: they never reach the lake.)',
      '',
      '# 2. The job.',
    );
  } else {
    lines.push(
      '',
      '# 1. The shared secret the function checks (never put it in a file or a shell history).',
      job.secret?.id !== undefined
        ? `CFLOGS_SECRET=$(aws secretsmanager get-secret-value --secret-id ${shellQuote(job.secret.id)} --query SecretString --output text)`
        : 'CFLOGS_SECRET=$(aws secretsmanager get-secret-value --secret-id <HttpSharedSecretArn> --query SecretString --output text)',
      '',
      '# 2. The job. Cloudflare first sends a test batch, which the function answers 200.',
    );
  }
  // The body in a here-document that expands the variables (the JSON has no other $ or backquote).
  lines.push(`curl -sS -X POST "${API}/${job.scopePath}/logpush/jobs" ${auth} --data @- <<JSON`, bodyText(job.body), 'JSON', '');
  return lines.join('\n');
}

export const JOB_OPTIONS = {
  zone: { type: 'string', value: 'ID', description: 'the zone\'s id, for a zone-scoped dataset (http_requests, firewall_events, dns_logs, ...)' },
  account: { type: 'string', value: 'ID', description: 'the account\'s id, for an account-scoped dataset (audit_logs, gateway_dns, ...)' },
  bucket: { type: 'string', value: 'NAME', description: 'S3 destination: the stack\'s input bucket (output InputBucketName)' },
  region: { type: 'string', value: 'REGION', description: 'the bucket\'s region' },
  prefix: { type: 'string', value: 'P', description: 'key prefix under the bucket, one of the stack\'s inputPrefixes (default cloudflare/)' },
  url: { type: 'string', value: 'URL', description: 'HTTP destination: the httpIngest function URL (output HttpIngestLambdaFunctionUrl)' },
  'secret-id': { type: 'string', value: 'ID', description: 'the shared secret\'s Secrets Manager id (output HttpSharedSecretArn)' },
  'secret-header': { type: 'string', value: 'H', description: 'the header Logpush sends it in (default x-panther-cloudflare)' },
  name: { type: 'string', value: 'N', description: 'the job\'s name (default cflogs-DATASET)' },
  'timestamp-format': { type: 'string', value: 'F', description: 'unixnano (default, exact to the nanosecond), unix, rfc3339, rfc3339ms or rfc3339ns' },
  json: { type: 'boolean', default: false, description: 'the job\'s JSON body alone' },
} satisfies CliOptions;

/** The body as indented JSON, its field names on one line (a job has up to 130). */
function bodyText(body: JobRequest['body']): string {
  const names = JSON.stringify(body.output_options.field_names);
  return JSON.stringify({ ...body, output_options: { ...body.output_options, field_names: '@@FIELDS@@' } }, null, 2).replace('"@@FIELDS@@"', names);
}

export async function jobCommand(argv: string[], io: { stdout: Writable }, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    {
      args: argv,
      allowPositionals: true,
      options: JOB_OPTIONS,
    },
    JOB_USAGE,
  );
  if (positionals.length !== 1) throw new UsageError(`name one dataset\nusage: ${JOB_USAGE}`);
  const schema = datasetSchema(cliRegistry(env), positionals[0] as string);
  const job = logpushJob(schema, {
    ...(values.zone !== undefined ? { zone: values.zone } : {}),
    ...(values.account !== undefined ? { account: values.account } : {}),
    ...(values.bucket !== undefined ? { bucket: values.bucket } : {}),
    ...(values.region !== undefined ? { region: values.region } : {}),
    ...(values.prefix !== undefined ? { prefix: values.prefix } : {}),
    ...(values.url !== undefined ? { url: values.url } : {}),
    ...(values['secret-id'] !== undefined ? { secretId: values['secret-id'] } : {}),
    ...(values['secret-header'] !== undefined ? { secretHeader: values['secret-header'] } : {}),
    ...(values.name !== undefined ? { name: values.name } : {}),
    ...(values['timestamp-format'] !== undefined ? { timestampFormat: values['timestamp-format'] } : {}),
  });
  io.stdout.write(values.json ? `${bodyText(job.body)}\n` : jobScript(job));
  return 0;
}

/** A dataset's schema by its Logpush name (or a log type's name). */
function datasetSchema(registry: SchemaRegistry, name: string): LogSchema {
  const entry = registry.find(name);
  if (!entry) throw new UsageError(`unknown dataset ${JSON.stringify(name)}; known: ${registry.datasets().join(', ')}`);
  return entry.schema;
}
