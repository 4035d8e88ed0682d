import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubeletAuthHeaders, readKubeletCredential, writeKubeletCredential } from './kubelet-credential';

describe('kubelet credential file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubelet-cred-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is written fresh, owner-only, and read back as the bearer header', () => {
    const file = join(dir, 'cred');
    writeKubeletCredential(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const first = readKubeletCredential(file);
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    writeKubeletCredential(file);
    expect(readKubeletCredential(file)).not.toBe(first);
    expect(kubeletAuthHeaders(first)).toEqual({ authorization: `Bearer ${first}` });
    expect(kubeletAuthHeaders(undefined)).toEqual({});
  });

  it('refuses a missing, empty or too short file, naming it', () => {
    expect(() => readKubeletCredential(join(dir, 'absent'))).toThrow(/kubelet credential file .*absent: ENOENT/);
    writeFileSync(join(dir, 'empty'), '\n');
    expect(() => readKubeletCredential(join(dir, 'empty'))).toThrow(/kubelet credential file .*empty: expected one printable token of 16 or more/);
    writeFileSync(join(dir, 'short'), 'abc\n');
    expect(() => readKubeletCredential(join(dir, 'short'))).toThrow(/short: expected/);
  });
});
