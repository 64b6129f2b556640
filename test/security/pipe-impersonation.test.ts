// What a pipe server may do with its client's identity. A client that opens a pipe without
// SECURITY_SQOS_PRESENT gives the server an impersonation token: whoever owns the name — a process
// that squatted it first included — can act as the client (ImpersonateNamedPipeClient). winmux's
// client asks for `identification` unless told otherwise. The server's side is measured here with
// the real calls: ImpersonateNamedPipeClient, then the level of the thread's token
// (GetTokenInformation(TokenImpersonationLevel)). Wine gives the server an impersonation token
// whatever the client asked (docs/wine.md); the test detects that and holds Windows to the levels.
// Loop mode does not matter to CreateFileW's flags: one mode (test/helpers/modes.ts, runsOnce).
import { afterEach, describe, expect, test } from 'vitest';
import { NamedPipe, NamedPipeServer, Reactor, wineVersion, type ImpersonationLevel } from '../../lib/index.ts';
import * as kernel32 from '../../lib/win32/kernel32.ts';
import { errorName } from '../../lib/core/windows-errors.ts';
import { declare, loadLibrary, type PointerValue } from '../../lib/win32/ffi.ts';
import { checkResourcesReleased } from '../helpers/resources.ts';

checkResourcesReleased();

const advapi32 = loadLibrary('advapi32.dll');
const ImpersonateNamedPipeClient = declare<(pipe: number) => number>(advapi32, 'int __stdcall ImpersonateNamedPipeClient(void *hNamedPipe)');
const RevertToSelf = declare<() => number>(advapi32, 'int __stdcall RevertToSelf()');
const OpenThreadToken = declare<(thread: PointerValue, access: number, openAsSelf: number, token: [PointerValue]) => number>(
  advapi32, 'int __stdcall OpenThreadToken(void *ThreadHandle, uint32_t DesiredAccess, int OpenAsSelf, _Out_ void **TokenHandle)');
const GetTokenInformation = declare<(token: PointerValue, infoClass: number, info: Uint8Array, length: number, returned: [number]) => number>(
  advapi32, 'int __stdcall GetTokenInformation(void *TokenHandle, int TokenInformationClass, _Out_ uint8_t *TokenInformation, uint32_t TokenInformationLength, _Out_ uint32_t *ReturnLength)');
const GetCurrentThread = declare<() => PointerValue>(loadLibrary('kernel32.dll'), 'void * __stdcall GetCurrentThread()');

const TOKEN_QUERY = 0x8;
const TOKEN_IMPERSONATION_LEVEL = 9; // TOKEN_INFORMATION_CLASS: a SECURITY_IMPERSONATION_LEVEL (DWORD)
const SECURITY_IDENTIFICATION_LEVEL = 1;
const SECURITY_IMPERSONATION_LEVEL = 2;

/** The token level the server's thread holds while impersonating `pipe`'s client, or the error on the way. */
function levelWhileImpersonating(pipe: NamedPipe): { level: number } | { error: string } {
  if (!ImpersonateNamedPipeClient(pipe.handle)) return { error: `ImpersonateNamedPipeClient: ${errorName(kernel32.GetLastError())}` };
  try {
    const token: [PointerValue] = [0];
    // OpenAsSelf: the access check uses the process's own token, not the one being inspected.
    if (!OpenThreadToken(GetCurrentThread(), TOKEN_QUERY, 1, token)) return { error: `OpenThreadToken: ${errorName(kernel32.GetLastError())}` };
    try {
      const info = new Uint8Array(4);
      const returned: [number] = [0];
      if (!GetTokenInformation(token[0], TOKEN_IMPERSONATION_LEVEL, info, info.length, returned)) {
        return { error: `GetTokenInformation: ${errorName(kernel32.GetLastError())}` };
      }
      return { level: new DataView(info.buffer).getUint32(0, true) };
    } finally {
      kernel32.CloseHandle(token[0]);
    }
  } finally {
    // Always back to the process's own token: the rest of the suite runs on this thread.
    expect(RevertToSelf()).toBe(1);
  }
}

describe('a pipe client limits what the server may do with its identity', () => {
  let reactor: Reactor | undefined;
  afterEach(async () => {
    await reactor?.close();
    reactor = undefined;
  });

  /** Connects with `options`, sends one byte (a server may impersonate only once it has read), and measures. */
  async function seenByServer(options: { impersonation?: ImpersonationLevel }): Promise<{ level: number } | { error: string }> {
    reactor ??= new Reactor();
    const r = reactor;
    const name = `winmux-impersonation-${process.pid}-${Math.random().toString(36).slice(2)}`;
    return r.run(async () => {
      const server = new NamedPipeServer(r, name);
      try {
        const accepted = server.accept();
        const client = await NamedPipe.connect(r, name, options);
        const pipe = await accepted;
        try {
          await client.write(new Uint8Array([1]));
          expect(await pipe.read(new Uint8Array(1))).toBe(1);
          return levelWhileImpersonating(pipe);
        } finally {
          await Promise.all([client.close(), pipe.close()]);
        }
      } finally {
        await server.close();
      }
    });
  }

  test('by default the server can identify the client but not act as it; each level is what the server gets', async () => {
    const byDefault = await seenByServer({});
    const identification = await seenByServer({ impersonation: 'identification' });
    const impersonation = await seenByServer({ impersonation: 'impersonation' });
    const anonymous = await seenByServer({ impersonation: 'anonymous' });
    expect(impersonation).toEqual({ level: SECURITY_IMPERSONATION_LEVEL });
    if ('level' in identification && identification.level === SECURITY_IMPERSONATION_LEVEL) {
      // The system ignored the level the client asked for: Wine's pipes (docs/wine.md). Windows
      // honours it, so this branch is taken only under Wine.
      expect(wineVersion()).not.toBeNull();
      expect([byDefault, anonymous]).toEqual([{ level: SECURITY_IMPERSONATION_LEVEL }, { level: SECURITY_IMPERSONATION_LEVEL }]);
      return;
    }
    expect(identification).toEqual({ level: SECURITY_IDENTIFICATION_LEVEL });
    expect(byDefault).toEqual(identification);
    // An anonymous client gives the server nothing to open (ERROR_CANT_OPEN_ANONYMOUS), or a
    // SecurityAnonymous token.
    expect(anonymous).toSatisfy((seen: { level: number } | { error: string }) => ('level' in seen ? seen.level === 0 : /CANT_OPEN_ANONYMOUS|WIN32_ERROR_1347/.test(seen.error)));
  });

  test('a level that is not one of the four is a TypeError before anything is opened', async () => {
    reactor = new Reactor();
    const r = reactor;
    await r.run(async () => {
      for (const bad of ['root', 'Identification', 5]) {
        await expect(NamedPipe.connect(r, 'winmux-no-such-pipe', { impersonation: bad as never })).rejects.toThrow(TypeError);
      }
    });
  });
});
