// The check every unit route runs before validation: the machine exists, a unit is registered
// for it, and the request body is signed with that unit's key (HMAC-SHA256 of the raw body).
// A request signed with the machine's pending key (a newly flashed unit) makes that key the
// machine's key and retires the previous unit's (unit-keys.ts). Then the request's counter is
// taken; a counter not above the held one gets a 409 that is signed with the unit's key and
// bound to the request, the only refusal a unit acts upon.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SIGNATURE_HEADER, type CounterRefusal, type MachineConfig } from '@fobgate/shared';
import { hmacHex } from '../auth.js';
import type { Core } from '../core-services.js';
import { errors } from '../errors.js';
import type { UnitRecord } from '../store.js';
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

/** The verified request's signature, lower-case hex (what a signed answer binds itself to). */
export function requestSignature(request: FastifyRequest): string {
  const sig = request.headers[SIGNATURE_HEADER];
  return typeof sig === 'string' ? sig.toLowerCase() : '';
}

/**
 * Takes the request's counter (strictly above the held one). A replayed or lower counter is
 * answered here with a signed 409 (CounterRefusal) and null is returned: the handler is done.
 */
export function takeCounter(core: Core, m: MachineConfig, counter: number, request: FastifyRequest, reply: FastifyReply): UnitRecord | null {
  const unit = core.store.unit(m.name);
  if (!unit) throw errors.unitNotRegistered(m.name);
  if (counter > unit.counter) return core.takeUnitCounter(m, counter);
  const refusal: CounterRefusal = {
    error: errors.replayed(counter, unit.counter).message,
    code: 'REPLAYED_REQUEST',
    counter: counter,
    held: unit.counter,
    answers: requestSignature(request),
  };
  const text = JSON.stringify(refusal);
  void reply.code(409).header(SIGNATURE_HEADER, hmacHex(unit.key, text)).type('application/json').send(text);
  return null;
}
