// Lookups by a name that came from a user (stage id, input name, output, parameter): only a key the
// object itself holds counts, never one inherited from Object.prototype (`constructor`, `toString`).
export function own<T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return record !== undefined && record !== null && Object.hasOwn(record, key) ? record[key] : undefined;
}
