/**
 * Reads a V8 .cpuprofile (what `node --cpu-prof` writes) and ranks functions by self time. A sample's duration is
 * the gap to the next sample. Functions in a bundle are attributed to their source module by the `// path` comments
 * esbuild writes before each module's code.
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface SelfTime {
  name: string;
  where: string;
  ms: number;
  pct: number;
}

export interface ProfileReport {
  /** The .cpuprofile itself (open it in Chrome DevTools or speedscope for the call tree). */
  file: string;
  totalMs: number;
  functions: SelfTime[];
  modules: SelfTime[];
  /** The bench row profiled (bench/run.ts --prof-row); cflogs when absent. */
  row?: string;
}

/** Maps a bundle's line numbers to the source module that produced them. */
class BundleMap {
  private readonly starts: number[] = [];
  private readonly paths: string[] = [];

  constructor(bundleSource: string) {
    const lines = bundleSource.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const m = /^\/\/ ((?:[\w@.-]+\/)*[\w@.-]+\.(?:ts|js|mjs|cjs|json))$/.exec(lines[i] as string);
      if (m) {
        this.starts.push(i);
        this.paths.push(m[1] as string);
      }
    }
  }

  moduleAt(line: number): string | undefined {
    let lo = 0;
    let hi = this.starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((this.starts[mid] as number) <= line) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? undefined : this.paths[found];
  }
}

export function analyseProfile(profilePath: string, bundlePath: string, top = 15): ProfileReport {
  const p = JSON.parse(readFileSync(profilePath, 'utf8')) as CpuProfile;
  const map = new BundleMap(readFileSync(bundlePath, 'utf8'));
  const bundleUrl = `file://${bundlePath}`;
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const dt = i + 1 < p.timeDeltas.length ? (p.timeDeltas[i + 1] as number) : 0;
    const id = p.samples[i] as number;
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
  }
  const parentOf = new Map<number, ProfileNode>();
  for (const n of p.nodes) for (const c of n.children ?? []) parentOf.set(c, n);
  const byFn = new Map<string, { name: string; where: string; us: number }>();
  const byModule = new Map<string, number>();
  let total = 0;
  for (const n of p.nodes) {
    const us = selfUs.get(n.id) ?? 0;
    if (us === 0) continue;
    total += us;
    // Native code without a name (string encoding, the C++ side of a binding) is charged to its JS caller.
    let cf = n.callFrame;
    let label = cf.functionName || '(anonymous)';
    if (cf.functionName === '' && cf.url === '') {
      const parent = parentOf.get(n.id);
      if (parent) {
        cf = parent.callFrame;
        label = `(native, from ${cf.functionName || '(anonymous)'})`;
      }
    }
    let module: string;
    if (cf.url === bundleUrl || cf.url === bundlePath) module = map.moduleAt(cf.lineNumber) ?? 'bundle';
    else if (cf.url) module = cf.url.replace(/^file:\/\//, '');
    else module = '(vm)';
    const where = cf.url ? module : '';
    if (label.length > 60) label = label.slice(0, 57) + '...';
    const key = `${label}\u0000${where}\u0000${cf.url ? cf.lineNumber : ''}`;
    const e = byFn.get(key) ?? { name: label, where, us: 0 };
    e.us += us;
    byFn.set(key, e);
    byModule.set(module, (byModule.get(module) ?? 0) + us);
  }
  const pct = (us: number): number => (total === 0 ? 0 : (100 * us) / total);
  const functions = [...byFn.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((e) => ({ name: e.name, where: e.where, ms: e.us / 1000, pct: pct(e.us) }));
  const modules = [...byModule.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([m, us]) => ({ name: m, where: '', ms: us / 1000, pct: pct(us) }));
  return { file: profilePath, totalMs: total / 1000, functions, modules };
}
