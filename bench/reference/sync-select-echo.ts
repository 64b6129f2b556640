// The floor for any event loop written in JavaScript: bench/reference/select-echo.c's server,
// line for line, in JavaScript on this Node — synchronous, no promises, no event loop, the same
// select, recv and send through winmux's koffi bindings. What a one-connection round trip costs
// in this process before any loop runs: V8, koffi and Windows Node's process under Wine. Same
// command line and output as the C server: `sync-select-echo.ts [port=0] [times]`, prints
// `listening <port>`, and with `times` prints `times roundTrips=N select=… recv=… send=…`
// (µs per round trip inside each call, timed in the binding layer as for winmux) when a
// connection ends. It blocks Node's thread for good: a benchmark's server process, nothing else.
import { writeSync } from 'node:fs';
import * as ws from '../../lib/win32/ws2_32.ts';
import * as sock from '../../lib/win32/winsock.ts';
import { nativeCallTimes, setNativeCallTiming } from '../../lib/win32/ffi.ts';
import { ERROR } from '../../lib/core/windows-errors.ts';
import { readU64, writeU64 } from '../../lib/core/u64.ts';
import { FD_SET } from '../../lib/win32/structs.ts';

const MAX_CONNECTIONS = 4096;
/** fd_sets as 32-bit words (the library's layout, win32/structs.ts): the count, then SOCKETs of two words each. */
const COUNT_WORD = FD_SET.COUNT / 4;
const entryWord = (k: number): number => (FD_SET.ARRAY + k * FD_SET.ENTRY_SIZE) / 4;

const port = Number(process.argv[2] ?? 0);
const timing = process.argv[3] === 'times';
const listener = sock.createSocket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP);
sock.bindSocket(listener, '127.0.0.1', port);
sock.listenSocket(listener, 1024);
sock.setNonBlocking(listener);
// Output goes out with writeSync: the loop below never lets Node's loop flush a stream.
writeSync(1, `listening ${sock.localAddress(listener).port}\n`);

const connections: number[] = [];
const readable = new Uint32Array(entryWord(MAX_CONNECTIONS + 1));
const writable = new Uint32Array(entryWord(1));
const buffer = new Uint8Array(65536);
let roundTrips = 0;
if (timing) setNativeCallTiming(true);

function drop(s: number): void {
  if (timing && roundTrips > 0) {
    const ms = nativeCallTimes();
    const us = (name: string): string => (((ms[name] ?? 0) * 1000) / roundTrips).toFixed(1);
    writeSync(1, `times roundTrips=${roundTrips} select=${us('select')} recv=${us('recv')} send=${us('send')}\n`);
  }
  sock.closeQuietly(s);
  connections.splice(connections.indexOf(s), 1);
}

/** Sends all of buffer[0..n); waits in select for room when the kernel's buffer is full. */
function sendAll(s: number, n: number): boolean {
  for (let sent = 0; sent < n; ) {
    const m = ws.send(s, buffer.subarray(sent, n), n - sent, 0);
    if (m > 0) {
      sent += m;
    } else if (ws.WSAGetLastError() === ERROR.WSAEWOULDBLOCK) {
      writable[COUNT_WORD] = 1;
      writeU64(writable, entryWord(0), s);
      ws.select(0, null, writable, null, null);
    } else {
      return false;
    }
  }
  return true;
}

for (;;) {
  let count = 0;
  writeU64(readable, entryWord(count++), listener);
  for (const c of connections) writeU64(readable, entryWord(count++), c);
  readable[COUNT_WORD] = count;
  if (ws.select(0, readable, null, null, null) === ws.SOCKET_ERROR) throw new Error(`select failed (WSA error ${ws.WSAGetLastError()})`);
  const ready = readable[COUNT_WORD]!;
  for (let k = 0; k < ready; k++) {
    const s = readU64(readable, entryWord(k));
    if (s === listener) {
      for (let c = sock.acceptSocket(listener); c !== null; c = sock.acceptSocket(listener)) {
        sock.setIntOption(c, ws.IPPROTO_TCP, ws.TCP_NODELAY, 1);
        sock.setNonBlocking(c);
        if (connections.length < MAX_CONNECTIONS) connections.push(c);
        else sock.closeQuietly(c);
      }
      continue;
    }
    const n = ws.recv(s, buffer, buffer.length, 0);
    if (n > 0) {
      if (sendAll(s, n)) roundTrips++;
      else drop(s);
    } else if (n === 0 || ws.WSAGetLastError() !== ERROR.WSAEWOULDBLOCK) {
      drop(s);
    }
  }
}
