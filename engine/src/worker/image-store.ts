/**
 * The local image store of a worker whose Cog runner starts containers with `docker`: whether an
 * image is present and how large it is (`docker image inspect`), so the worker can report the
 * image as an artifact it holds. No daemon, no such image, or no docker at all: not held.
 */
import { execFile } from 'node:child_process';

/** An inspect that has not answered by then counts as "not held" (a wedged daemon must not stall heartbeats). */
const INSPECT_TIMEOUT_MS = 5000;

/** Whether `command` (a runner's command template) starts its server through docker. */
export function usesDocker(command: string | undefined): boolean {
  return typeof command === 'string' && /(^|[\s/;&|])docker\s/.test(command);
}

/** Bytes of `image` in the local store, or undefined when it is not there (or docker cannot say). */
export function inspectImage(image: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    execFile('docker', ['image', 'inspect', '--format', '{{.Size}}', image], { timeout: INSPECT_TIMEOUT_MS }, (err, stdout) => {
      if (err) return resolve(undefined);
      const size = Number(String(stdout).trim().split('\n')[0]);
      resolve(Number.isSafeInteger(size) && size >= 0 ? size : undefined);
    });
  });
}
