import { main } from '../../lib/cli/main';
import { builtInRegistry } from '../../lib/record/registry';

/** main(argv) with process.stdout / stderr captured. */
async function run(argv: string[]) {
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

describe('cflogs --help', () => {
  it.each(['parse', 'ddl', 'serve', 'backfill'])('%s --help and -h print its usage on stdout and exit 0', async (cmd) => {
    for (const flag of ['--help', '-h']) {
      const r = await run([cmd, flag]);
      expect(r).toMatchObject({ code: 0, err: '' });
      expect(r.out).toMatch(new RegExp(`^usage: cflogs ${cmd} `));
    }
  });

  it('--help among other arguments still prints usage; after -- it is a file name', async () => {
    expect((await run(['parse', '--log-type', 'http_requests', '--help'])).code).toBe(0);
    const r = await run(['parse', '--log-type', 'http_requests', '--', '--help']);
    expect(r.code).toBe(1); // no such file
    expect(r.out).not.toMatch(/^usage:/);
  });

  it('the top-level help lists the commands, every dataset and every log type, compactly, and exits 0', async () => {
    const registry = builtInRegistry();
    for (const argv of [[], ['--help'], ['-h']]) {
      const r = await run(argv);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^usage:\n {2}cflogs parse /);
      for (const name of [...registry.datasets(), ...registry.logTypes()]) expect(r.out).toMatch(new RegExp(`\\b${name.replace('.', '\\.')}\\b`));
      const lines = r.out.split('\n');
      expect(lines.length).toBeLessThan(40);
      for (const l of lines) expect(l.length).toBeLessThanOrEqual(120);
    }
  });

  it('an unknown command prints the help on stderr and exits 2; an unknown option still exits 2', async () => {
    const r = await run(['nope']);
    expect(r).toMatchObject({ code: 2, out: '' });
    expect(r.err).toContain('Cloudflare.HttpRequest');
    expect((await run(['parse', '--nope'])).code).toBe(2);
  });
});
