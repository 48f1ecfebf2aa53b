// Module hook (node:module register): a local plugin file is an ES module, as the plugin contract
// says, wherever it lives — and so are the local .ts/.js files it imports by relative path. Node
// would otherwise run such a file outside a "type": "module" package as CommonJS, where `export`,
// top-level await and import.meta do not work. Packages (node_modules) keep their own format.
// A local plugin that imports @spx/core without having it installed (a fresh `spx plugins new`
// package, a single file) gets the @spx/core of the spx running it: the contract it is loaded by.
// Plain JavaScript: it runs in Node's module-hooks thread, before TypeScript support is certain.
const AMBIGUOUS = /\.(ts|tsx|js|jsx)$/;
const CORE = /^@spx\/core(\/|$)/;
const modules = new Set();
let hostCore;

/** @param {{ url: string, core: string }} data the plugin file's URL and the running core's package.json, sent by register(). */
export function initialize(data) {
  modules.add(data.url);
  hostCore = data.core;
}

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context).catch((error) => {
    if (!CORE.test(specifier) || !hostCore || !modules.has(context.parentURL) || error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
    return nextResolve(specifier, { ...context, parentURL: hostCore });
  });
  const local = /^(\.{1,2}\/|\/|file:)/.test(specifier) && resolved.url.startsWith('file:') && !resolved.url.includes('/node_modules/');
  const url = resolved.url.split(/[?#]/)[0];
  if (modules.has(resolved.url) || (local && AMBIGUOUS.test(url) && context.parentURL !== undefined && modules.has(context.parentURL))) {
    modules.add(resolved.url);
    return { ...resolved, format: 'module' };
  }
  return resolved;
}
