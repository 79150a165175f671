/**
 * What the reader forms may contain. Every field is checked here with zod; the routes
 * see only clean values or a per-field error key (an i18n key).
 */
import type { FastifyInstance } from 'fastify';
import * as z from 'zod';
import { checkName } from '../../pipeline/subscriber-name.ts';
import { TOKEN_RE } from './links.ts';

const email = z.string().trim().max(254).pipe(z.email());
/** The one name rule of every way in (pipeline/subscriber-name.ts); '' when left empty. */
const name = z
  .string()
  .max(1000)
  .transform((s, ctx) => {
    const c = checkName(s);
    if (c.ok) return c.name ?? '';
    ctx.addIssue({ code: 'custom', message: c.problem });
    return z.NEVER;
  });
/** Checkboxes arrive as one string, an array, or nothing. */
const topics = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]))
  .pipe(z.array(z.string().max(200)).max(200));

export const tokenParams = z.object({ token: z.string().regex(TOKEN_RE) });

export interface SubscribeValues {
  email: string;
  name: string;
  topics: string[];
  /** A site language code; the route keeps it only if the site has that language. */
  language?: string;
}

export type FieldErrors = Partial<Record<'email' | 'name', string>>;

export type SubscribeResult =
  | { ok: true; values: SubscribeValues; bot: boolean }
  | { ok: false; values: SubscribeValues; errors: FieldErrors };

const language = z.string().trim().max(35).optional();
const subscribeSchema = z.object({ email, name: name.optional().default(''), topics, language, website: z.string().optional() });

/** Field by field, so the form comes back with the reader's input and an error next to the wrong field. */
export function parseSubscribe(body: unknown): SubscribeResult {
  const raw = asRecord(body);
  const parsed = subscribeSchema.safeParse(raw);
  if (parsed.success) {
    const { website, ...values } = parsed.data;
    // The honeypot: people never see the field, form-filling bots do.
    return { ok: true, values, bot: website !== undefined && website.trim() !== '' };
  }
  const errors: FieldErrors = {};
  for (const issue of parsed.error.issues) {
    const field = issue.path[0];
    if (field === 'email') errors.email = 'reader_error_email';
    else if (field === 'name') errors.name = 'reader_error_name';
  }
  const values = { email: text(raw.email), name: text(raw.name), topics: topics.safeParse(raw.topics).data ?? [], language: language.safeParse(raw.language).data };
  // A malformed honeypot or topic list is not the reader's mistake to fix: still point at something.
  if (Object.keys(errors).length === 0) errors.email = 'reader_error_email';
  return { ok: false, values, errors };
}

export type PreferencesResult =
  | { ok: true; values: { name: string | null; topics: string[]; paused: boolean; alerts: boolean }; formKey: string }
  | { ok: false; values: { name: string; topics: string[]; paused: boolean; alerts: boolean }; errors: FieldErrors; formKey: string };

const preferencesSchema = z.object({
  name: name.optional().default(''),
  topics,
  paused: z.string().max(10).optional(),
  alerts: z.string().max(10).optional(),
  form_key: z.string().max(100).optional().default(''),
});

export function parsePreferences(body: unknown): PreferencesResult {
  const raw = asRecord(body);
  const parsed = preferencesSchema.safeParse(raw);
  if (!parsed.success) {
    const values = { name: text(raw.name), topics: topics.safeParse(raw.topics).data ?? [], paused: raw.paused !== undefined, alerts: raw.alerts !== undefined };
    return { ok: false, values, errors: { name: 'reader_error_name' }, formKey: text(raw.form_key) };
  }
  const d = parsed.data;
  return { ok: true, values: { name: d.name === '' ? null : d.name, topics: d.topics, paused: d.paused !== undefined, alerts: d.alerts !== undefined }, formKey: d.form_key };
}

function asRecord(body: unknown): Record<string, unknown> {
  return body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

/** Echo a field back into the form: strings only, bounded. */
function text(v: unknown): string {
  return typeof v === 'string' ? v.slice(0, 300) : '';
}

/**
 * In this (encapsulated) scope every request body is read as text, whatever its type, up to
 * `limit` bytes (413 beyond, and the connection is closed rather than drained). For the
 * link endpoints mail clients post to with bodies of every kind.
 */
export function acceptAnyBody(app: FastifyInstance, limit: number): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: limit }, (_req, body, done) => done(null, body));
}
