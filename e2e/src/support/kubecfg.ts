// Runs kubecfg in this process (runCli with captured output), as a user at a shell would, against
// the cluster named in a COXSWAIN_CONFIG file (what `coxswain up` writes).
import { Readable } from 'node:stream';
import { runCli } from '@coxswain/cli';

export interface KubecfgResult {
  code: number;
  stdout: string;
  stderr: string;
}

export type Kubecfg = (...args: string[]) => Promise<KubecfgResult>;

/** A kubecfg bound to one config file; `cwd` is where relative `-c FILE` paths resolve. */
export function kubecfgFor(configPath: string, cwd: string): Kubecfg {
  return async (...args: string[]) => {
    let stdout = '';
    let stderr = '';
    const env: Record<string, string | undefined> = { ...process.env, COXSWAIN_CONFIG: configPath };
    delete env.KUBE_SERVER;
    const code = await runCli(args, {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      stdin: Readable.from([]),
      env,
      cwd,
    });
    return { code, stdout, stderr };
  };
}

/** Like kubecfg, but a non-zero exit is an error carrying the command and its output. */
export async function mustSucceed(k: Kubecfg, ...args: string[]): Promise<string> {
  const r = await k(...args);
  if (r.code !== 0) throw new Error(`kubecfg ${args.join(' ')} exited ${r.code}:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}
