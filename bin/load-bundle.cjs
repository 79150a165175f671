/**
 * Loads the CLI bundle (dist/herald.cjs) through V8's code cache. Node 20 keeps no compiled code
 * for ES modules between runs, and compiling Herald's code was a third of a command's start-up:
 * `herald status` 0.32 -> 0.24 s, `herald articles` on an unchanged 2,000-page site 0.44 -> 0.37 s.
 *
 * A cache holds what a run compiled (V8 compiles a function when first called), so there is one
 * per command (`articles` compiles other code than `--help`), written after a run that found none,
 * or one V8 refused (another Node or V8 flags); it is named by the build, since V8 checks a cache
 * against the source's length, not its text. Where dist/ cannot be written (a read-only install),
 * each start compiles, as without a cache.
 */
'use strict';
const { isAscii } = require('node:buffer');
const { readFileSync, renameSync, rmSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { dirname, join } = require('node:path');
const { setFlagsFromString } = require('node:v8');
const vm = require('node:vm');

/** Node's CommonJS wrapper, on a line of its own so line numbers stay the bundle's (lineOffset). */
const PREFIX = '(function (exports, require, module, __filename, __dirname) {\n';

/** The program's options that take a value (as src/cli/main.ts). */
const VALUE_OPTIONS = new Set(['-c', '--config', '--log-level']);

/** The command a cache is for: the first word of `herald [options] <command> …`, or none. */
function cacheName(argv) {
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    if (VALUE_OPTIONS.has(a)) i++;
    else if (!a.startsWith('-')) return /^[a-z][a-z-]{0,30}$/.test(a) ? a : 'other';
  }
  return 'none';
}

/**
 * The bundle's exports (main, commandOf), and `saveCache()` to call once the command is done.
 * `build` names the build the cache belongs to (dist/build.json's builtAt), `name` the command;
 * `bundleName` the file in dist/ (herald.cjs, or parse-worker.cjs for parse-worker-boot.cjs);
 * `flags` the V8 flags the caller set (setFlagsFromString) before loading it.
 *
 * The build writes the bundle already inside Node's CommonJS wrapper (PREFIX, scripts/build.mjs),
 * and ASCII: read as Latin-1 it becomes a one-byte string with no decoding, and V8 compiles the
 * file's own string, with no copy of ~1 MB made to wrap it (~7 ms of every start).
 */
function loadBundle(dist, build, name, bundleName = 'herald', flags = []) {
  const file = join(dist, `${bundleName}.cjs`);
  const bytes = readFileSync(file);
  const text = bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
  // A bundle built before the wrapper was written in: wrapped here.
  const source = text.startsWith(PREFIX) ? text : `${PREFIX}${text}\n})`;
  const cacheFile = join(dist, `${bundleName}-${String(build).replace(/[^\w.-]/g, '_')}-${name}.cache`);
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(source, { filename: file, lineOffset: -1, cachedData });
  const bundle = { exports: {} };
  script.runInThisContext().call(bundle.exports, bundle.exports, createRequire(file), bundle, file, dirname(file));
  const stale = cachedData === undefined || script.cachedDataRejected === true;
  return {
    ...bundle.exports,
    cacheUsed: !stale,
    saveCache() {
      if (!stale) return;
      const tmp = `${cacheFile}.${process.pid}`;
      try {
        // V8 stamps a cache with a hash of its flags, and starting a worker thread (a cold scan's
        // parse workers, a send's) leaves that hash other than the one a new process computes
        // after the same setFlagsFromString: the next run refused every cache a run with a worker
        // wrote, and compiled everything again. Setting the flags again restores the hash.
        for (const flag of flags) setFlagsFromString(flag);
        writeFileSync(tmp, script.createCachedData());
        // Whole or not at all: other processes may be reading it.
        renameSync(tmp, cacheFile);
      } catch {
        rmSync(tmp, { force: true });
      }
    },
  };
}

module.exports = { cacheName, loadBundle, PREFIX };
