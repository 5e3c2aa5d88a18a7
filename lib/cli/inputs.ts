import { createReadStream, realpathSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { detectRoute } from '../pipeline/log-type';
import type { IngestBody } from '../pipeline/ingest';
import type { RouteMatch, Router } from '../route/router';

/** One file (or stdin, `-`) of `parse` or `detect`, opened and routed. */
export interface CliInput {
  body: IngestBody;
  route: RouteMatch;
  /** Seeds p_row_id and the detections' input id. */
  identity: string;
  /** Written into reject records. */
  source: string;
}

/**
 * Opens `file` and finds its log type: `forced` (--log-type), else the dataset in its path, else the field names of
 * its first records. Undefined, with the reason on stderr, when none says.
 */
export async function openInput(
  file: string,
  o: { router: Router; forced?: RouteMatch; stdin: NodeJS.ReadableStream; maxDecompressedBytes: number; stderr: Writable },
): Promise<CliInput | undefined> {
  const unreadable = file === '-' ? undefined : whyUnreadable(file);
  if (unreadable !== undefined) {
    o.stderr.write(`${file}: ${unreadable}\n`);
    return undefined;
  }
  const identity = file === '-' ? 'stdin' : `file:${resolvedPath(file)}`;
  const source = file === '-' ? 'stdin' : file;
  const body: IngestBody = file === '-' ? (o.stdin as AsyncIterable<Buffer>) : createReadStream(file);
  const route = o.forced ?? o.router.route(file);
  if (route) return { body, route, identity, source };
  // Neither --log-type nor a dataset in the path: the first records' field names may say what it is.
  const found = await detectRoute(body as AsyncIterable<Buffer>, o.router, o.maxDecompressedBytes);
  if (!found.route) {
    o.stderr.write(`${file}: cannot tell the log type from the path or from its records (${found.why}); pass --log-type\n`);
    return undefined;
  }
  o.stderr.write(`${file}: ${found.route.entry.schema.logType}, ${found.route.via}\n`);
  return { body: found.stream, route: found.route, identity, source };
}

/** Why a path cannot be read as an input, in words (not EISDIR or ENOENT); undefined when it is a file. */
function whyUnreadable(file: string): string | undefined {
  let st;
  try {
    st = statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'no such file';
    if (code === 'EACCES') return 'permission denied';
    return (e as Error).message;
  }
  if (st.isDirectory()) return 'is a directory: name the files in it (a shell glob such as DIR/*.gz does)';
  return undefined;
}

/**
 * What seeds a file's p_row_id: its resolved real path, not the path as typed, so `./x`, `../dir/x`, `/abs/x`
 * and a symlink to it name one file and give the same ids. A path that cannot be resolved (it does not exist)
 * keeps its absolute form: reading it fails next, with the error that names the open.
 */
function resolvedPath(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return resolve(file);
  }
}
