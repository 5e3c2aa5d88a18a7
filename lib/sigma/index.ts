/** Sigma rules (https://sigmahq.io) compiled into cflogs rules: docs/sigma.md. */
export { compileSigmaDir, compileSigmaDocuments } from './load';
export type { SigmaCompilation, SigmaRefused } from './load';
export { compileSigmaRule, compileCorrelation, compileDetection, creditLine, DRL } from './compile';
export type { CompiledSigma, CompiledDetection, Selection, FieldCondition } from './compile';
export { parseSigmaFile, parseSigmaDocument } from './parse';
export { SigmaRefusal } from './refusal';
export { CATEGORIES } from './fields';
