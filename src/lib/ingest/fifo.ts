/**
 * Reading a FIFO (named pipe) given to `ingest` as a stream, like standard input.
 *
 * Opening a FIFO for reading blocks until a writer opens it, and positional
 * reads fail (ESPIPE), so it is opened non-blocking and read as a pipe. While
 * no writer has opened it a read returns 0; one that has gives EAGAIN or data.
 * Nothing written within FIFO_WRITER_WAIT_MS: an input error naming the file
 * (the other targets are still ingested). The stream ends when the last writer
 * closes its end.
 */
import fs from 'node:fs';
import net from 'node:net';
import { Readable } from 'node:stream';
import { InputError } from '../errors.js';
import { sleep } from '../sleep.js';

/** How long an ingest waits for a FIFO's first writer. */
export const FIFO_WRITER_WAIT_MS = 10_000;

async function* chunks(head: Buffer | undefined, pipe: net.Socket): AsyncGenerator<Buffer> {
  if (head) yield head;
  for await (const c of pipe) yield c as Buffer;
}

/** A stream of what is written to the FIFO at `file`. */
export async function openFifo(file: string, waitMs = FIFO_WRITER_WAIT_MS): Promise<Readable> {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  const deadline = Date.now() + waitMs;
  const buf = Buffer.allocUnsafe(64 * 1024);
  for (;;) {
    let head: Buffer | undefined;
    try {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) {
        if (Date.now() < deadline) {
          await sleep(25);
          continue;
        }
        fs.closeSync(fd);
        throw new InputError(`a FIFO that nothing was written to within ${waitMs / 1000} s`);
      }
      head = Buffer.from(buf.subarray(0, n));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') {
        if (!(e instanceof InputError)) fs.closeSync(fd);
        throw e;
      }
    }
    return Readable.from(chunks(head, new net.Socket({ fd, readable: true, writable: false })));
  }
}
