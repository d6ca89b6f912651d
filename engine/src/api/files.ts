/**
 * Files (Replicate's Files API): `POST /v1/files` (multipart: `content`, optional `filename`,
 * `type`, `metadata`), `GET /v1/files[/{id}]`, `DELETE /v1/files/{id}`, and
 * `GET /v1/files/{id}/download?expires=&sig=` (no bearer token: the HMAC signature is the
 * capability; the official client fetches file outputs without auth). With an S3 store the
 * download answers 302 to a short-lived presigned URL unless the store is set to proxy downloads.
 */
import type { FastifyInstance } from 'fastify';
import multipart from '@fastify/multipart';
import { ApiError, badRequest, invalid, notFound, tooLarge, type FieldError } from '../core/errors';
import { contentDisposition } from '../core/file-urls';
import { excessNestingAt, MAX_JSON_DEPTH } from '../core/json-limits';
import { findTextProblems, textProblem } from '../core/text-rules';
import { FileTooLargeError, type WrittenFile } from '../files';
import { listFiles } from '../store/files';
import type { ApiContext } from './context';
import { visibleOwner } from './access';
import { decodeCursor, page, PAGE_SIZE } from './paginate';
import { discardBody } from './discard-body';

const MAX_METADATA_BYTES = 64 * 1024;

function isTooLarge(err: unknown): boolean {
  return err instanceof FileTooLargeError || (err as { code?: string })?.code === 'FST_REQ_FILE_TOO_LARGE';
}

/**
 * What a failure while reading the parts means for the client. The multipart parser throws plain
 * errors for a malformed body ("Unexpected end of form", "Malformed part header"): those are the
 * client's, a 400. Errors with a status (limits) keep it; I/O errors (with a `syscall`) are ours.
 */
function readingProblem(err: unknown): unknown {
  const e = err as { statusCode?: number; syscall?: string; message?: string };
  if (err instanceof ApiError || e?.statusCode || e?.syscall) return err;
  return badRequest(`The multipart body is malformed: ${e?.message ?? 'unreadable'}.`);
}

/** A media type that can be sent back as a Content-Type header: printable ASCII, `type/subtype`. */
const MEDIA_TYPE = /^[\x21-\x7e]+\/[\x21-\x7e]+(;[\x20-\x7e]*)?$/;

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

/** The `metadata` field: a JSON object that nests within the limit and follows the text rules. */
function parseMetadata(text: string | undefined, errors: FieldError[]): Record<string, unknown> {
  if (text === undefined || text.trim() === '') return {};
  if (excessNestingAt(text) >= 0) {
    errors.push({ pointer: '/metadata', detail: `must nest no deeper than ${MAX_JSON_DEPTH} levels` });
    return {};
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    errors.push(...findTextProblems(parsed, '/metadata'));
    return parsed as Record<string, unknown>;
  } catch {
    errors.push({ pointer: '/metadata', detail: 'must be a JSON object' });
    return {};
  }
}

export function fileRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { files } = ctx;
  const limitText = () => `Files must be at most ${files.maxBytes} bytes (${(files.maxBytes / 1024 / 1024).toFixed(1)} MiB).`;

  void app.register(async (scope) => {
    await scope.register(multipart, {
      limits: { fileSize: files.maxBytes, files: 2, fields: 10, parts: 12, fieldSize: MAX_METADATA_BYTES },
    });

    scope.post('/v1/files', async (req, reply) => {
      const contentType = [req.headers['content-type'] ?? ''].flat().join(',');
      if (!req.isMultipart()) {
        throw badRequest('POST /v1/files takes multipart/form-data with a `content` part.', [{ pointer: '/headers/content-type', detail: 'must be multipart/form-data' }]);
      }
      if (!/;\s*boundary=[^;\s]/i.test(contentType)) {
        throw badRequest('A multipart/form-data Content-Type needs a boundary parameter.', [{ pointer: '/headers/content-type', detail: 'must have a boundary parameter' }]);
      }
      const declared = Number(req.headers['content-length']);
      if (Number.isFinite(declared) && declared > files.maxBytes + 1024 * 1024) {
        await discardBody(req.raw);
        throw tooLarge(limitText());
      }
      let written: WrittenFile | undefined;
      let name: string | undefined;
      let partType: string | undefined;
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
              partType = part.mimetype;
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
          await discardBody(req.raw);
          throw tooLarge(limitText());
        }
        throw readingProblem(err);
      }
      if (!written) throw invalid([{ pointer: '/content', detail: 'is required: the file as a multipart part named "content"' }]);
      const errors: FieldError[] = [];
      const metadata = parseMetadata(metadataText, errors);
      const finalName = (filenameField ?? name ?? 'file').slice(0, 255);
      const nameProblem = textProblem(finalName);
      if (nameProblem) errors.push({ pointer: '/filename', detail: nameProblem });
      else if (Buffer.byteLength(finalName) > 255) errors.push({ pointer: '/filename', detail: 'must be at most 255 bytes' });
      const finalType = typeField || partType || 'application/octet-stream';
      if (finalType.length > 255 || !MEDIA_TYPE.test(finalType)) {
        errors.push({ pointer: typeField ? '/type' : '/content', detail: 'must have a media type of printable ASCII, like text/plain' });
      }
      if (errors.length) {
        await files.discard(written);
        throw invalid(errors);
      }
      const row = await files.record(written, { name: finalName, contentType: finalType, metadata, tokenId: req.tokenId ?? null });
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
    const target = await files.downloadTarget(row);
    if (!target) throw notFound(`The content of file ${req.params.id}`);
    // A bucket serves the bytes itself (presigned, short-lived); the signed engine URL stays the capability.
    if ('redirect' in target) return reply.header('cache-control', 'private, no-store').redirect(target.redirect, 302);
    return reply
      .header('content-type', row.content_type)
      .header('content-length', String(row.size))
      .header('content-disposition', contentDisposition(row.name))
      .header('etag', `"${row.sha256}"`)
      .header('cache-control', 'private, max-age=3600')
      .send(target.stream);
  });
}
