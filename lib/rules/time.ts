import { hasLakeTimeShape, lakeTimeOf, parseCloudflareTime } from '../record/timestamps';

/**
 * Event times for the detection windows. Lake rows carry `p_event_time` as `YYYY-MM-DD HH:MM:SS.fffffffff`, a
 * fixed width, so two such texts compare as their instants do: windows order matches by that text and count time
 * in whole minutes (epoch minutes).
 */

// The windows' minute arithmetic is the lake timestamp's own.
export { epochMinute, minuteText } from '../record/timestamps';

/** Panther's rendering (`2022-05-10 06:36:57`, `... .123`) and ISO forms without an offset other than UTC. */
const LOOSE_TIME = /^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(?:Z|[+-]00:?00)?$/;

/** A time as the lake's text, or undefined when it is not a time. */
export function lakeTime(v: unknown): string | undefined {
  if (typeof v !== 'string') return typeof v === 'number' ? parseCloudflareTime(v) : undefined;
  // The lake's own text, as every p_event_time is: told by its shape, not a regex (this runs per match); a
  // malformed one gives a NaN minute, which the caller refuses.
  if (hasLakeTimeShape(v)) return v;
  const m = LOOSE_TIME.exec(v);
  if (m) return lakeTimeOf(m[1] as string, m[2] as string, m[3] ?? '');
  return parseCloudflareTime(v);
}
