/**
 * RIFF/WAVE for gantry/tts: writing 16-bit PCM mono files, and reading back a file's format and
 * duration from its header. The billed `audio_output_seconds` is read from the header of the file
 * actually returned (data chunk bytes / byte rate), so the bill and the file cannot disagree.
 */

const HEADER_BYTES = 44;
const PCM = 1;

/** A canonical 44-byte-header WAV file holding 16-bit signed little-endian PCM, mono. */
export function encodeWav(samples: Int16Array, sampleRate: number): Buffer {
  const channels = 1;
  const bitsPerSample = 16;
  const blockAlign = (channels * bitsPerSample) / 8;
  const dataBytes = samples.length * blockAlign;
  const out = Buffer.alloc(HEADER_BYTES + dataBytes);
  out.write('RIFF', 0, 'ascii');
  out.writeUInt32LE(36 + dataBytes, 4); // size of everything after this field
  out.write('WAVE', 8, 'ascii');
  out.write('fmt ', 12, 'ascii');
  out.writeUInt32LE(16, 16); // fmt chunk size for PCM
  out.writeUInt16LE(PCM, 20);
  out.writeUInt16LE(channels, 22);
  out.writeUInt32LE(sampleRate, 24);
  out.writeUInt32LE(sampleRate * blockAlign, 28); // byte rate
  out.writeUInt16LE(blockAlign, 32);
  out.writeUInt16LE(bitsPerSample, 34);
  out.write('data', 36, 'ascii');
  out.writeUInt32LE(dataBytes, 40);
  for (let i = 0; i < samples.length; i++) out.writeInt16LE(samples[i]!, HEADER_BYTES + i * 2);
  return out;
}

export interface WavInfo {
  audioFormat: number;
  channels: number;
  sampleRate: number;
  byteRate: number;
  bitsPerSample: number;
  dataBytes: number;
  /** dataBytes / byteRate */
  seconds: number;
}

/** Reads the fmt and data chunks of a RIFF/WAVE file (any chunk order, odd chunks padded). */
export function readWavInfo(wav: Buffer): WavInfo {
  if (wav.length < 12 || wav.toString('ascii', 0, 4) !== 'RIFF' || wav.toString('ascii', 8, 12) !== 'WAVE') {
    throw new Error('not a RIFF/WAVE file');
  }
  let fmt: Omit<WavInfo, 'dataBytes' | 'seconds'> | undefined;
  let dataBytes: number | undefined;
  for (let at = 12; at + 8 <= wav.length; ) {
    const id = wav.toString('ascii', at, at + 4);
    const size = wav.readUInt32LE(at + 4);
    const body = at + 8;
    if (id === 'fmt ' && size >= 16 && body + 16 <= wav.length) {
      fmt = {
        audioFormat: wav.readUInt16LE(body),
        channels: wav.readUInt16LE(body + 2),
        sampleRate: wav.readUInt32LE(body + 4),
        byteRate: wav.readUInt32LE(body + 8),
        bitsPerSample: wav.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      dataBytes = Math.min(size, wav.length - body);
    }
    at = body + size + (size % 2);
  }
  if (!fmt) throw new Error('WAVE file without a fmt chunk');
  if (dataBytes === undefined) throw new Error('WAVE file without a data chunk');
  if (fmt.byteRate === 0) throw new Error('WAVE file with a byte rate of 0');
  return { ...fmt, dataBytes, seconds: dataBytes / fmt.byteRate };
}
