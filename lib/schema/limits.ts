/**
 * What one input record may hold. A real Logpush record has about a hundred fields, short arrays and shallow JSON;
 * far beyond that it is hostile or not Logpush, and downstream readers (Glue, DuckDB, JSON tools) choke on it.
 */

/** Top-level fields of a record (the validator's maxProperties). */
export const MAX_FIELDS = 1000;

/** Items an array column holds (the validator's maxItems); a longer list is kept in p_invalid_fields, not as a column. */
export const MAX_ITEMS = 10000;

/** Levels of objects and arrays in one field's value (an object in the field is level 1). */
export const MAX_DEPTH = 32;
