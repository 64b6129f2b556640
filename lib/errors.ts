// The errors winmux raises besides WinError (which lives with the bindings, lib/win32/errors.ts).

export { WinError } from './win32/errors.ts';

/**
 * The resource was closed while the operation waited on it, or before it started: by
 * `notifyClosing(socket)`, by closing the reactor, or by closing the object itself.
 */
export class ClosedResourceError extends Error {
  override readonly name = 'ClosedResourceError';
  readonly code = 'ERR_CLOSED_RESOURCE';

  constructor(message = 'the resource was closed', options?: ErrorOptions) {
    super(message, options);
  }
}

/** Another task is already waiting on this resource in the same direction. */
export class BusyResourceError extends Error {
  override readonly name = 'BusyResourceError';
  readonly code = 'ERR_BUSY_RESOURCE';

  constructor(message = 'another task is already waiting on this resource', options?: ErrorOptions) {
    super(message, options);
  }
}
