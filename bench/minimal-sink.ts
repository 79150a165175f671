/**
 * A minimal SMTP sink for the benchmark when Postfix's smtp-sink is not installed:
 * accepts everything, discards message data, supports PIPELINING. Loopback only.
 */
import { createServer, type Server } from 'node:net';

const END = Buffer.from('\r\n.\r\n');

export function startMinimalSink(): Promise<{ port: number; close: () => Promise<void>; received: () => number }> {
  let received = 0;
  const server: Server = createServer((socket) => {
    let inData = false;
    let pending: Buffer = Buffer.alloc(0);
    socket.write('220 herald-bench-sink ESMTP\r\n');
    socket.on('data', (chunk: Buffer) => {
      let buf: Buffer = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      const replies: string[] = [];
      for (;;) {
        if (inData) {
          const at = buf.indexOf(END);
          if (at < 0) {
            // Keep only what could start the terminator.
            pending = buf.subarray(Math.max(0, buf.length - 4));
            buf = Buffer.alloc(0);
            break;
          }
          buf = buf.subarray(at + END.length);
          inData = false;
          received++;
          replies.push('250 2.0.0 Ok: queued');
          continue;
        }
        const nl = buf.indexOf('\r\n');
        if (nl < 0) break;
        const line = buf.subarray(0, nl).toString('latin1');
        buf = buf.subarray(nl + 2);
        const cmd = line.slice(0, 4).toUpperCase();
        if (cmd === 'EHLO') replies.push('250-herald-bench-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 104857600');
        else if (cmd === 'DATA') {
          inData = true;
          replies.push('354 End data with <CR><LF>.<CR><LF>');
        } else if (cmd === 'QUIT') {
          socket.end('221 Bye\r\n');
          return;
        } else replies.push('250 Ok');
      }
      if (!inData || buf.length === 0) pending = inData ? pending : buf;
      if (replies.length) socket.write(`${replies.join('\r\n')}\r\n`);
    });
    socket.on('error', () => {});
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      resolve({ port, received: () => received, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}
