// Module hook (node:module register): a local plugin file is an ES module, as the plugin contract
// says, wherever it lives — and so are the local .ts/.js files it imports by relative path. Node
// would otherwise run such a file outside a "type": "module" package as CommonJS, where `export`,
// top-level await and import.meta do not work. Packages (node_modules) keep their own format.
// Plain JavaScript: it runs in Node's module-hooks thread, before TypeScript support is certain.
const AMBIGUOUS = /\.(ts|tsx|js|jsx)$/;
const modules = new Set();

/** @param {{ url: string }} data the plugin file's URL, sent by register(). */
export function initialize(data) {
  modules.add(data.url);
}

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  const local = /^(\.{1,2}\/|\/|file:)/.test(specifier) && resolved.url.startsWith('file:') && !resolved.url.includes('/node_modules/');
  const url = resolved.url.split(/[?#]/)[0];
  if (modules.has(resolved.url) || (local && AMBIGUOUS.test(url) && context.parentURL !== undefined && modules.has(context.parentURL))) {
    modules.add(resolved.url);
    return { ...resolved, format: 'module' };
  }
  return resolved;
}
