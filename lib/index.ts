// winmux public API.
import './core/platform.ts'; // first: a clear error on a host that is not Windows, before koffi loads
export { Turn, ACCEPTS_PER_ITERATION, SLICE_MS } from './loop/fair-share.ts';
export { Reactor, DEFAULT_MAX_BLOCK_MS, type ReactorOptions, type ReactorStats, type WaitOptions } from './scheduler/reactor.ts';
export { WinmuxError, ClosedResourceError, BusyResourceError, HandleStateError, ThreadExitedError, UnsupportedError, InternalStateError, WriteAbortedError, NodeSocketError, UnsupportedPlatformError } from './core/errors.ts';
export { WinError, errorName, nodeCodeOf, WINDOWS_ERRORS, type WinErrorOptions } from './core/windows-errors.ts';
export { ReactorChannel } from './wakeup/channel.ts';
export { RemoteWaker } from './wakeup/remote-waker.ts';
export type { WakeTarget, ChannelHandle } from './wakeup/protocol.ts';
export { READABLE, WRITABLE, type Direction, type ReadinessBackend, type ReadinessSink, type ReadinessStats } from './loop/readiness.ts';
export { MAX_SELECT_SET_SIZE } from './win32/select-set.ts';
export { processHandleCount, processThreadCount, wineVersion } from './win32/diagnostics.ts';
/** Checked, non-blocking-aware Winsock calls (socket, bind, connect, send, recv, …) and constants. */
export * as winsock from './win32/sockets-api.ts';
export { KeyMonitor, postCompletion, type KeyCompletion, type CompletionTarget, type HandleTransfer, type OverlappedOptions } from './iocp-worker/completion-port.ts';
export { SUCCEEDED_AT_ONCE } from './win32/overlapped-calls.ts';
export { File, type FileOpenOptions, type FileMode } from './io/file.ts';
export { NamedPipe, NamedPipeServer, pipePath, type ImpersonationLevel } from './io/named-pipe.ts';
export { DirectoryWatcher, type DirectoryWatchOptions, type DirectoryWatcherTransfer } from './io/directory-watcher.ts';
export { DEFAULT_WATCH_BUFFER_SIZE, type DirectoryChange, type DirectoryChangeAction, type DirectoryChangeFilter } from './io/directory-changes.ts';
export { DEFAULT_WAITER_IDLE_MS, type ObjectWaitResult } from './waits/wait-pool.ts';
export type { ObjectWaitOptions } from './scheduler/reactor.ts';
export { WinEvent, type WinEventOptions } from './objects/win-event.ts';
export { ConsoleInput, type ConsoleKeyEvent } from './objects/console-input.ts';
export { ChildProcess, spawnProcess, type SpawnOptions } from './objects/child-process.ts';
export { JobObject, BACKSTOP_POLL_MS, type JobEvent, type JobObjectOptions } from './objects/job-object.ts';
export type { StdioOption } from './objects/child-stdio.ts';
export { quoteArgument, buildCommandLine } from './objects/command-line.ts';
export { replaceCompletionSupported } from './win32/completion-binding.ts';
export { AfdBackend } from './afd/afd-backend.ts';
export { BACKENDS, type BackendContext, type BackendRow } from './scheduler/backends.ts';
export type { BlockingWait, GuestWait, OpenBlockingWait } from './loop/guest-wait.ts';
export { WsaPollBackend, type WsaPollBackendOptions } from './wsapoll/wsapoll-backend.ts';
export { TcpListener, TcpStream, type ListenOptions, type IoOptions } from './net/tcp.ts';
export type { BindOptions } from './net/reactor-socket.ts';
export { UdpSocket, type Received } from './net/udp.ts';
export { toNodeDuplex, serveHttp, WinmuxSocket, type NodeDuplexOptions, type ConnectionSink } from './net/duplex.ts';
export { connectSocket, socketConnector, acceptSockets, type ConnectSocketOptions, type CreateConnection } from './net/node-connect.ts';
export { lookupHost, type ResolvedAddress } from './net/resolve.ts';
