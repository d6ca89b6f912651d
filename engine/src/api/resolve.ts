/** Finding models and versions from the reference forms clients send. */
import { notFound } from '../core/errors';
import type { ApiContext } from './context';
import { getModel, getVersion, type ModelRow, type VersionRow } from '../store/catalog';

export async function requireModel(ctx: ApiContext, owner: string, name: string): Promise<ModelRow> {
  const model = await getModel(ctx.db, owner, name);
  if (!model) throw notFound(`Model ${owner}/${name}`);
  return model;
}

export async function requireVersion(ctx: ApiContext, id: string, model?: { owner: string; name: string }): Promise<VersionRow> {
  const version = await ctx.versions.through(id, () => getVersion(ctx.db, id));
  if (!version || (model && (version.owner !== model.owner || version.name !== model.name))) {
    throw notFound(`Version ${model ? `${model.owner}/${model.name}:` : ''}${id}`);
  }
  return version;
}

/** The model's latest version (what `owner/name` without a version runs). */
export async function latestVersion(ctx: ApiContext, owner: string, name: string): Promise<VersionRow> {
  const cached = ctx.versions.get(`${owner}/${name}`);
  if (cached) return cached;
  const model = await requireModel(ctx, owner, name);
  if (!model.latest_version) throw notFound(`A version of ${owner}/${name}`);
  return ctx.versions.set(`${owner}/${name}`, await requireVersion(ctx, model.latest_version));
}
