/**
 * Windowing math for the transcript's virtual list: which rows to put in the DOM for a scroll position, and how tall
 * the spacers above and below them are. Pure (no DOM), so the unit tests (test/unit/virtual-list.test.ts) import it
 * directly; the webview (media/panel/transcriptState.ts) imports the same file.
 *
 * Rows wrap, so their heights vary: a row's height is measured once it was rendered and cached by its key; rows never
 * measured count as the estimate (the rounded mean of the measured ones). Offsets are prefix sums kept valid up to
 * the first row that changed, so appending rows at the end (the live case) or measuring rows near the end costs
 * nothing for the rows before them.
 */

export interface RowWindow {
  /** First row to render (index into the rows). */
  start: number;
  /** One past the last row to render. */
  end: number;
  /** Height of the spacer above the rendered rows: the rows before `start`. */
  before: number;
  /** Height of the spacer below them: the rows from `end` on. */
  after: number;
  /** Height of all rows. */
  total: number;
}

export interface RowLayoutOptions {
  /** Height of a row before any was measured, in px. */
  estimate?: number;
  /** Extra px rendered above and below the viewport, so a short scroll shows rows already there. */
  overscan?: number;
  /** Never render more rows than this, whatever the viewport (a guard against tiny or unmeasured rows). */
  maxRows?: number;
}

export class RowLayout {
  private keys: string[] = [];
  private readonly measured = new Map<string, number>();
  /** offsets[i]: top of row i; valid for i ≤ validUpTo. */
  private offsets: number[] = [0];
  private validUpTo = 0;
  private measuredSum = 0;
  private estimateValue: number;
  readonly overscan: number;
  readonly maxRows: number;

  constructor(options: RowLayoutOptions = {}) {
    this.estimateValue = Math.max(1, options.estimate ?? 24);
    this.overscan = Math.max(0, options.overscan ?? 300);
    this.maxRows = Math.max(1, options.maxRows ?? 100);
  }

  get count(): number {
    return this.keys.length;
  }

  /** The height an unmeasured row counts as. */
  get estimate(): number {
    return this.estimateValue;
  }

  keyAt(index: number): string {
    return this.keys[index];
  }

  /** Replaces the rows (a new filter); measured heights are kept by key. */
  reset(keys: readonly string[]): void {
    this.keys = [...keys];
    this.invalidate(0);
  }

  /** Adds a row at the end: the offsets before it stay valid. */
  append(key: string): void {
    this.keys.push(key);
  }

  insert(index: number, key: string): void {
    this.keys.splice(index, 0, key);
    this.invalidate(index);
  }

  remove(index: number): void {
    if (index < 0 || index >= this.keys.length) return;
    this.keys.splice(index, 1);
    this.invalidate(index);
  }

  /** Forgets a key's measured height (its row is gone for good). */
  forget(key: string): void {
    const h = this.measured.get(key);
    if (h === undefined) return;
    this.measured.delete(key);
    this.measuredSum -= h;
    const index = this.keys.indexOf(key);
    this.invalidate(index < 0 ? 0 : index);
    this.updateEstimate();
  }

  /** Forgets every measured height (the width changed, so rows wrap differently). */
  clearMeasurements(): void {
    this.measured.clear();
    this.measuredSum = 0;
    this.invalidate(0);
  }

  heightAt(index: number): number {
    return this.measured.get(this.keys[index]) ?? this.estimateValue;
  }

  isMeasured(index: number): boolean {
    return this.measured.has(this.keys[index]);
  }

  /** Records row `index`'s rendered height; true when that changed the layout. */
  setHeightAt(index: number, height: number): boolean {
    const key = this.keys[index];
    if (key === undefined || !(height >= 0)) return false;
    const h = Math.round(height * 100) / 100;
    const old = this.measured.get(key);
    if (old === h) return false;
    const shown = old ?? this.estimateValue;
    this.measured.set(key, h);
    this.measuredSum += h - (old ?? 0);
    const estimateChanged = this.updateEstimate();
    if (shown !== h) this.invalidate(index);
    return shown !== h || estimateChanged;
  }

  /** Top of row `index` (index = count: the total height). */
  offsetOf(index: number): number {
    const i = Math.max(0, Math.min(index, this.keys.length));
    this.computeUpTo(i);
    return this.offsets[i];
  }

  totalHeight(): number {
    return this.offsetOf(this.keys.length);
  }

  /** The row at a vertical offset (the last row for offsets past the end; 0 when there are none). */
  indexAt(offset: number): number {
    const n = this.keys.length;
    if (n === 0) return 0;
    this.computeUpTo(n);
    if (offset <= 0) return 0;
    // The last row whose top is ≤ offset.
    let lo = 0, hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.offsets[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The last row that starts above an offset (a row starting exactly there is not in view above it). */
  private indexBefore(offset: number): number {
    const n = this.keys.length;
    this.computeUpTo(n);
    let lo = 0, hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.offsets[mid] < offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /**
   * The rows to render for a viewport: those overlapping [scrollTop − overscan, scrollTop + viewport + overscan],
   * at most maxRows (centred on the viewport's first row when that cuts).
   */
  window(scrollTop: number, viewportHeight: number): RowWindow {
    const n = this.keys.length;
    const total = this.totalHeight();
    if (n === 0) return { start: 0, end: 0, before: 0, after: 0, total };
    const top = Math.max(0, Math.min(scrollTop, Math.max(0, total - viewportHeight)));
    const first = this.indexAt(top);
    let start = this.indexAt(top - this.overscan);
    let end = this.indexBefore(top + Math.max(0, viewportHeight) + this.overscan) + 1;
    end = Math.min(n, Math.max(end, first + 1));
    if (end - start > this.maxRows) {
      // Keep the viewport's rows; share what is left of the budget between the overscan above and below.
      const visibleEnd = Math.min(end, Math.max(first + 1, this.indexBefore(top + Math.max(0, viewportHeight)) + 1));
      if (visibleEnd - first >= this.maxRows) {
        start = first;
        end = first + this.maxRows;
      } else {
        const spare = this.maxRows - (visibleEnd - first);
        let above = Math.min(first - start, Math.floor(spare / 2));
        const below = Math.min(end - visibleEnd, spare - above);
        above = Math.min(first - start, spare - below);
        start = first - above;
        end = visibleEnd + below;
      }
    }
    return { start, end, before: this.offsetOf(start), after: total - this.offsetOf(end), total };
  }

  private invalidate(index: number): void {
    this.validUpTo = Math.min(this.validUpTo, Math.max(0, index));
  }

  private computeUpTo(index: number): void {
    if (this.offsets.length > this.keys.length + 1) this.offsets.length = this.keys.length + 1;
    for (let i = this.validUpTo; i < index; i++) this.offsets[i + 1] = this.offsets[i] + this.heightAt(i);
    if (index > this.validUpTo) this.validUpTo = index;
  }

  /** The estimate follows the measured rows' mean, rounded so that small changes do not move every offset. */
  private updateEstimate(): boolean {
    if (this.measured.size === 0) return false;
    const next = Math.max(1, Math.round(this.measuredSum / this.measured.size));
    if (next === this.estimateValue) return false;
    this.estimateValue = next;
    this.invalidate(0);
    return true;
  }
}

/** The first index in [0, count) whose value is ≥ target, for values ascending with the index (count when none is). */
export function lowerBound(count: number, valueAt: (index: number) => number, target: number): number {
  let lo = 0, hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (valueAt(mid) < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
