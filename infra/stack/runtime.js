'use strict';
/**
 * NODE_OPTIONS of the functions, also applied by the soak (scripts/soak.ts) so that it measures what Lambda runs.
 *
 * Since Node 22, V8 sizes the young generation by the heap limit, up to 64 MiB per semi-space: with the same
 * code the 2 GiB soak peaked about 110 MiB higher on Node 24 than on Node 20 (bench/README.md). 16 MiB
 * semi-spaces bring the peak back under the 256 MB target at no measurable cost in speed.
 *
 * V8 also lets the old generation grow far past what is live when the limit it derives from the function's memory
 * allows it: Parquet output (each row group parsed into columns and encoded), and a burst of detection state
 * writes (20,000 groups from one firewall object), left 2-3 times their live data as garbage. A 160 MiB old
 * generation keeps both under the 256 MB target (bench/README.md, Soak); what is live is bounded by the stages'
 * own budgets (waiting rows, Parquet row groups, detection memory, alerts in flight).
 */
const NODE_OPTIONS = '--max-semi-space-size=16 --max-old-space-size=160';

module.exports = { NODE_OPTIONS };
