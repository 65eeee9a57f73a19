import { createPrivateKey, createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Access } from '@weft/protocol';
import { decodeProtectedHeader, errors, type JWTPayload, jwtVerify, SignJWT } from 'jose';

/** What the server lets a connection do, decided before the upgrade. */
export interface AuthGrant {
  access: Access;
  /** When the grant ends (ms since the epoch); the connection is closed with 4401 then. */
  expiresAt?: number;
  /** Who this is, for logs (the token's `sub`). */
  subject?: string;
}

/** A refusal: 401 (no, bad or expired credentials) or 403 (valid, but not for this document). */
export interface AuthRefusal {
  refused: 401 | 403;
  reason: string;
}

export type AuthDecision = AuthGrant | AuthRefusal;

/** What an `authenticate` hook sees. */
export interface AuthRequest {
  docName: string;
  /** The token from `Sec-WebSocket-Protocol` (`weft-token.<token>`) or the `token` query parameter. */
  token: string | undefined;
  /** The upgrade request itself (headers, cookies, remote address). */
  request: IncomingMessage;
}

/** Authentication options. With none of `secret`, `publicKey` or `authenticate`, the server is open. */
export interface AuthOptions {
  /** HS256 secret for capability tokens (at least 32 bytes). */
  secret?: string | Uint8Array;
  /** Public key (PEM SPKI or KeyObject) of an Ed25519 (EdDSA) or P-256 (ES256) signer. */
  publicKey?: string | KeyObject;
  /** A custom scheme. When set, it alone decides (it may call a {@link TokenVerifier} itself). */
  authenticate?(request: AuthRequest): AuthDecision | Promise<AuthDecision>;
}

/** The claims of a Weft capability token. */
export interface CapabilityClaims {
  /** The one document this token opens... */
  doc?: string;
  /** ...or every document whose name starts with this prefix (`''` = all documents). */
  prefix?: string;
  access: Access;
}

/** Checks a capability token against a document name. */
export type TokenVerifier = (token: string | undefined, docName: string) => Promise<AuthDecision>;

const MIN_SECRET_BYTES = 32;

function secretKey(secret: string | Uint8Array): KeyObject {
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
  if (bytes.length < MIN_SECRET_BYTES) throw new Error(`the token secret must be at least ${MIN_SECRET_BYTES} bytes`);
  return createSecretKey(bytes);
}

/** The JWS algorithm of an asymmetric key: EdDSA for Ed25519, ES256 for P-256. Others are refused. */
function algorithmOf(key: KeyObject): 'EdDSA' | 'ES256' {
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  throw new Error(`unsupported key type ${key.asymmetricKeyType}; use Ed25519 (EdDSA) or P-256 (ES256)`);
}

function grantsDocument(claims: JWTPayload, docName: string): boolean | undefined {
  if (typeof claims.doc === 'string') return claims.doc === docName;
  if (typeof claims.prefix === 'string') return docName.startsWith(claims.prefix);
  return undefined;
}

function decisionFromClaims(claims: JWTPayload, docName: string): AuthDecision {
  const access = claims.access;
  if (access !== 'read' && access !== 'write') return { refused: 401, reason: 'invalid token: no access claim' };
  const grants = grantsDocument(claims, docName);
  if (grants === undefined) return { refused: 401, reason: 'invalid token: no doc or prefix claim' };
  if (!grants) return { refused: 403, reason: 'the token does not grant this document' };
  return {
    access,
    ...(claims.exp === undefined ? {} : { expiresAt: claims.exp * 1000 }),
    ...(typeof claims.sub === 'string' ? { subject: claims.sub } : {}),
  };
}

/**
 * Creates the verifier of capability tokens (JWTs signed with `secret` and/or `publicKey`).
 * Tokens must carry `exp`, `access` (`read` | `write`) and `doc` or `prefix`.
 *
 * @example
 * const verify = createTokenVerifier({ secret: process.env.SECRET })
 * const decision = await verify(token, 'team/board-1') // { access: 'write', expiresAt } or { refused: 403, ... }
 */
export function createTokenVerifier(options: Pick<AuthOptions, 'secret' | 'publicKey'>): TokenVerifier {
  const secret = options.secret === undefined ? undefined : secretKey(options.secret);
  const publicKey =
    options.publicKey === undefined
      ? undefined
      : typeof options.publicKey === 'string'
        ? createPublicKey(options.publicKey)
        : options.publicKey;
  const publicAlgorithm = publicKey === undefined ? undefined : algorithmOf(publicKey);

  return async (token, docName) => {
    if (token === undefined) return { refused: 401, reason: 'a token is required' };
    let algorithm: unknown;
    try {
      algorithm = decodeProtectedHeader(token).alg;
    } catch {
      return { refused: 401, reason: 'invalid token: not a JWT' };
    }
    // The key follows from the algorithm, and each key accepts only its own algorithm: no confusion.
    const key = algorithm === 'HS256' ? secret : algorithm === publicAlgorithm ? publicKey : undefined;
    if (key === undefined)
      return { refused: 401, reason: `invalid token: algorithm ${String(algorithm)} not accepted` };
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: [algorithm as string],
        requiredClaims: ['exp'],
      });
      return decisionFromClaims(payload, docName);
    } catch (error) {
      if (error instanceof errors.JWTExpired) return { refused: 401, reason: 'token expired' };
      if (error instanceof errors.JOSEError) return { refused: 401, reason: `invalid token: ${error.code}` };
      throw error;
    }
  };
}

/** Options of {@link mintToken}. */
export interface MintTokenOptions extends CapabilityClaims {
  /** HS256 secret (the server's `auth.secret`)... */
  secret?: string | Uint8Array;
  /** ...or an Ed25519 / P-256 private key (PEM PKCS#8 or KeyObject) whose public key the server has. */
  privateKey?: string | KeyObject;
  /** Lifetime: seconds, or a jose time span such as `'15m'`, `'2h'`. */
  expiresIn: number | string;
  /** Who the token is for; shows in the server's logs. */
  subject?: string;
}

/**
 * Mints a capability token for one document (`doc`) or a family of documents (`prefix`).
 *
 * @example
 * const token = await mintToken({ secret, doc: 'team/board-1', access: 'write', expiresIn: '15m' })
 * new WebsocketProvider('ws://host:1234', 'team/board-1', ydoc, { params: { token } })
 */
export async function mintToken(options: MintTokenOptions): Promise<string> {
  if ((options.doc === undefined) === (options.prefix === undefined)) {
    throw new Error('a token names either doc or prefix');
  }
  const claims = {
    access: options.access,
    ...(options.doc === undefined ? {} : { doc: options.doc }),
    ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
  };
  const expiresIn = typeof options.expiresIn === 'number' ? `${options.expiresIn}s` : options.expiresIn;
  const jwt = new SignJWT(claims).setIssuedAt().setExpirationTime(expiresIn);
  if (options.subject !== undefined) jwt.setSubject(options.subject);
  if (options.secret !== undefined) return jwt.setProtectedHeader({ alg: 'HS256' }).sign(secretKey(options.secret));
  if (options.privateKey === undefined) throw new Error('mintToken needs a secret or a privateKey');
  const key = typeof options.privateKey === 'string' ? createPrivateKey(options.privateKey) : options.privateKey;
  return jwt.setProtectedHeader({ alg: algorithmOf(key) }).sign(key);
}

/** True when the options turn authentication on. */
export function authEnabled(options: AuthOptions | undefined): boolean {
  return options?.secret !== undefined || options?.publicKey !== undefined || options?.authenticate !== undefined;
}
