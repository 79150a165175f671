import { describe, expect, it } from 'vitest';
import { mapSmtpError, type SmtpErrorContext } from '../../../src/channels/email/smtp-errors.ts';
import { parseSmtpUrl } from '../../../src/channels/email/smtp-url.ts';

const target = parseSmtpUrl('email-main', 'smtps://news%40example.com:p%40ss%3Aw0rd@mail.example.com');
const ctx: SmtpErrorContext = {
  channelId: 'email-main',
  server: target.display,
  host: target.host,
  secrets: target.secrets,
  timeouts: { connectionMs: 10_000, greetingMs: 10_000, socketMs: 30_000 },
};

describe('parseSmtpUrl', () => {
  it('decodes credentials and picks default ports', () => {
    expect(target).toMatchObject({ secure: true, host: 'mail.example.com', port: 465, user: 'news@example.com', pass: 'p@ss:w0rd', display: 'mail.example.com:465' });
    expect(parseSmtpUrl('x', 'smtp://mail.example.com').port).toBe(587);
    expect(parseSmtpUrl('x', 'smtp://[::1]:2525').display).toBe('[::1]:2525');
  });
});

describe('mapSmtpError', () => {
  it.each([
    [{ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }, 'transient', true, 'email-main: SMTP server mail.example.com:465 refused the connection'],
    [{ code: 'EDNS', message: 'getaddrinfo ENOTFOUND' }, 'transient', true, 'email-main: could not resolve SMTP host mail.example.com (EDNS)'],
    [{ code: 'ETIMEDOUT', message: 'Connection timeout' }, 'transient', true, 'email-main: could not connect to SMTP server mail.example.com:465 within 10s'],
    [{ code: 'ETIMEDOUT', message: 'Timeout' }, 'transient', true, 'email-main: SMTP server mail.example.com:465 stopped responding (no reply within 30s)'],
    [{ code: 'ESOCKET', message: 'self-signed certificate' }, 'transient', true, 'email-main: TLS with SMTP server mail.example.com:465 failed: self-signed certificate'],
    [{ code: 'ECONNECTION', message: 'Connection closed unexpectedly' }, 'transient', true, 'email-main: connection to SMTP server mail.example.com:465 failed: Connection closed unexpectedly'],
    [{ code: 'EPROTOCOL', responseCode: 421, response: '421 4.3.2 Service not available' }, 'transient', true, 'email-main: SMTP server mail.example.com:465 closed the connection (421 4.3.2 Service not available)'],
    [{ code: 'EENVELOPE', responseCode: 553, response: '553 5.7.1 Sender address rejected', command: 'MAIL FROM' }, 'transient', true, "email-main: SMTP server mail.example.com:465 rejected the sender address (553 5.7.1 Sender address rejected); check the channel's from address"],
    [{ code: 'EMESSAGE', responseCode: 554, response: '554 5.7.1 Message rejected as spam', command: 'DATA' }, 'permanent', false, 'email-main: message rejected (554 5.7.1 Message rejected as spam)'],
    [{ code: 'EMESSAGE', responseCode: 451, response: '451 4.3.0 Local error', command: 'DATA' }, 'transient', false, 'email-main: message temporarily rejected (451 4.3.0 Local error)'],
    [{ message: 'something odd' }, 'transient', false, 'email-main: sending failed: something odd'],
  ])('%o → %s', (err, kind, connection, message) => {
    const e = mapSmtpError(err, ctx);
    expect(e.kind).toBe(kind);
    expect(e.connection).toBe(connection);
    expect(e.message).toBe(message);
  });

  it('scrubs credentials even when the server echoes them', () => {
    const e = mapSmtpError({ code: 'EAUTH', responseCode: 535, response: '535 bad login for news@example.com:p@ss:w0rd (p%40ss%3Aw0rd)' }, ctx);
    expect(e.message).not.toContain('p@ss:w0rd');
    expect(e.message).not.toContain('p%40ss%3Aw0rd');
    expect(JSON.stringify((e.cause as { response?: string }).response)).not.toContain('p@ss:w0rd');
  });
});
