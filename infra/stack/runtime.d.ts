/** See runtime.js. */
export declare const NODE_OPTIONS: string;
