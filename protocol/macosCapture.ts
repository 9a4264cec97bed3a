/**
 * What both sides know of capture on macOS: device ids that name applications (a Core Audio process tap of those apps'
 * processes, daemon/capture/audiotee.ts), which macOS has process taps, and the System Settings panes a permission
 * fault links to (the daemon's messages name them; the extension opens them, and offers system audio by app only where
 * taps exist). Pure; imports nothing.
 */

/** Device ids that name applications rather than a device. */
export const APP_PREFIX = 'app:';

/** Core Audio process taps arrived in macOS 14.2 = Darwin 23.2. */
export function macosSupportsProcessTaps(darwinRelease: string): boolean {
  const [major, minor] = darwinRelease.split('.').map((n) => Number(n));
  return major > 23 || (major === 23 && minor >= 2);
}

/** System Settings → Privacy & Security → Screen & System Audio Recording (its "System Audio Recording Only" list). */
export const MACOS_AUDIO_CAPTURE_SETTINGS = 'x-apple.systempreferences:com.apple.preference.security?Privacy_ScreenCapture';
/** System Settings → Privacy & Security → Microphone. */
export const MACOS_MICROPHONE_SETTINGS = 'x-apple.systempreferences:com.apple.preference.security?Privacy_Microphone';
