// `npm run probe`: the open questions of winmux's design, answered by running code on the system
// at hand (Windows, or Wine on Linux). Each probe is bounded in time and closes what it opened.
// docs/probes.md records the answers under Wine and, where documented, on Windows.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { File, Reactor, wineVersion, winsock } from '../lib/index.ts';
import { wsaRecvOverlapped, wsaSendOverlapped } from '../lib/win32/overlapped-calls.ts';
import { detachFromCompletionPort } from '../lib/win32/completion-binding.ts';
import { MSG_PEEK } from '../lib/win32/ws2_32.ts';
import { wsapollProbes } from './wsapoll.ts';
import { jobProbes } from './jobs.ts';

interface Answer {
  question: string;
  answer: string;
}

/** A WSABUF describing zero bytes (length 0, no pointer). */
const emptyWsabuf = (): Uint8Array => new Uint8Array(16);

/** Whether `op` settles within `ms`, as seen by the reactor. */
async function settlesWithin(reactor: Reactor, op: Promise<unknown>, ms: number): Promise<boolean> {
  let settled = false;
  void op.then(() => (settled = true), () => (settled = true));
  const until = reactor.now() + ms;
  while (!settled && reactor.now() < until) await reactor.sleep(5);
  return settled;
}

function fill(s: number): number {
  const chunk = new Uint8Array(65536);
  let total = 0;
  for (let n = winsock.sendSome(s, chunk); n !== null; n = winsock.sendSome(s, chunk)) total += n;
  return total;
}

function drain(s: number): void {
  const buffer = new Uint8Array(65536);
  for (let n = winsock.recvSome(s, buffer); n !== null && n > 0; n = winsock.recvSome(s, buffer));
}

async function zeroByteOverlappedSend(reactor: Reactor, nonBlocking: boolean): Promise<Answer> {
  const [a, b] = winsock.loopbackPair();
  const controller = new AbortController();
  const question = `zero-byte overlapped WSASend on a full TCP socket (FIONBIO ${nonBlocking ? 'on' : 'off'})`;
  try {
    winsock.setIntOption(a, winsock.SOL_SOCKET, winsock.SO_SNDBUF, 10000);
    fill(a);
    winsock.setNonBlocking(a, nonBlocking);
    reactor.registerWithIocp(a);
    const wsabuf = emptyWsabuf();
    const op = reactor.submitOverlapped(a, 'WSASend', (ov) => wsaSendOverlapped(a, wsabuf, ov), { signal: controller.signal, pinned: wsabuf });
    op.catch(() => {});
    if (await settlesWithin(reactor, op, 300)) {
      return { question, answer: 'completes at once (no writability signal)' };
    }
    for (let i = 0; i < 200; i++) {
      drain(b);
      if (await settlesWithin(reactor, op, 10)) {
        return { question, answer: 'stays pending until the peer drains, then completes (usable as a writability check)' };
      }
    }
    return { question, answer: 'stays pending even after the peer drained (2 s)' };
  } finally {
    controller.abort();
    await reactor.sleep(20);
    reactor.releaseHandle(a);
    winsock.closeQuietly(a, b);
  }
}

function zeroByteNonBlockingSend(): Answer {
  const [a, b] = winsock.loopbackPair();
  try {
    winsock.setIntOption(a, winsock.SOL_SOCKET, winsock.SO_SNDBUF, 10000);
    fill(a);
    const zero = winsock.sendSome(a, new Uint8Array(0));
    const one = (() => {
      try {
        return winsock.sendSome(a, new Uint8Array(1));
      } catch (error) {
        return (error as Error).message;
      }
    })();
    return {
      question: 'zero-byte non-blocking send on a full TCP socket',
      answer: `${zero === null ? 'WSAEWOULDBLOCK' : `returns ${zero} (success)`}; a 1-byte send: ${one === null ? 'WSAEWOULDBLOCK' : String(one)}`,
    };
  } finally {
    winsock.closeQuietly(a, b);
  }
}

async function zeroBytePeekUdp(reactor: Reactor): Promise<Answer> {
  const u = winsock.createSocket(winsock.AF_INET, winsock.SOCK_DGRAM, winsock.IPPROTO_UDP);
  const sender = winsock.createSocket(winsock.AF_INET, winsock.SOCK_DGRAM, winsock.IPPROTO_UDP);
  const controller = new AbortController();
  const question = 'zero-byte overlapped WSARecv with MSG_PEEK on UDP';
  try {
    winsock.bindSocket(u, '127.0.0.1', 0);
    winsock.setNonBlocking(u);
    reactor.registerWithIocp(u);
    const wsabuf = emptyWsabuf();
    const op = reactor.submitOverlapped(u, 'WSARecv', (ov) => wsaRecvOverlapped(u, wsabuf, MSG_PEEK, ov), {
      signal: controller.signal, pinned: wsabuf, mapError: (errno) => (errno === 10040 ? { bytes: 0 } : undefined), // WSAEMSGSIZE: a datagram is there
    });
    op.catch(() => {});
    const early = await settlesWithin(reactor, op, 100);
    winsock.sendTo(sender, new Uint8Array([42, 43]), '127.0.0.1', winsock.localAddress(u).port);
    const completed = early || await settlesWithin(reactor, op, 1000);
    const outcome = await op.then((n) => `completed (${n} bytes)`, (e: Error) => `failed: ${e.message}`);
    const buffer = new Uint8Array(8);
    const left = winsock.recvSome(u, buffer);
    return {
      question,
      answer: early ? `completed before any datagram: ${outcome}`
        : completed ? `${outcome} when a datagram arrived; the datagram ${left === 2 ? 'was still there (not consumed)' : 'was consumed'}`
        : 'did not complete within 1 s of a datagram arriving',
    };
  } finally {
    controller.abort();
    await reactor.sleep(20);
    reactor.releaseHandle(u);
    winsock.closeQuietly(u, sender);
  }
}

async function zeroByteRecvTcp(reactor: Reactor, how: 'data' | 'shutdown'): Promise<string> {
  const [a, b] = winsock.loopbackPair();
  const controller = new AbortController();
  try {
    reactor.registerWithIocp(a);
    const wsabuf = emptyWsabuf();
    const op = reactor.submitOverlapped(a, 'WSARecv', (ov) => wsaRecvOverlapped(a, wsabuf, 0, ov), { signal: controller.signal, pinned: wsabuf });
    op.catch(() => {});
    if (await settlesWithin(reactor, op, 100)) return 'completed before anything happened';
    if (how === 'data') winsock.sendSome(b, new Uint8Array([1]));
    else winsock.shutdownSocket(b, winsock.SD_SEND);
    if (!(await settlesWithin(reactor, op, 1000))) return `no completion within 1 s of the ${how}`;
    return await op.then((n) => `completes (${n} bytes)`, (e: Error) => `fails: ${e.message}`);
  } finally {
    controller.abort();
    await reactor.sleep(20);
    reactor.releaseHandle(a);
    winsock.closeQuietly(a, b);
  }
}

function wakeupPairCapacity(): Answer {
  const [a, b] = winsock.loopbackPair();
  try {
    return { question: 'bytes the loopback wakeup pair accepts before a non-blocking send would block', answer: `${fill(a)} bytes (default buffers)` };
  } finally {
    winsock.closeQuietly(a, b);
  }
}

async function replaceCompletion(reactor: Reactor): Promise<Answer> {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'winmux-probe-')), 'probe.bin');
  fs.writeFileSync(file, 'x');
  const f = File.open(reactor, file);
  try {
    const detached = detachFromCompletionPort(f.handle);
    return {
      question: 'FileReplaceCompletionInformation (detach a handle from its port)',
      answer: detached ? 'available: the handle was detached' : 'not available (STATUS_NOT_IMPLEMENTED or STATUS_INVALID_INFO_CLASS): emulated transfers',
    };
  } finally {
    f.close();
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
}

const reactor = new Reactor();
try {
  const answers: Answer[] = await reactor.run(async () => [
    await zeroByteOverlappedSend(reactor, true),
    await zeroByteOverlappedSend(reactor, false),
    zeroByteNonBlockingSend(),
    await zeroBytePeekUdp(reactor),
    { question: 'zero-byte overlapped WSARecv on TCP: data arrives', answer: await zeroByteRecvTcp(reactor, 'data') },
    { question: 'zero-byte overlapped WSARecv on TCP: peer shuts down', answer: await zeroByteRecvTcp(reactor, 'shutdown') },
    wakeupPairCapacity(),
    await replaceCompletion(reactor),
    ...wsapollProbes(),
    ...(await jobProbes(reactor)),
  ]);
  console.log(`winmux probes — ${wineVersion() ? `Wine ${wineVersion()}` : 'Windows'}, Node ${process.version}\n`);
  const width = Math.max(...answers.map((a) => a.question.length));
  for (const { question, answer } of answers) console.log(`${question.padEnd(width)}  ${answer}`);
} finally {
  await reactor.close();
}
