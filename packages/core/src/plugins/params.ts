// Param schema pieces for TypeBox stage params, in the JSON Schema form that spx's validation
// messages ("must be one of …") and `spx plugins list --json` (allowed values) read.
import { Type, type SchemaOptions, type TUnsafe } from '@sinclair/typebox';

/**
 * One of `values` as a JSON Schema `enum`, typed as their union. TypeBox's Union of literals
 * would be an anyOf of consts, whose errors name only the first alternative.
 */
export function Enum<const T extends string | number>(values: readonly T[], options: SchemaOptions = {}): TUnsafe<T> {
  return Type.Unsafe<T>({ ...options, enum: [...values] });
}
