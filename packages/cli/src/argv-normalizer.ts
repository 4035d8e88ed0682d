// The seed's kubecfg was a Go program: its long flags take one dash (`-json`, `-image IMG`) and `-h`
// names the API server, not help. yargs would read `-json` as `-j -s -o -n`, so argv is rewritten to
// yargs' conventions before parsing.

/** Long option names that may be written with a single dash, as Go's flag package allowed. */
export const SINGLE_DASH_LONG_FLAGS: readonly string[] = [
  'json',
  'yaml',
  'image',
  'server',
  'token',
  'selector',
  'namespace',
  'all-namespaces',
  'labels',
  'output',
  'replicas',
  'timeout',
  'wait',
  'dry-run',
  'tail',
  'follow',
  'container',
  'filename',
  'max-unavailable',
  'update-period',
  'watch',
  'help',
  'version',
];

export function normalizeArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    // `-h HOST` (and `-h=HOST`) is the seed's server flag; a bare `-h` with nothing after it asks for help.
    if (arg === '-h') {
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith('-')) {
        out.push('--server', next);
        i++;
      } else {
        out.push('--help');
      }
      continue;
    }
    if (arg.startsWith('-h=')) {
      out.push(`--server=${arg.slice(3)}`);
      continue;
    }
    const single = /^-([a-zA-Z][a-zA-Z-]+)(=.*)?$/.exec(arg);
    if (single && SINGLE_DASH_LONG_FLAGS.includes(single[1])) {
      out.push(`--${single[1]}${single[2] ?? ''}`);
      continue;
    }
    out.push(arg);
  }
  return out;
}
