/**
 * The architecture check (`npm run arch`, run by .ci/run): no import cycle between files, nothing in the product
 * (lib/, functions/) imports test, demo or benchmark code, only lib/aws/ imports AWS packages, and lib's folders
 * depend one way, down this list.
 */
/** lib's folders (and root modules), from the leaves up: a module may import only from its own line or lines above. */
const LAYERS = [
  ['lib/errors'],
  ['lib/env', 'lib/log', 'lib/regex', 'lib/limit', 'lib/sqs'],
  ['lib/decode', 'lib/schema'],
  ['lib/codegen', 'lib/record'],
  ['lib/row'],
  ['lib/rules'],
  ['lib/sigma'],
  ['lib/lake', 'lib/filter'],
  ['lib/iceberg'],
  ['lib/route'],
  ['lib/alerts'],
  ['lib/pipeline'],
  ['lib/config'],
  ['lib/s3', 'lib/http'],
  ['lib/backfill'],
  // The AWS adapters: above the interfaces they implement, below the composition root that builds them.
  ['lib/aws'],
  ['lib/wiring'],
  ['lib/cli'],
];

const pathOf = (name) => `^${name.replace(/\//g, '/')}(/|\\.ts$)`;
const layerRules = [];
LAYERS.forEach((layer, i) => {
  const above = LAYERS.slice(i + 1).flat();
  const peers = layer.length > 1 ? layer : [];
  for (const name of layer) {
    if (above.length > 0) {
      layerRules.push({
        name: `layers:${name}`,
        comment: `${name} sits below ${above.join(', ')} and may not import them (LAYERS in .dependency-cruiser.cjs)`,
        severity: 'error',
        from: { path: pathOf(name) },
        to: { path: above.map(pathOf) },
      });
    }
    const others = peers.filter((p) => p !== name);
    if (others.length > 0) {
      layerRules.push({
        name: `peers:${name}`,
        comment: `${name} and ${others.join(', ')} are peers: neither imports the other`,
        severity: 'error',
        from: { path: pathOf(name) },
        to: { path: others.map(pathOf) },
      });
    }
  }
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'An import cycle between files',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'product-imports-no-test-code',
      comment: 'lib/ and functions/ must not import testkit/, bench/, test/ or scripts/',
      severity: 'error',
      from: { path: '^(lib|functions)/' },
      to: { path: '^(testkit|bench|test|scripts)/' },
    },
    {
      name: 'lib-imports-no-entry-point',
      comment: 'functions/ are entry points: only their tests and the demo (which runs the real handler) import them',
      severity: 'error',
      from: { pathNot: '^(functions|test|scripts)/' },
      to: { path: '^functions/' },
    },
    {
      name: 'aws-at-the-edge',
      comment:
        'only lib/aws/ imports @aws-sdk/* and @aws-lambda-powertools/*: the rest of lib/ and functions/ take its adapters ' +
        'through interfaces (types of @types/aws-lambda describe events and are allowed)',
      severity: 'error',
      from: { path: '^(lib|functions)/', pathNot: '^lib/aws/' },
      to: { path: '(^|/)node_modules/(@aws-sdk|@aws-lambda-powertools)/' },
    },
    {
      name: 'unlayered-lib-folder',
      comment: 'every folder of lib/ has a place in LAYERS (.dependency-cruiser.cjs)',
      severity: 'error',
      from: { path: '^lib/', pathNot: ['^lib/generated/', ...LAYERS.flat().map(pathOf)] },
      to: {},
    },
    ...layerRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^lib/generated/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
