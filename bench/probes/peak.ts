import { readFileSync, writeFileSync } from 'node:fs';

/** The probes' peak RSS: the kernel's high-water mark, reset once a probe is set up so it covers only what follows. */

/** VmHWM reset to the current RSS (Linux: write 5 to clear_refs). */
export function resetPeak(): void {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    // Not Linux: the peak then includes the setup.
  }
}

export function peakMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : process.resourceUsage().maxRSS / 1024;
}
