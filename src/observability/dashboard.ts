/**
 * The queue dashboard (bull-board), read-only, for the queues this process serves. A
 * dashboard that could retry or remove jobs would bypass the run records, so it only shows.
 */
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Router } from 'express';
import type { ServedQueues } from './served-queues.js';

export function dashboardRouter(queues: ServedQueues, basePath: string): Router {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(basePath);
  const board = createBullBoard({
    queues: [], serverAdapter,
    options: { uiConfig: { boardTitle: 'mailferry' } },
  });
  queues.onQueue((queue) => board.addQueue(new BullMQAdapter(queue, { readOnlyMode: true })));
  return serverAdapter.getRouter() as Router;
}
