import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeAtomically, type PayloadFile } from './atomic-dir';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atomic-dir-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const files = (entries: Record<string, string>, mode = 0o644) => new Map<string, PayloadFile>(Object.entries(entries).map(([k, v]) => [k, { bytes: Buffer.from(v), mode }]));
const read = (rel: string) => fs.readFileSync(path.join(dir, rel), 'utf8');

it('writes the files behind a ..data link, one link per top-level name', () => {
  expect(writeAtomically(dir, files({ a: '1', 'conf/b.yaml': '2' }))).toBe(true);
  expect([read('a'), read('conf/b.yaml')]).toEqual(['1', '2']);
  expect(fs.readlinkSync(path.join(dir, 'a'))).toBe('..data/a');
  expect(fs.readlinkSync(path.join(dir, 'conf'))).toBe('..data/conf');
  expect(fs.readlinkSync(path.join(dir, '..data'))).toMatch(/^\.\.\d{4}_/);
});

it('does nothing when the payload is the same; swaps the version and drops stale names when it changes', () => {
  writeAtomically(dir, files({ a: '1', gone: 'x' }));
  const first = fs.readlinkSync(path.join(dir, '..data'));
  expect(writeAtomically(dir, files({ a: '1', gone: 'x' }))).toBe(false);
  expect(fs.readlinkSync(path.join(dir, '..data'))).toBe(first);
  expect(writeAtomically(dir, files({ a: '2' }))).toBe(true);
  expect(read('a')).toBe('2');
  expect(fs.existsSync(path.join(dir, 'gone'))).toBe(false);
  expect(fs.existsSync(path.join(dir, first))).toBe(false);
  expect(fs.readdirSync(dir).sort()).toEqual(['..data', fs.readlinkSync(path.join(dir, '..data')), 'a'].sort());
});

it('gives each file its mode, whatever the umask, and a mode change alone is a change', () => {
  writeAtomically(dir, files({ key: 'v' }, 0o400));
  expect(fs.statSync(path.join(dir, 'key')).mode & 0o777).toBe(0o400);
  expect(writeAtomically(dir, files({ key: 'v' }, 0o640))).toBe(true);
  expect(fs.statSync(path.join(dir, 'key')).mode & 0o777).toBe(0o640);
});
