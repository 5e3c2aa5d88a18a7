import { Writable } from 'node:stream';
import { Alerting } from '../alerts/alerting';
import { optional } from '../env';
import { ingest } from '../pipeline/ingest';
import { Router } from '../route/router';
import { alertRecord } from '../rules/alert';
import { ruleSwitches } from '../rules/config';
import type { RuleSet } from '../rules/engine';
import { MemoryStateStore } from '../rules/store';
import { compileSigmaDir, SigmaCompilation } from '../sigma';
import { wireLocal, wireRules } from '../wiring';
import { compileSchemas } from './schemas';
import { openInput } from './inputs';
import { StreamSink } from './stream-sink';
import { CliOptions, parseCommandArgs, UsageError } from './usage';

export const DETECT_USAGE = 'cflogs detect [--rules DIR] [--sigma DIR] [--enable ID]... [--disable ID]... [--log-type T] [FILE|-]...';

/**
 * What `cflogs detect` runs with: the functions' configuration, log types and rules for the same environment,
 * the flags in place of CFLOGS_RULES_DIR, CFLOGS_RULES_ENABLE and CFLOGS_RULES_DISABLE when given.
 */
export function detectDeps(
  env: NodeJS.ProcessEnv,
  flags: { rules?: string | undefined; enable?: string[] | undefined; disable?: string[] | undefined; sigma?: string | undefined } = {},
): ReturnType<typeof wireLocal> & { rules: RuleSet; sigma?: SigmaCompilation } {
  const local = wireLocal(env, compileSchemas);
  const switches = ruleSwitches(env, { enable: flags.enable, disable: flags.disable });
  const dir = flags.rules ?? optional(env.CFLOGS_RULES_DIR);
  const sigma = flags.sigma !== undefined ? compileSigmaDir(flags.sigma) : undefined;
  return {
    ...local,
    rules: wireRules(local.registry, { ...switches, ...(dir !== undefined ? { dir } : {}), ...(sigma ? { sigma: sigma.compiled.map((c) => c.rule) } : {}) }),
    ...(sigma ? { sigma } : {}),
  };
}

export const DETECT_OPTIONS = {
  rules: { type: 'string', value: 'DIR', description: 'rule files besides the built-in rules (as CFLOGS_RULES_DIR)' },
  sigma: { type: 'string', value: 'DIR', description: 'Sigma rules (*.yml, recursively) compiled and run beside the rules; refused ones are counted on stderr' },
  enable: { type: 'string', multiple: true, value: 'ID', description: 'turn a rule on (as CFLOGS_RULES_ENABLE)' },
  disable: { type: 'string', multiple: true, value: 'ID', description: 'turn a rule off (as CFLOGS_RULES_DISABLE)' },
  'log-type': { type: 'string', value: 'T', description: 'parse every input as this log type or dataset' },
} satisfies CliOptions;

/**
 * `cflogs detect`: Logpush files through the same routing and parsing as `parse`, and every row through the rules
 * (built-in, `--rules DIR` or CFLOGS_RULES_DIR, and the Sigma rules of `--sigma DIR` compiled; switched on and off by `--enable` / `--disable` or
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
    options: DETECT_OPTIONS,
  }, DETECT_USAGE);
  const { config, registry, rules, sigma } = detectDeps(env, args.values);
  if (sigma) {
    io.stderr.write(
      `Sigma rules: ${sigma.compiled.length} compiled, ${sigma.refused.length} refused${sigma.refused.length ? ` (reasons: cflogs rules sigma ${args.values.sigma ?? ''})` : ''}\n`,
    );
  }
  const logType = args.values['log-type'];
  const given = logType !== undefined ? registry.find(logType) : undefined;
  if (logType !== undefined && !given) throw new UsageError(`unknown log type ${logType} (known: ${registry.logTypes().join(', ')})`);
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
        { now: clock(), limits: config.limits, alerting, registry },
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
