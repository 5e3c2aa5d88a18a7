'use strict';
/**
 * NODE_OPTIONS of the functions, also applied by the soak (scripts/soak.ts) so that it measures what Lambda runs.
 *
 * Since Node 22, V8 sizes the young generation by the heap limit, up to 64 MiB per semi-space: with the same
 * code the 2 GiB soak peaked about 110 MiB higher on Node 24 than on Node 20 (bench/README.md). 16 MiB
 * semi-spaces bring the peak back under the 256 MB target at no measurable cost in speed.
 *
 * Parquet output makes garbage faster than NDJSON (each row group is parsed into columns and encoded), and V8 lets
 * the old generation grow far past what is live when the limit it derives from the function's memory allows it:
 * a 160 MiB old generation keeps the 2 GiB soak under the target (bench/README.md, Soak).
 */
const NODE_OPTIONS = '--max-semi-space-size=16';
const PARQUET_NODE_OPTIONS = `${NODE_OPTIONS} --max-old-space-size=160`;

/** The functions' NODE_OPTIONS for a lake format ('ndjson' | 'parquet'). */
function nodeOptions(format) {
  return format === 'parquet' ? PARQUET_NODE_OPTIONS : NODE_OPTIONS;
}

module.exports = { NODE_OPTIONS, nodeOptions };
