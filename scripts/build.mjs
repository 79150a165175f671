/**
 * `npm run build` (also run on install): compiles src/ into dist/ with esbuild, so `bin/herald`
 * starts from plain JavaScript instead of transpiling TypeScript at every start. The CLI as one
 * CommonJS file (dist/herald.cjs, which bin/herald runs through V8's code cache), and ES module
 * bundles for the worker threads (send, MJML, parse) and the CLI (dist/herald.js, what bin/herald
 * falls back to); there, modules imported with `import()` stay in their own chunks and load only
 * when needed. npm packages stay in node_modules except a few small ones every command uses
 * (BUNDLED).
 * Plain JavaScript on purpose: it runs before anything else is built.
 */
import { readFileSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
// The wrapper bin/load-bundle.cjs compiles the CommonJS bundles in.
const { PREFIX } = require('../bin/load-bundle.cjs');
// `--outdir DIR` (relative to the project) for the build test; dist/ otherwise.
const outArg = process.argv.indexOf('--outdir');
const out = path.resolve(root, outArg > 0 ? process.argv[outArg + 1] : 'dist');

/** The newest modification time under src/, which `bin/herald` compares to tell a stale build. */
function newestSource(dir = path.join(root, 'src')) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    // Code only, as bin/herald compares: a README under src/ is not part of the build.
    else if (/\.(?:ts|mts|js|mjs|cjs|json)$/.test(e.name)) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

const LUXON_ESM = path.join(root, 'node_modules/luxon/build/es6/luxon.mjs');

const BUNDLED = new Set(['zod', 'smol-toml', 'yaml', 'luxon', 'marked', 'commander', 'dotenv', 'cron-parser']);

/**
 * One of Node's modules, loaded at its first use: every function it exports, forwarded (classes
 * too: `new` makes the real one); an import of anything else fails the build. For ES module and
 * CommonJS importers alike (a `require()` of it gets the same functions).
 */
async function lazyBuiltinModule(name) {
  const mod = await import(`node:${name}`);
  const names = Object.keys(mod).filter((k) => k !== 'default' && /^[A-Za-z_$][\w$]*$/.test(k) && typeof mod[k] === 'function');
  return [
    `let m;\nconst c = () => (m ??= require('node:${name}'));`,
    ...names.map((k) => `export function ${k}(...a) { const f = c().${k}; return new.target ? Reflect.construct(f, a) : f.apply(this, a); }`),
  ].join('\n');
}

/**
 * Every npm package external (loaded from node_modules at run time) except those named. With
 * `lazyCrypto` (the CommonJS bundles), node:crypto loads at its first use: most commands never
 * hash, sign or draw random bytes (`herald articles` on an unchanged site, `--help`), and loading
 * it cost every start ~6 ms.
 */
function externalExcept(bundled, { lazyCrypto = false } = {}) {
  return {
    name: 'external-except',
    setup(b) {
      // What a lazy module itself loads is Node's own.
      b.onResolve({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => ({ path: args.path, external: true }));
      // commander require()s child_process for subcommands run as separate executables, which
      // Herald has none of: loaded when first used instead, not by every command (~5 ms, with
      // net and dgram behind it).
      b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
        /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer) ? { path: 'child_process', namespace: 'lazy-builtin' } : undefined,
      );
      if (lazyCrypto) b.onResolve({ filter: /^(node:)?crypto$/ }, () => ({ path: 'crypto', namespace: 'lazy-builtin' }));
      b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, async (args) => ({ contents: await lazyBuiltinModule(args.path), loader: 'js', resolveDir: root }));
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        // cron-parser require()s luxon, which would bundle luxon's CommonJS build beside the ES
        // module build Herald imports: two copies (~250 KB each) loaded by every command.
        if (args.path === 'luxon' && args.kind === 'require-call') return { path: LUXON_ESM };
        const name = args.path.startsWith('@') ? args.path.split('/').slice(0, 2).join('/') : args.path.split('/')[0];
        return bundled.has(name) ? undefined : { path: args.path, external: true };
      });
    },
  };
}

const started = performance.now();
const sourcesAt = newestSource();
mkdirSync(out, { recursive: true });
// The CLI as one CommonJS file, which bin/herald loads through V8's code cache (bin/load-bundle.cjs):
// Node 20 caches no compiled code for ES modules, and compiling Herald's code at every start was
// a third of its start-up. Internal `import()`s become lazy requires of modules in the same file,
// compiled only when called.
const cjsBundle = (entryPoints) => ({
  absWorkingDir: root,
  entryPoints,
  outdir: out,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  plugins: [externalExcept(BUNDLED, { lazyCrypto: true })],
  // A script run through vm.Script cannot import(): every package loads through require().
  supported: { 'dynamic-import': false },
  // Worker files and the project root are found from the file's own URL, as in the ES build.
  define: { 'import.meta.url': '__heraldUrl' },
  banner: { js: 'var __heraldUrl = require("node:url").pathToFileURL(__filename).href;' },
  sourcemap: 'linked',
  minify: true,
  logLevel: 'warning',
  metafile: true,
});
const cli = build(cjsBundle({ herald: 'src/cli/main.ts' }));
// The parse worker the same way (parse-worker-boot.cjs loads it through its own code cache): a
// cold scan's second thread starts parsing ~0.1 s sooner than from the ES module build.
const parseWorker = build(cjsBundle({ 'parse-worker': 'src/content/parse-worker.ts', 'parse-worker-boot': 'src/content/parse-worker-boot.cjs' }));
const result = await build({
  absWorkingDir: root,
  entryPoints: { herald: 'src/cli/main.ts', 'send-worker': 'src/pipeline/send-worker.ts', 'mjml-worker': 'src/render/email/mjml-worker.ts' },
  outdir: out,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Small pure-JavaScript libraries every command uses are bundled in (one file instead of
  // hundreds of module loads at start-up: zod alone is 227); the rest stay in node_modules.
  plugins: [externalExcept(BUNDLED)],
  // Bundled CommonJS (commander, dotenv) calls require() for Node's own modules.
  banner: { js: "import { createRequire as __heraldRequire } from 'node:module'; const require = __heraldRequire(import.meta.url);" },
  // Chunks next to the entry points: `new URL('./send-worker.js', import.meta.url)` works from any.
  chunkNames: '[name]-[hash]',
  // Stack traces and --cpu-prof output map back to src/ with --enable-source-maps.
  sourcemap: 'linked',
  // Less to read and parse at every start (status: 360 -> 340 ms, idle `herald run` ~9 MB less).
  // Names stay unmangled where they matter: Herald's errors set `name` themselves.
  minify: true,
  logLevel: 'warning',
  metafile: true,
});
const cliResult = await cli;
const parseWorkerResult = await parseWorker;
// The bundles bin/load-bundle.cjs runs, written inside the wrapper it compiles them in: it then
// compiles the file's text as read, instead of a copy made at every start to wrap it.
for (const name of ['herald.cjs', 'parse-worker.cjs']) {
  const file = path.join(out, name);
  writeFileSync(file, `${PREFIX}${readFileSync(file, 'latin1')}\n})`, 'latin1');
}
// Chunks are named by content hash, so a process started from the previous build (a running
// `herald run`) still finds the chunks it loads later; files of older builds go after a day.
const current = new Set([result, cliResult, parseWorkerResult].flatMap((r) => Object.keys(r.metafile.outputs)).map((f) => path.resolve(root, f)));
for (const name of readdirSync(out)) {
  const file = path.join(out, name);
  if (!current.has(file) && name !== 'build.json' && Date.now() - statSync(file).mtimeMs > 86_400_000) rmSync(file, { force: true });
}
writeFileSync(path.join(out, 'build.json'), `${JSON.stringify({ sourcesAt, builtAt: new Date().toISOString() })}\n`);
console.log(`herald: built ${path.relative(root, out)}/ in ${Math.round(performance.now() - started)} ms`);
