/**
 * `cflogs job` against Cloudflare's dataset facts (../shared/cloudflare-datasets.md, read at run time): for every
 * dataset entry there, the job goes to the endpoint of its scope and asks for every field Cloudflare documents.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jobScript, logpushJob } from '../../lib/cli/job';
import { builtInRegistry } from '../../lib/record/registry';

const FACTS = readFileSync(join(__dirname, '..', '..', '..', 'shared', 'cloudflare-datasets.md'), 'utf8');
const ID = '0123456789abcdef0123456789abcdef';
const registry = builtInRegistry();

/**
 * `## dataset (scope)` sections with their `fields (N): Name type; ...` line; a section without one (account
 * firewall_events: the zone's fields) is checked for its scope alone.
 */
const entries = FACTS.split(/^(?=## )/m)
  .map((section) => /^## (\w+) \((zone|account)\)\n/.exec(section) && { section, head: /^## (\w+) \((zone|account)\)\n/.exec(section)! })
  .filter((x) => x !== null)
  .map(({ section, head }) => ({
    dataset: head[1] as string,
    scope: head[2] as 'zone' | 'account',
    fields: /^fields \(\d+\): (.*)$/m.exec(section)?.[1]?.split('; ').map((f) => f.split(' ')[0] as string),
  }));

describe('cflogs job: the Logpush job of each dataset', () => {
  it('prints a script whose only shell expansions are the challenge and the secret', () => {
    for (const job of [
      logpushJob(registry.find('http_requests')!.schema, { zone: ID, bucket: 'cflogs-input', region: 'eu-west-1', name: 'my.job_1', prefix: 'logs/cf/' }),
      logpushJob(registry.find('gateway_dns')!.schema, { account: ID, url: 'https://abc.lambda-url.eu-west-1.on.aws/prod', secretId: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:cflogs' }),
    ]) {
      const body = jobScript(job).split('<<JSON\n')[1]!.split('\nJSON\n')[0]!;
      expect(body.replace(/\$\{(CHALLENGE|CFLOGS_SECRET)\}/g, '')).not.toMatch(/[$`\\]/);
      expect(JSON.parse(body.replace(/\$\{(CHALLENGE|CFLOGS_SECRET)\}/g, 'X'))).toMatchObject({ dataset: job.body.dataset });
    }
  });

  it('reads every dataset entry of the facts', () => {
    expect(entries.length).toBe(35);
  });

  it.each(entries.map((e) => [`${e.dataset} (${e.scope})`, e] as const))('%s: the scope\'s endpoint, every documented field', (_name, e) => {
    const schema = registry.find(e.dataset)?.schema;
    expect(schema).toBeDefined();
    const job = logpushJob(schema!, { [e.scope]: ID, bucket: 'cflogs-input', region: 'eu-west-1' });
    expect(job.scopePath).toBe(`${e.scope}s/${ID}`);
    if (e.fields) expect([...job.body.output_options.field_names].sort()).toEqual([...new Set(e.fields)].sort());
    expect(job.body.dataset).toBe(e.dataset);
    // The other scope is refused unless Cloudflare offers the dataset there too.
    const other = e.scope === 'zone' ? 'account' : 'zone';
    const both = entries.some((x) => x.dataset === e.dataset && x.scope === other);
    if (!both && !schema!.scopes!.includes(other)) {
      expect(() => logpushJob(schema!, { [other]: ID, bucket: 'cflogs-input', region: 'eu-west-1' })).toThrow(new RegExp(`${e.dataset} is ${e.scope}-scoped: use --${e.scope}`));
    }
  });

  it('covers every built-in dataset, each with a scope', () => {
    for (const s of registry.schemas()) {
      expect(s.scopes?.length).toBeGreaterThan(0);
      expect(logpushJob(s, { [s.scopes![0]!]: ID, url: 'https://x.lambda-url.eu-west-1.on.aws' }).body.output_options.field_names).toEqual(s.fields.map((f) => f.name));
    }
  });

  it('writes an S3 destination under the stack\'s prefix, by dataset, with the ownership challenge first', () => {
    const job = logpushJob(registry.find('http_requests')!.schema, { zone: ID, bucket: 'cflogs-input', region: 'eu-west-1' });
    expect(job.body.destination_conf).toBe('s3://cflogs-input/cloudflare/http_requests/{DATE}?region=eu-west-1');
    expect(job.body.output_options).toMatchObject({ timestamp_format: 'unixnano', output_type: 'ndjson' });
    const script = jobScript(job);
    expect(script.indexOf('/logpush/ownership')).toBeLessThan(script.indexOf('/logpush/jobs'));
    expect(script).toContain('"ownership_challenge": "${CHALLENGE}"');
  });

  it('writes an HTTP destination with the secret header from a variable, never the secret', () => {
    const job = logpushJob(registry.find('gateway_dns')!.schema, { account: ID, url: 'https://abc.lambda-url.eu-west-1.on.aws/', secretId: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:cflogs' });
    expect(job.body.destination_conf).toBe('https://abc.lambda-url.eu-west-1.on.aws/gateway_dns?header_x-panther-cloudflare=${CFLOGS_SECRET}');
    expect(job.body.ownership_challenge).toBeUndefined();
    expect(jobScript(job)).toContain("--secret-id 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:cflogs'");
  });

  it.each([
    [{ zone: ID, account: ID, bucket: 'b-1', region: 'eu-west-1' }, /give --zone or --account/],
    [{ zone: 'nope', bucket: 'b-1', region: 'eu-west-1' }, /32 hex digits/],
    [{ zone: ID, bucket: 'b-1' }, /--region/],
    [{ zone: ID, bucket: 'b-1', region: 'eu-west-1', url: 'https://x' }, /one destination/],
    [{ zone: ID, url: 'http://x' }, /https:\/\//],
    [{ zone: ID, bucket: 'b-1', region: 'eu-west-1', timestampFormat: 'iso' }, /--timestamp-format/],
    // What the printed script's shell would run or misread.
    [{ zone: ID, bucket: 'b-1', region: 'eu-west-1', name: 'a$(touch x)b' }, /--name must be/],
    [{ zone: ID, url: 'https://x.lambda-url.eu-west-1.on.aws/`touch${IFS}x`' }, /--url must be/],
    [{ zone: ID, url: 'https://x.lambda-url.eu-west-1.on.aws/a\\b' }, /--url must be/],
    [{ zone: ID, bucket: 'b-1', region: 'eu-west-1', prefix: 'cf/$(id)/' }, /--prefix must be/],
    [{ zone: ID, bucket: 'b-1', region: 'eu-west-1', prefix: 'cf"/' }, /--prefix must be/],
  ])('refuses %j', (o, message) => {
    expect(() => logpushJob(registry.find('http_requests')!.schema, o)).toThrow(message);
  });
});
