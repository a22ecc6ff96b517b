// The OpenAPI document at /openapi.json (the docs UI is served by @fastify/swagger-ui at /docs).
import type { FastifyInstance } from 'fastify';
import type { AppServices } from '../services.js';

export async function docsRoutes(app: FastifyInstance, _opts: { services: AppServices }): Promise<void> {
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
