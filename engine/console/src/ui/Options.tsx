/** The `<option>`s of the forms that pick a model or one of its versions (deployments, checks). */
import type { Model, Version } from '../api/types';
import { shortId, when } from '../lib/format';

export function ModelOptions({ models }: { models: Model[] }) {
  return (
    <>
      {models.map((m) => (
        <option key={`${m.owner}/${m.name}`} value={`${m.owner}/${m.name}`}>
          {m.owner}/{m.name}
        </option>
      ))}
    </>
  );
}

/** Newest first, as the API lists them; the first is the latest. */
export function VersionOptions({ versions }: { versions: Version[] }) {
  return (
    <>
      {versions.map((v, i) => (
        <option key={v.id} value={v.id}>
          {shortId(v.id)} · {when(v.created_at)}
          {i === 0 ? ' (latest)' : ''}
        </option>
      ))}
    </>
  );
}
