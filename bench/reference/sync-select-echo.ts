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

const MAX_CONNECTIONS = 4096;
/** A Winsock fd_set on x64: a u_int count, padding to 8, then SOCKETs (8 bytes each). */
const SET_BYTES = 8 + 8 * (MAX_CONNECTIONS + 1);

const port = Number(process.argv[2] ?? 0);
const timing = process.argv[3] === 'times';
const listener = sock.createSocket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP);
sock.bindSocket(listener, '127.0.0.1', port);
sock.listenSocket(listener, 1024);
sock.setNonBlocking(listener);
// Output goes out with writeSync: the loop below never lets Node's loop flush a stream.
writeSync(1, `listening ${sock.localAddress(listener).port}\n`);

const connections: number[] = [];
const readable = new Uint8Array(SET_BYTES);
const readableView = new DataView(readable.buffer);
const writable = new Uint8Array(16);
const writableView = new DataView(writable.buffer);
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
      writableView.setUint32(0, 1, true);
      writableView.setBigUint64(8, BigInt(s), true);
      ws.select(0, null, writable, null, null);
    } else {
      return false;
    }
  }
  return true;
}

for (;;) {
  let count = 0;
  readableView.setBigUint64(8, BigInt(listener), true);
  count++;
  for (const c of connections) readableView.setBigUint64(8 + 8 * count++, BigInt(c), true);
  readableView.setUint32(0, count, true);
  if (ws.select(0, readable, null, null, null) === ws.SOCKET_ERROR) throw new Error(`select failed (WSA error ${ws.WSAGetLastError()})`);
  const ready = readableView.getUint32(0, true);
  for (let k = 0; k < ready; k++) {
    const s = Number(readableView.getBigUint64(8 + 8 * k, true));
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
