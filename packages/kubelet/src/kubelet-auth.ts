// The check behind the kubelet credential (docs/kubelet.md): `Authorization: Bearer <secret>`,
// compared in constant time so the secret cannot be guessed byte by byte from response times.
import { timingSafeEqual } from 'crypto';
import type { IncomingMessage } from 'http';

export function presentsCredential(req: IncomingMessage, credential: string): boolean {
  const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
  if (!m) return false;
  const given = Buffer.from(m[1]);
  const want = Buffer.from(credential);
  return given.length === want.length && timingSafeEqual(given, want);
}
