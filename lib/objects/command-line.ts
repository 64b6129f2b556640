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
//
// Batch files are the exception that matters for safety. CreateProcessW runs a .bat or .cmd as
// `cmd.exe /c <the command line>`, and cmd.exe does not split by the rules above: outside double
// quotes `& | < > ^ ( )` end or redirect the command, a `"` only toggles quoting (a backslash
// escapes nothing), and `%NAME%` is expanded everywhere, quoted or not. So an argument `"&calc`
// quoted for CommandLineToArgvW (`"\"&calc"`) runs calc (CVE-2024-27980, "BatBadBut"). For a
// batch file winmux builds cmd.exe's command line itself, as Rust's std does
// (make_bat_command_line): every argument with anything but letters, digits and `#$*+-./:?@\_`
// is quoted, a `"` inside is doubled (two toggles, so the text after it stays quoted; a program
// the batch file passes `%*` to reads `""` inside quotes as one `"`), and what quoting cannot
// protect is refused: `%` (Rust's `%%cd:~,%` trick against expansion is not honoured by Wine's
// cmd.exe, measured: `%PATH%` arrived expanded) and CR/LF (they end the command).

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
  // Backslashes before a quote are doubled, plus one to make the quote literal; elsewhere literal.
  return inQuotes(argument, '\\"');
}

/**
 * `argument` between double quotes, each `"` in it written as `quote`: backslashes before a quote
 * in it, and before the closing quote (so that it still closes), are doubled; elsewhere literal.
 */
function inQuotes(argument: string, quote: string): string {
  let quoted = '"';
  let backslashes = 0;
  for (const char of argument) {
    if (char === '\\') {
      backslashes++;
      continue;
    }
    quoted += char === '"' ? `${'\\'.repeat(backslashes * 2)}${quote}` : `${'\\'.repeat(backslashes)}${char}`;
    backslashes = 0;
  }
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

/** cmd.exe's switches for a batch file: no AutoRun commands from the registry (/d), command
 * extensions on (/e:ON, as by default), delayed expansion off (/v:OFF: `!` is literal), run and exit (/c). */
const BATCH_SWITCHES = '/d /e:ON /v:OFF /c';

/**
 * What a batch argument may hold unquoted: ASCII letters, digits and `#$*+-./:?@\_` (none means
 * anything to cmd.exe), and non-ASCII from U+00A0 up; any other ASCII (space, `,;=` that split
 * batch arguments, the metacharacters) or control character (C0, DEL, C1) makes it quoted.
 */
const BATCH_UNQUOTED = /^[A-Za-z0-9#$*+\-./:?@\\_\u00a0-\uffff]*$/;

/** Characters cmd.exe acts on even inside quotes: expansion (`%`) and the end of the command (CR, LF). */
const BATCH_REFUSED = /[%\r\n]/;

function batchCharName(char: string): string {
  return char === '%' ? "'%' (cmd.exe expands %NAME% even inside quotes)" : `${char === '\r' ? 'a CR' : 'a LF'} (it ends cmd.exe's command)`;
}

/**
 * One argument for a batch file, quoted for cmd.exe (the header says how), or a RangeError
 * naming `what` when it holds what cmd.exe would act on inside quotes.
 */
export function quoteBatchArgument(argument: string, what: string): string {
  checkCommandString(argument, what);
  const refused = BATCH_REFUSED.exec(argument);
  if (refused) throw new RangeError(`${what} contains ${batchCharName(refused[0])}: a batch file cannot receive it safely`);
  // Empty would vanish; a trailing backslash unquoted would escape the quote of a batch file's `"%~1"`.
  const quote = argument === '' || argument.endsWith('\\') || !BATCH_UNQUOTED.test(argument);
  if (!quote) return argument;
  // Before a quote the backslashes are doubled (a C runtime reading `%*` halves them), and the
  // quote itself doubled; elsewhere both are literal.
  return inQuotes(argument, '""');
}

/**
 * The command line that runs the batch file `script` (a full path) with `args` through cmd.exe,
 * for CreateProcessW with the system's cmd.exe as the application. The whole command after /c is
 * wrapped in one more pair of quotes: cmd.exe strips the first and the last quote of it.
 */
export function buildBatchCommandLine(script: string, args: readonly string[], what: { file: string; args: string }): string {
  checkCommandString(script, what.file);
  if (script.includes('"')) throw new TypeError(`${what.file} ${JSON.stringify(script)} contains a double quote (no Windows file name can)`);
  const refused = BATCH_REFUSED.exec(script);
  if (refused) throw new RangeError(`${what.file} ${JSON.stringify(script)} is a batch file whose path contains ${batchCharName(refused[0])}`);
  const quoted = args.map((arg, i) => ` ${quoteBatchArgument(arg, `${what.args}[${i}]`)}`).join('');
  return `cmd.exe ${BATCH_SWITCHES} ""${script}"${quoted}"`;
}

/**
 * The first word of a raw command line — the program, by the rule CreateProcessW and the C
 * runtime use for it: up to the closing quote if it starts with one, else up to a space or tab.
 */
export function firstWord(commandLine: string): string {
  const line = commandLine.replace(/^[ \t]+/, '');
  if (line.startsWith('"')) {
    const end = line.indexOf('"', 1);
    return end === -1 ? line.slice(1) : line.slice(1, end);
  }
  return /^[^ \t]*/.exec(line)![0];
}
