/**
 * LocalAgreement-2 (as in whisper_streaming): a word becomes fixed once two consecutive partial
 * decodes of the same utterance agree on it and on everything before it. Fixed words are always
 * shown as they were, so a partial can only change its unconfirmed tail: it never flickers back
 * over what the reader has already seen confirmed.
 */

/** Compares words the way a reader would: case and surrounding punctuation do not matter. */
function normalize(word: string): string {
  return word.toLowerCase().replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');
}

export class LocalAgreement {
  private committed: string[] = [];
  private previous: string[] = [];

  /** Takes a new hypothesis for the utterance; returns the text to show (fixed words + new tail). */
  update(hypothesis: string): string {
    const words = hypothesis.split(/\s+/).filter(Boolean);
    const keepsFixed = this.committed.every((w, i) => i < words.length && normalize(w) === normalize(words[i]));
    // Only a hypothesis that still agrees with the fixed words can fix more (positions line up).
    for (let i = this.committed.length; keepsFixed && i < this.previous.length && i < words.length; i++) {
      if (normalize(this.previous[i]) !== normalize(words[i])) break;
      this.committed.push(this.previous[i]); // the form the reader already saw
    }
    this.previous = words;
    return [...this.committed, ...words.slice(this.committed.length)].join(' ');
  }

  /** Words no later partial will change. */
  get fixed(): string {
    return this.committed.join(' ');
  }

  reset(): void {
    this.committed = [];
    this.previous = [];
  }
}
