/**
 * The process's HTTP endpoints: /healthz (alive), /readyz (Redis usable and workers
 * running), /metrics (Prometheus) and, when a token is configured, /dashboard.
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import express from 'express';
import type { Logger } from 'pino';
import { requireToken } from './dashboard-auth.js';
import { dashboardRouter } from './dashboard.js';
import type { Metrics } from './metrics.js';
import type { Readiness } from './readiness.js';
import type { ServedQueues } from './served-queues.js';

export const DASHBOARD_PATH = '/dashboard';

export interface HttpServerOptions {
  readonly host: string;
  readonly port: number;
  /** Without one the dashboard is off (404). */
  readonly dashboardToken?: string;
  readonly metrics: Metrics;
  readonly queues: ServedQueues;
  readonly readiness: () => Promise<Readiness>;
  readonly log: Logger;
}

export interface RunningHttpServer {
  /** The bound port. */
  readonly port: number;
  close(): Promise<void>;
}

export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok\n');
  });
  app.get('/readyz', async (_req, res) => {
    const readiness = await options.readiness();
    res.status(readiness.ready ? 200 : 503).json(readiness);
  });
  app.get('/metrics', async (_req, res) => {
    try {
      const body = await options.metrics.registry.metrics();
      res.type(options.metrics.registry.contentType).send(body);
    } catch (error) {
      options.log.warn({ err: error }, 'metrics scrape failed');
      res.status(500).type('text/plain').send('metrics unavailable\n');
    }
  });
  if (options.dashboardToken !== undefined) {
    app.use(DASHBOARD_PATH, requireToken(options.dashboardToken, DASHBOARD_PATH), dashboardRouter(options.queues, DASHBOARD_PATH));
  }
  app.use((_req, res) => {
    res.status(404).type('text/plain').send('not found\n');
  });

  const server: Server = app.listen(options.port, options.host);
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => { throw error; })]);
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  options.log.info({ host: options.host, port, dashboard: options.dashboardToken !== undefined }, 'http server listening');
  return {
    port,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
