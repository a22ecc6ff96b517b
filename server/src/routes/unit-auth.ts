// The check every unit route runs before validation: the machine exists, a unit is registered
// for it, and the request body is signed with that unit's key (HMAC-SHA256 of the raw body).
// A request signed with the machine's pending key (a newly flashed unit) makes that key the
// machine's key and retires the previous unit's (unit-keys.ts).
import type { FastifyRequest } from 'fastify';
import { SIGNATURE_HEADER } from '@fobgate/shared';
import type { Core } from '../core.js';
import { errors } from '../errors.js';
import { promotePendingUnit, signingKey } from '../unit-keys.js';

export function unitSignatureCheck(core: Core): (request: FastifyRequest) => Promise<void> {
  return async (request: FastifyRequest) => {
    const body = request.body as { machine?: unknown } | null;
    // A body without a machine name is left to the schema, which says what is missing.
    if (body === null || typeof body !== 'object' || typeof body.machine !== 'string') return;
    const m = core.machineOr404(body.machine);
    const sig = request.headers[SIGNATURE_HEADER];
    const key = signingKey(core, m.name, request.rawBody, typeof sig === 'string' ? sig : undefined);
    if (key === null) throw errors.badSignature();
    if (key === 'pending') {
      promotePendingUnit(core, m);
      // The swap is durable before the new unit gets an answer (bounded like every save).
      await core.persist(m, false, request.receivedAt);
    }
  };
}
