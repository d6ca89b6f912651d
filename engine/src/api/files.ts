/**
 * Files (Replicate's Files API): `POST /v1/files` (multipart: `content`, optional `filename`,
 * `type`, `metadata`), `GET /v1/files[/{id}]`, `DELETE /v1/files/{id}`, and
 * `GET /v1/files/{id}/download?expires=&sig=` (no bearer token: the HMAC signature is the
 * capability; the official client fetches file outputs without auth).
 */
import { createReadStream } from 'node:fs';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import { ApiError, badRequest, invalid, notFound, tooLarge } from '../core/errors';
import { FileTooLargeError, type WrittenFile } from '../files';
import { listFiles } from '../store/files';
import type { ApiContext } from './context';
import { visibleOwner } from './access';
import { decodeCursor, page, PAGE_SIZE } from './paginate';

const MAX_METADATA_BYTES = 64 * 1024;

function isTooLarge(err: unknown): boolean {
  return err instanceof FileTooLargeError || (err as { code?: string })?.code === 'FST_REQ_FILE_TOO_LARGE';
}

/** Reads what is left of a rejected upload (bounded), so the client gets the 413 instead of a reset. */
function drain(req: FastifyRequest, maxMs = 10_000): Promise<void> {
  return new Promise((resolve) => {
    const raw = req.raw;
    if (raw.readableEnded) return resolve();
    const timer = setTimeout(resolve, maxMs);
    raw.on('end', () => (clearTimeout(timer), resolve()));
    raw.on('error', () => (clearTimeout(timer), resolve()));
    raw.resume();
  });
}

async function readSmall(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_METADATA_BYTES) throw invalid([{ pointer: '/metadata', detail: `must be at most ${MAX_METADATA_BYTES} bytes` }]);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function fileRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { files } = ctx;
  const limitText = () => `Files must be at most ${files.maxBytes} bytes (${(files.maxBytes / 1024 / 1024).toFixed(1)} MiB).`;

  void app.register(async (scope) => {
    await scope.register(multipart, {
      limits: { fileSize: files.maxBytes, files: 2, fields: 10, parts: 12, fieldSize: MAX_METADATA_BYTES },
    });

    scope.post('/v1/files', async (req, reply) => {
      if (!req.isMultipart()) throw badRequest('POST /v1/files takes multipart/form-data with a `content` part.');
      const declared = Number(req.headers['content-length']);
      if (Number.isFinite(declared) && declared > files.maxBytes + 1024 * 1024) {
        await drain(req);
        throw tooLarge(limitText());
      }
      let written: WrittenFile | undefined;
      let name: string | undefined;
      let contentType: string | undefined;
      let metadataText: string | undefined;
      let typeField: string | undefined;
      let filenameField: string | undefined;
      try {
        for await (const part of req.parts()) {
          if (part.type === 'file') {
            if (part.fieldname === 'content') {
              if (written) throw invalid([{ pointer: '/content', detail: 'must be given once' }]);
              written = await files.writeStream(part.file);
              name = part.filename;
              contentType = part.mimetype;
            } else if (part.fieldname === 'metadata') {
              metadataText = await readSmall(part.file);
            } else {
              part.file.resume();
            }
          } else {
            const value = String(part.value ?? '');
            if (part.fieldname === 'metadata') metadataText = value;
            else if (part.fieldname === 'filename') filenameField = value;
            else if (part.fieldname === 'type') typeField = value;
          }
        }
      } catch (err) {
        if (written) await files.discard(written);
        if (isTooLarge(err)) {
          await drain(req);
          throw tooLarge(limitText());
        }
        throw err;
      }
      if (!written) throw invalid([{ pointer: '/content', detail: 'is required: the file as a multipart part named "content"' }]);
      let metadata: Record<string, unknown> = {};
      const errors = [];
      if (metadataText !== undefined && metadataText.trim() !== '') {
        try {
          const parsed = JSON.parse(metadataText);
          if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
          metadata = parsed;
        } catch {
          errors.push({ pointer: '/metadata', detail: 'must be a JSON object' });
        }
      }
      const finalName = (filenameField ?? name ?? 'file').slice(0, 255);
      if (Buffer.byteLength(finalName) > 255) errors.push({ pointer: '/filename', detail: 'must be at most 255 bytes' });
      if (errors.length) {
        await files.discard(written);
        throw invalid(errors);
      }
      const row = await files.record(written, {
        name: finalName,
        contentType: typeField || contentType || 'application/octet-stream',
        metadata,
        tokenId: req.tokenId ?? null,
      });
      return reply.code(201).send(await files.toWire(row));
    });
  });

  app.get<{ Querystring: { cursor?: string } }>('/v1/files', async (req) => {
    const cursor = decodeCursor<{ createdAt: string; id: string }>(req.query.cursor, ['createdAt', 'id']);
    const rows = await listFiles(ctx.db, PAGE_SIZE + 1, cursor, visibleOwner(req));
    const results = rows.slice(0, PAGE_SIZE);
    const last = results[results.length - 1];
    const next = rows.length > PAGE_SIZE && last ? { createdAt: last.cursor_at, id: last.id } : undefined;
    return page(await Promise.all(results.map((r) => files.toWire(r))), ctx.publicUrl, '/v1/files', next);
  });

  app.get<{ Params: { id: string } }>('/v1/files/:id', async (req) => {
    const row = await files.get(req.params.id);
    if (!row) throw notFound(`File ${req.params.id}`);
    return files.toWire(row);
  });

  app.delete<{ Params: { id: string } }>('/v1/files/:id', async (req, reply) => {
    if (!(await files.delete(req.params.id))) throw notFound(`File ${req.params.id}`);
    return reply.code(204).send();
  });

  app.get<{ Params: { id: string }; Querystring: { expires?: string; sig?: string } }>('/v1/files/:id/download', async (req, reply) => {
    const check = await files.checkDownload(req.params.id, req.query.expires, req.query.sig);
    if (!check.ok) throw new ApiError(403, 'Forbidden', check.reason);
    const row = await files.get(req.params.id);
    if (!row) throw notFound(`File ${req.params.id}`);
    const safeName = row.name.replace(/["\\\r\n]/g, '_');
    return reply
      .header('content-type', row.content_type)
      .header('content-length', String(row.size))
      .header('content-disposition', `inline; filename="${safeName}"; filename*=UTF-8''${encodeURIComponent(row.name)}`)
      .header('etag', `"${row.sha256}"`)
      .header('cache-control', 'private, max-age=3600')
      .send(createReadStream(row.path));
  });
}
