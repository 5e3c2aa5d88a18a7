import { ConfigError } from '../errors';

/**
 * DuckDB, for `cflogs query` and `compact`: an optional dependency (a native module per platform), loaded when one of
 * them runs, so every other command works where it is not installed.
 */
export async function loadDuckDB(command: string): Promise<typeof import('@duckdb/node-api')> {
  try {
    return await import('@duckdb/node-api');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_MODULE_NOT_FOUND') throw e;
    throw new ConfigError(
      `cflogs ${command} needs DuckDB, which is not installed here: it is an optional dependency of cflogs ` +
        '(install cflogs again without --omit=optional, or `npm install -g @duckdb/node-api`)',
      { cause: e },
    );
  }
}
