import { Writable } from 'node:stream';
import { Alerting } from '../alerts/alerting';
import { loadConfig } from '../config';
import { optional } from '../env';
import { ingest } from '../pipeline/ingest';
import { builtInRegistry } from '../record/registry';
import { Router } from '../route/router';
import { alertRecord } from '../rules/alert';
import { loadRuleSet } from '../rules/builtin';
import { ruleSwitches } from '../rules/config';
import { MemoryStateStore } from '../rules/store';
import { openInput } from './inputs';
import { StreamSink } from './stream-sink';
import { parseCommandArgs, UsageError } from './usage';

export const DETECT_USAGE = 'cflogs detect [--rules DIR] [--enable ID]... [--disable ID]... [--log-type T] [FILE|-]...';

/**
 * `cflogs detect`: Logpush files through the same routing and parsing as `parse`, and every row through the rules
 * (built-in, and `--rules DIR` or CFLOGS_RULES_DIR; switched on and off by `--enable` / `--disable` or
 * CFLOGS_RULES_ENABLE / CFLOGS_RULES_DISABLE), with the detection state in memory across the files. Prints
 * each alert that fired as one NDJSON line on stdout (the record the Lambda writes to alerts/ and publishes), with
 * its final count, in the order the alerts' windows start; a summary per file on stderr. Rows are not written.
 */
export async function detectCommand(
  argv: string[],
  io: { stdout: Writable; stderr: Writable; stdin: NodeJS.ReadableStream; clock?: () => Date },
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const args = parseCommandArgs({
    args: argv,
    allowPositionals: true,
    options: {
      rules: { type: 'string' },
      enable: { type: 'string', multiple: true },
      disable: { type: 'string', multiple: true },
      'log-type': { type: 'string' },
    },
  }, DETECT_USAGE);
  const config = loadConfig(env);
  const switches = ruleSwitches(env, { enable: args.values.enable, disable: args.values.disable });
  const registry = builtInRegistry();
  const logType = args.values['log-type'];
  const given = logType !== undefined ? registry.find(logType) : undefined;
  if (logType !== undefined && !given) throw new UsageError(`unknown log type ${logType} (known: ${registry.logTypes().join(', ')})`);
  const dir = args.values.rules ?? optional(env.CFLOGS_RULES_DIR);
  const rules = await loadRuleSet({ knownLogTypes: registry.logTypes(), ...switches, ...(dir !== undefined ? { dir } : {}) });
  const clock = io.clock ?? (() => new Date());
  const state = new MemoryStateStore(clock);
  const alerting = new Alerting({ rules, state, clock });
  const router = new Router(config.routes, registry, config);
  const forced = given ? router.byName(given.schema.logType) : undefined;
  // Rows are counted, not kept.
  const sink = new StreamSink(new Writable({ write: (_c, _e, cb) => cb() }));
  let exit = 0;
  for (const file of args.positionals.length ? args.positionals : ['-']) {
    try {
      const opened = await openInput(file, { router, ...(forced ? { forced } : {}), stdin: io.stdin, maxDecompressedBytes: config.limits.maxDecompressedBytes, stderr: io.stderr });
      if (!opened) {
        exit = 1;
        continue;
      }
      const s = await ingest(
        opened.body,
        { source: opened.source, identity: opened.identity, route: opened.route, location: { key: file } },
        { sink },
        { now: clock(), limits: config.limits, alerting },
      );
      const matches = Object.entries(s.detections?.matchesByRule ?? {}).map(([id, n]) => `${id}: ${n}`);
      const errors = (s.detections?.ruleErrors ?? []).map((e) => `${e.ruleId} ${e.fn}: ${e.count} (first: ${e.message})`);
      io.stderr.write(
        `${file}: ${s.logType}, ${s.rows} rows, ` +
          (s.detections ? `${s.detections.matches} matches${matches.length ? ` (${matches.join(', ')})` : ''}` : 'no enabled rule for this log type') +
          `${errors.length ? `; rule errors: ${errors.join('; ')}` : ''}\n`,
      );
    } catch (e) {
      io.stderr.write(`${file}: ${(e as Error).message}\n`);
      exit = 1;
    }
  }
  const now = clock();
  const alerts = state.alerts().sort((a, b) => a.windowStart.localeCompare(b.windowStart) || a.alertId.localeCompare(b.alertId));
  for (const a of alerts) io.stdout.write(`${JSON.stringify(alertRecord(rules.get(a.ruleId), a, now))}\n`);
  io.stderr.write(`${alerts.length} alert${alerts.length === 1 ? '' : 's'}\n`);
  return exit;
}
