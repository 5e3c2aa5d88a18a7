import { ABSENT_COLUMN } from '../record/normalise';
import type { LineParser } from '../record/parser';
import type { SchemaRegistry } from '../record/registry';
import { chooseLogType } from './log-type';

/**
 * Schema drift in one input's rows, for its summary: input fields the schema does not know, schema fields whose
 * value did not fit their column, and rows that look like another log type's.
 */

const MAX_UNKNOWN_FIELD_NAMES = 100;
/** The summary's count of unknown field names not shaped like field names. */
export const OTHER_NAMES = '(other)';
/** Suspect rows whose field names are kept to tell which log type they fit. */
const SUSPECT_SAMPLE = 20;

/**
 * Shaped like a Cloudflare field name: PascalCase words of letters and digits (`ClientRequestHost`, `JA3Hash`,
 * `FirewallMatchesRuleIDs`), at most 64 characters. Not an IP address or e-mail (punctuation), nor most tokens:
 * a lowercase letter right after a digit, more than 8 capitals or 3 digits in a row, mark random text. A loop, not
 * a regex: the same rule as a regex backtracks badly on long runs of capitals.
 */
export function looksLikeFieldName(k: string): boolean {
  if (k.length === 0 || k.length > 64) return false;
  let upper = 0;
  let digits = 0;
  let prev = 0; // 0 start, 1 capital, 2 lowercase, 3 digit
  for (let i = 0; i < k.length; i++) {
    const c = k.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) {
      if (++upper > 8) return false;
      digits = 0;
      prev = 1;
    } else if (c >= 0x61 && c <= 0x7a) {
      if (prev === 0 || prev === 3) return false;
      upper = 0;
      prev = 2;
    } else if (c >= 0x30 && c <= 0x39) {
      if (prev === 0 || ++digits > 3) return false;
      upper = 0;
      prev = 3;
    } else return false;
  }
  return true;
}

export class FieldTally {
  // Keys come from the input: a null prototype keeps `__proto__` an ordinary key.
  /** Input field names the schema does not know, with how many rows had them. */
  readonly unknownFields = Object.create(null) as Record<string, number>;
  /** Schema fields whose value did not fit their column, with how many rows kept one in p_invalid_fields. */
  readonly invalidFields = Object.create(null) as Record<string, number>;
  private unknownNames = 0;
  private suspectRows = 0;
  private readonly suspectSample: string[][] = [];

  /** Counts the row the parser has just filled. */
  row(parser: LineParser): void {
    const invalid = parser.cols.invalid;
    if (invalid !== undefined) {
      // Input names of schema fields (a column or an alias): safe to log, and as few as the schema's fields.
      for (const key in invalid) this.invalidFields[key] = (this.invalidFields[key] ?? 0) + 1;
    }
    const unknown = parser.cols.unknown;
    // Only a row with unknown fields can be suspect, so the count of its columns is taken for those alone.
    if (unknown !== undefined && columnsPresent(parser.cols.state) <= (parser.cols.eventTime === undefined ? 0 : 1)) {
      this.suspectRows++;
      if (this.suspectSample.length < SUSPECT_SAMPLE) this.suspectSample.push(Object.keys(parser.fields.raw));
    }
    if (unknown !== undefined) {
      for (const key in unknown) {
        const seen = this.unknownFields[key];
        if (seen !== undefined) {
          // A name already counted (schema drift repeats on every row): no need to look at its shape again.
          this.unknownFields[key] = seen + 1;
          continue;
        }
        // These names are logged: only those shaped like a schema's field names; the rest (an IP, an e-mail
        // address, a token sent as a key) are counted together, never written to the log.
        const k = looksLikeFieldName(key) ? key : OTHER_NAMES;
        const c = this.unknownFields[k];
        if (c !== undefined) this.unknownFields[k] = c + 1;
        else if (this.unknownNames < MAX_UNKNOWN_FIELD_NAMES || k === OTHER_NAMES) {
          this.unknownFields[k] = 1;
          this.unknownNames++;
        }
      }
    }
  }

  /**
   * Rows with none of the log type's fields but (at most) its event time, and the log type whose schema names their
   * fields best when one does; undefined when there were none.
   */
  suspect(logType: string, registry: SchemaRegistry | undefined): { rows: number; bestFit?: string } | undefined {
    if (this.suspectRows === 0) return undefined;
    const best = registry ? chooseLogType(registry.fits(this.suspectSample), this.suspectSample.length) : { entry: undefined };
    return { rows: this.suspectRows, ...(best.entry && best.entry.schema.logType !== logType ? { bestFit: best.entry.schema.logType } : {}) };
  }
}

function columnsPresent(state: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < state.length; i++) if (state[i] !== ABSENT_COLUMN) n++;
  return n;
}
