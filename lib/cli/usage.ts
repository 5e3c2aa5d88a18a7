import { parseArgs, ParseArgsConfig } from 'node:util';
import { CflogsError, Disposition, Dispositions } from '../errors';

/** A wrong command line: the CLI prints it with usage and exits 2. */
export class UsageError extends CflogsError {
  override readonly name = 'UsageError';
  /** The caller's input (the command line) is wrong: only the caller can fix it. */
  override get disposition(): Disposition {
    return Dispositions.client(400);
  }
}

/** `util.parseArgs`, with its errors turned into a UsageError that shows the command's usage. */
export function parseCommandArgs<T extends ParseArgsConfig>(config: T, usage: string): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\nusage: ${usage}`);
  }
}
