// Bearer-token authentication from a token file. Required whenever the server listens beyond
// loopback: an open API on the network would let anyone run containers on every minion.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { HttpError } from './status';

export interface User {
  name: string;
}

/** Parses a token file: one token per line, or `token,user[,...]` csv lines; blank lines and `#` comments skipped. */
export function parseTokenFile(text: string): Map<string, User> {
  const tokens = new Map<string, User>();
  text.split(/\r?\n/).forEach((line, i) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const [token, user] = trimmed.split(',').map((f) => f.trim().replace(/^"(.*)"$/, '$1'));
    if (!token) throw new Error(`token file line ${i + 1}: empty token`);
    tokens.set(token, { name: user || `token-user-${i + 1}` });
  });
  return tokens;
}

export class TokenAuthenticator {
  // Keyed by a hash so that lookup does not compare secrets byte by byte.
  private readonly byHash = new Map<string, { token: Buffer; user: User }>();

  constructor(tokens: Map<string, User>) {
    for (const [token, user] of tokens) this.byHash.set(hash(token), { token: Buffer.from(token), user });
  }

  static fromFile(path: string): TokenAuthenticator {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new Error(`cannot read token file ${path}: ${(e as Error).message}`);
    }
    const tokens = parseTokenFile(text);
    if (tokens.size === 0) throw new Error(`token file ${path} holds no tokens`);
    return new TokenAuthenticator(tokens);
  }

  get size(): number {
    return this.byHash.size;
  }

  /** Returns the user, or throws 401. The token: an `Authorization: Bearer` header, or a WebSocket's token subprotocol. */
  authenticate(req: Pick<IncomingMessage, 'headers'>): User {
    const header = req.headers.authorization;
    const m = typeof header === 'string' ? header.match(/^Bearer\s+(\S+)\s*$/i) : null;
    const token = m?.[1] ?? tokenOfProtocols(req.headers['sec-websocket-protocol']);
    if (!token) throw unauthorized('missing bearer token (Authorization: Bearer <token>)');
    const entry = this.byHash.get(hash(token));
    const given = Buffer.from(token);
    if (!entry || entry.token.length !== given.length || !timingSafeEqual(entry.token, given)) throw unauthorized('invalid bearer token');
    return entry.user;
  }
}

/**
 * A browser's WebSocket cannot send an Authorization header, so the web console offers its token as
 * a subprotocol `base64url.bearer.authorization.coxswain.<token in base64url>` (Kubernetes' scheme
 * under our name) beside the protocol it wants answered.
 */
const TOKEN_PROTOCOL_PREFIX = 'base64url.bearer.authorization.coxswain.';

export function isTokenProtocol(protocol: string): boolean {
  return protocol.startsWith(TOKEN_PROTOCOL_PREFIX);
}

function tokenOfProtocols(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const p = header.split(',').map((s) => s.trim()).find(isTokenProtocol);
  return p ? Buffer.from(p.slice(TOKEN_PROTOCOL_PREFIX.length), 'base64url').toString('utf8') : undefined;
}

function hash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function unauthorized(message: string): HttpError {
  return new HttpError(401, 'Unauthorized', message, undefined, { 'WWW-Authenticate': 'Bearer realm="coxswain"' });
}

/** True when the address only accepts connections from this machine (127.0.0.0/8, ::1, localhost). */
export function isLoopbackAddress(address: string): boolean {
  const a = address.replace(/^\[|\]$/g, '');
  if (a === 'localhost') return true;
  if (isIP(a) === 4) return a.startsWith('127.');
  if (isIP(a) === 6) return a === '::1' || /^::ffff:127\./i.test(a);
  return false;
}
