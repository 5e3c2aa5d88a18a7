import { binPack, PackFile } from '../../lib/iceberg/bin-pack';

const MB = 2 ** 20;
const file = (path: string, mb: number, o: Partial<PackFile> = {}): PackFile => ({ path, bytes: mb * MB, rows: mb * 1000, rowGroups: 1, compacted: false, ...o });
const target = { fileBytes: 100 * MB, rowGroupRows: 65_536 };
const paths = (bins: PackFile[][]): string[][] => bins.map((b) => b.map((f) => f.path));

describe('binPack: which files of a partition a compaction rewrites', () => {
  it('packs the small files, largest first, into bins of at most the target size', () => {
    expect(paths(binPack([file('a', 10), file('b', 60), file('c', 30), file('d', 50)], target))).toEqual([['b', 'c', 'a']]);
    expect(paths(binPack([file('a', 40), file('b', 40), file('c', 40)], target))).toEqual([['a', 'b']]);
  });

  it('leaves files of at least 75% of the target as they are', () => {
    expect(paths(binPack([file('big', 80), file('a', 5), file('b', 5)], target))).toEqual([['a', 'b']]);
    expect(binPack([file('big', 80), file('small', 5)], target)).toEqual([]);
  });

  it('rewrites a file alone only for fewer row groups, and never a compaction\'s own file', () => {
    expect(paths(binPack([file('ingest', 14, { rows: 100_000, rowGroups: 17 })], target))).toEqual([['ingest']]);
    expect(binPack([file('fine', 14, { rows: 100_000, rowGroups: 2 })], target)).toEqual([]);
    expect(binPack([file('one-group', 1, { rows: 500, rowGroups: 1 })], target)).toEqual([]);
    expect(binPack([file('compacted', 14, { rows: 100_000, rowGroups: 17, compacted: true })], target)).toEqual([]);
    // With another small file, a compacted file is packed again.
    expect(paths(binPack([file('compacted', 14, { compacted: true }), file('late', 1)], target))).toEqual([['compacted', 'late']]);
  });
});
