// The check every unit route runs before validation: the machine exists, a unit is registered
// for it, and the request body is signed with that unit's key (HMAC-SHA256 of the raw body).
import type { FastifyRequest } from 'fastify';
import { SIGNATURE_HEADER } from '@fobgate/shared';
import { signatureValid } from '../auth.js';
import type { Core } from '../core.js';
import { errors } from '../errors.js';

export function unitSignatureCheck(core: Core): (request: FastifyRequest) => Promise<void> {
  return async (request: FastifyRequest) => {
    const body = request.body as { machine?: unknown } | null;
    // A body without a machine name is left to the schema, which says what is missing.
    if (body === null || typeof body !== 'object' || typeof body.machine !== 'string') return;
    const m = core.machineOr404(body.machine);
    const unit = core.store.unit(m.name);
    if (!unit) throw errors.unitNotRegistered(m.name);
    const sig = request.headers[SIGNATURE_HEADER];
    if (!request.rawBody || !signatureValid(unit.key, request.rawBody, typeof sig === 'string' ? sig : undefined)) {
      throw errors.badSignature();
    }
  };
}
