// `coxswain apiserver`: flags -> an etcd-backed store + the API server, with graceful shutdown on
// SIGTERM/SIGINT. The coxswain binary parses argv (or calls parseApiServerFlags) and calls runApiServer.
import { createLogger } from '@coxswain/process';
import { openRegistry } from '@coxswain/registry';
import type { ObjectStore } from '@coxswain/objects';
import type { Codec } from './codecs/codec';
import { CODECS } from './codecs';
import { createApiServer, ApiServer } from './server';

const log = createLogger('apiserver');

export interface ApiServerFlags {
  /** etcd client URLs (`--etcd-servers http://127.0.0.1:2379[,...]`). */
  etcdServers: string[] | string;
  address?: string;
  port?: number;
  tokenFile?: string;
  maxBodyBytes?: number;
  heartbeatMs?: number;
  /** Install SIGTERM/SIGINT handlers that close the server and the store. Default true. */
  handleSignals?: boolean;
  codecs?: readonly Codec[];
}

export interface ApiServerHandle {
  url: string;
  server: ApiServer;
  store: ObjectStore;
  /** Stops the server (watches closed, requests drained) and the store. Idempotent. */
  close(): Promise<void>;
  /** Resolves when the server has been closed (by close() or a signal). */
  closed: Promise<void>;
}

const USAGE = 'usage: coxswain apiserver --etcd-servers URL[,URL] [--address 127.0.0.1] [--port 8080] [--token-file FILE] [--max-body-bytes N]';

/** Parses `--flag value` / `--flag=value` arguments of `coxswain apiserver`. */
export function parseApiServerFlags(argv: readonly string[]): ApiServerFlags {
  const values: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const m = /^--?([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new Error(`unexpected argument "${arg}"\n${USAGE}`);
    const value = m[2] ?? argv[++i];
    if (value === undefined) throw new Error(`flag --${m[1]} needs a value\n${USAGE}`);
    values[m[1]] = value;
  }
  const known = new Set(['etcd-servers', 'address', 'port', 'token-file', 'max-body-bytes', 'heartbeat-ms']);
  for (const k of Object.keys(values)) if (!known.has(k)) throw new Error(`unknown flag --${k}\n${USAGE}`);
  if (!values['etcd-servers']) throw new Error(`--etcd-servers is required\n${USAGE}`);
  const int = (name: string): number | undefined => {
    if (values[name] === undefined) return undefined;
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got "${values[name]}"`);
    return n;
  };
  return {
    etcdServers: values['etcd-servers'],
    address: values.address,
    port: int('port'),
    tokenFile: values['token-file'],
    maxBodyBytes: int('max-body-bytes'),
    heartbeatMs: int('heartbeat-ms'),
  };
}

export async function runApiServer(flags: ApiServerFlags): Promise<ApiServerHandle> {
  const endpoints = (Array.isArray(flags.etcdServers) ? flags.etcdServers : flags.etcdServers.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  if (endpoints.length === 0) throw new Error(`--etcd-servers is required\n${USAGE}`);
  for (const e of endpoints) {
    let protocol = '';
    try {
      protocol = new URL(e).protocol;
    } catch {
      /* reported below */
    }
    if (protocol !== 'http:' && protocol !== 'https:') {
      throw new Error(`--etcd-servers: "${e}" is not an http(s) URL (expected e.g. http://127.0.0.1:2379)`);
    }
  }
  // Validate the server's own options (non-loopback without tokens, token file) before touching etcd.
  const store = openRegistry(endpoints);
  let server: ApiServer;
  try {
    server = createApiServer({
      store,
      codecs: flags.codecs ?? CODECS,
      address: flags.address ?? '127.0.0.1',
      port: flags.port ?? 8080,
      tokenFile: flags.tokenFile,
      maxBodyBytes: flags.maxBodyBytes,
      heartbeatMs: flags.heartbeatMs,
    });
    await server.listen();
  } catch (e) {
    await store.close();
    throw e;
  }
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  let closing: Promise<void> | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    log.info({ signal }, 'shutting down');
    void handle.close();
  };
  const close = () =>
    (closing ??= (async () => {
      if (flags.handleSignals !== false) {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
      }
      await server.close();
      await store.close();
      resolveClosed();
    })());
  if (flags.handleSignals !== false) {
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }
  const handle: ApiServerHandle = { url: server.url, server, store, close, closed };
  return handle;
}
