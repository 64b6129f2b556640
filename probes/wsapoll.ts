// Probes for the WSAPoll backend and console input (docs/wine.md, docs/probes.md): what WSAPoll
// does with an empty array, a closed socket and a refused connect; whether it is an alertable
// wait (the claim that "its one other interesting feature is an alertable wait"); and whether this
// process has a console to read.
import { winsock } from '../lib/index.ts';
import * as ws from '../lib/win32/ws2_32.ts';
import * as kernel32 from '../lib/win32/kernel32.ts';
import { declare, loadLibrary } from '../lib/win32/ffi.ts';

interface Answer {
  question: string;
  answer: string;
}

// Declared here, not in lib/win32: only this probe queues APCs.
const k32 = loadLibrary('kernel32.dll');
const QueueUserAPC = declare<(routine: unknown, thread: number | bigint, data: number) => number>(
  k32, 'uint32_t __stdcall QueueUserAPC(void *pfnAPC, void *hThread, uintptr_t dwData)');
const GetCurrentThread = declare<() => number | bigint>(k32, 'void * __stdcall GetCurrentThread()');
const GetModuleHandleW = declare<(name: string) => unknown>(k32, 'void * __stdcall GetModuleHandleW(str16 lpModuleName)');
const GetProcAddress = declare<(module: unknown, name: string) => unknown>(k32, 'void * __stdcall GetProcAddress(void *hModule, str lpProcName)');
const SleepEx = declare<(ms: number, alertable: number) => number>(k32, 'uint32_t __stdcall SleepEx(uint32_t dwMilliseconds, int bAlertable)');
const CreateEventW = declare<(sa: null, manual: number, initial: number, name: null) => number>(
  k32, 'void * __stdcall CreateEventW(void *lpEventAttributes, int bManualReset, int bInitialState, str16 lpName)');

const POLLIN = ws.POLLRDNORM | ws.POLLRDBAND;

/** A WSAPOLLFD array of `[socket, events]`, and its `revents` after the call. */
function pollArray(entries: [number, number][]): { array: Uint8Array; revents: (i: number) => number } {
  const array = new Uint8Array(16 * Math.max(1, entries.length));
  const view = new DataView(array.buffer);
  entries.forEach(([s, events], i) => {
    view.setBigUint64(16 * i, BigInt(s), true);
    view.setInt16(16 * i + 8, events, true);
  });
  return { array, revents: (i) => view.getUint16(16 * i + 10, true) };
}

const hex = (n: number): string => `0x${n.toString(16)}`;

function emptyArray(): Answer {
  const started = performance.now();
  const result = ws.WSAPoll(new Uint8Array(16), 0, 50);
  const error = result === ws.SOCKET_ERROR ? ws.WSAGetLastError() : 0;
  return { question: 'WSAPoll with no entries, timeout 50 ms', answer: `returns ${result} (error ${error}) after ${(performance.now() - started).toFixed(0)} ms` };
}

function closedSocket(): Answer {
  const [a, b] = winsock.loopbackPair();
  const [c, d] = winsock.loopbackPair();
  winsock.closeSocket(c);
  try {
    const { array, revents } = pollArray([[a, POLLIN], [c, POLLIN]]);
    const started = performance.now();
    const result = ws.WSAPoll(array, 2, 100);
    return {
      question: 'WSAPoll: a closed socket next to an idle one, timeout 100 ms',
      answer: `returns ${result} after ${(performance.now() - started).toFixed(0)} ms; closed revents ${hex(revents(1))}, idle ${hex(revents(0))}`,
    };
  } finally {
    winsock.closeQuietly(a, b, d);
  }
}

function refusedConnect(): Answer {
  const probe = winsock.createSocket(winsock.AF_INET, winsock.SOCK_STREAM, winsock.IPPROTO_TCP);
  winsock.bindSocket(probe, '127.0.0.1', 0);
  const { port } = winsock.localAddress(probe);
  winsock.closeSocket(probe);
  const s = winsock.createSocket(winsock.AF_INET, winsock.SOCK_STREAM, winsock.IPPROTO_TCP);
  try {
    winsock.setNonBlocking(s);
    winsock.connectSocket(s, '127.0.0.1', port);
    const { array, revents } = pollArray([[s, ws.POLLWRNORM]]);
    const started = performance.now();
    const result = ws.WSAPoll(array, 1, 2000);
    return {
      question: 'WSAPoll: a refused non-blocking connect, POLLWRNORM, timeout 2 s',
      answer: `returns ${result} after ${(performance.now() - started).toFixed(0)} ms, revents ${hex(revents(0))} (POLLERR 0x1, POLLHUP 0x2); SO_ERROR then ${winsock.socketError(s)}`,
    };
  } finally {
    winsock.closeQuietly(s);
  }
}

/**
 * An APC is queued to this thread (its routine is kernel32's own SetEvent, so no JS runs in it),
 * then the wait is made: an alertable wait runs the APC during it (SleepEx returns at once with
 * WAIT_IO_COMPLETION); a non-alertable one leaves it queued.
 */
function alertable(): Answer[] {
  const [a, b] = winsock.loopbackPair();
  const setEvent = GetProcAddress(GetModuleHandleW('kernel32.dll'), 'SetEvent');
  const { array } = pollArray([[a, POLLIN]]);
  const fdSet = new Uint32Array([1, 0, a, 0]);
  const timeval = new Int32Array([0, 200_000]);
  const waits: [string, () => number][] = [
    ['SleepEx(200, TRUE) (control)', () => SleepEx(200, 1)],
    ['select, 200 ms', () => ws.select(0, fdSet, null, null, timeval)],
    ['WSAPoll, 200 ms', () => ws.WSAPoll(array, 1, 200)],
  ];
  try {
    return waits.map(([name, wait]) => {
      const event = CreateEventW(null, 1, 0, null);
      try {
        QueueUserAPC(setEvent, GetCurrentThread(), event);
        const started = performance.now();
        const result = wait();
        const ms = performance.now() - started;
        const ran = kernel32.WaitForSingleObject(event, 0) === kernel32.WAIT_OBJECT_0;
        SleepEx(0, 1); // runs the APC if it is still queued
        return { question: `an APC queued before ${name}`, answer: `${ran ? 'ran during the wait' : 'did not run'}; returned ${result} after ${ms.toFixed(0)} ms` };
      } finally {
        kernel32.CloseHandle(event);
      }
    });
  } finally {
    winsock.closeQuietly(a, b);
  }
}

function consoleInput(): Answer {
  const handle = kernel32.CreateFileW('CONIN$', kernel32.GENERIC_READ | kernel32.GENERIC_WRITE, kernel32.FILE_SHARE_READ | kernel32.FILE_SHARE_WRITE, null, kernel32.OPEN_EXISTING, 0, null);
  if (kernel32.isInvalidHandle(handle)) return { question: 'CONIN$ in this process', answer: `CreateFileW fails, error ${kernel32.GetLastError()}` };
  const mode = new Uint32Array(1);
  const ok = kernel32.GetConsoleMode(handle, mode);
  const error = kernel32.GetLastError();
  kernel32.CloseHandle(handle);
  return { question: 'CONIN$ in this process', answer: ok ? `a console (mode ${hex(mode[0]!)})` : `opens, but GetConsoleMode fails, error ${error}` };
}

export function wsapollProbes(): Answer[] {
  ws.ensureWinsock();
  return [emptyArray(), closedSocket(), refusedConnect(), ...alertable(), consoleInput()];
}
