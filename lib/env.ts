import { ConfigError } from './errors';

/** Reading environment variables: blank means unset, a bad value is a ConfigError naming the variable. */

export function optional(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

export function bool(env: NodeJS.ProcessEnv, name: string, dflt: boolean): boolean {
  const v = optional(env[name])?.toLowerCase();
  if (v === undefined) return dflt;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new ConfigError(`${name} must be true or false, got ${JSON.stringify(v)}`);
}

export function int(env: NodeJS.ProcessEnv, name: string, dflt: number, min: number, max: number): number {
  const v = optional(env[name]);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
  }
  return n;
}

/**
 * An ARN of an AWS `service` whose resource part matches `resource` (a regex source), capturing the region (group 1)
 * and the resource (group 2). Partitions: aws, aws-cn, aws-us-gov and those to come (aws-iso...).
 */
export function arnPattern(service: string, resource: string): RegExp {
  return new RegExp(`^arn:aws[a-z-]*:${service}:([a-z]{2}(?:-[a-z]+)+-\\d{1,2}):\\d{12}:(${resource})$`);
}
