/**
 * `npm run conformance:iceberg`: cflogs writes Iceberg tables from the sample objects (write-tables.ts), then pyiceberg,
 * an independent implementation, reads them (check_tables.py); and manifests with every kind of bound and partition
 * (write-manifests.ts), which pyiceberg reads field by field and plans scans with (check_manifests.py); and the Glue
 * catalog against moto's Glue server, whose tables pyiceberg's own Glue catalog loads (glue.ts, check_glue.py); and the
 * deployed path end to end on moto's S3, SQS and Glue: the stack's tables, the functions' hand-offs, two racing
 * committers, pyiceberg reading the tables through Glue and S3 (aws.ts). Python comes from CFLOGS_PYTHON or the virtual
 * environment `.ci/run` makes (`.out/pyenv`, with pyiceberg from PyPI).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeTables } from './write-tables';

async function main(): Promise<number> {
  const root = join(__dirname, '..', '..', '..');
  const python = process.env.CFLOGS_PYTHON ?? join(root, '.out', 'pyenv', 'bin', 'python');
  if (!existsSync(python)) {
    process.stderr.write(`conformance:iceberg: no Python at ${python}: python3 -m venv .out/pyenv && .out/pyenv/bin/pip install 'pyiceberg[pyarrow]==0.10.0'\n`);
    return 1;
  }
  const out = join(root, '.out', 'iceberg');
  await writeTables(out);
  const tables = spawnSync(python, [join(__dirname, 'check_tables.py'), out], { stdio: 'inherit' });
  const manifests = join(root, '.out', 'iceberg-manifests');
  const written = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, 'write-manifests.ts'), manifests], { stdio: 'inherit' });
  const read = written.status === 0 ? spawnSync(python, [join(__dirname, 'check_manifests.py'), manifests], { stdio: 'inherit' }) : written;
  const glue = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, 'glue.ts'), join(root, '.out', 'iceberg-glue')], {
    stdio: 'inherit',
    env: { ...process.env, CFLOGS_PYTHON: python },
  });
  const aws = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, 'aws.ts'), join(root, '.out', 'iceberg-aws')], {
    stdio: 'inherit',
    env: { ...process.env, CFLOGS_PYTHON: python },
  });
  return tables.status === 0 && read.status === 0 && glue.status === 0 && aws.status === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
