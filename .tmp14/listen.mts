import { openPostgresStore } from '/work/wt/issue-14/src/store/postgres/pg-store.ts';
import postgres from 'postgres';
const adm = postgres('postgres://postgres@127.0.0.1:5432/test');
await adm.unsafe('CREATE SCHEMA IF NOT EXISTS herald_listen_x');
const s = await openPostgresStore('postgres://postgres@127.0.0.1:5432/test?search_path=herald_listen_x');
const stop = await s.cluster.onWork((c) => console.log('notified', c));
await s.applyPlan({ channelId: 'c', decisions: [], deliveries: [{ channelId: 'c', kind: 'post', recipient: 'x', dedupeKey: 'k' + Date.now() }], fanouts: [] }, new Date());
await new Promise((r) => setTimeout(r, 500));
await stop(); await s.close(); await adm.unsafe('DROP SCHEMA herald_listen_x CASCADE'); await adm.end();
