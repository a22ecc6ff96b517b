// POST /api/v1/list: a fobgate unit downloads a full authorization list announced as `fetch` in
// its sync answer. The request is signed and counted like a sync (member names are not public,
// and a replay is refused); the answer is the list text itself, signed in its own header, so the
// unit can stream it into flash and verify it there.
import type { FastifyInstance } from 'fastify';
import { LIST_PATH, LIST_SIGNATURE_HEADER, signText, type ListRequest } from '@fobgate/shared';
import type { AppServices } from '../app.js';
import { errors } from '../errors.js';
import { hmacHex } from '../auth.js';
import { takeCounter, unitSignatureCheck } from './unit-auth.js';
import { countInt, errorResponses, positiveCountInt } from './schemas.js';

const listBody = {
  type: 'object',
  additionalProperties: false,
  required: ['machine', 'counter', 'version'],
  properties: {
    machine: { type: 'string', minLength: 1, maxLength: 64 },
    counter: positiveCountInt,
    version: countInt,
  },
} as const;

export async function listRoutes(app: FastifyInstance, opts: { services: AppServices }): Promise<void> {
  const { core, lists } = opts.services;

  app.post<{ Body: ListRequest }>(
    LIST_PATH,
    {
      schema: {
        tags: ['fobgate units'],
        summary: 'Full list download (signed like a sync; answers the list text, text/plain, signed in x-fobgate-list-signature)',
        body: listBody,
        response: errorResponses(401, 404, 409, 410),
      },
      preValidation: unitSignatureCheck(core),
    },
    async (request, reply) => {
      const req = request.body;
      const m = core.machineOr404(req.machine);
      const unit = takeCounter(core, m, req.counter, request, reply);
      if (!unit) return reply;
      const text = lists.textOf(m, req.version);
      if (text === null) throw errors.listGone(req.version, lists.current(m).version);
      void reply
        .code(200)
        .header(LIST_SIGNATURE_HEADER, signText(text, unit.key, hmacHex))
        .header('content-length', String(Buffer.byteLength(text, 'latin1')))
        .type('text/plain; charset=us-ascii');
      return reply.send(text);
    },
  );
}
