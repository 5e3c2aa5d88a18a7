/**
 * Which files of one partition a compaction rewrites, and into how many files: the bin-pack strategy of Iceberg's
 * RewriteDataFiles and Glue's compaction optimizer. Files of at least MIN_FILE_RATIO of the target size are left as
 * they are; the smaller ones are packed, largest first, into bins of at most the target size, and each bin becomes
 * one file. A bin of one file is rewritten only when that gives it fewer row groups (the ingest writer's row groups
 * are small, bounded by a function's memory) and the file is not a compaction's own output: a rewrite of it would
 * give the same file again, so a second compaction does nothing.
 */

export interface PackFile {
  path: string;
  bytes: number;
  rows: number;
  /** The file's row groups (its Parquet footer's). */
  rowGroups: number;
  /** Written by a compaction. */
  compacted: boolean;
}

export interface PackTarget {
  /** The size of the files a compaction writes, in bytes (of its input: the output is about as large). */
  fileBytes: number;
  /** Rows per row group of the files a compaction writes. */
  rowGroupRows: number;
}

/** Iceberg's default `min-file-size-bytes`: 75% of the target. */
export const MIN_FILE_RATIO = 0.75;

/** The bins of one partition's files to rewrite, each into one file; none when the partition is as compact as it gets. */
export function binPack(files: readonly PackFile[], target: PackTarget): PackFile[][] {
  const small = files.filter((f) => f.bytes < target.fileBytes * MIN_FILE_RATIO).sort((a, b) => b.bytes - a.bytes || a.path.localeCompare(b.path));
  const bins: { bytes: number; files: PackFile[] }[] = [];
  for (const f of small) {
    const bin = bins.find((b) => b.bytes + f.bytes <= target.fileBytes);
    if (bin) {
      bin.bytes += f.bytes;
      bin.files.push(f);
    } else bins.push({ bytes: f.bytes, files: [f] });
  }
  return bins
    .map((b) => b.files)
    .filter((b) => {
      if (b.length > 1) return true;
      const [f] = b as [PackFile];
      return !f.compacted && f.rowGroups > Math.max(1, Math.ceil(f.rows / target.rowGroupRows));
    });
}
