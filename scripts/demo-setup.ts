/**
 * `npm start` runs this first. It makes sure the example site exists and, only while the
 * active config is still the shipped demo (its content.dir is examples/site), adds the
 * demo subscribers. A config pointed at a real site is never touched.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parse as parseCsv } from 'csv-parse/sync';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
execFileSync(process.execPath, ['--import', 'tsx', path.join(root, 'scripts/example-site.ts'), '--if-missing'], { stdio: 'inherit' });

const { loadConfig, ConfigError } = await import('../src/config/load.ts');
const { openStoreUrl } = await import('../src/store/open.ts');
try {
  const config = loadConfig();
  if (config.content.dir === path.join(root, 'examples/site/content')) {
    const store = await openStoreUrl(config.store.url);
    const rows = parseCsv(readFileSync(path.join(root, 'examples/subscribers.csv')), { columns: true }) as Record<string, string>[];
    for (const r of rows) {
      if (await store.getSubscriber(r.email as string)) continue;
      const topics = (r.topics ?? '').split(';').filter(Boolean);
      await store.upsertSubscriber({ email: r.email as string, name: r.name || undefined, topics, status: 'active' }, new Date());
    }
    await store.close();
  }
} catch (e) {
  // A bad config is reported by `herald run` itself, with its exit code.
  if (!(e instanceof ConfigError)) throw e;
}
