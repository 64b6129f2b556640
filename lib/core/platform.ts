// The package entry imports this module first, so that on a host that is not Windows the import
// fails here, with a message that says why, before koffi loads and the Win32 DLLs are asked for
// (which fails with a shared-library error that names neither winmux nor Windows). lib/core/errors.ts
// loads nothing of Windows, so it is safe to import on any host.
import { UnsupportedPlatformError } from './errors.ts';

if (process.platform !== 'win32') {
  throw new UnsupportedPlatformError(`winmux needs Windows (process.platform is ${process.platform}); on Linux, run it with the Windows build of Node.js under Wine`);
}
