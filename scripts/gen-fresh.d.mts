/** lib/generated/.stamp, relative to the project root. */
export declare const STAMP: string;
/** SHA-256 (hex) of the build's inputs under `root`. */
export declare function inputsHash(root: string): string;
/** Why lib/generated under `root` must be rebuilt, or undefined when it is up to date. */
export declare function whyStale(root: string): string | undefined;
