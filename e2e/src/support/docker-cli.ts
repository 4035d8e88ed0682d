// What is left on the Docker engine, asked through the docker CLI (independent of the kubelet's
// own client, so a test does not trust the code it checks).
import { execFile } from 'node:child_process';

/** Runs the docker CLI; its output's non-empty lines. */
export function docker(args: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile('docker', args, { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`docker ${args.join(' ')}: ${err.message}\n${stderr}`));
      else resolve(stdout.split('\n').map((l) => l.trim()).filter(Boolean));
    });
  });
}

/** Names of the containers (running or not) a kubelet of this minion created. */
export function minionContainers(minion: string): Promise<string[]> {
  return docker(['ps', '-a', '--filter', `label=coxswain.minion=${minion}`, '--format', '{{.Names}}']);
}

/** The names among `names` that exist as Docker networks. */
export async function existingNetworks(names: string[]): Promise<string[]> {
  const all = new Set(await docker(['network', 'ls', '--format', '{{.Name}}']));
  return names.filter((n) => all.has(n));
}
