// The checked overlapped calls the Reactor offers (readOverlapped, writeOverlapped,
// submitOverlapped): each checks its arguments here, at the part it protects, then starts the
// operation on the completion port with a pooled OVERLAPPED (CompletionPort.submit). And the
// ReadFile end-of-stream rule: a read that meets ERROR_HANDLE_EOF (a file's end) or
// ERROR_BROKEN_PIPE (the pipe's other end closed) returns 0 bytes, as Node's fs and net do.
import { checkOptions, checkedCall } from '../core/arguments.ts';
import { checkBuffer, checkFileOffset } from '../core/buffers.ts';
import { ERROR } from '../core/windows-errors.ts';
import { readFileOverlapped, writeFileOverlapped } from '../win32/overlapped-calls.ts';
import { toHandle } from '../win32/kernel32.ts';
import type { CompletionPort, ErrorMapping, OverlappedOptions } from './completion-port.ts';
import type { Pace } from '../loop/fair-share.ts';

/** Reads that meet these errors have reached the end of the stream: they return 0 bytes. */
const END_OF_STREAM_ERRORS: ReadonlySet<number> = new Set([ERROR.ERROR_HANDLE_EOF, ERROR.ERROR_BROKEN_PIPE]);
const endOfStream: ErrorMapping = (errno) => (END_OF_STREAM_ERRORS.has(errno) ? { bytes: 0 } : undefined);

/** `submitOverlapped`'s options. */
export type SubmitOptions = OverlappedOptions & { fileOffset?: number; pinned?: unknown; mapError?: ErrorMapping };

/** ReadFile into `buffer` at `fileOffset`; 0 bytes at the end of a file or a pipe. */
export function readOverlapped(port: CompletionPort, pace: Pace, handle: number | bigint, buffer: Uint8Array, fileOffset = 0, options: OverlappedOptions = {}): Promise<number> {
  return checkedCall(() => {
    checkBuffer(buffer, 'readOverlapped: buffer', { forRead: true });
    checkFileOffset(fileOffset, 'readOverlapped: fileOffset');
    return checkOptions(options, 'readOverlapped: options');
  }, (checked) => port.submit(handle, 'ReadFile', fileOffset, buffer, (ov) => readFileOverlapped(toHandle(handle), buffer, ov), { ...checked, mapError: endOfStream, pace }));
}

/** WriteFile of `data` at `fileOffset`. */
export function writeOverlapped(port: CompletionPort, pace: Pace, handle: number | bigint, data: Uint8Array, fileOffset = 0, options: OverlappedOptions = {}): Promise<number> {
  return checkedCall(() => {
    checkBuffer(data, 'writeOverlapped: data');
    checkFileOffset(fileOffset, 'writeOverlapped: fileOffset');
    return checkOptions(options, 'writeOverlapped: options');
  }, (checked) => port.submit(handle, 'WriteFile', fileOffset, data, (ov) => writeFileOverlapped(toHandle(handle), data, ov), { ...checked, pace }));
}

/**
 * Any overlapped call: `issue` makes it and returns 0 when it is pending (a packet will come),
 * SUCCEEDED_AT_ONCE (-1) when it succeeded before returning, else the Win32 error (on a handle
 * registered without skipCompletionOnSuccess, 0 for a call that succeeded at once is fine too:
 * its packet comes). A result at once is paced by `pace` (the FairShare rule).
 */
export function submitOverlapped(port: CompletionPort, pace: Pace, handle: number | bigint, syscall: string, issue: (overlapped: Uint8Array) => number, options: SubmitOptions = {}): Promise<number> {
  return checkedCall(() => {
    if (typeof syscall !== 'string') throw new TypeError(`submitOverlapped: syscall must be a string (the call's name, for errors), got ${typeof syscall}`);
    if (typeof issue !== 'function') throw new TypeError(`submitOverlapped: issue must be a function, got ${issue === null ? 'null' : typeof issue}`);
    const checked: SubmitOptions = checkOptions(options, 'submitOverlapped: options');
    if (checked.fileOffset !== undefined) checkFileOffset(checked.fileOffset, 'submitOverlapped: fileOffset');
    if (checked.mapError !== undefined && typeof checked.mapError !== 'function') throw new TypeError(`submitOverlapped: mapError must be a function, got ${typeof checked.mapError}`);
    return checked;
  }, (checked) => port.submit(handle, syscall, checked.fileOffset ?? 0, checked.pinned, issue, { ...checked, pace }));
}
