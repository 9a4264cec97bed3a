/**
 * Command lines the user pastes into a terminal (connectAgent.ts): each argument quoted for the shell it is pasted in,
 * so that the program receives exactly the strings given (paths with spaces, quotes, `$`, non-ASCII).
 *
 * - POSIX sh (macOS, Linux, Git Bash): single quotes, where nothing is special; a single quote is written `'\''`.
 * - PowerShell (Windows' default terminal): single quotes, where nothing is special but the quote itself, doubled;
 *   PowerShell also takes the curly quotes ‘ ’ ‚ ‛ as single quotes, so they are doubled too. `--` is quoted: bare, it
 *   is PowerShell's end-of-parameters token, which a script (npm's `claude.ps1`) never receives. A `"` cannot be
 *   passed reliably (Windows PowerShell 5.1 hands it to a program unescaped, so the program splits the argument there),
 *   nor an empty argument (5.1 drops it), nor one with a space ending in a backslash (5.1's `"…\"`): refused.
 * - cmd.exe: double quotes; cmd expands `%NAME%` even inside them and a `"` ends them: both refused.
 * Refused means {@link UnquotableError}: the caller offers the JSON configuration instead, which needs no shell.
 *
 * PowerShell's rules: MicrosoftDocs/PowerShell-Docs reference/5.1/Microsoft.PowerShell.Core/About/about_Quoting_Rules.md,
 * "Single-quoted strings" (verbatim, no substitution; a quote written twice) and the note added by PR #11405 (smart
 * quotes are quotes). Checked as exact strings only: no PowerShell runs here or under Wine.
 */

export type Shell = 'posix' | 'powershell' | 'cmd';

export const SHELL_NAMES: Record<Shell, string> = { posix: 'a POSIX shell (bash, zsh)', powershell: 'PowerShell', cmd: 'Command Prompt (cmd.exe)' };

export class UnquotableError extends Error {}

/** The shell a line is written for: the default terminal's on Windows (VS Code's `env.shell`), else POSIX sh. */
export function shellFor(platform: NodeJS.Platform, shellPath: string | undefined): Shell {
  if (platform !== 'win32') return 'posix';
  const name = (shellPath ?? '').split(/[\\/]/).pop()!.toLowerCase().replace(/\.exe$/, '');
  if (name === 'cmd') return 'cmd';
  if (['bash', 'sh', 'zsh', 'fish', 'wsl'].includes(name)) return 'posix';
  return 'powershell';
}

const PLAIN: Record<Shell, RegExp> = {
  posix: /^[A-Za-z0-9_\/.,:=@%+-]+$/,
  // Not starting with '-': a dash word is quoted, so `--` and `-e` reach a script's $args as they are.
  powershell: /^[A-Za-z0-9_\/\\.:=+][A-Za-z0-9_\/\\.:=+-]*$/,
  cmd: /^[A-Za-z0-9_\/\\.:=+-]+$/,
};

export function quoteArg(arg: string, shell: Shell): string {
  if (shell === 'posix') return PLAIN.posix.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
  if (/[\r\n\0]/.test(arg)) throw new UnquotableError(`${SHELL_NAMES[shell]} cannot take an argument with a line break in it`);
  if (shell === 'powershell') {
    if (arg.includes('"')) throw new UnquotableError(`PowerShell cannot pass an argument holding a double quote (") to a program reliably: ${arg}`);
    if (!arg) throw new UnquotableError('Windows PowerShell drops an empty argument');
    // 5.1 wraps an argument with a space in "…" as it is: a final backslash would escape that quote.
    if (/\\$/.test(arg) && !PLAIN.powershell.test(arg)) throw new UnquotableError(`PowerShell cannot pass an argument ending with a backslash reliably: ${arg}`);
    return PLAIN.powershell.test(arg) ? arg : `'${arg.replace(/['\u2018\u2019\u201a\u201b]/g, '$&$&')}'`;
  }
  if (/["%]/.test(arg)) throw new UnquotableError(`cmd.exe cannot take an argument holding " or %: ${arg}`);
  // Programs split their command line by the C runtime's rules, where backslashes before the closing quote escape it.
  return PLAIN.cmd.test(arg) ? arg : `"${arg.replace(/(\\+)$/, '$1$1')}"`;
}

/** The words joined into one line for `shell`, each quoted as needed. */
export function commandLine(words: readonly string[], shell: Shell): string {
  return words.map((w) => quoteArg(w, shell)).join(' ');
}
