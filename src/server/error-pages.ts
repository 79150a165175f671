/**
 * Herald's own answer to every error no page handles itself: Fastify's framework errors (a
 * malformed URL, a path longer than any route takes), body limits, unknown addresses, and
 * what the HTTP parser refuses before there is a request (bad syntax, headers too large, a
 * client too slow). A page in the site language, or JSON when the client asks for JSON only;
 * always the security headers; never a word of the request echoed back.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Herald } from '../pipeline/herald.ts';
import { renderPageHtml } from './render-page.ts';

const TEXTS: Record<number, [string, string]> = {
  400: ['reader_bad_request_title', 'reader_bad_request_text'],
  404: ['page_not_found_title', 'page_not_found_text'],
  408: ['error_timeout_title', 'error_timeout_text'],
  413: ['error_too_large_title', 'error_too_large_text'],
  414: ['error_uri_too_long_title', 'error_uri_too_long_text'],
  429: ['reader_rate_limited_title', 'reader_rate_limited_text'],
  431: ['error_headers_too_large_title', 'error_headers_too_large_text'],
  500: ['reader_error_title', 'reader_error_text'],
};

function textsFor(status: number): [string, string] {
  return TEXTS[status] ?? (TEXTS[status >= 500 ? 500 : 400] as [string, string]);
}

/** JSON only for a client that asks for JSON and not for HTML; browsers always name text/html. */
export function wantsJson(accept: string | undefined): boolean {
  const a = (accept ?? '').toLowerCase();
  return /application\/(?:[\w.-]+\+)?json/.test(a) && !a.includes('text/html');
}

export function errorJson(status: number): { ok: false; status: number; error: string } {
  return { ok: false, status, error: STATUS_CODES[status] ?? 'Error' };
}

export function errorPageHtml(h: Herald, status: number): Promise<string> {
  const lang = h.engine.i18n.resolve(h.config.site.language);
  const [title, text] = textsFor(status);
  const t = (key: string) => h.engine.i18n.t(lang, key, { site: h.config.site.title });
  return renderPageHtml(h, { template: 'message', title: t(title), data: { paragraphs: [t(text)], links: [] } });
}

/** Answers `status` with the error page (or JSON) and the given security headers. */
export async function sendError(h: Herald, req: FastifyRequest, reply: FastifyReply, status: number, headers: Record<string, string>): Promise<FastifyReply> {
  reply.code(status).headers(headers).header('cache-control', 'no-store');
  if (wantsJson(req.headers.accept)) return reply.header('content-type', 'application/json; charset=utf-8').send(errorJson(status));
  return reply.header('content-type', 'text/html; charset=utf-8').send(await errorPageHtml(h, status));
}

/** Complete HTTP/1.1 answers for the socket-level errors, rendered once when the server is built. */
export async function rawErrorResponses(h: Herald, headers: Record<string, string>): Promise<Map<number, Buffer>> {
  const out = new Map<number, Buffer>();
  for (const status of [400, 408, 413, 431]) {
    const body = Buffer.from(await errorPageHtml(h, status), 'utf8');
    const head = [
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
      'content-type: text/html; charset=utf-8',
      `content-length: ${body.length}`,
      'cache-control: no-store',
      'connection: close',
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    ].join('\r\n');
    out.set(status, Buffer.concat([Buffer.from(`${head}\r\n\r\n`, 'latin1'), body]));
  }
  return out;
}

/**
 * Node's 'clientError': the parser refused the bytes, or the client was too slow (headers or
 * request timeout). The answer is written and the connection closed; a client that does not
 * read it is cut off a moment later.
 */
export function clientErrorHandler(responses: Map<number, Buffer>): (err: NodeJS.ErrnoException, socket: Socket) => void {
  return (err, socket) => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const status =
      err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW' ? 413 : 400;
    const raw = responses.get(status);
    if (socket.writable && raw) socket.end(raw);
    setTimeout(() => socket.destroy(), 500).unref();
  };
}
