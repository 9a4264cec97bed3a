/**
 * Windows refusing to load one of Earshot's native files (issue 54, P4). Smart App Control in enforcement mode (and
 * App Control for Business / WDAC policies) blocks DLLs without a trusted code signature even inside a signed process
 * such as VS Code's Code.exe, and every native file of the win32 package is unsigned (built with MinGW-w64,
 * scripts/build-win32.js). Node then fails `process.dlopen` with ERR_DLOPEN_FAILED and Windows' own text for error
 * 4551 (0x800711C7), "An Application Control policy has blocked this file." (rolldown/rolldown#10801,
 * pingdotgg/t3code#8201, CherryHQ/cherry-studio#13930); Code Integrity logs event 3077 ("did not meet the … signing
 * level requirements", anthropics/claude-code#90969). A plain "failed to load" would leave the user nowhere: this names
 * the cause and what they can do, which is only to turn Smart App Control off or, on a managed PC, have the files
 * allowed: Smart App Control has no per-app exception (elevenforum.com "Turn On or Off Smart App Control", quoting
 * Microsoft), and until Windows 11 build 26220 it cannot be turned on again without resetting Windows (Windows
 * Insider announcement of Build 26220.7070, reported by windowslatest.com, 2025-12-16).
 */

/** Windows' words for a file refused by a code-integrity policy (error 4551, and Code Integrity's own wording). */
const POLICY_BLOCK = /Application Control policy has blocked|Code ?Integrity|signing level requirements/i;

/** Whether `error` is Node failing to load a native file because a Windows code-integrity policy refused it. */
export function blockedByWindowsPolicy(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  return e?.code === 'ERR_DLOPEN_FAILED' && POLICY_BLOCK.test(String(e.message ?? ''));
}

/** The file Node names after Windows' message (`…blocked this file.\r\n\\?\C:\…\x.node`), or undefined. */
function blockedFile(message: string): string | undefined {
  return /(?:\\\\\?\\)?([A-Za-z]:\\[^\r\n]*?\.(?:node|dll))\b/.exec(message)?.[1];
}

/** What the user reads: which file, why, and how to proceed. `what` says what Earshot loses ("speech recognition"). */
export function windowsPolicyBlockMessage(error: { message?: unknown }, what: string): string {
  const file = blockedFile(String(error.message ?? ''));
  return `Windows blocked ${what}${file ? ` (${file})` : ''}: Smart App Control, or an App Control policy on a managed PC, `
    + 'refuses files without a code signature, and Earshot\'s Windows files are not signed yet. To proceed, turn Smart App Control off '
    + '(Windows Security → App & browser control → Smart App Control settings; it allows no exception for one app, and before '
    + 'Windows 11 build 26220 it can only be turned on again by resetting Windows), or have your administrator allow the '
    + 'Earshot extension\'s folder. Event Viewer → Applications and Services Logs → Microsoft → Windows → CodeIntegrity → '
    + 'Operational lists each blocked file (event 3077).';
}

/**
 * Runs `load` (a require of a native module) and, when Windows' policy refused the file, throws an Error that says so
 * (the original as its cause); any other failure is thrown as it was.
 */
export function loadNative<T>(load: () => T, what: string): T {
  try {
    return load();
  } catch (e) {
    if (!blockedByWindowsPolicy(e)) throw e;
    throw new Error(windowsPolicyBlockMessage(e as Error, what), { cause: e });
  }
}
