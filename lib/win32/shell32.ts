// shell32.dll: CommandLineToArgvW, the reference parser of Windows command lines (tests check
// lib/objects/command-line.ts against it).
import { declare, decodeString16Array, loadLibrary } from './ffi.ts';
import * as kernel32 from './kernel32.ts';
import { WinError } from '../core/windows-errors.ts';

const shell32 = loadLibrary('shell32.dll');

const CommandLineToArgvW = declare<(commandLine: string, count: Int32Array) => unknown>(
  shell32, 'void * __stdcall CommandLineToArgvW(str16 lpCmdLine, _Out_ int32_t *pNumArgs)');

/** `commandLine` split as CommandLineToArgvW splits it (argv[0] included). */
export function commandLineToArgv(commandLine: string): string[] {
  const count = new Int32Array(1);
  const argv = CommandLineToArgvW(commandLine, count);
  if (argv === null || argv === 0 || argv === 0n) throw new WinError('CommandLineToArgvW', kernel32.GetLastError());
  try {
    return decodeString16Array(argv, count[0]!);
  } finally {
    kernel32.LocalFree(argv);
  }
}
