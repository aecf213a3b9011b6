import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CookiePolicy } from '../../platform/http/cookies.js';
import type { AuthHook, HandlerMap } from '../../platform/http/endpoint.js';
import { isUnsafeMethod } from '../../platform/http/endpoint.js';
import { AppError } from '../../platform/http/errors.js';
import { safeEqual } from '../../platform/crypto/hash.js';
import { csrfTokenFor, type AuthService } from './auth.service.js';

const DEVICE_HEADER = 'x-haven-device';
const DEVICE_MAX_AGE_S = 180 * 24 * 3600;

function bearer(request: FastifyRequest): string | undefined {
  const h = request.headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer ([A-Za-z0-9_-]{20,128})$/.exec(h);
  if (!m) throw new AppError('unauthenticated', 'Malformed Authorization header');
  return m[1];
}

/** Bearer token (SDK) or session cookie (browser, with CSRF token on unsafe methods). */
export function authHook(auth: AuthService, cookies: CookiePolicy): AuthHook {
  return {
    async authenticate(request) {
      const fromHeader = bearer(request);
      const token = fromHeader ?? request.cookies[cookies.session];
      if (!token) throw new AppError('unauthenticated');
      const session = await auth.authenticate(token);
      if (fromHeader && session.transport !== 'bearer') throw new AppError('unauthenticated', 'Browser sessions are sent as a cookie');
      if (!fromHeader && session.transport !== 'cookie') throw new AppError('unauthenticated');
      if (!fromHeader && isUnsafeMethod(request.method)) {
        const sent = request.headers['x-csrf-token'];
        if (typeof sent !== 'string' || !safeEqual(Buffer.from(sent), Buffer.from(csrfTokenFor(token)))) throw new AppError('csrf_failed');
      }
      return { session, token };
    },
  };
}

function setSessionCookie(reply: FastifyReply, cookies: CookiePolicy, token: string, maxAgeS: number) {
  reply.setCookie(cookies.session, token, { httpOnly: true, sameSite: 'strict', secure: cookies.secure, path: '/', maxAge: maxAgeS });
}

export function authHandlers(auth: AuthService, cookies: CookiePolicy): Pick<HandlerMap, 'auth.login' | 'auth.session' | 'auth.logout' | 'auth.mfa.verify' | 'auth.totp.setup' | 'auth.totp.enable' | 'auth.password.change'> {
  return {
    'auth.login': async ({ body, request, reply }, ctx) => {
      const headerDevice = request.headers[DEVICE_HEADER];
      const deviceToken = (typeof headerDevice === 'string' ? headerDevice : undefined) ?? request.cookies[cookies.device];
      const out = await auth.login(body, { ...ctx, deviceToken });
      if ((body.transport ?? 'cookie') === 'cookie') {
        setSessionCookie(reply, cookies, out.token, Math.round((Date.parse(out.session.expiresAt) - Date.now()) / 1000));
        reply.setCookie(cookies.device, out.deviceToken, { httpOnly: true, sameSite: 'strict', secure: cookies.secure, path: '/', maxAge: DEVICE_MAX_AGE_S });
      } else {
        reply.header(DEVICE_HEADER, out.deviceToken);
      }
      return out.session;
    },
    'auth.session': async (_in, ctx) => auth.sessionInfo(ctx, ctx.token),
    'auth.logout': async ({ reply }, ctx) => {
      const out = await auth.logout(ctx);
      if (ctx.session.transport === 'cookie') reply.clearCookie(cookies.session, { path: '/', secure: cookies.secure, sameSite: 'strict', httpOnly: true });
      return out;
    },
    'auth.mfa.verify': async ({ body }, ctx) => auth.verifyMfa(ctx, body.code, ctx.session.stage, ctx.token),
    'auth.totp.setup': async (_in, ctx) => auth.setupTotp(ctx, ctx.session.stage),
    'auth.totp.enable': async ({ body }, ctx) => auth.enableTotp(ctx, body.code, ctx.session.stage, ctx.token),
    'auth.password.change': async ({ body }, ctx) => auth.changePassword(ctx, body.currentPassword, body.newPassword),
  };
}
