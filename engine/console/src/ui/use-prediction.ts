/**
 * Follows a prediction until it ends: its stream (server-sent events: output pieces and log lines
 * as they happen) when the version streams, and a poll of `GET /v1/predictions/{id}` for status,
 * metrics and cost. What it returns is the freshest of the two.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api';
import type { Prediction } from '../api/types';
import { localPath } from '../lib/local-url';

export const TERMINAL = new Set(['succeeded', 'failed', 'canceled', 'aborted']);
const POLL_MS = 700;

export interface Followed {
  prediction: Prediction | undefined;
  /** The output so far: streamed pieces while running, the stored output once it ends. */
  output: unknown;
  logs: string;
  done: boolean;
  /** How many output events the stream delivered (the playground shows output as it arrives). */
  streamedPieces: number;
}

export function usePrediction(initial: Prediction | undefined): Followed {
  const [prediction, setPrediction] = useState<Prediction | undefined>(initial);
  const [pieces, setPieces] = useState<string[]>([]);
  const [streamLogs, setStreamLogs] = useState('');
  const id = initial?.id;
  const done = !!prediction && TERMINAL.has(prediction.status);
  const current = useRef(prediction);
  current.current = prediction;

  useEffect(() => {
    setPrediction(initial);
    setPieces([]);
    setStreamLogs('');
  }, [id]);

  // The stream, while there is one and the prediction runs.
  useEffect(() => {
    const url = initial?.urls.stream;
    if (!url || !initial || TERMINAL.has(initial.status)) return undefined;
    const path = localPath(url, location.origin);
    if (!path) return undefined;
    const source = new EventSource(path);
    source.addEventListener('output', (e) => setPieces((p) => [...p, (e as MessageEvent).data]));
    source.addEventListener('logs', (e) => setStreamLogs((l) => `${l}${(e as MessageEvent).data}\n`));
    source.addEventListener('done', () => source.close());
    // A dropped stream is not an error worth showing: the poll below still follows the prediction.
    source.onerror = () => source.close();
    return () => source.close();
  }, [id]);

  // The poll, until the prediction ends.
  useEffect(() => {
    if (!id) return undefined;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout>;
    const step = async () => {
      try {
        const p = await api.get<Prediction>(`/v1/predictions/${id}`);
        if (stopped) return;
        setPrediction(p);
        if (TERMINAL.has(p.status)) return;
      } catch {
        // keep following; the page shows what it last had
      }
      if (!stopped) timer = setTimeout(step, POLL_MS);
    };
    if (!current.current || !TERMINAL.has(current.current.status)) timer = setTimeout(step, POLL_MS);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [id]);

  const stored = prediction?.output;
  const storedPieces = Array.isArray(stored) ? stored.length : 0;
  const output = done || pieces.length <= storedPieces ? stored : pieces;
  const storedLogs = prediction?.logs ?? '';
  const logs = done || streamLogs.length <= storedLogs.length ? storedLogs : streamLogs;
  return { prediction, output, logs, done, streamedPieces: pieces.length };
}
