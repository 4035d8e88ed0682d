// The layer picture of docs/architecture.md, as rules that `npm test` checks before jest runs
// (`npm run depcheck`: dependency-cruiser over packages/*/src and e2e/src, a few seconds).
//
// What a rule sees: every import, export-from and literal require/require.resolve in a .ts file,
// type-only imports included (an `import type` of etcd3 still ties the package to etcd3's API).
// @coxswain/* resolves to the packages' sources through tsconfig.tests.json's paths, so no build
// is needed. Violations known when the check came in are listed in
// .dependency-cruiser-known-violations.json and tolerated; that list must only shrink
// (docs/architecture.md says how to regenerate it).
//
// "Production" below is a file under packages/*/src that is neither a test (*.test.ts) nor a test
// helper (a src/testing/ folder); e2e/ is all tests. Tests and test helpers are not bound by the
// layers: they may import any package of ours that their package.json declares, dependencies or
// devDependencies (api's tests drive the server with client's ApiClient; cli's tests start an API
// server and a replication manager). Every other rule applies to them too.
const fs = require('fs');
const path = require('path');

const readJson = (file) => JSON.parse(fs.readFileSync(path.join(__dirname, file), 'utf8'));
/** The workspaces' folders (packages/<name>, e2e), from the root package.json. */
const WORKSPACES = readJson('package.json').workspaces;

/** A test or a test helper. */
const TEST = '(\\.test\\.ts$|/src/testing/|^e2e/)';

/**
 * Which of our packages a package's production code may import (itself always). Each row is one
 * rule, `layer-<package>`, forbidding every package not listed; `why` becomes its comment. The table
 * must stay acyclic: checked below, so a package-level cycle cannot be allowed by accident.
 */
const COMPONENT_MAY = ['objects', 'store', 'registry', 'process', 'client'];
const COMPONENT_WHY =
  'api, reconcilers, kubelet and proxy are peers: each runs as its own process and reaches the others only ' +
  'through etcd or the API, so none imports another (code two of them need moves down a layer); ' +
  'cli and the binaries sit above them, testing is for tests only.';
const LAYERS = {
  objects: {
    may: [],
    why: 'objects is the bottom: types, validation, selectors, errors, keys. Every package builds on it, so it builds on none of ours.',
  },
  process: {
    may: ['objects'],
    why: 'process (logging, health, signals, flags) is plumbing every binary and library uses; it knows only the object model.',
  },
  store: {
    may: ['objects', 'process'],
    why: 'store is kind-agnostic versioned storage: it must not know about strategies (registry), clients or components.',
  },
  registry: {
    may: ['objects', 'store'],
    why: 'registry holds the per-kind rules every writer goes through; it sits on store and must not reach up into clients or components.',
  },
  client: {
    may: ['objects', 'process'],
    why: 'client machinery (informer, queue, Controller, leader election, REST client) works against the contracts in objects (ObjectStore, Storage), not against store: kubecfg uses it and must not load etcd3.',
  },
  testing: {
    may: ['objects', 'process', 'store', 'registry'],
    why: 'testing (dev-only) holds what the tests of every layer share: an etcd harness, a fake clock, a registry on a test\'s etcd client. It must not pull clients or components into their tests.',
  },
  console: {
    may: [],
    why: 'console is the web page the API server serves at /ui: its server side names the folder of built files and nothing else; the page speaks to the API over HTTP and WebSocket only.',
  },
  api: {
    may: [...COMPONENT_MAY, 'console'],
    why: COMPONENT_WHY + ' api also serves the console\'s built page (it imports only the folder\'s path).',
  },
  reconcilers: { may: COMPONENT_MAY, why: COMPONENT_WHY },
  kubelet: { may: COMPONENT_MAY, why: COMPONENT_WHY },
  proxy: { may: COMPONENT_MAY, why: COMPONENT_WHY },
  cli: {
    may: ['objects', 'client'],
    why: 'kubecfg talks to the API server over HTTP only; it must not load etcd3, gRPC or pino (store, registry, process) nor a component.',
  },
  coxswain: {
    may: ['objects', 'store', 'registry', 'process', 'client', 'console', 'api', 'reconcilers', 'kubelet', 'proxy', 'cli'],
    why: 'coxswain is the binary that wires the components together; nothing but e2e imports it, and it does not import bench.',
  },
  bench: {
    may: ['objects', 'store', 'registry', 'process', 'client', 'testing', 'console', 'api', 'reconcilers', 'kubelet', 'proxy', 'cli', 'coxswain'],
    why: 'bench drives the whole system; nothing imports it.',
  },
};

/** Every workspace under packages/ has a row (else it would be bound by no layer rule), and every name is one. */
function assertComplete(layers) {
  const packages = WORKSPACES.filter((dir) => dir.startsWith('packages/')).map((dir) => dir.slice('packages/'.length));
  const missing = packages.filter((pkg) => !layers[pkg]);
  if (missing.length) throw new Error(`.dependency-cruiser.cjs: LAYERS has no row for ${missing.join(', ')}: say what it may import`);
  for (const [pkg, { may }] of Object.entries(layers)) {
    const unknown = [pkg, ...may].filter((name) => !packages.includes(name));
    if (unknown.length) throw new Error(`.dependency-cruiser.cjs: LAYERS names ${unknown.join(', ')}, which is not a workspace under packages/`);
  }
}
assertComplete(LAYERS);

function assertAcyclic(layers) {
  const state = new Map(); // package -> 'visiting' | 'done'
  const visit = (pkg, trail) => {
    if (state.get(pkg) === 'done') return;
    if (state.get(pkg) === 'visiting') throw new Error(`.dependency-cruiser.cjs: LAYERS has a cycle: ${[...trail, pkg].join(' -> ')}`);
    state.set(pkg, 'visiting');
    for (const next of layers[pkg].may) visit(next, [...trail, pkg]);
    state.set(pkg, 'done');
  };
  for (const pkg of Object.keys(layers)) visit(pkg, []);
}
assertAcyclic(LAYERS);

const layerRules = Object.entries(LAYERS).map(([pkg, { may, why }]) => ({
  name: `layer-${pkg}`,
  severity: 'error',
  comment: `${pkg} may import only ${may.length ? may.join(', ') : 'none of our packages'}. ${why}`,
  from: { path: `^packages/${pkg}/src/`, pathNot: TEST },
  to: { path: '^(packages/[^/]+|e2e)/', pathNot: `^packages/(${[pkg, ...may].join('|')})/` },
}));

/**
 * "Every package declares what it imports", for our own packages: dependency-cruiser checks third-party
 * imports against the nearest package.json itself (rule undeclared-npm-dependency below), but an @coxswain/*
 * import resolves to a sibling folder, which it does not look up. So each workspace's package.json is
 * read here and turned into two rules: production code may reach the packages in `dependencies`,
 * tests and test helpers those in `dependencies` or `devDependencies`.
 */
const UNDECLARED_WHY = {
  'undeclared-dependency-of-ours':
    "Production code imports a package of ours that its package's package.json does not list in dependencies: " +
    'add it there (the layer rules say whether it may be imported at all).',
  'undeclared-dev-dependency-of-ours':
    "A test or test helper imports a package of ours that its package's package.json lists in neither " +
    'dependencies nor devDependencies: add it to devDependencies.',
};
function undeclaredWorkspaceRules() {
  const manifests = WORKSPACES.map((dir) => ({ dir, json: readJson(`${dir}/package.json`) }));
  const dirOf = new Map(manifests.map(({ dir, json }) => [json.name, dir]));
  const ours = (deps) => Object.keys(deps ?? {}).filter((name) => dirOf.has(name)).map((name) => dirOf.get(name));
  const escape = (dir) => dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const rule = (name, fromPath, fromPathNot, allowed) => ({
    name,
    severity: 'error',
    comment: UNDECLARED_WHY[name],
    from: { path: fromPath, ...(fromPathNot ? { pathNot: fromPathNot } : {}) },
    to: { path: '^(packages/[^/]+|e2e)/', pathNot: `^(${allowed.map(escape).join('|')})/` },
  });
  return manifests.flatMap(({ dir, json }) => {
    const deps = [dir, ...ours(json.dependencies)];
    const testDeps = [...deps, ...ours(json.devDependencies)];
    const inPackage = `^${escape(dir)}/`;
    const testsOfPackage = dir === 'e2e' ? inPackage : `^${escape(dir)}/src/(.+\\.test\\.ts$|testing/|.+/testing/)`;
    const rules = [rule('undeclared-dev-dependency-of-ours', testsOfPackage, undefined, testDeps)];
    if (dir !== 'e2e') rules.push(rule('undeclared-dependency-of-ours', inPackage, TEST, deps));
    return rules;
  });
}

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'etcd3-only-in-store',
      severity: 'error',
      comment:
        'Only the store talks to etcd: every other package reaches it through @coxswain/store (EtcdStorage, or a registry on it), ' +
        'so etcd3 and gRPC stay out of kubecfg and the components. Tests and test helpers (which look behind the API\'s back ' +
        'at raw keys) may use etcd3, and so may bench, which measures raw etcd as the baseline the store is held to.',
      from: { pathNot: ['^packages/store/src/', TEST, '^packages/testing/', '^packages/bench/'] },
      to: { path: '(^|/)node_modules/(etcd3|@grpc/grpc-js)/' },
    },
    {
      name: 'objects-does-no-io',
      severity: 'error',
      comment:
        'objects is pure: of node\'s modules it may use only fs and path (to read the schemas), net (isIP), util and assert; ' +
        'no http, child processes or streams (the Clock interface stands in for time).',
      from: { path: '^packages/objects/src/', pathNot: TEST },
      to: { dependencyTypes: ['core'], pathNot: '^(node:)?(fs|path|net|util|assert)$' },
    },
    {
      name: 'kubecfg-loads-no-server-libraries',
      severity: 'error',
      comment:
        'kubecfg (packages/cli/src/main.ts) must not reach etcd3, gRPC or pino, not even through client or process: ' +
        'the layer rules check one step, this checks the whole path. A CLI starts fast and ships small.',
      from: { path: '^packages/cli/src/main\\.ts$' },
      to: { path: '(^|/)node_modules/(etcd3|@grpc/grpc-js|pino)/', reachable: true },
    },
    {
      name: 'no-test-code-in-production',
      severity: 'error',
      comment:
        '@coxswain/testing, src/testing/ helpers and *.test.ts are dev-only: only tests, test helpers and bench may import them ' +
        '(no production index exports a test helper).',
      from: { path: '^packages/', pathNot: [TEST, '^packages/(testing|bench)/'] },
      to: { path: ['^packages/testing/', '/src/testing/', '\\.test\\.ts$'] },
    },
    {
      name: 'only-through-the-index',
      severity: 'error',
      comment:
        "Another package is imported by its name (@coxswain/x, which is its src/index.ts), never by a relative path into its " +
        'folder or a deep path: the index is its public surface (docs/architecture.md).',
      from: { path: '^(packages/[^/]+|e2e)/' },
      to: { path: '^(packages/[^/]+|e2e)/', pathNot: ['^$1/', '^packages/[^/]+/src/index\\.ts$'] },
    },
    {
      name: 'undeclared-npm-dependency',
      severity: 'error',
      comment:
        "A third-party import must be declared in the importing package's own package.json (not only in the root's, " +
        'where npm workspaces happen to hoist it).',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    ...undeclaredWorkspaceRules(),
    {
      name: 'dev-dependency-in-production',
      severity: 'error',
      comment: 'Production code may import only `dependencies`; `devDependencies` are for tests and test helpers.',
      from: { path: '^packages/', pathNot: TEST },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['npm'] },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that does not resolve: a typo, or a package that is not installed (declare it and run npm install).',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'No import cycle between modules. (Cycles between packages are ruled out by the layer rules: their table is acyclic.)',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    // The check runs on sources; dist/ (built output) is never a target.
    exclude: { path: '^(packages/[^/]+|e2e)/dist/' },
    doNotFollow: { path: 'node_modules' },
    // See type-only imports too (tsc would erase them from the output).
    tsPreCompilationDeps: true,
    // @coxswain/* -> packages/*/src, as in the tests' type check and jest.
    tsConfig: { fileName: 'tsconfig.tests.json' },
    // require.resolve('typescript') needs typescript installed just as require('typescript') does.
    exoticRequireStrings: ['require.resolve'],
    moduleSystems: ['cjs', 'es6'],
  },
};
