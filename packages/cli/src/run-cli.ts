// kubecfg's command line: argv (normalised from the seed's Go-style flags) -> one verb, run against
// the API server. Testable in-process: all IO is injected and the exit code is returned.
import yargs from 'yargs/yargs';
import type { Argv } from 'yargs';
import { ApiClusterClient } from './api-cluster-client';
import { applyLine, applyManifest, ApplyResult, manifestTarget } from './applier';
import { normalizeArgv } from './argv-normalizer';
import type { CliIo } from './cli-io';
import { CliError } from './cli-error';
import type { ClusterClient } from './cluster-client';
import { resolveClusterConfig } from './cluster-config';
import { Clock, parseDuration, realClock } from '@coxswain/objects';
import { CommandContext, inNamespace, print } from './command-context';
import { describe } from './describer';
import { rolloutHistory, rolloutUndo, setPaused, waitForDeployment } from './deployment-rollout';
import { editObject } from './editor-session';
import { contextForObject } from './manifest-namespace';
import { reportError } from './error-report';
import { readManifests } from './manifest-reader';
import { deleteObjects, getObjects, patchObject, printVersion, scaleController, streamLogs } from './object-commands';
import { OutputFormat, parseOutputFormat } from './object-printer';
import { resolveKind, splitKindName } from './resource-kind';
import { rollingUpdate } from './rolling-updater';
import { waitForController, waitForPod } from './rollout-waiter';
import { topMinions, topPods } from './top';
import { autoscale } from './autoscale';
import { configDataResource, createConfigMap, createSecret } from './create-config-data';
import { seedCreate, seedDelete, seedGet, seedList, seedResize, seedRm, seedRun, seedUpdate } from './seed-commands';

export interface RunCliDeps {
  clock?: Clock;
  /** Replaces the API client (tests of transport-independent behaviour). */
  client?: ClusterClient;
}

type Args = Record<string, unknown> & { _: (string | number)[] };

const s = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

function outputFormat(a: Args): OutputFormat {
  if (a.json) return 'json';
  if (a.yaml) return 'yaml';
  try {
    return parseOutputFormat(s(a.output));
  } catch (e) {
    throw new CliError(`error: ${(e as Error).message}`);
  }
}

const DEFAULT_TIMEOUT = '5m';

const ALL_NAMESPACES = { alias: 'A', type: 'boolean', describe: 'every namespace, with a NAMESPACE column first' } as const;

function buildParser(io: CliIo, setAction: (fn: (ctx: () => CommandContext) => Promise<void>) => void): Argv {
  const seedOut = (a: Args) => ({ json: Boolean(a.json), yaml: Boolean(a.yaml) });
  return yargs()
    .scriptName('kubecfg')
    .usage('kubecfg: the Coxswain command line (the seed\'s kubecfg verbs and kubectl-style verbs)\n\nUsage: kubecfg [flags] <verb> ...')
    .parserConfiguration({ 'duplicate-arguments-array': false })
    .option('server', { alias: 's', type: 'string', describe: 'API server URL (the seed\'s -h HOST too); else $KUBE_SERVER, else ~/.coxswain/config.json' })
    .option('token', { type: 'string', describe: 'bearer token; else $KUBE_TOKEN, else the config file' })
    .option('namespace', {
      alias: 'n',
      type: 'string',
      describe: 'the namespace to work in (else the config file\'s "namespace", else default); a manifest naming another than -n is refused',
    })
    .option('c', { type: 'string', describe: 'manifest for create/update (- reads stdin); for logs, the container' })
    .option('selector', { alias: ['l', 'labels'], type: 'string', describe: 'label selector, e.g. name=frontend,stage!=dev' })
    .option('json', { type: 'boolean', describe: 'print JSON (the seed\'s -json)' })
    .option('yaml', { type: 'boolean', describe: 'print YAML (the seed\'s -yaml)' })
    .option('output', { alias: 'o', type: 'string', describe: 'wide | json | yaml | name' })
    .command(
      'create <kind> [names..]',
      'create the object in -c FILE (pods, services, replicationControllers, minions), or configmap NAME / secret [generic] NAME --from-literal K=V --from-file [K=]PATH',
      (y) =>
        y
          // Repeated --from-literal/--from-file add up, as kubectl's do (the parser's default keeps the last).
          .parserConfiguration({ 'duplicate-arguments-array': true })
          .option('from-literal', { type: 'string', array: true, describe: 'configmap/secret: a key and its value, KEY=VALUE (repeatable)' })
          .option('from-file', { type: 'string', array: true, describe: 'configmap/secret: a file as a key ([KEY=]PATH), or a directory as one key per file (repeatable)' })
          .option('type', { type: 'string', describe: 'secret: its type (default Opaque)' }),
      (a) =>
        setAction((ctx) => {
          const names = ((a.names as string[] | undefined) ?? []).map(String);
          const resource = a.c === undefined ? configDataResource(String(a.kind)) : undefined;
          if (!resource) return seedCreate(ctx(), String(a.kind), s(a.c), seedOut(a));
          if (resource === 'secrets' && names[0] === 'generic') names.shift();
          if (names.length !== 1) throw new CliError(`error: create ${a.kind} needs exactly one NAME`);
          const opts = { fromLiteral: (a['from-literal'] as string[] | undefined) ?? [], fromFile: (a['from-file'] as string[] | undefined) ?? [], type: s(a.type) };
          return resource === 'configmaps' ? createConfigMap(ctx(), names[0]!, opts) : createSecret(ctx(), names[0]!, opts);
        }),
    )
    .command('list <kind>', 'list objects as the seed\'s table (-l SELECTOR, -A every namespace)', (y) => y.option('all-namespaces', ALL_NAMESPACES), (a) =>
      setAction((ctx) => seedList(ctx(), String(a.kind), s(a.selector), seedOut(a), Boolean(a['all-namespaces']))),
    )
    .command(
      'get <target> [name]',
      'get pods/ID (the seed\'s table) or get KIND [NAME] [-o wide|json|yaml|name] [-w]',
      (y) =>
        y
          .option('watch', { alias: 'w', type: 'boolean', describe: 'after listing, print a row per change' })
          .option('all-namespaces', ALL_NAMESPACES)
          .option('max-events', { type: 'number', hidden: true }),
      (a) =>
        setAction(async (ctx) => {
          const target = String(a.target);
          const allNamespaces = Boolean(a['all-namespaces']);
          if (target.includes('/') && a.name === undefined && !a.watch && !a.output && !allNamespaces) return seedGet(ctx(), target, seedOut(a));
          const split = splitKindName(target);
          await getObjects(ctx(), split.info, split.name ?? s(a.name), {
            selector: s(a.selector),
            format: outputFormat(a),
            watch: Boolean(a.watch),
            allNamespaces,
            maxEvents: typeof a['max-events'] === 'number' ? (a['max-events'] as number) : undefined,
          });
        }),
    )
    .command(
      'delete [target] [name]',
      'delete pods/ID, KIND NAME, KIND -l SELECTOR, or -f FILE',
      (y) => y.option('filename', { alias: 'f', type: 'string', describe: 'delete what FILE/DIR describes' }),
      (a) =>
        setAction(async (ctx) => {
          const target = s(a.target);
          if (target?.includes('/') && a.name === undefined && !a.filename) return seedDelete(ctx(), target);
          await deleteObjects(ctx(), { kind: target, name: s(a.name), file: s(a.filename), selector: s(a.selector) });
        }),
    )
    .command('update <target>', 'replace pods/ID with -c FILE', {}, (a) =>
      setAction((ctx) => seedUpdate(ctx(), String(a.target), s(a.c), seedOut(a))),
    )
    .command('resize <controller> <replicas>', 'set a replication controller\'s replicas', {}, (a) =>
      setAction((ctx) => seedResize(ctx(), String(a.controller), a.replicas, seedOut(a))),
    )
    .command('stop <controller>', 'resize a controller to 0', {}, (a) => setAction((ctx) => seedResize(ctx(), String(a.controller), 0, seedOut(a))))
    .command('rm <controller>', 'delete a stopped controller (refused while replicas > 0)', {}, (a) =>
      setAction((ctx) => seedRm(ctx(), String(a.controller))),
    )
    .command(
      'run <image> <replicas> <name>',
      'create a controller running REPLICAS copies of IMAGE',
      (y) => y.option('p', { type: 'string', describe: 'HOSTPORT:CONTAINERPORT, e.g. 8080:80' }),
      (a) => setAction((ctx) => seedRun(ctx(), String(a.image), a.replicas, String(a.name), s(a.p), seedOut(a))),
    )
    .command(
      'rollingupdate <controller>',
      'replace a controller\'s pods a few at a time (-image IMG -u PERIOD --max-unavailable N)',
      (y) =>
        y
          .option('image', { type: 'string', describe: 'new image for the pod template' })
          .option('update-period', { alias: 'u', type: 'string', default: '1m', describe: 'pause between batches' })
          .option('max-unavailable', { type: 'number', default: 1, describe: 'pods down at a time' })
          .option('timeout', { type: 'string', default: DEFAULT_TIMEOUT, describe: 'how long one batch may take' }),
      (a) =>
        setAction((ctx) =>
          rollingUpdate(ctx(), String(a.controller), {
            image: s(a.image),
            periodMs: parseDuration(String(a['update-period']), '-u'),
            maxUnavailable: Number(a['max-unavailable']),
            timeoutMs: parseDuration(String(a.timeout), '--timeout'),
          }),
        ),
    )
    .command(
      'apply',
      'create or update what FILE/DIR/- describes (JSON or YAML); a field removed from the file is removed',
      (y) =>
        y
          .option('filename', { alias: 'f', type: 'string', demandOption: 'apply needs -f FILE, DIR or -', describe: 'file, directory or -' })
          .option('dry-run', { type: 'boolean', describe: 'print what would change; write nothing' })
          .option('wait', { type: 'boolean', describe: 'then wait until controllers and pods are Running and Ready' })
          .option('timeout', { type: 'string', default: DEFAULT_TIMEOUT, describe: 'with --wait: give up after this long' }),
      (a) =>
        setAction(async (ctx) => {
          const c = ctx();
          const dryRun = Boolean(a['dry-run']);
          const results: ApplyResult[] = [];
          const manifests = await readManifests(String(a.filename), io);
          // A manifest contradicting -n fails the command before anything is written.
          for (const m of manifests) contextForObject(c, manifestTarget(m).info, m.object, m.source);
          for (const m of manifests) {
            const r = await applyManifest(c, m, dryRun);
            results.push(r);
            print(c, applyLine(r, dryRun));
            if (dryRun) for (const change of r.changes) print(c, `  ~ ${change}`);
          }
          if (a.wait && !dryRun) {
            const timeoutMs = parseDuration(String(a.timeout), '--timeout');
            for (const r of results) {
              const rc = inNamespace(c, r.namespace);
              if (r.info.resource === 'replicationControllers') await waitForController(rc, r.name, { timeoutMs });
              else if (r.info.resource === 'deployments') await waitForDeployment(rc, r.name, { timeoutMs });
              else if (r.info.resource === 'pods') await waitForPod(rc, r.name, { timeoutMs });
            }
          }
        }),
    )
    .command('describe <kind> [name]', 'show an object in detail with its events', {}, (a) =>
      setAction(async (ctx) => {
        const split = splitKindName(String(a.kind));
        const name = split.name ?? s(a.name);
        if (!name) throw new CliError(`error: describe needs a name: kubecfg describe ${String(a.kind)} NAME`);
        print(ctx(), await describe(ctx(), split.info, name));
      }),
    )
    .command(
      'scale <kind> [name]',
      'scale rc|deployment NAME --replicas N',
      (y) => y.option('replicas', { type: 'number', describe: 'the new replica count' }),
      (a) => setAction((ctx) => scaleController(ctx(), String(a.kind), s(a.name), a.replicas)),
    )
    .command(
      'patch <kind> [name]',
      'apply a JSON merge patch: patch rc NAME -p \'{"spec":{"replicas":3}}\'',
      (y) =>
        y
          .option('patch', { alias: 'p', type: 'string', describe: 'the merge patch, JSON or YAML (null removes a key)' })
          .option('type', { type: 'string', describe: 'merge (the only kind served)' }),
      (a) => setAction((ctx) => patchObject(ctx(), String(a.kind), s(a.name), a.patch, a.type)),
    )
    .command('edit <kind> [name]', 'edit an object in $EDITOR (as YAML)', {}, (a) =>
      setAction(async (ctx) => {
        const split = splitKindName(String(a.kind));
        const name = split.name ?? s(a.name);
        if (!name) throw new CliError(`error: edit needs a name: kubecfg edit ${String(a.kind)} NAME`);
        await editObject(ctx(), split.info, name);
      }),
    )
    .command(
      'logs <pod>',
      'print a container\'s log (-c CONTAINER, -f to follow, --tail N)',
      (y) =>
        y
          .option('follow', { alias: 'f', type: 'boolean', describe: 'keep printing as the log grows' })
          .option('container', { type: 'string', describe: 'the container (also -c)' })
          .option('tail', { type: 'number', describe: 'only the last N lines' }),
      (a) =>
        setAction((ctx) =>
          streamLogs(ctx(), String(a.pod), {
            container: s(a.container) ?? s(a.c),
            follow: Boolean(a.follow),
            tail: typeof a.tail === 'number' ? a.tail : undefined,
          }),
        ),
    )
    .command(
      'rollout <action> <kind> [name]',
      'rollout status|history|undo|pause|resume deployment/NAME (the cluster rolls it out); rollout status rc NAME',
      (y) =>
        y
          .option('timeout', { type: 'string', default: DEFAULT_TIMEOUT, describe: 'status: give up after this long' })
          .option('to-revision', { type: 'number', describe: 'undo: the revision to return to (default: the previous one)' }),
      (a) =>
        setAction(async (ctx) => {
          const split = splitKindName(String(a.kind));
          const name = split.name ?? s(a.name);
          if (!name) throw new CliError(`error: usage: kubecfg rollout ${String(a.action)} deployment/NAME`);
          const timeoutMs = () => parseDuration(String(a.timeout), '--timeout');
          if (split.info.resource === 'replicationControllers' && a.action === 'status') return waitForController(ctx(), name, { timeoutMs: timeoutMs() });
          if (split.info.resource !== 'deployments') throw new CliError(`error: rollout ${String(a.action)} works on deployments (and rollout status on rc)`);
          switch (a.action) {
            case 'status': return waitForDeployment(ctx(), name, { timeoutMs: timeoutMs() });
            case 'history': return rolloutHistory(ctx(), name);
            case 'undo': return rolloutUndo(ctx(), name, typeof a['to-revision'] === 'number' ? a['to-revision'] : undefined);
            case 'pause': return setPaused(ctx(), name, true);
            case 'resume': return setPaused(ctx(), name, false);
            default: throw new CliError(`error: unknown rollout action "${String(a.action)}"; use status, history, undo, pause or resume`);
          }
        }),
    )
    .command(
      'autoscale <kind> [name]',
      'a HorizontalPodAutoscaler for rc NAME (or deployment/NAME): --max N [--min N] [--cpu-percent P]',
      (y) =>
        y
          .option('min', { type: 'number', describe: 'fewest replicas (default 1)' })
          .option('max', { type: 'number', describe: 'most replicas (required)' })
          .option('cpu-percent', { type: 'number', describe: 'target average CPU use, percent of the request (default 80)' }),
      (a) => setAction((ctx) => autoscale(ctx(), String(a.kind), s(a.name), { min: a.min, max: a.max, cpuPercent: a['cpu-percent'] })),
    )
    .command(
      'top <kind>',
      'CPU and memory in use (the Metrics API) beside requests and limits: top pods | top minions',
      (y) => y.option('all-namespaces', ALL_NAMESPACES),
      (a) =>
        setAction((ctx) => {
          const kind = String(a.kind);
          if (['pods', 'pod', 'po'].includes(kind)) return topPods(ctx(), { labelSelector: s(a.selector), allNamespaces: a['all-namespaces'] === true });
          if (['minions', 'minion', 'nodes', 'node', 'no'].includes(kind)) return topMinions(ctx(), { labelSelector: s(a.selector) });
          throw new CliError(`error: top works on pods and minions, not "${kind}"`);
        }),
    )
    .command('version', 'print the client and server versions', {}, () => setAction((ctx) => printVersion(ctx())))
    .completion('completion', 'print a bash completion script (kubecfg completion >> ~/.bashrc)')
    .demandCommand(1, 'kubecfg needs a verb; see kubecfg --help')
    .recommendCommands()
    .strict()
    .help('help')
    .version(false)
    .wrap(Math.min(120, io.stdout.columns ?? 100))
    .exitProcess(false);
}

export async function runCli(argv: readonly string[], io: CliIo, deps: RunCliDeps = {}): Promise<number> {
  const args = normalizeArgv(argv);
  let action: ((ctx: () => CommandContext) => Promise<void>) | undefined;
  let parsed: Args | undefined;
  let parseError: Error | undefined;
  let output = '';
  buildParser(io, (fn) => (action = fn)).parse(args, {}, (err: Error | undefined, a: unknown, out: string) => {
    parseError = err ?? undefined;
    parsed = a as Args;
    output = out ?? '';
  });
  if (output && output.includes('begin-kubecfg-completions')) {
    io.stdout.write(output.endsWith('\n') ? output : output + '\n');
    return 0;
  }
  if (parseError) {
    io.stderr.write(`error: ${parseError.message}\n${parseError.message.includes('Unknown argument') || parseError.message.includes('Not enough') ? 'See kubecfg --help.\n' : ''}`);
    return 1;
  }
  if (output) {
    io.stdout.write(output.endsWith('\n') ? output : output + '\n');
    return 0;
  }
  if (!action || !parsed) return 0;
  const a = parsed;
  let context: CommandContext | undefined;
  const ctx = (): CommandContext => {
    if (!context) {
      const config = resolveClusterConfig({ server: s(a.server), token: s(a.token), namespace: s(a.namespace) }, io);
      const client =
        deps.client?.inNamespace(config.namespace) ??
        new ApiClusterClient({ server: config.server, token: config.token, source: config.source, namespace: config.namespace });
      context = { io, client, clock: deps.clock ?? realClock, namespaceFromFlag: config.namespaceFromFlag };
    }
    return context;
  };
  try {
    await action(ctx);
    return 0;
  } catch (e) {
    const { message, exitCode } = reportError(e);
    io.stderr.write(message.endsWith('\n') ? message : message + '\n');
    return exitCode;
  }
}

export { resolveKind };
