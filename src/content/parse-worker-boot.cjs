// A parse worker thread from the build (see parallel-parse.ts): bundled by scripts/build.mjs
// into dist/parse-worker-boot.cjs, beside dist/parse-worker.cjs (parse-worker.ts), which it
// loads through V8's code cache as bin/herald loads the CLI (bin/load-bundle.cjs). The cache,
// when none was usable, is written once the worker's own pages of its first job are parsed, so
// it holds the parser's compiled code too.
'use strict';
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { loadBundle } = require('../../bin/load-bundle.cjs');

let build = 'unknown';
try {
  build = JSON.parse(readFileSync(join(__dirname, 'build.json'), 'utf8')).builtAt;
} catch {
  // No build.json: a cache under "unknown", checked by V8 against the bundle as any other.
}
const worker = loadBundle(__dirname, build, 'thread', 'parse-worker');
worker.serveParseJobs(() => worker.saveCache());
