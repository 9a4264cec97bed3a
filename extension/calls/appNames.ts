/**
 * A call app's name as the user reads it: the OS gives PulseAudio's application.name ("ZOOM VoiceEngine"), a bundle id
 * ("us.zoom.xos"), a package family name ("MSTeams_8wekyb3d8bbwe") or a program's path (Windows' consent store keeps
 * "C:#Program Files#…#zoom.exe"). Known apps get their usual name; any other name is shown as its last path part.
 * Either way the text is inert: it is another process's, and a VS Code notification renders `[text](command:…)` as a
 * link, so brackets never reach it. Pure; imports only protocol/.
 */
import { plainLine } from '../../protocol/plainText';

/** The most characters of an app's name as shown. */
export const APP_NAME_MAX = 60;

const KNOWN_APPS: readonly [RegExp, string][] = [
  [/\bzoom\b|us\.zoom\./, 'Zoom'],
  [/teams/, 'Microsoft Teams'],
  [/webex/, 'Webex'],
  [/slack/, 'Slack'],
  [/discord/, 'Discord'],
  [/skype/, 'Skype'],
  [/facetime/, 'FaceTime'],
  [/signal/, 'Signal'],
  [/\bchrom(e|ium)\b|com\.google\.chrome/, 'Google Chrome'],
  [/\bfirefox\b|org\.mozilla\.firefox/, 'Firefox'],
  [/\bmsedge\b|microsoft\s*edge|com\.microsoft\.edgemac/, 'Microsoft Edge'],
  [/\bsafari\b|com\.apple\.safari/, 'Safari'],
];

/** The name shown for an app as detection names it (CallApp.app). */
export function callAppName(app: string): string {
  const raw = plainLine(app).toLowerCase();
  for (const [pattern, name] of KNOWN_APPS) if (pattern.test(raw)) return name;
  // The last part of a path ("/usr/bin/foo", "C:#Program Files#Foo#foo.exe"), without ".exe".
  const last = plainLine(app).split(/[\\/#]/).filter((p) => p.length > 0).pop() ?? '';
  const shown = last.replace(/\.exe$/i, '').replace(/[[\]]/g, (c) => (c === '[' ? '(' : ')'));
  const bounded = shown.length > APP_NAME_MAX ? `${shown.slice(0, APP_NAME_MAX - 1)}…` : shown;
  return bounded || 'An app';
}

/** Whether `app` is one of `names` (a setting's list): compared without case or surrounding blanks. */
export function appListed(app: string, names: readonly string[]): boolean {
  const key = app.trim().toLowerCase();
  return names.some((n) => n.trim().toLowerCase() === key);
}
