/**
 * Shows a prediction's output: text, JSON, and files. Files from this engine are looked up
 * (`GET /v1/files/{id}`: name, type, size) and played inline; others are links the user may
 * open, never fetched by the console.
 */
import { api } from '../api';
import type { FileObject } from '../api/types';
import { bytes } from '../lib/format';
import { engineFileId, localPath } from '../lib/local-url';
import { mediaOfType, previewItems, type Media } from '../lib/output';
import { useResource } from './use-resource';

function MediaElement({ kind, src, name }: { kind: Media; src: string; name: string }) {
  if (kind === 'image') return <img src={src} alt={`output ${name}`} class="preview-image" data-testid="output-image" />;
  if (kind === 'audio') return <audio controls src={src} aria-label={`output ${name}`} data-testid="output-audio" />;
  return <video controls src={src} aria-label={`output ${name}`} class="preview-video" data-testid="output-video" />;
}

function FilePreview({ url, media }: { url: string; media?: Media }) {
  const local = localPath(url, location.origin);
  const id = engineFileId(url);
  const meta = useResource<FileObject | undefined>((signal) => (local && id ? api.get<FileObject>(`/v1/files/${id}`, { signal }) : Promise.resolve(undefined)), [url]);
  if (!local) {
    return (
      <p class="file-link">
        <a href={url} target="_blank" rel="noopener noreferrer">
          {url}
        </a>{' '}
        <span class="muted">(not on this engine: open it yourself)</span>
      </p>
    );
  }
  const kind = mediaOfType(meta.data?.content_type) ?? media;
  const name = meta.data?.name ?? url.split('/').pop()?.split('?')[0] ?? 'file';
  return (
    <figure class="file-preview">
      {kind && <MediaElement kind={kind} src={local} name={name} />}
      <figcaption>
        <a href={local} download={name}>
          {name}
        </a>
        {meta.data && (
          <span class="muted">
            {' '}
            {meta.data.content_type} · {bytes(meta.data.size)}
          </span>
        )}
      </figcaption>
    </figure>
  );
}

export function OutputPreview({ output }: { output: unknown }) {
  const items = previewItems(output);
  if (!items.length) return <p class="muted">No output yet.</p>;
  return (
    <div class="output" data-testid="output">
      {items.map((item, i) =>
        item.kind === 'text' ? (
          <pre key={i} class="output-text" data-testid="output-text">
            {item.text}
          </pre>
        ) : item.kind === 'json' ? (
          <pre key={i} class="output-json" data-testid="output-json">
            {JSON.stringify(item.value, null, 2)}
          </pre>
        ) : (
          <FilePreview key={item.url} url={item.url} media={item.media} />
        ),
      )}
    </div>
  );
}
