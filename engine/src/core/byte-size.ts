/**
 * Sizes as operators write them: `50GB`, `512MiB`, `1.5 TB`, `0`, or a plain number of bytes.
 * Decimal units are powers of 1000 and binary ones (`KiB`, `MiB`, …) powers of 1024, as on disk
 * labels and in `ls -h --si`. Pure.
 */

const UNITS: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/** Bytes in `text`, or an error message saying what a size looks like. */
export function parseByteSize(text: string): number | { error: string } {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? UNITS[(m[2] || 'b').toLowerCase()] : undefined;
  if (!m || unit === undefined) return { error: `"${text}" is not a size (write a number of bytes or e.g. 50GB, 512MiB)` };
  const bytes = Math.floor(Number(m[1]) * unit);
  if (!Number.isSafeInteger(bytes)) return { error: `"${text}" is too large` };
  return bytes;
}
