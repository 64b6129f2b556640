// A second opinion on processHandleCount(): GetHandleInformation succeeds for every value that
// names an open handle of this process. Handle values are multiples of 4, and both Windows and
// Wine hand out the lowest free slot first, so a process's handles sit low in the value range;
// a scan that stopped short would count fewer, and the comparison would fail, never pass wrongly.
import * as kernel32 from '../../lib/win32/kernel32.ts';

/** Values scanned: handles 4 … 65,536 (16,384 values; 0.3 s under Wine 8, up to 2 s under Wine 10). */
export const SCANNED_HANDLE_VALUES = 16_384;

/** How many of the first SCANNED_HANDLE_VALUES handle values are open handles, and the highest. */
export function scanHandleValues(): { count: number; highest: number } {
  const flags = new Uint32Array(1);
  let count = 0;
  let highest = 0;
  for (let value = 4; value <= 4 * SCANNED_HANDLE_VALUES; value += 4) {
    if (kernel32.GetHandleInformation(value, flags) !== 0) {
      count++;
      highest = value;
    }
  }
  return { count, highest };
}
