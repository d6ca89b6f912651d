/** Counts, limits and hashes the bytes flowing through a put, for both adapters. */
import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import { SizeLimitError, type StoredObject } from './types';

export class ByteMeter extends Transform {
  private size = 0;
  private readonly hash = createHash('sha256');
  /** Set once the limit was passed, so a caller can tell it from a failure of the sink. */
  exceeded?: SizeLimitError;

  constructor(private readonly limit = Infinity) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null, data?: Buffer) => void): void {
    this.size += chunk.length;
    if (this.size > this.limit) {
      this.exceeded = new SizeLimitError(this.limit);
      return done(this.exceeded);
    }
    this.hash.update(chunk);
    done(null, chunk);
  }

  /** Size and sha256 of everything that passed; call once, after the stream ended. */
  result(): StoredObject {
    return { size: this.size, sha256: this.hash.digest('hex') };
  }
}
