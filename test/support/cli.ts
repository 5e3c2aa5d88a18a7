import { PassThrough, Writable } from 'node:stream';
import { main } from '../../lib/cli/main';

/** main(argv) with process.stdout / stderr captured. */
export async function runMain(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const o = jest.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => (out.push(String(c)), true));
  const e = jest.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => (err.push(String(c)), true));
  try {
    const code = await main(argv);
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

/** A stream that keeps what is written to it, as text: a command's stdout or stderr. */
export function capture(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString('utf8');
      cb();
    },
  });
  return { stream, text: () => text };
}

/** A command (`parseCommand`, `queryCommand`, ...) run with captured output, no stdin and a fixed clock. */
export async function runCommand(
  command: (argv: string[], io: { stdout: Writable; stderr: Writable; stdin: NodeJS.ReadableStream; clock: () => Date }) => Promise<number>,
  argv: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = capture();
  const err = capture();
  const code = await command(argv, { stdout: out.stream, stderr: err.stream, stdin: new PassThrough(), clock: () => new Date('2026-11-24T12:00:00Z') });
  return { code, stdout: out.text(), stderr: err.text() };
}
