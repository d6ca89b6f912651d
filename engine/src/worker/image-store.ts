/**
 * The local image store of a worker whose Cog runner starts containers with `docker`: whether an
 * image is present and how large it is (`docker image inspect`), so the worker can report the
 * image as an artifact it holds, and pulling one ahead of a boot (prefetch). No daemon, no such
 * image, or no docker at all: not held. Images live in docker's own store, outside the artifact
 * cache's budget.
 */
import { execFile } from 'node:child_process';

/** An inspect that has not answered by then counts as "not held" (a wedged daemon must not stall heartbeats). */
const INSPECT_TIMEOUT_MS = 5000;
/** A pull of a large image over a slow link takes long; one that hangs past this is given up. */
const PULL_TIMEOUT_MS = 30 * 60_000;

/** Whether `command` (a runner's command template) starts its server through docker. */
export function usesDocker(command: string | undefined): boolean {
  return typeof command === 'string' && /(^|[\s/;&|])docker\s/.test(command);
}

/** The image a version's Cog runner starts through docker, if it does. */
export function dockerImageOf(runner: Record<string, unknown>): string | undefined {
  const { type, command, image } = runner as { type?: unknown; command?: unknown; image?: unknown };
  return type === 'cog' && typeof image === 'string' && image && usesDocker(command as string | undefined) ? image : undefined;
}

/** Pulls `image` into the local store; rejects with docker's message when it cannot. */
export function pullImage(image: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('docker', ['pull', image], { timeout: PULL_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`docker pull ${image} failed: ${String(stderr).trim().split('\n').pop() || err.message}`));
      else resolve();
    });
  });
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
