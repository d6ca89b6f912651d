/** Who owns an object: the token that created it (null: made before tokens were recorded, or by the engine). */
import type { Queryable } from './db';

export type OwnedKind = 'prediction' | 'training' | 'file' | 'subscription' | 'check';

const QUERIES: Record<OwnedKind, string> = {
  prediction: `SELECT token_id AS owner FROM predictions WHERE id = $1 AND kind = 'prediction'`,
  training: `SELECT token_id AS owner FROM predictions WHERE id = $1 AND kind = 'training'`,
  file: 'SELECT token_id AS owner FROM files WHERE id = $1',
  subscription: 'SELECT owner_token_id AS owner FROM webhook_subscriptions WHERE id = $1',
  check: 'SELECT token_id AS owner FROM checks WHERE id = $1',
};

/** The owner's token id; `undefined` when the object does not exist. */
export async function ownerOf(q: Queryable, kind: OwnedKind, id: string): Promise<string | null | undefined> {
  const [row] = await q.query<{ owner: string | null }>(QUERIES[kind], [id], `owner-of-${kind}`);
  return row ? row.owner : undefined;
}
