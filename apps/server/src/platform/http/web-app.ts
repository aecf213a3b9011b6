import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { notFoundHandler } from './problem.js';

/** Paths that belong to the server, never to the web app: an unknown one is a 404 problem, not the app's page. */
const SERVER_PATHS = /^\/(api|fhir|scim)(\/|$)|^\/(healthz|readyz)$/;

/**
 * The Content-Security-Policy of the web app's page: its own scripts and styles only (no inline script or style,
 * no eval), API calls and the event socket to this origin, nothing framed, nothing posted elsewhere.
 * `'self'` covers ws:/wss: of the same origin in CSP 3 browsers; the public URL's socket origin is listed too.
 */
export function webAppCsp(publicUrl: string): string {
  const socketOrigin = new URL(publicUrl).origin.replace(/^http/, 'ws');
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self' ${socketOrigin}`,
    "manifest-src 'self'",
    "worker-src 'self'",
    "frame-ancestors 'none'",
    "frame-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "object-src 'none'",
  ].join('; ');
}

/** Whether a not-found request is a navigation to one of the app's routes (served the app's page). */
function isAppNavigation(request: FastifyRequest): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  const pathname = request.url.split('?')[0] ?? '/';
  if (SERVER_PATHS.test(pathname)) return false;
  // A missing file (/assets/old-1234.js) stays a 404: only extension-less paths are app routes.
  if (path.posix.extname(pathname) !== '') return false;
  return (request.headers.accept ?? '').includes('text/html');
}

/**
 * Serves the built web app (apps/web/dist) at `/`: hashed assets with a year-long immutable cache, the page itself
 * (never cached, strict CSP) for `/` and every app route (SPA fallback), never for `/api/*`. Without a build the
 * server still starts, serves the API only and says so in one log line. Returns the not-found handler to install.
 */
export async function registerWebApp(
  app: FastifyInstance,
  opts: { webDir: string; publicUrl: string; logger: Logger },
): Promise<(request: FastifyRequest, reply: FastifyReply) => unknown> {
  const indexFile = path.join(opts.webDir, 'index.html');
  if (!existsSync(indexFile)) {
    opts.logger.warn({ webDir: opts.webDir }, 'web app not built: serving the API only (build it with `npm run build -w @haven/web`)');
    return notFoundHandler;
  }
  const page = readFileSync(indexFile);
  const csp = webAppCsp(opts.publicUrl);
  const sendPage = (reply: FastifyReply) =>
    reply
      .header('content-security-policy', csp)
      .header('cache-control', 'no-cache')
      .type('text/html; charset=utf-8')
      .send(page);

  await app.register(fastifyStatic, {
    root: opts.webDir,
    prefix: '/',
    wildcard: false,
    index: false,
    // The page is served by the handlers below (with its CSP); files only here.
    allowedPath: (pathname) => pathname !== '/index.html' && pathname !== '/',
    setHeaders: (res, filePath) => {
      const hashed = filePath.startsWith(path.join(opts.webDir, 'assets') + path.sep);
      res.header('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  app.get('/', { schema: { hide: true } }, async (_request, reply) => sendPage(reply));
  opts.logger.info({ webDir: opts.webDir }, 'serving the web app at /');
  return (request, reply) => (isAppNavigation(request) ? sendPage(reply.status(200)) : notFoundHandler(request, reply));
}
