// Routing for fake servers: method + path pattern → handler with the pattern's parameters.
// `/v1/jobs/:id` takes one segment as `id`; a last segment `*rest` takes the rest of the path
// (possibly empty). Parameters are given as sent, still percent-encoded: each API decides what
// an id may contain. Method `*` matches any method.

export type RouteParams = Record<string, string>;

interface Route<H> {
  method: string;
  pattern: RegExp;
  names: string[];
  handler: H;
}

export interface RouteMatch<H> {
  handler: H;
  params: RouteParams;
}

export class Router<H> {
  private readonly routes: Array<Route<H>> = [];

  /** Adds a route; routes are tried in the order they were added. */
  on(method: string, pattern: string, handler: H): this {
    const names: string[] = [];
    const segments = pattern.split('/').map((segment, i, all) => {
      if (segment.startsWith(':')) {
        names.push(segment.slice(1));
        return '([^/]+)';
      }
      if (segment.startsWith('*') && i === all.length - 1) {
        names.push(segment.slice(1));
        return '(.*)';
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    });
    this.routes.push({ method: method.toUpperCase(), pattern: new RegExp(`^${segments.join('/')}$`), names, handler });
    return this;
  }

  /** The first route for this method and path, with its parameters. */
  match(method: string, path: string): RouteMatch<H> | undefined {
    for (const route of this.routes) {
      if (route.method !== '*' && route.method !== method.toUpperCase()) continue;
      const found = route.pattern.exec(path);
      if (!found) continue;
      return { handler: route.handler, params: Object.fromEntries(route.names.map((name, i) => [name, found[i + 1]!])) };
    }
    return undefined;
  }
}
