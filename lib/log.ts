/** The logging surface the core uses; Powertools' Logger satisfies it, tests pass a recorder. */
export interface Log {
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

export const silentLog: Log = { info() {}, warn() {}, error() {} };

/** Error fields for a log line: name, message, location; never the input data. */
export function errorFields(e: unknown): Record<string, unknown> {
  if (!(e instanceof Error)) return { error: String(e) };
  const loc = (e as { location?: unknown }).location;
  const cause = e.cause instanceof Error ? e.cause : undefined;
  return {
    errorName: e.name,
    error: e.message,
    ...(loc ? { location: loc } : {}),
    // The cause's name and message (SDK errors: code and HTTP status); they carry no input data.
    ...(cause ? { cause: `${cause.name}: ${cause.message}` } : {}),
  };
}
