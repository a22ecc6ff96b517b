// Admin routes for units and their keys (admin token, per-admin token or dashboard session): register a machine's next unit (a
// pending key, see unit-keys.ts), see which key the machine accepts and whether one is pending,
// and withdraw a pending key after a flash that failed.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { UnitKeyStatus, UnitRegistration } from '@fobgate/shared';
import type { AppServices } from '../services.js';
import type { Core } from '../core-services.js';
import { cancelPendingUnit, registerPendingUnit, unitKeyStatus, verifyPendingUnit } from '../unit-keys.js';
import { errorResponses, machineNameParams } from './schemas.js';

const security = [{ admin: [] }];
const tags = ['admin'];

const keyRef = {
  type: ['object', 'null'],
  properties: { unit_id: { type: 'string' }, registered_at: { type: 'integer' } },
} as const;

const pendingRef = {
  type: ['object', 'null'],
  properties: { unit_id: { type: 'string' }, registered_at: { type: 'integer' }, verified: { type: 'boolean' } },
} as const;

export async function adminUnitRoutes(app: FastifyInstance, opts: { services: AppServices }): Promise<void> {
  const { core, auth } = opts.services;

  // Encapsulated context: this hook guards these routes only (see admin.ts on why not by url).
  app.addHook('onRequest', async (request: FastifyRequest) => {
    request.admin = auth.require(request);
  });
  registerUnitRoute(app, core);
  unitKeyStatusRoute(app, core);
  pendingKeyRoutes(app, core);
}

/** POST /api/admin/units: a machine's next unit gets a pending key. */
function registerUnitRoute(app: FastifyInstance, core: Core): void {
  app.post<{ Body: { machine: string; hold_until_verified?: boolean } }>(
    '/api/admin/units',
    {
      schema: {
        tags,
        security,
        summary:
          "Register a machine's next unit and issue its key. The key is pending: the machine's current unit keeps its key until the new unit's first signed request, which then retires it.",
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['machine'],
          properties: {
            machine: { type: 'string', minLength: 1, maxLength: 64 },
            hold_until_verified: {
              type: 'boolean',
              description: 'refuse the new key until POST /api/admin/units/:name/pending/verified (the flash tool, after the digests matched)',
            },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['machine', 'key', 'unit_id', 'replaces'],
            properties: {
              machine: { type: 'string' },
              key: { type: 'string' },
              unit_id: { type: 'string' },
              replaces: { type: ['string', 'null'] },
            },
          },
          ...errorResponses(401, 404, 503),
        },
      },
    },
    async (request): Promise<UnitRegistration> => {
      const m = core.machineOr404(request.body.machine);
      const reg = registerPendingUnit(core, m, request.body.hold_until_verified === true);
      await core.persist(m, true, request.receivedAt);
      return reg;
    },
  );
}

/** GET /api/admin/units/:name: the key the machine accepts and the pending one (ids only). */
function unitKeyStatusRoute(app: FastifyInstance, core: Core): void {
  app.get<{ Params: { name: string } }>(
    '/api/admin/units/:name',
    {
      schema: {
        tags,
        security,
        summary: "Which unit key the machine accepts now, and the pending key of its next unit (ids only, never keys)",
        params: machineNameParams,
        response: {
          200: { type: 'object', properties: { machine: { type: 'string' }, unit: keyRef, pending: pendingRef } },
          ...errorResponses(401, 404),
        },
      },
    },
    async (request): Promise<UnitKeyStatus> => unitKeyStatus(core, core.machineOr404(request.params.name)),
  );
}

/** The pending key after a flash: verified (the upload's digests matched) or withdrawn. */
function pendingKeyRoutes(app: FastifyInstance, core: Core): void {
  app.post<{ Params: { name: string } }>(
    '/api/admin/units/:name/pending/verified',
    {
      schema: {
        tags,
        security,
        summary: "The flash tool verified the new unit's upload (digests match): its key may now take over at its first signed request",
        params: machineNameParams,
        response: {
          200: { type: 'object', properties: { success: { type: 'boolean' }, unit_id: { type: 'string' } } },
          ...errorResponses(401, 404, 503),
        },
      },
    },
    async (request) => {
      const m = core.machineOr404(request.params.name);
      const id = verifyPendingUnit(core, m);
      await core.persist(m, true, request.receivedAt);
      return { success: true, unit_id: id };
    },
  );

  app.delete<{ Params: { name: string } }>(
    '/api/admin/units/:name/pending',
    {
      schema: {
        tags,
        security,
        summary: 'Withdraw the pending key of a machine (a flash that failed); the current unit is not touched',
        params: machineNameParams,
        response: {
          200: { type: 'object', properties: { success: { type: 'boolean' }, cancelled: { type: 'boolean' } } },
          ...errorResponses(401, 404, 503),
        },
      },
    },
    async (request) => {
      const m = core.machineOr404(request.params.name);
      const cancelled = cancelPendingUnit(core, m);
      if (cancelled) await core.persist(m, true, request.receivedAt);
      return { success: true, cancelled };
    },
  );
}
