// Where the API server is and which token to present: `-s/--server` (or the seed's `-h`), then
// KUBE_SERVER, then the file the local-cluster command writes, then the default. The namespace:
// `-n/--namespace`, then the file's `namespace`, then "default".
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_NAMESPACE } from '@coxswain/objects';
import { CliError } from './cli-error';
import { CliIo, homeDir } from './cli-io';

export const DEFAULT_SERVER = 'http://127.0.0.1:8080';

export interface ClusterConfig {
  server: string;
  token?: string;
  /** Where the server address came from, for error messages ("--server", "KUBE_SERVER", a file path, "default"). */
  source: string;
  namespace: string;
  /** True when -n/--namespace chose it: then a manifest naming another namespace is an error, as in kubectl. */
  namespaceFromFlag: boolean;
}

export interface ConfigFlags {
  server?: string;
  token?: string;
  namespace?: string;
}

interface ConfigFile {
  server?: string;
  token?: string;
  namespace?: string;
}

const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The API server's rule; checked here too so that `-n ""` cannot turn into "every namespace". */
export function checkNamespace(namespace: string, from: string): string {
  if (namespace.length > 63 || !NAMESPACE.test(namespace)) {
    throw new CliError(`error: invalid namespace "${namespace}" (${from}): lowercase letters, digits and '-', at most 63 characters`);
  }
  return namespace;
}

export function configFilePath(io: CliIo): string {
  return io.env.COXSWAIN_CONFIG || path.join(homeDir(io), '.coxswain', 'config.json');
}

function readConfigFile(file: string): ConfigFile | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === 'object') return parsed as ConfigFile;
  } catch {
    // A broken config file must not make every command fail; the flags and env still work.
  }
  return undefined;
}

/** Accepts `host:port` as the seed did and makes it a URL. */
export function normalizeServer(server: string): string {
  const trimmed = server.trim().replace(/\/+$/, '');
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`;
}

export function resolveClusterConfig(flags: ConfigFlags, io: CliIo): ClusterConfig {
  const file = configFilePath(io);
  const fromFile = readConfigFile(file);
  const token = flags.token || io.env.KUBE_TOKEN || fromFile?.token || undefined;
  const scope = resolveNamespace(flags, fromFile, file);
  if (flags.server) return { server: normalizeServer(flags.server), token, source: '--server', ...scope };
  if (io.env.KUBE_SERVER) return { server: normalizeServer(io.env.KUBE_SERVER), token, source: 'KUBE_SERVER', ...scope };
  if (fromFile?.server) return { server: normalizeServer(fromFile.server), token, source: file, ...scope };
  return { server: DEFAULT_SERVER, token, source: 'default', ...scope };
}

function resolveNamespace(flags: ConfigFlags, fromFile: ConfigFile | undefined, file: string): Pick<ClusterConfig, 'namespace' | 'namespaceFromFlag'> {
  if (flags.namespace !== undefined) return { namespace: checkNamespace(flags.namespace, '--namespace'), namespaceFromFlag: true };
  if (typeof fromFile?.namespace === 'string' && fromFile.namespace !== '') {
    return { namespace: checkNamespace(fromFile.namespace, file), namespaceFromFlag: false };
  }
  return { namespace: DEFAULT_NAMESPACE, namespaceFromFlag: false };
}
