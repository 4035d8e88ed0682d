// The start-up lines a person reads: ticks and a summary; a spinner only on a terminal.
import { StartupView, summaryText, TRY_COMMANDS } from './startup-view';

function sink(isTTY: boolean) {
  const out = { text: '', isTTY, write: (s: string) => (out.text += s) };
  return out;
}

describe('StartupView', () => {
  it('without a terminal: a plain line per healthy component, no escape codes', () => {
    let t = 0;
    const out = sink(false);
    const view = new StartupView(out, () => t);
    view.begin('etcd');
    t = 600;
    view.done('etcd', 'http://127.0.0.1:2379');
    view.begin('scheduler');
    view.failed('scheduler', 'exited during start-up (exit code 1)', '/d/logs/scheduler.log', ['line 1', 'EADDRINUSE']);
    expect(out.text).toBe(
      '  ✓ etcd              http://127.0.0.1:2379 (0.6 s)\n' +
        '  ✗ scheduler         exited during start-up (exit code 1)\n' +
        '    last 2 line(s) of /d/logs/scheduler.log:\n' +
        '      line 1\n' +
        '      EADDRINUSE\n',
    );
  });

  it('on a terminal: a spinner while waiting, replaced by the tick', () => {
    const out = sink(true);
    const view = new StartupView(out);
    view.begin('apiserver');
    expect(out.text).toBe('\r\x1b[2K  ⠋ apiserver');
    view.done('apiserver', 'http://127.0.0.1:8080');
    expect(out.text).toMatch(/\r\x1b\[2K {2}✓ apiserver {9}http:\/\/127\.0\.0\.1:8080 \(\d\.\d s\)\n$/);
  });

  it('the summary says where the API and the logs are, the Try block and how to stop', () => {
    const text = summaryText({ seconds: 8.24, apiUrl: 'http://127.0.0.1:8080', minions: 3, runtime: 'docker', etcd: 'http://127.0.0.1:2379', logDir: '/d/logs', down: 'npx coxswain down' });
    expect(text).toContain('Coxswain is up in 8.2 s: API http://127.0.0.1:8080, 3 minion(s) (docker), etcd http://127.0.0.1:2379.');
    expect(text).toContain('Logs: /d/logs');
    expect(text).toContain(`Try:\n${TRY_COMMANDS.map((c) => `    ${c}\n`).join('')}`);
    expect(text).toContain('`npx coxswain down`');
  });
});
