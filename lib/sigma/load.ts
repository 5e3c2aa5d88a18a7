import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { RuleDefinitionError } from '../rules/model';
import { compileCorrelation, compileSigmaRule, CompiledSigma } from './compile';
import { parseSigmaFile, SigmaCorrelation, SigmaDocument, SigmaParseRefusal, SigmaRule } from './parse';
import { SigmaRefusal } from './refusal';

/**
 * A directory of Sigma rules (`*.yml` / `*.yaml`, recursively, by path) compiled into cflogs rules: what compiled
 * and, per refused rule, why. A refused rule is reported, never half-applied; the directory as a whole still loads.
 * Correlation rules find their rules by id or name anywhere in the directory; a rule a correlation names does not
 * alert on its own unless the correlation says `generate: true` (the specification's default).
 */

export interface SigmaRefused {
  file: string;
  id?: string;
  title?: string;
  category?: string;
  reason: string;
}

export interface SigmaCompilation {
  compiled: CompiledSigma[];
  refused: SigmaRefused[];
}

function sigmaFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.name.startsWith('.')) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && /\.ya?ml$/i.test(e.name)) out.push(p);
    }
  };
  walk(root);
  return out;
}

/** Compiles every Sigma rule under `dir`; throws a RuleDefinitionError only when the directory cannot be read. */
export function compileSigmaDir(dir: string): SigmaCompilation {
  const root = resolve(dir);
  let files: string[];
  try {
    if (!statSync(root).isDirectory()) throw new Error('not a directory');
    files = sigmaFiles(root);
  } catch (e) {
    throw new RuleDefinitionError(`Sigma directory ${dir}: ${(e as Error).message}`, { cause: e });
  }
  const docs = files.flatMap((f) => parseSigmaFile(readFileSync(f, 'utf8'), relative(root, f) || f));
  return compileSigmaDocuments(docs);
}

/** Compiles parsed documents (rules first, then the correlations over them). */
export function compileSigmaDocuments(docs: ReadonlyArray<SigmaDocument | SigmaParseRefusal>): SigmaCompilation {
  const refused: SigmaRefused[] = [];
  const compiled: CompiledSigma[] = [];
  const seen = new Set<string>();
  const byRef = new Map<string, CompiledSigma | string>();
  const rules = docs.filter((d): d is SigmaRule => 'kind' in d && d.kind === 'rule');
  const correlations = docs.filter((d): d is SigmaCorrelation => 'kind' in d && d.kind === 'correlation');
  for (const d of docs) if (!('kind' in d)) refused.push(d);
  const refusal = (d: SigmaDocument, reason: string, category?: string): SigmaRefused => ({
    file: d.file,
    id: d.id,
    title: d.title,
    ...(category !== undefined ? { category } : {}),
    reason,
  });
  const tryCompile = (d: SigmaDocument, f: () => CompiledSigma): CompiledSigma | string => {
    const category = d.kind === 'rule' ? d.logsource.category : undefined;
    if (seen.has(d.id)) {
      refused.push(refusal(d, `id ${d.id} is also another rule's in this directory`, category));
      return 'duplicate id';
    }
    seen.add(d.id);
    try {
      return f();
    } catch (e) {
      // One rule's failure is its refusal, whatever it is: the directory as a whole still loads.
      const message = e instanceof SigmaRefusal || e instanceof RuleDefinitionError ? e.message : `cannot be compiled: ${(e as Error).message ?? String(e)}`;
      refused.push(refusal(d, message, category));
      return message;
    }
  };
  const done: Array<[SigmaRule, CompiledSigma]> = [];
  for (const r of rules) {
    const duplicate = seen.has(r.id);
    const c = tryCompile(r, () => compileSigmaRule(r));
    if (duplicate) continue;
    byRef.set(r.id, c);
    if (r.name !== undefined) byRef.set(r.name, c);
    if (typeof c !== 'string') done.push([r, c]);
  }
  const correlated = new Set<string>();
  for (const c of correlations) {
    const out = tryCompile(c, () => compileCorrelation(c, (ref) => byRef.get(ref) ?? `no rule with that id or name in the directory`));
    if (typeof out !== 'string') {
      compiled.push(out);
      if (!c.generate) for (const ref of c.rules) correlated.add(ref);
    }
  }
  for (const [r, c] of done) {
    if (correlated.has(r.id) || (r.name !== undefined && correlated.has(r.name))) continue;
    compiled.push(c);
  }
  compiled.sort((a, b) => a.rule.id.localeCompare(b.rule.id));
  return { compiled, refused };
}
