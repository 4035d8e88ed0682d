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

  /** Returns the user, or throws 401. */
  authenticate(req: Pick<IncomingMessage, 'headers'>): User {
    const header = req.headers.authorization;
    const m = typeof header === 'string' ? header.match(/^Bearer\s+(\S+)\s*$/i) : null;
    if (!m) throw unauthorized('missing bearer token (Authorization: Bearer <token>)');
    const entry = this.byHash.get(hash(m[1]));
    const given = Buffer.from(m[1]);
    if (!entry || entry.token.length !== given.length || !timingSafeEqual(entry.token, given)) throw unauthorized('invalid bearer token');
    return entry.user;
  }
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
