import type { IncomingMessage } from 'node:http';
import { tokenFromRequest } from '@weft/protocol';
import { type AuthGrant, type AuthOptions, authEnabled, createTokenVerifier, type TokenVerifier } from './auth.ts';
import type { Logger } from './logger.ts';

/** An upgrade the server refuses, with the HTTP status and a reason for the response body. */
export interface Refusal {
  status: number;
  reason: string;
}

export type Admission = AuthGrant | Refusal;

export interface AdmissionOptions {
  auth: AuthOptions | undefined;
  /** Browser origins allowed to connect; requests without an Origin header (non-browsers) pass. */
  allowedOrigins: readonly string[] | undefined;
  /** Document names must also match this pattern (on top of the built-in name rules). */
  docNamePattern: RegExp | undefined;
  /** How long authentication may take before the upgrade is refused (503). */
  authTimeoutMs: number;
  logger: Logger;
}

/** The checks an upgrade passes before any document is loaded: origin, name pattern, credentials. */
export interface AdmissionControl {
  readonly authEnabled: boolean;
  admit(request: IncomingMessage, docName: string): Promise<Admission>;
}

export const isRefusal = (admission: Admission): admission is Refusal => 'status' in admission;

/** Resolves with `fallback` if `work` takes longer than `ms`. */
function withDeadline<T>(work: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

function offeredSubprotocols(request: IncomingMessage): string[] {
  const header = request.headers['sec-websocket-protocol'];
  return header === undefined ? [] : header.split(',').map((protocol) => protocol.trim());
}

export function createAdmissionControl(options: AdmissionOptions): AdmissionControl {
  const { auth, logger } = options;
  const enabled = authEnabled(auth);
  const verify: TokenVerifier | undefined =
    auth?.authenticate === undefined && enabled ? createTokenVerifier(auth ?? {}) : undefined;
  const allowedOrigins = options.allowedOrigins && new Set(options.allowedOrigins);
  // A /g or /y pattern keeps state between test() calls; a copy without those flags does not.
  const namePattern =
    options.docNamePattern &&
    new RegExp(options.docNamePattern.source, options.docNamePattern.flags.replace(/[gy]/g, ''));

  const authenticate = async (request: IncomingMessage, docName: string): Promise<Admission> => {
    if (!enabled) return { access: 'write' };
    const token = tokenFromRequest(request.url ?? '/', offeredSubprotocols(request));
    try {
      const decision = auth?.authenticate
        ? await auth.authenticate({ docName, token, request })
        : await (verify as TokenVerifier)(token, docName);
      return 'refused' in decision ? { status: decision.refused, reason: decision.reason } : decision;
    } catch (error) {
      logger.error('authentication failed', { doc: docName, error: String(error) });
      return { status: 500, reason: 'authentication failed' };
    }
  };

  return {
    authEnabled: enabled,
    async admit(request, docName) {
      const origin = request.headers.origin;
      if (allowedOrigins && origin !== undefined && !allowedOrigins.has(origin)) {
        return { status: 403, reason: 'origin not allowed' };
      }
      if (namePattern && !namePattern.test(docName)) {
        return { status: 400, reason: 'invalid document name: not allowed by this server' };
      }
      return withDeadline(authenticate(request, docName), options.authTimeoutMs, {
        status: 503,
        reason: 'authentication timed out',
      });
    },
  };
}
