// Prometheus' part in the metrics cost bench, in a process of its own so that its CPU is counted on
// its own line: every interval it GETs each target's /metrics and parses the text, as a Prometheus
// server scraping the cluster would. Turned on and off by the bench between its measuring windows.
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
  const scrapeOne = async (url: string) => {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(Math.min(10_000, intervalMs)) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      report.samples += parsePrometheusText(await res.text()).samples.size;
      report.scrapes++;
    } catch {
      report.failures++;
    }
  };
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
    await task?.stop();
    task = undefined;
    targets = c.targets;
    if (targets.length) {
      // A pass takes the whole interval, so the next starts right after it.
      task = new PeriodicTask(pass, 0);
      task.start();
    }
  };
  return { info: { intervalMs }, report: () => ({ ...report }), control, stop: () => control({ targets: [] }) };
}
