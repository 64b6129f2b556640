// Which file a spawn runs, found before CreateProcessW is called, so that CreateProcessW itself
// searches nothing (it is given the full path as its application name).
//
// CreateProcessW, given no application name, looks for the command line's first word in the
// directory of this process's .exe, then the CURRENT DIRECTORY, then the system directory, the
// 16-bit system directory, the Windows directory and PATH. The current directory second means a
// program planted there under a system program's name (where.exe, hostname.exe) runs instead of
// it — measured under Wine 8 as on Windows. winmux searches the same places in the same order
// without the current directory, as Rust's Command (1.58) and Go's exec.LookPath (1.19) decided:
// a program in the current directory runs only when named as a path (`.\tool.exe`). PATH entries
// that are not absolute (`.`, `bin`) are skipped for the same reason.
//
// The found path also says whether the program is a batch file, which CreateProcessW would run
// through `cmd.exe /c` (command-line.ts has why that matters). Windows decides that by the
// extension of the path it opened, after Win32 path rules have dropped trailing dots and spaces
// (`x.bat.` and `x.bat ` open x.bat, and Wine 8 then starts cmd.exe), in any letter case; the
// check here runs on the GetFullPathNameW form, which is that path.
import path from 'node:path';
import * as kernel32 from '../win32/kernel32.ts';
import { ERROR, WinError } from '../core/windows-errors.ts';

/** A program to run: its full path, and whether it is a batch file (.bat or .cmd). */
export interface Program {
  readonly path: string;
  readonly batch: boolean;
}

/** Room for a path in the first try; a longer one is retried with the size the call asks for. */
const PATH_BUFFER_UNITS = 300;

/** The string a GetFullPathNameW-style call writes (see kernel32.ts), or a WinError naming `syscall`. */
function filledString(syscall: string, detail: string, call: (buffer: Uint16Array, size: number) => number): string {
  let size = PATH_BUFFER_UNITS;
  // Two tries: the second buffer has the size the first call asked for. A third is needed only
  // if the answer grew in between (a current directory changed by another thread); then fail.
  for (let attempt = 0; attempt < 2; attempt++) {
    const buffer = new Uint16Array(size);
    const length = call(buffer, size);
    if (length === 0) throw new WinError(syscall, kernel32.GetLastError(), { detail });
    if (length < size) return Buffer.from(buffer.buffer, 0, length * 2).toString('utf16le');
    size = length;
  }
  throw new WinError(syscall, ERROR.ERROR_INSUFFICIENT_BUFFER, { detail });
}

/** `name` made absolute against this process's current directory, as CreateFileW would open it. */
function fullPath(name: string): string {
  return filledString('GetFullPathNameW', name, (buffer, size) => kernel32.GetFullPathNameW(name, size, buffer, null));
}

function systemDirectory(): string {
  return filledString('GetSystemDirectoryW', 'the system directory', (buffer, size) => kernel32.GetSystemDirectoryW(buffer, size));
}

function windowsDirectory(): string {
  return filledString('GetWindowsDirectoryW', 'the Windows directory', (buffer, size) => kernel32.GetWindowsDirectoryW(buffer, size));
}

/** The system's own cmd.exe, by full path (not %ComSpec%, which the environment sets). */
export function commandInterpreter(): string {
  return `${systemDirectory()}\\cmd.exe`;
}

/** True if `candidate` names an existing file (a directory of that name does not count). */
function isFile(candidate: string): boolean {
  const attributes = kernel32.GetFileAttributesW(candidate);
  return attributes !== kernel32.INVALID_FILE_ATTRIBUTES && (attributes & kernel32.FILE_ATTRIBUTE_DIRECTORY) === 0;
}

/** A drive-absolute (`C:\`) or UNC (`\\server\share`) path: one that does not depend on a current directory. */
function isAbsolute(entry: string): boolean {
  return /^[A-Za-z]:[\\/]/.test(entry) || /^[\\/]{2}[^\\/]/.test(entry);
}

/**
 * PATH's entries, split at `;` outside double quotes (a quoted entry may hold a `;`), quotes
 * removed; empty and relative entries are left out (a relative one is the current directory again).
 */
export function pathEntries(value: string): string[] {
  const entries: string[] = [];
  let entry = '';
  let quoted = false;
  for (const char of `${value};`) {
    if (char === '"') quoted = !quoted;
    else if (char === ';' && !quoted) {
      if (isAbsolute(entry)) entries.push(entry);
      entry = '';
    } else entry += char;
  }
  return entries;
}

/** The directories a bare program name is looked for in, in order: CreateProcessW's, without the current directory. */
function searchDirectories(): string[] {
  const windows = windowsDirectory();
  return [path.win32.dirname(process.execPath), systemDirectory(), `${windows}\\System`, windows, ...pathEntries(process.env.PATH ?? '')];
}

/** The last name of a path, without a leading drive (`C:x.exe` is x.exe in drive C's current directory). */
function lastName(name: string): string {
  return name.slice(Math.max(name.lastIndexOf('\\'), name.lastIndexOf('/')) + 1).replace(/^[A-Za-z]:/, '');
}

/** A name with no `.` in its last component gets `.exe`, as CreateProcessW adds it ("If the file name does not contain an extension"). */
function withExtension(name: string): string {
  return lastName(name).includes('.') ? name : `${name}.exe`;
}

/**
 * The program at `candidate`, by its full path. Batch by the extension, in any case; trailing
 * dots and spaces are already gone from a Win32 path, and are ignored in a `\\?\` one too, where
 * they stay (running such a file through cmd.exe fails; running a batch file without it would not).
 */
function found(candidate: string): Program {
  const full = fullPath(candidate);
  return { path: full, batch: /\.(?:bat|cmd)[. ]*$/i.test(full) };
}

/**
 * The program `name` stands for. A name with `\`, `/` or `:` is a path (relative to this
 * process's current directory, as CreateProcessW takes it); any other name is searched for in
 * the application directory, the system directories and PATH, never the current directory.
 * Either gets `.exe` when it has no extension. Not found: WinError ERROR_FILE_NOT_FOUND, with
 * `syscall` 'CreateProcessW' (it stands in for CreateProcessW's own search). `what` names the
 * argument in a RangeError.
 */
export function findProgram(name: string, what: string): Program {
  // A ':' in the last name is an NTFS stream (x.bat::$DATA, x.exe:hidden): no program file whose
  // kind (batch or not) CreateProcessW can be relied on to read from its name.
  if (lastName(name).includes(':')) throw new RangeError(`${what} ${JSON.stringify(name)} names a file stream (a ':' in its last name)`);
  const file = withExtension(name);
  if (/[\\/:]/.test(name)) {
    if (isFile(file)) return found(file);
    throw new WinError('CreateProcessW', ERROR.ERROR_FILE_NOT_FOUND, { detail: `${name}: no such program` });
  }
  for (const directory of searchDirectories()) {
    const candidate = `${directory.replace(/[\\/]+$/, '')}\\${file}`;
    if (isFile(candidate)) return found(candidate);
  }
  throw new WinError('CreateProcessW', ERROR.ERROR_FILE_NOT_FOUND, {
    detail: `${name} is not in the application directory, the system directories or PATH (the current directory is not searched: name a program there as .\\${name})`,
  });
}
