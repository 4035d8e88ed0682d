// `npm run depcheck`, which `npm test` runs before jest: dependency-cruiser checks every import in
// the workspaces' sources against .dependency-cruiser.cjs (the layer picture of docs/architecture.md
// and "each package declares what it imports").
//
// It fails on a violation that is not in the known-violations baseline, and also on a baseline entry
// that no longer occurs: the baseline only shrinks, and an entry left behind after a fix would let
// that very import come back unnoticed. `npm run depcheck -- --update-baseline` rewrites the baseline
// from the violations of today (review its diff: it should only lose lines).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CONFIG = '.dependency-cruiser.cjs';
const BASELINE = '.dependency-cruiser-known-violations.json';
const DEPCRUISE = join(ROOT, 'node_modules', '.bin', 'depcruise');

/** Every workspace's src/ (the root package.json's list, so a new package is checked from its first commit). */
const workspaces = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).workspaces;
const targets = workspaces.map((dir) => `${dir}/src`).filter((dir) => existsSync(join(ROOT, dir)));

const depcruise = (args) =>
  execFileSync(DEPCRUISE, ['--config', CONFIG, ...args, ...targets], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'inherit'] });

if (process.argv.includes('--update-baseline')) {
  depcruise(['--output-type', 'baseline', '--output-to', BASELINE]);
  const count = JSON.parse(readFileSync(join(ROOT, BASELINE), 'utf8')).length;
  console.log(`${BASELINE}: ${count} known violations`);
  process.exit(0);
}

const result = JSON.parse(depcruise(['--ignore-known', BASELINE, '--output-type', 'json']));
if (result.summary.error > 0) {
  // Let dependency-cruiser report them in its own words: a second run, as its JSON carries no text report.
  spawnSync(DEPCRUISE, ['--config', CONFIG, '--ignore-known', BASELINE, '--output-type', 'err-long', ...targets], { cwd: ROOT, stdio: 'inherit' });
  process.exit(1);
}

// Known violations still present come back with severity "ignore"; a baseline entry not among them is stale.
const key = (v) => `${v.rule.name}: ${v.from} -> ${v.to}`;
const stillThere = new Set(result.summary.violations.filter((v) => v.rule.severity === 'ignore').map(key));
const known = JSON.parse(readFileSync(join(ROOT, BASELINE), 'utf8'));
const stale = known.filter((v) => !stillThere.has(key(v)));
if (stale.length > 0) {
  console.log(`depcheck: ${stale.length} of the known violations in ${BASELINE} no longer occur:`);
  for (const v of stale) console.log(`  ${key(v)}`);
  console.log('Well done: now drop them with `npm run depcheck -- --update-baseline` (the baseline only shrinks).');
  process.exit(1);
}
const { totalCruised, totalDependenciesCruised } = result.summary;
console.log(`depcheck: ${totalCruised} modules, ${totalDependenciesCruised} dependencies: no violation beyond the ${known.length} known ones (${BASELINE})`);
