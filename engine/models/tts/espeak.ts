/**
 * Driving eSpeak-NG's WebAssembly build (`@echogarden/espeak-ng-emscripten`, GPL-3.0).
 *
 * The package is not the espeak-ng command line: it is the speech library compiled with
 * Emscripten plus a small C++ wrapper, `eSpeakNGWorker` (set_voice / set_rate / set_pitch /
 * synthesize / list_voices). `synthesize` calls back with 16-bit mono PCM chunks at the library's
 * sample rate (22050 Hz). The voice data (`espeak-ng.data`, 24 MB) is read from the package
 * directory into the module's in-memory file system when the module is instantiated; nothing is
 * downloaded or written to disk.
 *
 * The package is an ES module and this engine compiles to CommonJS. Under `"module": "node16"`
 * TypeScript keeps `import()` as a real dynamic import in CommonJS output (it would become
 * `require()`, which cannot load ES modules on Node 20, only under `"module": "commonjs"`), so the
 * plain `import()` below is correct for the engine's tsconfig. The specifier is a `string`
 * variable so that TypeScript does not look for type declarations the package does not ship;
 * the part of its API used here is typed by hand below.
 */

export const ESPEAK_PACKAGE = '@echogarden/espeak-ng-emscripten';

interface VoiceEntry {
  name: string;
  identifier: string;
  languages: { priority: number; name: string }[];
}

interface ESpeakWorker {
  /**
   * 0 when a voice was selected. With a name: espeak_SetVoiceByName (voice file names). With an
   * empty name and a language: espeak_SetVoiceByProperties, which picks the best voice for it.
   */
  set_voice(name: string, language?: string): number;
  set_rate(wordsPerMinute: number): void;
  set_pitch(pitch: number): void;
  get_samplerate(): number;
  /** Calls back with PCM chunks; the callback returns true to stop synthesis. */
  synthesize(text: string, onChunk: (samples: Int16Array, events: unknown[]) => boolean): void;
  list_voices(): VoiceEntry[];
}

interface ESpeakModule {
  eSpeakNGWorker: new () => ESpeakWorker;
}

type ModuleFactory = (options: { print(line: string): void; printErr(line: string): void }) => Promise<ESpeakModule>;

let worker: Promise<ESpeakWorker> | undefined;
let logSink: (line: string) => void = () => {};

/** Lines eSpeak-NG prints (warnings about unknown words, missing data) go to `log`. */
export function onEspeakOutput(log: (line: string) => void): void {
  logSink = log;
}

async function instantiate(): Promise<ESpeakWorker> {
  const specifier: string = ESPEAK_PACKAGE;
  let factory: ModuleFactory;
  try {
    factory = ((await import(specifier)) as { default: ModuleFactory }).default;
  } catch (e) {
    throw new Error(
      `gantry/tts needs the package ${ESPEAK_PACKAGE} (eSpeak-NG, GPL-3.0), which cannot be loaded: ${(e as Error).message}`,
    );
  }
  const mod = await factory({ print: (l) => logSink(l), printErr: (l) => logSink(l) });
  return new mod.eSpeakNGWorker();
}

/** The process-wide eSpeak-NG instance, created on first use (about 50 ms). */
export function espeak(): Promise<ESpeakWorker> {
  if (!worker) {
    worker = instantiate();
    // a failed start must not poison later attempts
    worker.catch(() => (worker = undefined));
  }
  return worker;
}

/**
 * Selects a voice the way the espeak-ng command line does for `-v <voice>`: by voice name first,
 * then as a language code. Predictions only pass names from VOICES: selection by language also
 * succeeds for some codes eSpeak-NG does not know (e.g. "klingon"), so it is no validation.
 */
function selectVoice(w: ESpeakWorker, voice: string): boolean {
  return w.set_voice(voice) === 0 || w.set_voice('', voice) === 0;
}

/**
 * Every voice name and language code eSpeak-NG reports (lower-cased, sorted) that it can select
 * by name or as a language; what VOICES must equal.
 */
export async function selectableVoices(): Promise<string[]> {
  const w = await espeak();
  const names = new Set<string>();
  for (const voice of w.list_voices()) {
    names.add(voice.identifier.split('/').pop()!.toLowerCase());
    for (const lang of voice.languages) names.add(lang.name.toLowerCase());
  }
  return [...names].filter((n) => selectVoice(w, n)).sort();
}

export interface SpeechOptions {
  voice: string;
  wordsPerMinute: number;
  pitch: number;
}

export interface Speech {
  samples: Int16Array;
  sampleRate: number;
}

/**
 * Speaks `text`. Synthesis is synchronous inside the WebAssembly module (roughly 400 seconds of
 * audio per second of CPU), so it cannot be interrupted; callers bound the text length instead.
 */
export async function synthesize(text: string, options: SpeechOptions): Promise<Speech> {
  const w = await espeak();
  if (!selectVoice(w, options.voice)) throw new Error(`voice: eSpeak-NG cannot select the voice "${options.voice}"`);
  w.set_rate(options.wordsPerMinute);
  w.set_pitch(options.pitch);
  const chunks: Int16Array[] = [];
  let total = 0;
  w.synthesize(text, (samples) => {
    chunks.push(samples);
    total += samples.length;
    return false; // keep going
  });
  const samples = new Int16Array(total);
  let at = 0;
  for (const c of chunks) {
    samples.set(c, at);
    at += c.length;
  }
  return { samples, sampleRate: w.get_samplerate() };
}
