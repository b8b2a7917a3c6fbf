// Docker multiplexes stdout and stderr of non-TTY containers into 8-byte-header frames.
import type { Duplex } from "node:stream";

export interface Demuxed {
  stdout: string;
  stderr: string;
}

/** Splits a complete multiplexed buffer (from `logs` without follow). */
export function demuxBuffer(buffer: Buffer): Demuxed {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const kind = buffer[offset];
    const size = buffer.readUInt32BE(offset + 4);
    const frame = buffer.subarray(offset + 8, offset + 8 + size);
    (kind === 2 ? err : out).push(frame);
    offset += 8 + size;
  }
  // A buffer that does not start with a frame header came from a TTY container: all stdout.
  if (offset === 0 && buffer.length > 0 && (buffer[0]! > 2 || buffer.length < 8)) return { stdout: buffer.toString("utf8"), stderr: "" };
  return { stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") };
}

/** Collects a live multiplexed stream (exec attach) until it ends. */
export function collectDemuxed(stream: Duplex, maxBytes = 8 * 1024 * 1024): Promise<Demuxed> {
  return new Promise((resolve, reject) => {
    let pending = Buffer.alloc(0);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let total = 0;
    stream.on("data", (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 8) {
        const size = pending.readUInt32BE(4);
        if (pending.length < 8 + size) break;
        const frame = pending.subarray(8, 8 + size);
        total += size;
        if (total <= maxBytes) (pending[0] === 2 ? err : out).push(Buffer.from(frame));
        pending = pending.subarray(8 + size);
      }
    });
    stream.on("end", () => resolve({ stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") }));
    stream.on("close", () => resolve({ stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") }));
    stream.on("error", reject);
  });
}

const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, "");
}
