import { createZip, readZip } from '../../scripts/package/zip';

const entries = [
  { name: 'index.js', data: Buffer.from('exports.handler = async () => 1;\n'.repeat(100)) },
  { name: 'index.js.map', data: Buffer.from('{"version":3}') },
];

describe('Lambda artifact zips', () => {
  test('the same files give the same bytes, whenever and wherever they are zipped', async () => {
    const a = await createZip(entries);
    const b = await createZip(entries.map((e) => ({ ...e, data: Buffer.from(e.data) })));
    expect(a.equals(b)).toBe(true);
  });

  test('hold each file, in the order given, with its content', async () => {
    const files = await readZip(await createZip(entries));
    expect([...files.keys()]).toEqual(['index.js', 'index.js.map']);
    for (const e of entries) expect(files.get(e.name)?.equals(e.data)).toBe(true);
  });

  test('change when a file changes', async () => {
    const other = await createZip([entries[0]!, { name: 'index.js.map', data: Buffer.from('{"version":4}') }]);
    expect(other.equals(await createZip(entries))).toBe(false);
  });
});
