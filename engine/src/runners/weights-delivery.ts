/**
 * How an instance receives weights that the worker fetched from an http(s) URL into its artifact
 * cache. The copy lies at a path on the worker, and not every model server can see that path:
 *
 * - `local-path`: the server runs on the worker itself (a `node` predictor, a Cog command that
 *   starts the server directly): it gets the cached file's path.
 * - `served`: a Cog command that starts a container (`docker run`, `podman run`, as the default
 *   templates do) cannot see the worker's files: the instance's receiver serves the cached file
 *   at `GET <receiver>/weights/<name>` and that URL is COG_WEIGHTS and `{weights}` (Cog downloads
 *   a URL weights value in setup, as it would the original).
 * - `original`: the server is not ours to feed paths (a Cog or OpenAI server reached by URL), or
 *   reads the weights value itself (an OpenAI-compatible server's command): it gets the URL as
 *   given, and nothing is fetched here.
 *
 * Weights from the store (trained weights) always go by local path, as before: a container
 * command mounts them (`-v {weights}:/weights`). Pure.
 */
import type { InstanceSpec } from './instance';

export type WeightsDelivery = 'local-path' | 'served' | 'original';

/** Container CLIs whose `run` (or `container run`) starts the server in a container. */
const CONTAINER_RUN = /(?:^|[\s;&|()`'"])(?:\S*\/)?(?:docker|podman|nerdctl)\s+(?:container\s+)?run(?=\s|$)/;

/** Whether a command template starts its server in a container (it runs `docker`/`podman run`). */
export function startsContainer(command: string): boolean {
  return CONTAINER_RUN.test(command);
}

/** How an instance of `spec` gets weights that an http(s) URL names. */
export function urlWeightsDelivery(spec: InstanceSpec): WeightsDelivery {
  if (spec.type === 'node') return 'local-path';
  if (spec.type === 'cog' && spec.command) return startsContainer(spec.command) ? 'served' : 'local-path';
  return 'original';
}
