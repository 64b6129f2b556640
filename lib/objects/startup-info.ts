// The STARTUPINFOEXW a child is started with: its three standard handles (STARTF_USESTDHANDLES)
// and a PROC_THREAD_ATTRIBUTE_HANDLE_LIST naming exactly those as the handles it may inherit.
// CreateProcessW with bInheritHandles TRUE and no list would give the child every inheritable
// handle this process has — including other children's pipe ends made at the same moment by
// other code (libuv does the same as this module, for the same reason).
import * as kernel32 from '../win32/kernel32.ts';
import { WinError } from '../core/windows-errors.ts';
import { addressOf } from '../win32/ffi.ts';
import { STARTUPINFOEXW, STARTUPINFOW } from '../win32/structs.ts';

export class StartupInfo {
  /** The STARTUPINFOEXW to pass to CreateProcessW. */
  readonly buffer = new Uint8Array(STARTUPINFOEXW.SIZE);
  /** Whether the child inherits handles (bInheritHandles): only when the list has some. */
  readonly inherits: boolean;
  /** The attribute list; it points into `#handles`, so both stay referenced until `delete()`. */
  #list: Uint8Array | undefined;
  #handles: Uint8Array | undefined;

  /** `std`: stdin, stdout, stderr; 0 = none. Each non-zero handle must be inheritable. */
  constructor(std: readonly [number, number, number]) {
    const view = new DataView(this.buffer.buffer);
    view.setUint32(STARTUPINFOW.CB, STARTUPINFOEXW.SIZE, true);
    view.setUint32(STARTUPINFOW.FLAGS, kernel32.STARTF_USESTDHANDLES, true);
    view.setBigUint64(STARTUPINFOW.STD_INPUT, BigInt(std[0]), true);
    view.setBigUint64(STARTUPINFOW.STD_OUTPUT, BigInt(std[1]), true);
    view.setBigUint64(STARTUPINFOW.STD_ERROR, BigInt(std[2]), true);
    const inherited = [...new Set(std.filter((handle) => handle !== 0))];
    this.inherits = inherited.length > 0;
    // An empty handle list is ERROR_INVALID_PARAMETER; with no handles there is nothing to inherit.
    if (this.inherits) this.#makeList(inherited, view);
  }

  #makeList(inherited: number[], view: DataView): void {
    // The first call only reports the size the list needs (and fails with ERROR_INSUFFICIENT_BUFFER).
    const size = new Uint8Array(8);
    kernel32.InitializeProcThreadAttributeList(null, 1, 0, size);
    const bytes = Number(new DataView(size.buffer).getBigUint64(0, true));
    if (bytes === 0) throw new WinError('InitializeProcThreadAttributeList', kernel32.GetLastError());
    // Both the list and the handle array must not move while the list is in use (it keeps their
    // addresses): a typed array over its own ArrayBuffer has an off-heap store (V8 keeps small
    // ones, under 64 bytes, on its heap, where a collection may move them).
    const list = new Uint8Array(new ArrayBuffer(bytes));
    if (!kernel32.InitializeProcThreadAttributeList(list, 1, 0, size)) throw new WinError('InitializeProcThreadAttributeList', kernel32.GetLastError());
    const handles = new Uint8Array(new ArrayBuffer(inherited.length * 8));
    inherited.forEach((handle, i) => new DataView(handles.buffer).setBigUint64(i * 8, BigInt(handle), true));
    if (!kernel32.UpdateProcThreadAttribute(list, 0, kernel32.PROC_THREAD_ATTRIBUTE_HANDLE_LIST, handles, handles.length, null, null)) {
      const errno = kernel32.GetLastError();
      kernel32.DeleteProcThreadAttributeList(list);
      throw new WinError('UpdateProcThreadAttribute', errno, { detail: 'PROC_THREAD_ATTRIBUTE_HANDLE_LIST' });
    }
    this.#list = list;
    this.#handles = handles;
    view.setBigUint64(STARTUPINFOEXW.ATTRIBUTE_LIST, addressOf(list), true);
  }

  /** DeleteProcThreadAttributeList, once CreateProcessW has returned. Idempotent. */
  delete(): void {
    if (this.#list !== undefined) kernel32.DeleteProcThreadAttributeList(this.#list);
    this.#list = undefined;
    this.#handles = undefined;
  }
}
