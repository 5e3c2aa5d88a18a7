/** See runtime.js. */
export declare const NODE_OPTIONS: string;
export declare function nodeOptions(format: string | undefined): string;
