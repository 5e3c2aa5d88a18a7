/**
 * The naive ingester: a Lambda as it is typically written. readline over a gunzip stream, JSON.parse per line,
 * ajv validation against the same JSON Schema cflogs uses (compiled once at start-up), the same p_* columns added
 * to the parsed object, JSON.stringify, and gzip output per event hour. Timestamps go through `Number` and `Date`,
 * as such code usually does (which loses the nanoseconds of unixnano values: a correctness problem cflogs avoids,
 * ignored here because this contender only sets the pace).
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip, createGzip, Gzip } from 'node:zlib';
import Ajv from 'ajv';
import { toJsonSchema } from '../../lib/codegen/jsonschema';
import { builtInRegistry } from '../../lib/record/registry';
import type { Contender } from '../contender';

const naive: Contender = {
  async prepare(corpus) {
    const entry = builtInRegistry().forDataset(corpus.options.dataset);
    if (!entry) throw new Error(`no log type for dataset ${corpus.options.dataset}`);
    const { schema } = entry;
    const validate = new Ajv({ allowUnionTypes: true }).compile(toJsonSchema(schema));
    const timeFields = schema.fields.filter((f) => f.type === 'timestamp').map((f) => f.name);
    const ipFields = schema.fields.filter((f) => f.indicators.includes('ip')).map((f) => f.name);
    const domainFields = schema.fields.filter((f) => f.indicators.includes('domain')).map((f) => f.name);
    const urlFields = schema.fields.filter((f) => f.indicators.includes('url')).map((f) => f.name);
    const traceFields = schema.fields.filter((f) => f.indicators.includes('trace_id')).map((f) => f.name);
    const eventTimeField = schema.eventTimeField;
    const parseTime = new Date().toISOString().replace('T', ' ').replace('Z', '');

    const toTime = (v: unknown): string => {
      const n = Number(v);
      const ms = typeof v === 'string' && !/^\d+$/.test(v) ? Date.parse(v) : n > 6e10 ? n / 1e6 : n * 1000;
      return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
    };
    const uniqueSorted = (values: unknown[]): string[] =>
      [...new Set(values.filter((v): v is string => typeof v === 'string' && v !== '' && v !== '00'))].sort();

    return async () => {
      const outputs = new Map<string, { gzip: Gzip; bytes: number; done: Promise<unknown> }>();
      let rows = 0;
      let rejects = 0;
      const rl = createInterface({ input: createReadStream(corpus.path).pipe(createGunzip()), crlfDelay: Infinity });
      for await (const line of rl) {
        if (line.trim() === '') continue;
        let obj: Record<string, unknown>;
        try {
          obj = JSON.parse(line) as Record<string, unknown>;
        } catch {
          rejects++;
          continue;
        }
        if (!validate(obj)) {
          rejects++;
          continue;
        }
        for (const f of timeFields) {
          const v = obj[f];
          if (v === undefined || v === null || v === '') delete obj[f];
          else obj[f] = toTime(v);
        }
        const eventTime = obj[eventTimeField] as string;
        obj.p_log_type = schema.logType;
        obj.p_row_id = randomUUID();
        obj.p_event_time = eventTime;
        obj.p_parse_time = parseTime;
        const domains: unknown[] = domainFields.map((f) => obj[f]);
        for (const f of urlFields) {
          try {
            domains.push(new URL(obj[f] as string).hostname);
          } catch {
            // not a URL
          }
        }
        const ips = uniqueSorted(ipFields.map((f) => obj[f]));
        const names = uniqueSorted(domains);
        const traces = uniqueSorted(traceFields.map((f) => obj[f]));
        if (ips.length) obj.p_any_ip_addresses = ips;
        if (names.length) obj.p_any_domain_names = names;
        if (traces.length) obj.p_any_trace_ids = traces;

        const hour = eventTime.slice(0, 13);
        let out = outputs.get(hour);
        if (!out) {
          const gzip = createGzip();
          const o = { gzip, bytes: 0, done: once(gzip, 'end') };
          gzip.on('data', (b: Buffer) => {
            o.bytes += b.length;
          });
          outputs.set(hour, (out = o));
        }
        rows++;
        if (!out.gzip.write(JSON.stringify(obj) + '\n')) await once(out.gzip, 'drain');
      }
      let bytesOut = 0;
      for (const o of outputs.values()) {
        o.gzip.end();
        await o.done;
        bytesOut += o.bytes;
      }
      return { rows, expectedRows: corpus.lines, bytesOut, notes: { rejects, files: outputs.size, codec: 'gzip 6' } };
    };
  },
};

export default naive;
