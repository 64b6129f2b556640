// The binding layer: WinError naming, checked Winsock calls failing with the right codes, address
// encoding, and the handle/thread counters the leak checks rely on.
import { describe, expect, test } from 'vitest';
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';
import {
  BusyResourceError, ClosedResourceError, HandleStateError, InternalStateError, NodeSocketError, Reactor, ThreadExitedError, UnsupportedError, UnsupportedPlatformError, WinError,
  WinmuxError, WriteAbortedError,
  WINDOWS_ERRORS, errorName, nodeCodeOf, processHandleCount, processThreadCount, wineVersion, winsock,
} from '../../lib/index.ts';
import fs from 'node:fs';
import util from 'node:util';
// @ts-expect-error: a plain .mjs script, no declarations
import { DOC_PATH, renderErrorsDoc } from '../../scripts/gen-errors-doc.mjs';
import { checkResourcesReleased } from '../helpers/resources.ts';
import { SocketJar } from '../helpers/sockets.ts';

checkResourcesReleased();

describe('WinError', () => {
  test("is shaped like Node's error for the failure: code and errno Node's, winCode and winErrno the Windows ones", () => {
    const error = new WinError('select', 10038);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'WinError', code: 'ENOTSOCK', errno: -4050, winCode: 'WSAENOTSOCK', winErrno: 10038, syscall: 'select' });
    expect(util.getSystemErrorName(error.errno!)).toBe('ENOTSOCK');
    expect(error.message).toBe('select ENOTSOCK WSAENOTSOCK (10038)');
    expect(new WinError('CreateFileW', 2, { detail: 'x.txt' }).message).toBe('CreateFileW ENOENT ERROR_FILE_NOT_FOUND (2): x.txt');
  });

  test('where Node has no code for the failure, code is the Windows name and errno UNKNOWN\'s', () => {
    for (const [winErrno, winCode] of [[535, 'ERROR_PIPE_CONNECTED'], [997, 'ERROR_IO_PENDING'], [4242, 'WIN32_ERROR_4242'], [10999, 'WSA_ERROR_10999']] as const) {
      const error = new WinError('call', winErrno);
      expect(error).toMatchObject({ code: winCode, winCode, winErrno });
      expect(util.getSystemErrorName(error.errno!)).toBe('UNKNOWN');
      expect(error.message).toBe(`call ${winCode} (${winErrno})`);
    }
  });

  test('names Win32 and Winsock codes from one table; unknown codes still get a name', () => {
    expect(errorName(6)).toBe('ERROR_INVALID_HANDLE');
    expect(errorName(109)).toBe('ERROR_BROKEN_PIPE');
    expect(errorName(995)).toBe('ERROR_OPERATION_ABORTED');
    expect(errorName(10061)).toBe('WSAECONNREFUSED');
    expect(errorName(10999)).toBe('WSA_ERROR_10999');
    expect(errorName(4242)).toBe('WIN32_ERROR_4242');
  });

  test('carries the code Node gives the same failure (libuv\'s mapping), UNKNOWN where there is none', () => {
    const cases: [number, string, string][] = [
      [10061, 'WSAECONNREFUSED', 'ECONNREFUSED'],
      [1225, 'ERROR_CONNECTION_REFUSED', 'ECONNREFUSED'],
      [10054, 'WSAECONNRESET', 'ECONNRESET'],
      [64, 'ERROR_NETNAME_DELETED', 'ECONNRESET'],
      [10053, 'WSAECONNABORTED', 'ECONNABORTED'],
      [10048, 'WSAEADDRINUSE', 'EADDRINUSE'],
      [10049, 'WSAEADDRNOTAVAIL', 'EADDRNOTAVAIL'],
      [10060, 'WSAETIMEDOUT', 'ETIMEDOUT'],
      [10035, 'WSAEWOULDBLOCK', 'EAGAIN'],
      [10038, 'WSAENOTSOCK', 'ENOTSOCK'],
      [10057, 'WSAENOTCONN', 'ENOTCONN'],
      [10065, 'WSAEHOSTUNREACH', 'EHOSTUNREACH'],
      [10051, 'WSAENETUNREACH', 'ENETUNREACH'],
      [10024, 'WSAEMFILE', 'EMFILE'],
      [2, 'ERROR_FILE_NOT_FOUND', 'ENOENT'],
      [3, 'ERROR_PATH_NOT_FOUND', 'ENOENT'],
      [5, 'ERROR_ACCESS_DENIED', 'EACCES'],
      [6, 'ERROR_INVALID_HANDLE', 'EBADF'],
      [80, 'ERROR_FILE_EXISTS', 'EEXIST'],
      [183, 'ERROR_ALREADY_EXISTS', 'EEXIST'],
      [87, 'ERROR_INVALID_PARAMETER', 'EINVAL'],
      [109, 'ERROR_BROKEN_PIPE', 'EOF'],
      [232, 'ERROR_NO_DATA', 'EPIPE'],
      [231, 'ERROR_PIPE_BUSY', 'EBUSY'],
      [32, 'ERROR_SHARING_VIOLATION', 'EBUSY'],
      [995, 'ERROR_OPERATION_ABORTED', 'ECANCELED'],
      [145, 'ERROR_DIR_NOT_EMPTY', 'ENOTEMPTY'],
      [112, 'ERROR_DISK_FULL', 'ENOSPC'],
      [206, 'ERROR_FILENAME_EXCED_RANGE', 'ENAMETOOLONG'],
      [1, 'ERROR_INVALID_FUNCTION', 'EISDIR'],
      [997, 'ERROR_IO_PENDING', 'UNKNOWN'],
    ];
    for (const [winErrno, winCode, nodeCode] of cases) {
      expect(new WinError('call', winErrno)).toMatchObject({ winErrno, winCode, code: nodeCode === 'UNKNOWN' ? winCode : nodeCode });
      expect(nodeCodeOf(winErrno)).toBe(nodeCode);
    }
    expect(nodeCodeOf(4242)).toBe('UNKNOWN');
  });

  test('one table: every errno once, every name once, every Node code a libuv-style E-name', () => {
    expect(new Set(WINDOWS_ERRORS.map(([errno]) => errno)).size).toBe(WINDOWS_ERRORS.length);
    expect(new Set(WINDOWS_ERRORS.map(([, name]) => name)).size).toBe(WINDOWS_ERRORS.length);
    for (const [, , nodeCode] of WINDOWS_ERRORS) if (nodeCode !== null) expect(nodeCode).toMatch(/^E[A-Z0-9]+$/);
  });

  test('docs/errors.md is what scripts/gen-errors-doc.mjs makes of the table now (npm run gen:errors)', async () => {
    expect(fs.readFileSync(DOC_PATH, 'utf8')).toBe(await renderErrorsDoc());
  });
});

describe('checked Winsock calls', () => {
  test('a failing call throws WinError with the code read right after it', () => {
    const jar = new SocketJar();
    try {
      expect(() => winsock.createSocket(12345, winsock.SOCK_STREAM, 0)).toThrow(
        expect.objectContaining({ syscall: 'socket', winCode: 'WSAEAFNOSUPPORT' }),
      );
      const a = jar.udp();
      const { port } = winsock.localAddress(a);
      const b = jar.add(winsock.createSocket(winsock.AF_INET, winsock.SOCK_DGRAM, winsock.IPPROTO_UDP));
      expect(() => winsock.bindSocket(b, '127.0.0.1', port)).toThrow(
        expect.objectContaining({ syscall: 'bind', winCode: 'WSAEADDRINUSE', winErrno: 10048 }),
      );
      const closed = jar.tcp();
      jar.closeNow(closed);
      expect(() => winsock.sendSome(closed, new Uint8Array(1))).toThrow(expect.objectContaining({ winCode: 'WSAENOTSOCK' }));
      expect(winsock.probeSocket(closed)).toBe(10038);
      expect(winsock.probeSocket(a)).toBe(0);
    } finally {
      jar.closeAll();
    }
  });

  test('non-blocking reads and writes report "would block" as null, not as an error', () => {
    const jar = new SocketJar();
    try {
      const [a, b] = jar.pair();
      expect(winsock.recvSome(a, new Uint8Array(16))).toBeNull();
      expect(winsock.sendSome(b, new Uint8Array([1, 2, 3]))).toBe(3);
      winsock.shutdownSocket(b, winsock.SD_SEND);
      const buffer = new Uint8Array(16);
      let got = winsock.recvSome(a, buffer);
      for (let tries = 0; got === null && tries < 1000; tries++) got = winsock.recvSome(a, buffer);
      expect(got).toBe(3);
      let eof = winsock.recvSome(a, buffer);
      for (let tries = 0; eof === null && tries < 1000; tries++) eof = winsock.recvSome(a, buffer);
      expect(eof).toBe(0);
    } finally {
      jar.closeAll();
    }
  });

  test('addresses: IPv4 and IPv6 encode, bind and decode back; bad input is a TypeError', () => {
    const jar = new SocketJar();
    try {
      const v6 = jar.add(winsock.createSocket(winsock.AF_INET6, winsock.SOCK_DGRAM, winsock.IPPROTO_UDP));
      winsock.bindSocket(v6, '::1', 0);
      expect(winsock.localAddress(v6)).toMatchObject({ family: 'IPv6', address: '::1' });
      const [a, b] = jar.pair();
      expect(winsock.remoteAddress(a)).toEqual(winsock.localAddress(b));
      expect(winsock.localAddress(a)).toMatchObject({ family: 'IPv4', address: '127.0.0.1' });
      expect(winsock.decodeAddress(winsock.encodeAddress('fe80::1:0:0:2', 80))).toEqual({ family: 'IPv6', address: 'fe80::1:0:0:2', port: 80 });
      expect(winsock.decodeAddress(winsock.encodeAddress('2001:db8:0:0:1:0:0:1', 1))).toMatchObject({ address: '2001:db8::1:0:0:1' });
      expect(() => winsock.encodeAddress('localhost', 80)).toThrow(TypeError);
      expect(() => winsock.encodeAddress('127.0.0.1', 70000)).toThrow(RangeError);
      expect(() => winsock.toSocket('12')).toThrow(TypeError);
      expect(winsock.toSocket(12n)).toBe(12);
    } finally {
      jar.closeAll();
    }
  });
});

describe('diagnostics', () => {
  test('the handle counter sees sockets open and close', () => {
    const jar = new SocketJar();
    winsock.closeQuietly(...winsock.loopbackPair()); // Winsock's one-time handle (see resources.ts)
    const before = processHandleCount();
    expect(before).toBeGreaterThan(0);
    const sockets = Array.from({ length: 10 }, () => jar.udp());
    expect(processHandleCount()).toBe(before + sockets.length);
    jar.closeAll();
    expect(processHandleCount()).toBe(before);
  });

  test('the thread counter sees a worker thread start and end', async () => {
    const before = processThreadCount();
    const worker = new Worker('setInterval(() => {}, 1000)', { eval: true });
    await once(worker, 'online');
    expect(processThreadCount()).toBeGreaterThan(before);
    await worker.terminate();
    let after = processThreadCount();
    for (let tries = 0; after !== before && tries < 100; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      after = processThreadCount();
    }
    expect(after).toBe(before);
  });

  test('wineVersion tells Wine from Windows', () => {
    // scripts/winnode.mjs sets WINEPREFIX when it runs the suite under Wine; Windows has none.
    const version = wineVersion();
    if (process.env.WINEPREFIX !== undefined) expect(version).toMatch(/^\d+\.\d+/);
    else expect(version).toBeNull();
  });
});

describe('the error classes', () => {
  test('every winmux error extends WinmuxError and carries a stable code', () => {
    const cases: [WinmuxError, string][] = [
      [new WinError('select', 10038), 'ENOTSOCK'],
      [new ClosedResourceError(), 'ERR_CLOSED_RESOURCE'],
      [new BusyResourceError(), 'ERR_BUSY_RESOURCE'],
      [new HandleStateError('x'), 'ERR_HANDLE_STATE'],
      [new ThreadExitedError('x'), 'ERR_THREAD_EXITED'],
      [new UnsupportedError('x'), 'ERR_UNSUPPORTED'],
      [new InternalStateError('x'), 'ERR_INTERNAL_STATE'],
      [new WriteAbortedError(1, 2, 'why'), 'ERR_WRITE_ABORTED'],
      [new UnsupportedPlatformError('x'), 'ERR_UNSUPPORTED_PLATFORM'],
      [new NodeSocketError(new WinError('recv', 10054), 'read'), 'ECONNRESET'],
    ];
    const doc = fs.readFileSync(DOC_PATH, 'utf8');
    for (const [error, code] of cases) {
      // docs/errors.md lists each class (WinError's and NodeSocketError's codes are per error, the rest's is fixed).
      const perError = error instanceof WinError || error instanceof NodeSocketError;
      expect(doc).toContain(perError ? `| \`${error.name}\` |` : `| \`${error.name}\` | \`${code}\` |`);
      expect(error).toBeInstanceOf(WinmuxError);
      expect(error).toBeInstanceOf(Error);
      expect(error.code).toBe(code);
      expect(error.name).toBe(error.constructor.name);
    }
  });

  test('on a host that is not Windows, importing winmux fails with UnsupportedPlatformError (ERR_UNSUPPORTED_PLATFORM)', async () => {
    const platform = Object.getOwnPropertyDescriptor(process, 'platform')!;
    let error: unknown;
    // The entry's first module evaluated again, now, on "Linux": under another module id (a query),
    // so the failed evaluation is not what later imports of platform.ts get. The test files share a
    // process and its module registry (vitest.config.ts), so the registry itself is not reset.
    // (Its result is used: a bare `await import(…)` statement did not evaluate the module here.)
    Object.defineProperty(process, 'platform', { ...platform, value: 'linux' });
    try {
      const onLinux = new URL('../../lib/core/platform.ts?on-linux', import.meta.url).href;
      error = await import(onLinux).then(() => undefined, (e: unknown) => e);
    } finally {
      Object.defineProperty(process, 'platform', platform);
    }
    expect(process.platform).toBe('win32');
    // platform.ts?on-linux imported errors.ts from the same registry as this file.
    const errors = await import('../../lib/core/errors.ts');
    expect(error).toBeInstanceOf(errors.UnsupportedPlatformError);
    expect(error).toBeInstanceOf(errors.WinmuxError);
    expect(error).toMatchObject({ name: 'UnsupportedPlatformError', code: 'ERR_UNSUPPORTED_PLATFORM' });
    expect((error as Error).message).toMatch(/^winmux needs Windows \(process\.platform is linux\)/);
  });

  test("NodeSocketError says a WinError as Node's net does: libuv's code and errno, Node's syscall; the Windows name in winCode", () => {
    for (const [errno, name, nodeCode] of WINDOWS_ERRORS) {
      const cause = new WinError('send', errno);
      const error = NodeSocketError.from(cause, 'write') as NodeSocketError;
      const code = nodeCode ?? name;
      expect(error).toBeInstanceOf(NodeSocketError);
      expect(error).toMatchObject({ code, syscall: 'write', winCode: name, winErrno: errno, cause, message: `write ${code}` });
      // The number Node itself gives that code (libuv's, negative; UNKNOWN's where Node has no code), and back.
      expect(error.errno, name).toBeLessThan(0);
      expect(util.getSystemErrorName(error.errno!)).toBe(nodeCode ?? 'UNKNOWN');
    }
    expect(NodeSocketError.from(new WinError('recv', 10054), 'read')).toMatchObject({ code: 'ECONNRESET', errno: -4077, syscall: 'read', message: 'read ECONNRESET' });
    expect(NodeSocketError.from(new WinError('send', 10058), 'write')).toMatchObject({ code: 'EPIPE', errno: -4047, winCode: 'WSAESHUTDOWN' });
    // Errors that are not Windows failures go through as they are.
    const closed = new ClosedResourceError();
    expect(NodeSocketError.from(closed, 'read')).toBe(closed);
  });

  test('misuse gets a named error: a second run, a second receive, an unregistered handle', async () => {
    const reactor = new Reactor();
    try {
      await reactor.run(async () => {
        await expect(reactor.run(() => 1)).rejects.toBeInstanceOf(BusyResourceError);
        const channel = reactor.openChannel();
        const first = channel.receive().catch((e: unknown) => e);
        await expect(channel.receive()).rejects.toBeInstanceOf(BusyResourceError);
        const monitor = reactor.monitorCompletionKey();
        const next = monitor.next().catch((e: unknown) => e);
        await expect(monitor.next()).rejects.toBeInstanceOf(BusyResourceError);
        await expect(reactor.readOverlapped(0x1234, new Uint8Array(4))).rejects.toBeInstanceOf(HandleStateError);
        channel.close();
        monitor.close();
        expect(await first).toBeInstanceOf(ClosedResourceError);
        expect(await next).toBeInstanceOf(ClosedResourceError);
      });
    } finally {
      await reactor.close();
    }
  });
});
