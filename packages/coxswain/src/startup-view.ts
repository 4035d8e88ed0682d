// What `coxswain up` shows a person: a line per component with a tick once it is healthy (a spinner
// while it is not, on a terminal only), then a short summary. The components' JSON logs are in files.
import type { StartupReporter } from './local-cluster';

export interface Output {
  write(s: string): unknown;
  isTTY?: boolean;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const NAME_WIDTH = 18;

/** The commands `coxswain up` suggests first; README.md prints the same block (a test holds them equal). */
export const TRY_COMMANDS = [
  'npx kubecfg list minions',
  'npx kubecfg -c examples/seed-guestbook/redis-master.json create pods',
  'npx kubecfg list pods',
];

export class StartupView implements StartupReporter {
  private spinner?: NodeJS.Timeout;
  private current?: { step: string; since: number };
  private readonly tty: boolean;

  constructor(
    private readonly out: Output,
    private readonly now: () => number = Date.now,
  ) {
    this.tty = out.isTTY === true;
  }

  begin(step: string): void {
    this.current = { step, since: this.now() };
    if (!this.tty) return;
    let frame = 0;
    const draw = () => this.out.write(`\r\x1b[2K  ${FRAMES[frame++ % FRAMES.length]} ${step}`);
    draw();
    this.spinner = setInterval(draw, 80);
    this.spinner.unref();
  }

  done(step: string, detail: string): void {
    const took = this.current?.step === step ? ` (${((this.now() - this.current.since) / 1000).toFixed(1)} s)` : '';
    this.endLine();
    this.out.write(`  ✓ ${step.padEnd(NAME_WIDTH)}${detail}${took}\n`);
  }

  /** A component that did not start: its name, why, and the end of its log. */
  failed(step: string, reason: string, logFile: string, tail: string[]): void {
    this.endLine();
    this.out.write(`  ✗ ${step.padEnd(NAME_WIDTH)}${reason}\n`);
    if (tail.length) {
      this.out.write(`    last ${tail.length} line(s) of ${logFile}:\n`);
      for (const line of tail) this.out.write(`      ${line}\n`);
    } else {
      this.out.write(`    ${logFile} is empty\n`);
    }
  }

  line(text: string): void {
    this.endLine();
    this.out.write(`${text}\n`);
  }

  private endLine(): void {
    if (this.spinner) clearInterval(this.spinner);
    this.spinner = undefined;
    if (this.tty && this.current) this.out.write('\r\x1b[2K');
    this.current = undefined;
  }
}

export interface Summary {
  seconds: number;
  apiUrl: string;
  minions: number;
  runtime: string;
  etcd: string;
  logDir: string;
  /** The `down` command that stops this cluster (with --data-dir when not the default). */
  down: string;
  /** The kubeconfig written for stock kubectl. */
  kubeconfig?: string;
}

export function summaryText(s: Summary): string {
  return (
    `\nCoxswain is up in ${s.seconds.toFixed(1)} s: API ${s.apiUrl}, ${s.minions} minion(s) (${s.runtime}), etcd ${s.etcd}.\n` +
    `Logs: ${s.logDir} (JSON, a file per component; -v prints them here too).\n` +
    `Try:\n` +
    TRY_COMMANDS.map((c) => `    ${c}\n`).join('') +
    (s.kubeconfig ? `kubectl works too: KUBECONFIG=${s.kubeconfig} kubectl get nodes\n` : '') +
    `The whole guestbook session is in README.md. Stop with Ctrl-C or \`${s.down}\`.\n`
  );
}
