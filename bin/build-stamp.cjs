/**
 * Whether dist/ is as new as src/ (a development checkout: `bin/herald` runs the sources through
 * tsx when the build is stale). The build records what src/ was (`sourceStamp`, in
 * dist/build.json); a start checks it (`sourcesFresh`). Walking src/ at every start (~280 files
 * and folders) cost each command ~8 ms; instead every recorded file and folder is stat'ed at once
 * in libuv's thread pool while the bundle loads on the main thread.
 *
 * Stale means what it always meant: some code file under src/ modified after the newest one the
 * build saw. A folder whose time changed (an entry added, removed or renamed in it) sends the
 * check back to the whole walk, which finds a new file; so does a recorded file that is gone.
 */
'use strict';
const { existsSync, readdirSync, stat, statSync } = require('node:fs');
const { join } = require('node:path');

/** Files that are code: a README edited under src/ does not make the build stale. */
const CODE = /\.(?:ts|mts|js|mjs|cjs|json)$/;

/** The newest modification time of a code file under `dir`; throws when `dir` cannot be read. */
function newestSource(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (CODE.test(e.name)) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * What the build saw of `src`: the newest code file's time (`sourcesAt`), the code files, and
 * each folder with its time (paths relative to `src`, '' for itself).
 */
function sourceStamp(src) {
  const stamp = { sourcesAt: 0, files: [], folders: [] };
  const walk = (rel) => {
    const dir = join(src, rel);
    stamp.folders.push([rel, statSync(dir).mtimeMs]);
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(p);
      else if (CODE.test(e.name)) {
        stamp.files.push(p);
        stamp.sourcesAt = Math.max(stamp.sourcesAt, statSync(join(src, p)).mtimeMs);
      }
    }
  };
  walk('');
  return stamp;
}

/** The whole walk: fresh unless some code file is newer than the build (or src/ is gone: an installed package). */
function walkedFresh(src, sourcesAt) {
  try {
    return newestSource(src) <= sourcesAt;
  } catch {
    return true; // an installed package without src/
  }
}

/**
 * Resolves true when no code file under `src` is newer than the build recorded in `built`
 * (dist/build.json). The stats start now and run in the thread pool; the answer comes once the
 * caller lets the event loop run.
 */
function sourcesFresh(src, built) {
  if (!existsSync(src)) return Promise.resolve(true); // an installed package without src/
  const { sourcesAt, files, folders } = built;
  if (!Array.isArray(files) || !Array.isArray(folders)) return Promise.resolve(walkedFresh(src, sourcesAt));
  return new Promise((resolve) => {
    let pending = files.length + folders.length;
    let stale = false;
    let moved = false;
    const settle = () => {
      if (--pending > 0) return;
      resolve(stale ? false : moved ? walkedFresh(src, sourcesAt) : true);
    };
    for (const [rel, at] of folders) {
      stat(join(src, rel), (err, s) => {
        if (err || s.mtimeMs !== at) moved = true;
        settle();
      });
    }
    for (const rel of files) {
      stat(join(src, rel), (err, s) => {
        if (err) moved = true;
        else if (s.mtimeMs > sourcesAt) stale = true;
        settle();
      });
    }
    if (pending === 0) resolve(walkedFresh(src, sourcesAt));
  });
}

module.exports = { newestSource, sourceStamp, sourcesFresh };
