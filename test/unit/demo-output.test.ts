import type { ObjectOutcome } from '../../lib/s3/object';
import { tableLines, useColour } from '../../scripts/demo-output';

const outcome = {
  status: 'processed',
  summary: {
    logType: 'Cloudflare.HttpRequest', lines: 3, rows: 2, rejected: 1, rejectsByReason: { invalid_json: 1 }, blank: 0,
    outputs: ['a'], invalidFields: { EdgeResponseStatus: 1 }, unknownFields: { NewField: 2 },
  },
} as unknown as ObjectOutcome;
const rows = [{ key: 'cloudflare/http_requests/20261101/a.log.gz', note: 'one broken line', outcome }];

describe("the demo's output", () => {
  it('has no ANSI escapes when stdout is not a terminal, or NO_COLOR is set', () => {
    expect(useColour({ isTTY: undefined }, {})).toBe(false);
    expect(useColour({ isTTY: false }, {})).toBe(false);
    expect(useColour({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(useColour({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
    expect(useColour({ isTTY: true }, {})).toBe(true);
    const plain = tableLines(rows, useColour({ isTTY: false }, {})).join('\n');
    expect(plain).not.toContain('\u001b[');
    expect(plain).toContain('  one broken line');
    expect(plain).toContain('  kept in p_unknown_fields: NewField (2 rows)');
    expect(tableLines(rows, true).join('\n')).toContain('\u001b[2m  one broken line\u001b[0m');
  });
});
