import { runMain } from '../support/cli';
import { builtInRegistry } from '../../lib/record/registry';


describe('cflogs --help', () => {
  it.each(['parse', 'ddl', 'serve', 'backfill'])('%s --help and -h print its usage on stdout and exit 0', async (cmd) => {
    for (const flag of ['--help', '-h']) {
      const r = await runMain([cmd, flag]);
      expect(r).toMatchObject({ code: 0, err: '' });
      expect(r.out).toMatch(new RegExp(`^usage: cflogs ${cmd} `));
    }
  });

  it('--help among other arguments still prints usage; after -- it is a file name', async () => {
    expect((await runMain(['parse', '--log-type', 'http_requests', '--help'])).code).toBe(0);
    const r = await runMain(['parse', '--log-type', 'http_requests', '--', '--help']);
    expect(r.code).toBe(1); // no such file
    expect(r.out).not.toMatch(/^usage:/);
  });

  it('the top-level help lists the commands, every dataset and every log type, compactly, and exits 0', async () => {
    const registry = builtInRegistry();
    for (const argv of [[], ['--help'], ['-h']]) {
      const r = await runMain(argv);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^cflogs \d+\.\d+\.\d+: .*\nusage: cflogs <command> /);
      expect(r.out).toMatch(/\ncommands:\n {2}parse +Logpush files/);
      for (const name of [...registry.datasets(), ...registry.logTypes()]) expect(r.out).toMatch(new RegExp(`\\b${name.replace('.', '\\.')}\\b`));
      const lines = r.out.split('\n');
      expect(lines.length).toBeLessThan(40);
      for (const l of lines) expect(l.length).toBeLessThanOrEqual(120);
    }
  });

  it('an unknown command is named on stderr and exits 2; an unknown option still exits 2', async () => {
    const r = await runMain(['nope']);
    expect(r).toMatchObject({ code: 2, out: '' });
    expect(r.err).toContain('unknown command "nope"');
    expect((await runMain(['parse', '--nope'])).code).toBe(2);
  });
});
