/**
 * @module dashboard/plugin — serves the dashboard at `/dashboard`: three static files from
 * `src/dashboard/public/` (plain ES module, no build step) and the one setting the page cannot find
 * by itself, where to sign in. The page reads only the public API, with the user's token.
 *
 * Every answer carries a Content-Security-Policy that allows scripts, styles and connections only
 * from this origin (plus the external Keystone's, when tokens come from one): no inline script can
 * run even if a tenant string were ever inserted as HTML (the page inserts them as text).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

export interface DashboardOptions {
  /**
   * Where the page signs in: `POST {identityUrl}/auth/tokens`. A path on this server (`/v3`, the
   * embedded identity) or an external Keystone's URL (`http://keystone:5000/v3`), which must then
   * allow this origin in its CORS settings. Null under `--auth noauth`: the page then says it needs
   * an identity service.
   */
  identityUrl: string | null;
  /** The folder holding index.html, app.js and style.css (default: `src/dashboard/public` of this checkout). */
  publicDir?: string;
}

/** The page's files and their types; nothing else under /dashboard is served. */
const FILES: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

/**
 * The public folder: beside this module when run from the sources, else `src/dashboard/public`
 * from the repository root (tsc compiles to dist/src/dashboard/ and copies no assets).
 */
export function defaultPublicDir(): string {
  for (const rel of ['./public/', '../../../src/dashboard/public/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${dir}index.html`)) return dir;
  }
  throw new Error('dashboard: src/dashboard/public/index.html not found beside the build');
}

/** The Content-Security-Policy of every dashboard answer. */
export function contentSecurityPolicy(identityUrl: string | null): string {
  let connect = "'self'";
  if (identityUrl !== null && /^https?:\/\//i.test(identityUrl)) connect += ` ${new URL(identityUrl).origin}`;
  return [
    "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", `connect-src ${connect}`,
    "form-action 'none'", "frame-ancestors 'none'", "base-uri 'none'",
  ].join('; ');
}

/** Registers `GET /dashboard` (and `/dashboard/`), `/dashboard/{index.html,app.js,style.css}` and `/dashboard/config.json`. */
export async function dashboardRoutes(app: FastifyInstance, opts: DashboardOptions): Promise<void> {
  const dir = opts.publicDir ?? defaultPublicDir();
  // Read once: the files are small, and a request never touches the file system (no path to traverse).
  const files = new Map(Object.entries(FILES).map(([name, type]) => [name, { type, body: readFileSync(`${dir}/${name}`) }]));
  const csp = contentSecurityPolicy(opts.identityUrl);
  const config = JSON.stringify({ identity_url: opts.identityUrl });
  const headers = {
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-cache',
  };
  // The server ignores trailing slashes: this is /dashboard/ too (the page uses absolute paths).
  app.get('/dashboard', async (_request, reply) => {
    const f = files.get('index.html')!;
    return reply.headers(headers).type(f.type).send(f.body);
  });
  app.get('/dashboard/config.json', async (_request, reply) => reply.headers(headers).type('application/json').send(config));
  app.get<{ Params: { file: string } }>('/dashboard/:file', async (request, reply) => {
    const f = files.get(request.params.file);
    if (!f) return reply.code(404).headers(headers).type('text/plain; charset=utf-8').send('Not found');
    return reply.headers(headers).type(f.type).send(f.body);
  });
}
