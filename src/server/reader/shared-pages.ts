/** Pages several reader routes answer with. */
import type { FastifyReply } from 'fastify';
import type { PageLink, Reader } from './reader-context.ts';

/** From a page at /<route>/<token>; relative, so a path prefix in front of Herald keeps working. */
export function signUpLink(reader: Reader, label = 'reader_signup_again'): PageLink {
  return { href: '../subscribe', label: reader.t(label) };
}

/** Forged, garbled or unknown tokens all look the same. */
export function notFound(reader: Reader, reply: FastifyReply): Promise<FastifyReply> {
  return reader.message(reply, 404, { title: reader.t('reader_not_found_title'), text: [reader.t('reader_not_found_text')] });
}
