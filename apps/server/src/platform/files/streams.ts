import { Readable } from 'node:stream';
import { AppError } from '../http/errors.js';

/**
 * Reads an upload's request stream without ever destroying it: destroying an unfinished request destroys its
 * socket, and then the client would get no answer at all. When the body passes `maxBytes`, reading stops (the
 * connection is closed after the 413 answer) and the returned stream fails with payload_too_large.
 */
export function limitedBody(request: Readable, maxBytes: number): Readable {
  let total = 0;
  const detach = (): void => {
    request.removeListener('data', onData);
    request.removeListener('end', onEnd);
    request.removeListener('error', onError);
    request.pause();
  };
  const out = new Readable({
    read() {
      request.resume();
    },
    destroy(err, callback) {
      detach();
      callback(err);
    },
  });
  function onData(chunk: Buffer): void {
    total += chunk.length;
    if (total > maxBytes) {
      detach();
      out.destroy(new AppError('payload_too_large', `Files are limited to ${maxBytes} bytes`));
      return;
    }
    if (!out.push(chunk)) request.pause();
  }
  function onEnd(): void {
    detach();
    out.push(null);
  }
  function onError(err: Error): void {
    detach();
    out.destroy(err);
  }
  request.on('data', onData);
  request.once('end', onEnd);
  request.once('error', onError);
  request.pause();
  return out;
}

/** The first `bytes` bytes of a stream (or all of it, if shorter), and a stream of the whole content. */
export async function peek(stream: Readable, bytes: number): Promise<{ head: Buffer; stream: Readable }> {
  const it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const chunks: Buffer[] = [];
  let length = 0;
  let done = false;
  while (length < bytes) {
    const next = await it.next();
    if (next.done) {
      done = true;
      break;
    }
    chunks.push(next.value);
    length += next.value.length;
  }
  const head = Buffer.concat(chunks, length);
  async function* whole(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    if (done) return;
    for (;;) {
      const next = await it.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { head, stream: Readable.from(whole(), { objectMode: false }) };
}

/**
 * Waits for the first chunk (or the end) before anyone commits to an answer: an integrity failure at the start of a
 * stored file becomes a clean error response. Later failures abort the transfer; no unverified byte is ever sent.
 */
export async function primed(stream: Readable): Promise<Readable> {
  const it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const first = await it.next();
  async function* rest(): AsyncGenerator<Buffer> {
    if (first.done) return;
    yield first.value;
    for (;;) {
      const next = await it.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return Readable.from(rest(), { objectMode: false });
}

/** Reads a whole stream into memory, refusing more than `maxBytes`. */
export async function collect(stream: Readable, maxBytes: number, tooLarge: () => Error): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > maxBytes) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, length);
}
