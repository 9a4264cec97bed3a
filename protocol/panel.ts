/**
 * Messages between the extension and the side panel's webview (media/panel.ts), via postMessage.
 * Small and typed like the daemon protocol: the webview never receives HTML, only data it renders
 * as text.
 */
import type { ActionItem, CaptureState, Decision, LiveSourceKind, SessionState, SummaryParams, TranscriptSegment } from './protocol';

/** A live source as the panel shows it: its state, what went wrong, and its input level for a meter. */
export interface PanelSource {
  source: LiveSourceKind;
  state: CaptureState;
  /** dBFS RMS of the last level window; null before the first. */
  rmsDbfs: number | null;
  message?: string;
}

/** The rolling summary and open questions as the panel shows them. */
export type PanelSummary = Pick<SummaryParams, 'final' | 'bullets' | 'openQuestions'>;

/** What the panel shows for one transcript line. */
export type PanelSegment = Pick<TranscriptSegment, 'segmentId' | 'speaker' | 't0' | 't1' | 'text' | 'final'>;

export interface PanelSession {
  sessionId: string;
  title: string;
  state: SessionState;
  startedAt: string;
  error?: string;
}

/** Extension → webview. */
export type ToPanel =
  /** Everything to show, sent when the webview (re)loads. */
  | { type: 'snapshot'; session: PanelSession | null; segments: PanelSegment[]; actionItems: ActionItem[]; decisions: Decision[]; summary: PanelSummary | null; sources: PanelSource[] }
  /** The live sources changed state or level (about 10 times a second while recording). */
  | { type: 'sources'; sources: PanelSource[] }
  | { type: 'summary'; summary: PanelSummary }
  | { type: 'session'; session: PanelSession }
  /** A new or replaced line; an empty final removes the line. */
  | { type: 'segment'; segment: PanelSegment }
  | { type: 'actionItem'; item: ActionItem }
  | { type: 'decision'; decision: Decision };

/** Webview → extension. */
export type FromPanel =
  | { type: 'ready' }
  | { type: 'command'; command: PanelCommand };

/** Commands the panel's buttons run (each is also an `earshot.*` VS Code command). */
export type PanelCommand = 'startMeetingNotes' | 'stop' | 'transcribeFile';
