/**
 * Opens the store `store.url` names: `sqlite:<path>` (the default, nothing to install) or
 * `postgres://…` (many processes, many machines). Both are migrated before use.
 */
import type { Store } from './types.ts';

export type StoreEngine = 'sqlite' | 'postgres';

export function storeEngine(url: string): StoreEngine {
  return /^postgres(ql)?:\/\//.test(url) ? 'postgres' : 'sqlite';
}

export async function openStoreUrl(url: string): Promise<Store> {
  if (storeEngine(url) === 'postgres') {
    const { openPostgresStore } = await import('./postgres/pg-store.ts');
    return openPostgresStore(url);
  }
  const { openStore } = await import('./sqlite/sqlite-store.ts');
  return openStore(url.startsWith('sqlite:') ? url : `sqlite:${url}`);
}
