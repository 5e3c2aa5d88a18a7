import { parseArgs, ParseArgsConfig } from 'node:util';
import { CflogsError } from '../errors';

/** A wrong command line: the CLI prints it with usage and exits 2. */
export class UsageError extends CflogsError {
  override readonly name = 'UsageError';
}

/** `util.parseArgs`, with its errors turned into a UsageError that shows the command's usage. */
export function parseCommandArgs<T extends ParseArgsConfig>(config: T, usage: string): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\nusage: ${usage}`);
  }
}
