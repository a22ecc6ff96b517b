// POST /api/v1/list: a fobgate unit downloads a list update its sync answer announced without
// inline data: the full list file (from 0) or the delta from the version it holds. The request is
// signed and counted like a sync (member names are not public, and a replay is refused); the
// answer is the raw bytes, which the unit streams into flash and checks there against the
// digest and signature the (signed) sync answer announced.
import type { FastifyInstance } from 'fastify';
import { LIST_PATH, ListRequestSchema, type ListRequest } from '@fobgate/shared';
import type { AppServices } from '../services.js';
import { errors } from '../errors.js';
import { takeCounter, unitSignatureCheck } from './unit-auth.js';
import { errorResponses } from './schemas.js';

export async function listRoutes(app: FastifyInstance, opts: { services: AppServices }): Promise<void> {
  const { core, lists, budget } = opts.services;

  app.post<{ Body: ListRequest }>(
    LIST_PATH,
    {
      schema: {
        tags: ['fobgate units'],
        summary: 'List update download (signed like a sync; answers the announced list file or delta as application/octet-stream)',
        body: ListRequestSchema,
        response: errorResponses(401, 404, 409, 410, 429),
      },
      preValidation: [unitSignatureCheck(core), budget.precheck()],
    },
    async (request, reply) => {
      const req = request.body;
      const m = core.machineOr404(req.machine);
      // (a download counts against the unit's request budget like a sync: budget.precheck)
      const unit = takeCounter(core, m, req.counter, request, reply);
      if (!unit) return reply;
      const t = lists.download(m, req.version, req.from ?? 0);
      if (t === null) throw errors.listGone(req.version, lists.current(m).version);
      const bytes = Buffer.from(t.text, 'latin1');
      void reply.code(200).header('content-length', String(bytes.length)).type('application/octet-stream');
      return reply.send(bytes);
    },
  );
}
