/**
 * The OS settings page a capture problem names by its URI (macOS `x-apple.systempreferences:…`, Windows
 * `ms-settings:…`, written by the daemon at the end of the message in parentheses): offered as a button that opens
 * it, and left out of the text shown.
 */
const LINK = /(?:x-apple\.systempreferences|ms-settings):[^\s)]+/;

export function settingsLink(text: string | undefined): string | undefined {
  return text ? LINK.exec(text)?.[0] : undefined;
}

export function withoutSettingsLink(text: string): string {
  return text.replace(/\s*\((?:x-apple\.systempreferences|ms-settings):[^)]*\)/, '');
}
