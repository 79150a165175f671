/**
 * A TLS-terminating reverse proxy on loopback, like the web server in front of Herald in
 * production: https on its own port with the given certificate, passing every request on
 * to `target` (set later, so the proxy's port can go into publicUrl first).
 *
 *   const proxy = await startHttpsProxy(TLS);             // proxy.port
 *   proxy.target = 'http://127.0.0.1:8080';
 *   proxy.override = (req) => req.method === 'POST' ? { status: 301, location: 'https://x/' } : undefined;
 */
import { request, type IncomingMessage } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface HttpsProxy {
  port: number;
  target: string | undefined;
  /** Answer some requests itself (a misconfigured proxy): status and optional Location. */
  override: ((req: IncomingMessage) => { status: number; location?: string } | undefined) | undefined;
  close(): Promise<void>;
}

export async function startHttpsProxy(tls: { key: string | Buffer; cert: string | Buffer }): Promise<HttpsProxy> {
  const proxy: HttpsProxy = { port: 0, target: undefined, override: undefined, close: async () => {} };
  const server: Server = createServer(tls, (req, res) => {
    const own = proxy.override?.(req);
    if (own) {
      res.writeHead(own.status, own.location ? { location: own.location } : {});
      res.end();
      req.resume();
      return;
    }
    if (!proxy.target) {
      res.writeHead(502).end('no upstream');
      return;
    }
    const upstream = request(new URL(req.url ?? '/', proxy.target), { method: req.method, headers: { ...req.headers, 'x-forwarded-proto': 'https' } }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end('upstream unreachable');
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  proxy.port = (server.address() as AddressInfo).port;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}
