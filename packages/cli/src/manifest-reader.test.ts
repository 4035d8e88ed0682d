import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { CliIo } from './cli-io';
import { ManifestError } from './cli-error';
import { parseManifests, readManifests } from './manifest-reader';

function ioIn(cwd: string, stdinText = ''): CliIo {
  const stdin = new PassThrough();
  stdin.end(stdinText);
  const sink = { write: () => true };
  return { stdout: sink, stderr: sink, stdin, env: {}, cwd };
}

function errorOf(fn: () => unknown): ManifestError {
  try {
    fn();
  } catch (e) {
    return e as ManifestError;
  }
  throw new Error('expected an error');
}

describe('parseManifests', () => {
  it('reads a JSON object and a multi-document YAML file, expanding lists', () => {
    expect(parseManifests('{"id":"a","kind":"Pod"}', 'a.json').map((m) => m.object.id)).toEqual(['a']);
    const yaml = 'kind: Pod\nid: a\n---\nkind: PodList\nitems:\n  - {kind: Pod, id: b}\n  - {kind: Pod, id: c}\n---\n';
    expect(parseManifests(yaml, 'x.yaml').map((m) => m.object.id)).toEqual(['a', 'b', 'c']);
  });

  it('names the file and line of a JSON syntax error', () => {
    const text = '{\n  "id": "a",\n  "kind": "Pod"\n  "labels": {}\n}\n';
    const err = errorOf(() => parseManifests(text, 'bad.json'));
    expect(err).toBeInstanceOf(ManifestError);
    expect(err.line).toBe(4);
    expect(err.message).toMatch(/^error: bad\.json:4: invalid JSON/);
  });

  it('names the file and line of a YAML syntax error', () => {
    const err = errorOf(() => parseManifests('kind: Pod\nmetadata:\n  name: a\n   bad: [\n', 'bad.yaml'));
    expect(err.message).toMatch(/^error: bad\.yaml:\d+: invalid YAML/);
    expect(err.line).toBeGreaterThanOrEqual(3);
  });

  it('refuses scalars and empty files', () => {
    expect(() => parseManifests('42', 'n.yaml')).toThrow(/expected an object/);
    expect(() => parseManifests('\n', 'e.yaml')).toThrow(/no objects/);
  });
});

describe('readManifests', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubecfg-manifests-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads every manifest of a directory in name order, skipping other files', async () => {
    fs.writeFileSync(path.join(dir, 'b.yaml'), 'kind: Service\nid: b\n');
    fs.writeFileSync(path.join(dir, 'a.json'), '{"kind":"Pod","id":"a"}');
    fs.writeFileSync(path.join(dir, 'README.md'), '# not a manifest');
    const got = await readManifests('.', ioIn(dir));
    expect(got.map((m) => [m.source, m.object.id])).toEqual([
      ['a.json', 'a'],
      ['b.yaml', 'b'],
    ]);
  });

  it('reads stdin for -', async () => {
    const got = await readManifests('-', ioIn(dir, '{"kind":"Pod","id":"from-stdin"}'));
    expect(got).toEqual([{ source: '<stdin>', object: { kind: 'Pod', id: 'from-stdin' } }]);
  });

  it('says when the file does not exist', async () => {
    await expect(readManifests('missing.json', ioIn(dir))).rejects.toThrow('error: missing.json: no such file or directory');
  });
});
