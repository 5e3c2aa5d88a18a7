'use strict';
/**
 * NODE_OPTIONS of the functions, also applied by the soak (scripts/soak.ts) so that it measures what Lambda runs.
 *
 * Since Node 22, V8 sizes the young generation by the heap limit, up to 64 MiB per semi-space: with the same
 * code the 2 GiB soak peaked about 110 MiB higher on Node 24 than on Node 20 (bench/README.md). 16 MiB
 * semi-spaces bring the peak back under the 256 MB target at no measurable cost in speed.
 */
const NODE_OPTIONS = '--max-semi-space-size=16';

module.exports = { NODE_OPTIONS };
