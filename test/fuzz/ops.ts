// The fuzzer's operations: plain data (JSON), so that a log can be printed, saved, shrunk and
// replayed. Each names its resource by family and slot; an operation whose resource is not there
// when it is replayed (a shrunk log dropped the open) is skipped. Every random choice an
// operation needs (sizes, offsets, when it is aborted) is in the record: replaying a log makes
// the same calls whatever produced it.

/**
 * How an operation's signal aborts: never; already aborted when the call is made; right after
 * the call, in the same tick; after `steps` more fuzzer steps; or by a reactor `timeoutSignal(ms)`.
 */
export type AbortSpec = 'none' | 'pre' | 'now' | { steps: number } | { ms: number };

/** A direction of a stream pair: 0 is side a writing to side b, 1 the reverse. */
export type Dir = 0 | 1;
/** One end of a pair: 0 is a (the connecting end), 1 is b (the accepted end). */
export type Side = 0 | 1;
/** Who makes a post or a set: this thread, or the fuzzer's helper thread. */
export type From = 'main' | 'thread';

export type Op =
  // TCP: a pair of connected TcpStreams per slot; one listener per accept.
  | { kind: 'tcp.open'; slot: number; via: 'connect' | 'pair'; smallBuffers: boolean }
  | { kind: 'tcp.write'; slot: number; dir: Dir; size: number; abort: AbortSpec }
  | { kind: 'tcp.read'; slot: number; dir: Dir; size: number; abort: AbortSpec }
  | { kind: 'tcp.shutdown'; slot: number; dir: Dir }
  | { kind: 'tcp.close'; slot: number; side: Side }
  | { kind: 'tcp.release'; slot: number; side: Side }
  | { kind: 'tcp.accept'; abort: AbortSpec; closeAfter: number }
  // Raw readiness waits on a loopback pair of bare sockets.
  | { kind: 'raw.wait'; side: Side; readable: boolean; abort: AbortSpec }
  | { kind: 'raw.send'; side: Side; size: number }
  | { kind: 'raw.drain'; side: Side }
  // UDP sockets; datagrams carry their sender, sequence number and size.
  | { kind: 'udp.open'; slot: number }
  | { kind: 'udp.send'; from: number; to: number; size: number }
  | { kind: 'udp.receive'; slot: number; maxSize: number; abort: AbortSpec }
  | { kind: 'udp.close'; slot: number }
  // Named pipes: a server and one connected pair per slot.
  | { kind: 'pipe.open'; slot: number }
  | { kind: 'pipe.write'; slot: number; dir: Dir; size: number; abort: AbortSpec }
  | { kind: 'pipe.read'; slot: number; dir: Dir; size: number; abort: AbortSpec }
  | { kind: 'pipe.close'; slot: number; side: Side }
  | { kind: 'pipe.accept'; slot: number; abort: AbortSpec }
  | { kind: 'pipe.connect'; slot: number; hangUp: boolean }
  | { kind: 'pipe.serverClose'; slot: number }
  | { kind: 'pipe.missing' }
  | { kind: 'pipe.transfer'; slot: number; side: Side }
  // Files: reads and writes at offsets, any number in flight.
  | { kind: 'file.open'; slot: number }
  | { kind: 'file.write'; slot: number; offset: number; size: number; abort: AbortSpec }
  | { kind: 'file.read'; slot: number; offset: number; size: number; abort: AbortSpec }
  | { kind: 'file.close'; slot: number }
  | { kind: 'file.transfer'; slot: number }
  // A directory watcher, and files made and renamed in its directory.
  | { kind: 'watch.open' }
  | { kind: 'watch.create' }
  | { kind: 'watch.rename'; pick: number }
  | { kind: 'watch.next'; abort: AbortSpec }
  | { kind: 'watch.close' }
  | { kind: 'watch.transfer' }
  // Completion-key monitors and posts to them.
  | { kind: 'key.open'; slot: number }
  | { kind: 'key.post'; slot: number; from: From | 'overlapped'; count: number }
  | { kind: 'key.next'; slot: number }
  | { kind: 'key.close'; slot: number }
  // Win32 events.
  | { kind: 'event.open'; slot: number; manualReset: boolean }
  | { kind: 'event.set'; slot: number; from: From }
  | { kind: 'event.reset'; slot: number }
  | { kind: 'event.wait'; slot: number; abort: AbortSpec; timeoutMs: number | null }
  | { kind: 'event.close'; slot: number }
  // One child process at a time.
  | { kind: 'child.spawn'; code: number; delayMs: number }
  | { kind: 'child.wait'; abort: AbortSpec }
  | { kind: 'child.kill'; code: number }
  | { kind: 'child.close' }
  // Time and call-soon.
  | { kind: 'timer.sleep'; ms: number; abort: AbortSpec }
  | { kind: 'timer.pass'; ms: number }
  | { kind: 'soon.call'; count: number }
  // A channel into the loop, posted to by this thread or the helper thread.
  | { kind: 'chan.open'; poster: From }
  | { kind: 'chan.send'; count: number }
  | { kind: 'chan.receive'; abort: AbortSpec }
  | { kind: 'chan.close' };

export type OpKind = Op['kind'];

export function describeAbort(abort: AbortSpec): string {
  if (abort === 'none') return '';
  if (abort === 'pre') return ', signal already aborted';
  if (abort === 'now') return ', aborted at once';
  return 'steps' in abort ? `, aborted after ${abort.steps} step${abort.steps === 1 ? '' : 's'}` : `, timeoutSignal(${abort.ms})`;
}

const DIRS = ['a→b', 'b→a'];
const SIDES = ['a', 'b'];

/** One line, readable: what the operation does to which resource. */
export function describeOp(op: Op): string {
  switch (op.kind) {
    case 'tcp.open': return `tcp #${op.slot}: open a pair (${op.via === 'connect' ? 'listen, accept + connect' : 'winsock.loopbackPair'}${op.smallBuffers ? ', 4 KiB socket buffers' : ''})`;
    case 'tcp.write': return `tcp #${op.slot} ${DIRS[op.dir]}: write ${op.size} B${describeAbort(op.abort)}`;
    case 'tcp.read': return `tcp #${op.slot} ${DIRS[op.dir]}: read into ${op.size} B${describeAbort(op.abort)}`;
    case 'tcp.shutdown': return `tcp #${op.slot} ${DIRS[op.dir]}: shutdownWrite`;
    case 'tcp.close': return `tcp #${op.slot}: close side ${SIDES[op.side]}`;
    case 'tcp.release': return `tcp #${op.slot}: reactor.release(side ${SIDES[op.side]})`;
    case 'tcp.accept': return `tcp: accept on a fresh listener with no client${describeAbort(op.abort)}, listener closed after ${op.closeAfter} steps`;
    case 'raw.wait': return `raw ${SIDES[op.side]}: wait${op.readable ? 'Readable' : 'Writable'}${describeAbort(op.abort)}`;
    case 'raw.send': return `raw ${SIDES[op.side]}: send ${op.size} B to the other side`;
    case 'raw.drain': return `raw ${SIDES[op.side]}: recv until it would block`;
    case 'udp.open': return `udp #${op.slot}: bind`;
    case 'udp.send': return `udp #${op.from} → #${op.to}: send ${op.size} B`;
    case 'udp.receive': return `udp #${op.slot}: receive (maxSize ${op.maxSize})${describeAbort(op.abort)}`;
    case 'udp.close': return `udp #${op.slot}: close`;
    case 'pipe.open': return `pipe #${op.slot}: new server, accept + connect`;
    case 'pipe.write': return `pipe #${op.slot} ${DIRS[op.dir]}: write ${op.size} B${describeAbort(op.abort)}`;
    case 'pipe.read': return `pipe #${op.slot} ${DIRS[op.dir]}: read into ${op.size} B${describeAbort(op.abort)}`;
    case 'pipe.close': return `pipe #${op.slot}: close side ${SIDES[op.side]}`;
    case 'pipe.accept': return `pipe #${op.slot}: server.accept()${describeAbort(op.abort)}`;
    case 'pipe.connect': return `pipe #${op.slot}: connect another client${op.hangUp ? ' and close it at once' : ''}`;
    case 'pipe.serverClose': return `pipe #${op.slot}: server.close()`;
    case 'pipe.missing': return 'pipe: connect to a name nobody serves';
    case 'pipe.transfer': return `pipe #${op.slot}: transferHandle(side ${SIDES[op.side]}) to this reactor, adoptHandle`;
    case 'file.open': return `file #${op.slot}: create`;
    case 'file.write': return `file #${op.slot}: write ${op.size} B at ${op.offset}${describeAbort(op.abort)}`;
    case 'file.read': return `file #${op.slot}: read ${op.size} B at ${op.offset}${describeAbort(op.abort)}`;
    case 'file.close': return `file #${op.slot}: close`;
    case 'file.transfer': return `file #${op.slot}: transferHandle to this reactor, adoptHandle`;
    case 'watch.open': return 'watch: DirectoryWatcher.open';
    case 'watch.create': return 'watch: create a file in the directory';
    case 'watch.rename': return `watch: rename the ${op.pick}th file the watcher reported`;
    case 'watch.next': return `watch: next()${describeAbort(op.abort)}`;
    case 'watch.close': return 'watch: close()';
    case 'watch.transfer': return 'watch: transfer() to this reactor, DirectoryWatcher.adopt';
    case 'key.open': return `key #${op.slot}: monitorCompletionKey()`;
    case 'key.post': return `key #${op.slot}: post ${op.count} completion${op.count === 1 ? '' : 's'} from ${op.from === 'main' ? 'this thread' : op.from === 'thread' ? 'the helper thread' : 'the helper thread, each with an lpOverlapped (as a job object posts)'}`;
    case 'key.next': return `key #${op.slot}: next()`;
    case 'key.close': return `key #${op.slot}: close()`;
    case 'event.open': return `event #${op.slot}: create (${op.manualReset ? 'manual' : 'auto'} reset)`;
    case 'event.set': return `event #${op.slot}: set() from ${op.from === 'main' ? 'this thread' : 'the helper thread'}`;
    case 'event.reset': return `event #${op.slot}: reset()`;
    case 'event.wait': return `event #${op.slot}: wait(${op.timeoutMs === null ? '' : `timeoutMs ${op.timeoutMs}`})${describeAbort(op.abort)}`;
    case 'event.close': return `event #${op.slot}: close()`;
    case 'child.spawn': return `child: spawn node, exit with ${op.code} after ${op.delayMs} ms`;
    case 'child.wait': return `child: wait()${describeAbort(op.abort)}`;
    case 'child.kill': return `child: kill(${op.code})`;
    case 'child.close': return 'child: close()';
    case 'timer.sleep': return `timer: sleep(${op.ms})${describeAbort(op.abort)}`;
    case 'timer.pass': return `timer: let ${op.ms} ms pass (the fuzzer sleeps)`;
    case 'soon.call': return `soon: callSoon × ${op.count}`;
    case 'chan.open': return `channel: open (posted to from ${op.poster === 'main' ? 'this thread' : 'the helper thread'})`;
    case 'chan.send': return `channel: post ${op.count} message${op.count === 1 ? '' : 's'}`;
    case 'chan.receive': return `channel: receive()${describeAbort(op.abort)}`;
    case 'chan.close': return 'channel: close()';
  }
}
