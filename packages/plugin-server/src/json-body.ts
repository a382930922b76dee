import { ConvoyError } from '@convoy/core';
import type { FastifyInstance } from 'fastify';

/**
 * Every body is JSON whatever its Content-Type: dockerd sends none at all, and Convoy's API has
 * no other format. An empty body means `{}`. Must be registered before any route.
 */
export function acceptJsonBodies(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, text, done) => {
    const source = String(text);
    if (source.trim() === '') {
      done(null, {});
      return;
    }
    try {
      done(null, JSON.parse(source));
    } catch (err) {
      done(new ConvoyError('INVALID_ARGUMENT', `request body is not valid JSON: ${(err as Error).message}`), undefined);
    }
  });
  // A request with no body at all never reaches a parser.
  app.addHook('preValidation', async (req) => {
    if (req.body === undefined || req.body === null) req.body = {};
  });
}
