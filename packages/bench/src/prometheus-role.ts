// Prometheus' part in the metrics cost bench, in a process of its own so that its CPU is counted on
// its own line: every interval it GETs each target's /metrics and parses the text, as a Prometheus
// server scraping the cluster would. Turned on and off by the bench between its measuring windows.
import * as http from 'node:http';
import { PeriodicTask } from '@coxswain/client';
import { parsePrometheusText } from '@coxswain/testing';

export interface PrometheusControl {
  /** Start scraping these /metrics URLs (an empty list stops). */
  targets: string[];
}

export interface PrometheusReport {
  scrapes: number;
  failures: number;
  samples: number;
}

export function startPrometheus(intervalMs: number) {
  const report: PrometheusReport = { scrapes: 0, failures: 0, samples: 0 };
  let targets: string[] = [];
  // Prometheus keeps its connections to the targets between scrapes.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const scrapeOne = (url: string) =>
    new Promise<void>((resolve) => {
      const failed = () => {
        report.failures++;
        resolve();
      };
      const req = http.get(url, { agent, timeout: Math.min(10_000, intervalMs) }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', failed);
        res.on('end', () => {
          if (res.statusCode !== 200) return failed();
          report.samples += parsePrometheusText(Buffer.concat(chunks).toString('utf8')).samples.size;
          report.scrapes++;
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', failed);
    });
  // Prometheus spreads its targets over the interval; so does this (in 10 slices).
  const pass = async () => {
    const slices = 10;
    for (let s = 0; s < slices && targets.length; s++) {
      const started = Date.now();
      await Promise.all(targets.filter((_, i) => i % slices === s).map(scrapeOne));
      await new Promise((r) => setTimeout(r, Math.max(0, intervalMs / slices - (Date.now() - started))));
    }
  };
  let task: PeriodicTask | undefined;
  const control = async (c: PrometheusControl) => {
    targets = []; // the pass in flight ends after its slice
    await task?.stop();
    task = undefined;
    targets = c.targets;
    if (targets.length) {
      // A pass takes the whole interval, so the next starts right after it.
      task = new PeriodicTask(pass, 0);
      task.start();
    }
  };
  const stop = async () => {
    await control({ targets: [] });
    agent.destroy();
  };
  return { info: { intervalMs }, report: () => ({ ...report }), control, stop };
}
