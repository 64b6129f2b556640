// Windows command lines from argv. A Windows process gets one string, and each program splits it
// itself; almost all use the rules of CommandLineToArgvW (shell32), which the Microsoft C
// runtime's argv parsing shares for everything this module produces:
//   - arguments are separated by spaces or tabs outside double quotes;
//   - 2n backslashes then a quote → n backslashes, and the quote opens or closes quoting;
//   - 2n+1 backslashes then a quote → n backslashes and a literal quote;
//   - backslashes not followed by a quote are literal.
// The program name (argv[0]) is parsed by a simpler rule: up to the next quote if it starts with
// one, else up to the first space or tab; backslashes are never escapes there.
// Programs that parse their own command line (cmd.exe) need the raw string form instead.

/** Characters that end an unquoted argument, or that quoting must escape. */
const NEEDS_QUOTES = /[ \t\n\v"]/;

/** Throws a TypeError unless `value` is a string without NUL characters (a command line cannot carry one). */
export function checkCommandString(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new TypeError(`${what} must be a string, got ${value === null ? 'null' : typeof value}`);
  if (value.includes('\0')) throw new TypeError(`${what} contains a NUL character`);
  return value;
}

/** One argument (not the program name) quoted so CommandLineToArgvW gives it back unchanged. */
export function quoteArgument(argument: string): string {
  checkCommandString(argument, 'quoteArgument: argument');
  if (argument !== '' && !NEEDS_QUOTES.test(argument)) return argument;
  let quoted = '"';
  let backslashes = 0;
  for (const char of argument) {
    if (char === '\\') {
      backslashes++;
      continue;
    }
    // Backslashes before a quote are doubled, plus one to make the quote literal; elsewhere literal.
    quoted += char === '"' ? `${'\\'.repeat(backslashes * 2 + 1)}"` : `${'\\'.repeat(backslashes)}${char}`;
    backslashes = 0;
  }
  // Before the closing quote they are doubled, so the quote still closes.
  return `${quoted}${'\\'.repeat(backslashes * 2)}"`;
}

/** The program name as argv[0]: quoted when it holds a space or tab. It cannot hold a quote. */
export function quoteProgram(file: string): string {
  if (file === '') throw new TypeError('spawnProcess: the program name is empty');
  if (file.includes('"')) throw new TypeError(`spawnProcess: the program name ${JSON.stringify(file)} contains a double quote (no Windows file name can)`);
  return /[ \t]/.test(file) ? `"${file}"` : file;
}

/** `file` and `args` as one command line that CommandLineToArgvW splits back into [file, ...args]. */
export function buildCommandLine(file: string, args: readonly string[]): string {
  checkCommandString(file, 'buildCommandLine: file');
  if (!Array.isArray(args)) throw new TypeError(`buildCommandLine: args must be an array of strings, got ${args === null ? 'null' : typeof args}`);
  args.forEach((arg: unknown, i) => checkCommandString(arg, `buildCommandLine: args[${i}]`));
  return [quoteProgram(file), ...args.map(quoteArgument)].join(' ');
}
