/**
 * A stand-in for macOS's open(1), for launching Earshot's capture app on Linux (daemon/capture/macCaptureApp.ts).
 * It does what open's usage says of the options Earshot passes:
 *   -a APP          the application to open; its executable is Contents/MacOS/<CFBundleExecutable of Info.plist>
 *   -n              a new instance even if one runs (here every launch is one)
 *   -g              do not bring it to the foreground (nothing to show here)
 *   -W              block until the application exits
 *   --stdout PATH / --stderr PATH   "Launches with stdout/stderr connected to PATH"
 *   --args ...      all remaining arguments go to the application
 * An app LaunchServices starts is a child of launchd, with launchd's environment rather than the caller's: the fake
 * starts it with an emptied environment, so a launch that relied on the daemon's environment fails here too; and as a
 * background job that ending the fake leaves running, as ending `open` leaves the app (platform review 3, P6). What
 * is not copied: open's exact wording when it cannot open an app (only that it says so on stderr and exits non-zero),
 * and open's own exit status after -W (taken as 0).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Writes the fake `open` into `dir` and returns its path. */
export function fakeOpen(dir: string): string {
  const file = path.join(dir, 'open');
  fs.writeFileSync(file, `#!/bin/sh
wait=; app=; out=/dev/null; err=/dev/null
while [ $# -gt 0 ]; do
  case "$1" in
    -W) wait=1 ;;
    -n|-g) ;;
    -a) app=$2; shift ;;
    --stdout) out=$2; shift ;;
    --stderr) err=$2; shift ;;
    --args) shift; break ;;
    *) echo "open: unsupported option $1" >&2; exit 1 ;;
  esac
  shift
done
exe=$(sed -n '/<key>CFBundleExecutable<\\/key>/{n;s/.*<string>\\(.*\\)<\\/string>.*/\\1/p;}' "$app/Contents/Info.plist" 2>/dev/null)
if [ -z "$exe" ] || [ ! -x "$app/Contents/MacOS/$exe" ]; then
  echo "The application $app cannot be opened." >&2
  exit 1
fi
env -i HOME="$HOME" PATH=/usr/bin:/bin "$app/Contents/MacOS/$exe" "$@" </dev/null >"$out" 2>"$err" &
if [ -n "$wait" ]; then wait; fi
exit 0
`, { mode: 0o755 });
  return file;
}
