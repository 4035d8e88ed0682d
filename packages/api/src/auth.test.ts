import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isLoopbackAddress, isTokenProtocol, parseTokenFile, TokenAuthenticator } from './auth';
import { HttpError } from './status';

describe('token file', () => {
  it('reads bare tokens and token,user csv lines, skipping blanks and comments', () => {
    const tokens = parseTokenFile('# admin tokens\nabc123\n\n  def456,alice,1001,"group1,group2"\r\n');
    expect([...tokens.keys()]).toEqual(['abc123', 'def456']);
    expect(tokens.get('def456')).toEqual({ name: 'alice' });
    expect(tokens.get('abc123')!.name).toMatch(/token-user/);
  });

  it('refuses an unreadable or empty file with the path in the message', () => {
    const dir = mkdtempSync(join(tmpdir(), 'auth-'));
    expect(() => TokenAuthenticator.fromFile(join(dir, 'missing'))).toThrow(/cannot read token file .*missing/);
    writeFileSync(join(dir, 'empty'), '# nothing\n\n');
    expect(() => TokenAuthenticator.fromFile(join(dir, 'empty'))).toThrow(/holds no tokens/);
  });
});

describe('TokenAuthenticator', () => {
  const auth = new TokenAuthenticator(parseTokenFile('s3cret,alice\nother'));
  const req = (authorization?: string) => ({ headers: authorization === undefined ? {} : { authorization } });

  it('accepts a listed bearer token and names its user', () => {
    expect(auth.authenticate(req('Bearer s3cret'))).toEqual({ name: 'alice' });
    expect(auth.authenticate(req('bearer other')).name).toBeTruthy();
  });

  it.each([undefined, '', 'Basic czNjcmV0', 'Bearer', 'Bearer wrong', 'Bearer s3cre', 'Bearer s3cret2'])('rejects %p with 401', (h) => {
    try {
      auth.authenticate(req(h));
      throw new Error('accepted');
    } catch (e) {
      expect(e).toBeInstanceOf(HttpError);
      expect((e as HttpError).code).toBe(401);
      expect((e as HttpError).headers?.['WWW-Authenticate']).toMatch(/Bearer/);
    }
  });

  it("takes a browser WebSocket's token from its subprotocol, and refuses a wrong one", () => {
    const offered = (token: string) => ({ headers: { 'sec-websocket-protocol': `coxswain.watch, base64url.bearer.authorization.coxswain.${Buffer.from(token).toString('base64url')}` } });
    expect(auth.authenticate(offered('s3cret'))).toEqual({ name: 'alice' });
    expect(() => auth.authenticate(offered('wrong'))).toThrow('invalid bearer token');
    expect(() => auth.authenticate({ headers: { 'sec-websocket-protocol': 'coxswain.watch' } })).toThrow('missing bearer token');
    expect(isTokenProtocol('base64url.bearer.authorization.coxswain.czNjcmV0')).toBe(true);
    expect(isTokenProtocol('coxswain.watch')).toBe(false);
  });
});

describe('isLoopbackAddress', () => {
  it.each(['127.0.0.1', '127.0.1.5', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1'])('%s is loopback', (a) => expect(isLoopbackAddress(a)).toBe(true));
  it.each(['0.0.0.0', '::', '10.0.0.1', '192.168.1.2', 'example.com', '128.0.0.1'])('%s is not', (a) => expect(isLoopbackAddress(a)).toBe(false));
});
