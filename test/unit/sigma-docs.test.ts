import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CATEGORIES, UNMAPPABLE } from '../../lib/sigma/fields';
import { MODIFIERS } from '../../lib/sigma/values';

const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'sigma.md'), 'utf8');

describe('docs/sigma.md', () => {
  it('has a row for every mapped Sigma field, every dataset and every refused field', () => {
    for (const [category, datasets] of Object.entries(CATEGORIES)) {
      expect(doc).toContain(`### ${category} →`);
      for (const ds of datasets) {
        expect(doc).toContain(`${ds.logType} (${ds.dataset})`);
        for (const [field, src] of Object.entries(ds.fields)) {
          expect([category, field, doc.includes(`\`${field}\``)]).toEqual([category, field, true]);
          // A plain column is named as it is.
          if (/^[A-Za-z]+$/.test(src.from)) expect([field, doc.includes(src.from)]).toEqual([field, true]);
        }
        for (const k of ds.keywords) expect(doc).toContain(k);
      }
    }
    for (const field of Object.keys(UNMAPPABLE)) expect(doc).toContain(`\`${field}\``);
  });

  it('describes every modifier the compiler accepts', () => {
    for (const m of MODIFIERS.filter((x) => !['i', 'm', 's'].includes(x))) expect([m, doc.includes(`\`${m}\``)]).toEqual([m, true]);
  });
});
