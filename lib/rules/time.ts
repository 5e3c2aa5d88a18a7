import { parseCloudflareTime } from '../record/timestamps';

/**
 * Event times for the detection windows. Lake rows carry `p_event_time` as `YYYY-MM-DD HH:MM:SS.fffffffff`, a
 * fixed width, so two such texts compare as their instants do: windows order matches by that text and count time
 * in whole minutes (epoch minutes).
 */

/** Panther's rendering (`2022-05-10 06:36:57`, `... .123`) and ISO forms without an offset other than UTC. */
const LOOSE_TIME = /^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(?:Z|[+-]00:?00)?$/;

/** A time as the lake's text, or undefined when it is not a time. */
export function lakeTime(v: unknown): string | undefined {
  if (typeof v !== 'string') return typeof v === 'number' ? parseCloudflareTime(v) : undefined;
  // The lake's own text, as every p_event_time is: told by its shape, not a regex (this runs per match); a
  // malformed one gives a NaN minute, which the caller refuses.
  if (v.length === 29 && v.charCodeAt(10) === 32 && v.charCodeAt(19) === 46 && v.charCodeAt(4) === 45) return v;
  const m = LOOSE_TIME.exec(v);
  if (m) return `${m[1]} ${m[2]}.${(m[3] ?? '').padEnd(9, '0')}`;
  return parseCloudflareTime(v);
}

let cachedPrefix = '';
let cachedMinute = NaN;
/** Minutes since the epoch of a lake time (its first 16 characters); the last one is cached, as rows come in order. */
export function epochMinute(time: string): number {
  if (!time.startsWith(cachedPrefix) || cachedPrefix === '') {
    const prefix = time.slice(0, 16);
    // setUTCFullYear, not Date.UTC: Date.UTC reads years 0-99 as 1900-1999.
    const d = new Date(0);
    d.setUTCFullYear(Number(time.slice(0, 4)), Number(time.slice(5, 7)) - 1, Number(time.slice(8, 10)));
    d.setUTCHours(Number(time.slice(11, 13)), Number(time.slice(14, 16)), 0, 0);
    cachedMinute = d.getTime() / 60000;
    cachedPrefix = prefix;
  }
  return cachedMinute;
}

/** The lake text of the start of an epoch minute. */
export function minuteText(minute: number): string {
  const iso = new Date(minute * 60000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.000000000`;
}
