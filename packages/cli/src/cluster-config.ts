// Where the API server is and which token to present: `-s/--server` (or the seed's `-h`), then
// KUBE_SERVER, then the file the local-cluster command writes, then the default.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CliIo, homeDir } from './cli-io';

export const DEFAULT_SERVER = 'http://127.0.0.1:8080';

export interface ClusterConfig {
  server: string;
  token?: string;
  /** Where the server address came from, for error messages ("--server", "KUBE_SERVER", a file path, "default"). */
  source: string;
}

export interface ConfigFlags {
  server?: string;
  token?: string;
}

export function configFilePath(io: CliIo): string {
  return io.env.COXSWAIN_CONFIG || path.join(homeDir(io), '.coxswain', 'config.json');
}

function readConfigFile(file: string): { server?: string; token?: string } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === 'object') return parsed as { server?: string; token?: string };
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
  if (flags.server) return { server: normalizeServer(flags.server), token, source: '--server' };
  if (io.env.KUBE_SERVER) return { server: normalizeServer(io.env.KUBE_SERVER), token, source: 'KUBE_SERVER' };
  if (fromFile?.server) return { server: normalizeServer(fromFile.server), token, source: file };
  return { server: DEFAULT_SERVER, token, source: 'default' };
}
