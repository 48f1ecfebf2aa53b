// Names every JavaScript object already has. Used as a stage id, input name or --set path segment,
// such a name would find (or, through `__proto__`, replace) the built-in property instead of the
// user's value, so spx refuses them with an error that names the reserved word.
export const RESERVED_NAMES: readonly string[] = [
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
  '__proto__',
  'constructor',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'prototype',
  'toLocaleString',
  'toString',
  'valueOf',
];

const reserved = new Set(RESERVED_NAMES);

export function isReservedName(name: string): boolean {
  return reserved.has(name);
}
