/**
 * Why a Sigma rule cannot be compiled faithfully. The compiler throws it and the rule is refused as a whole, never
 * applied in part: a rule that runs, runs as its author wrote it.
 */
export class SigmaRefusal extends Error {
  override readonly name = 'SigmaRefusal';
}

export function refuse(reason: string): never {
  throw new SigmaRefusal(reason);
}
