/** The sandbox's notion of "now", in epoch milliseconds. */
export interface Clock {
  readonly kind: 'real' | 'manual';
  now(): number;
}

/** Time only moves when a test says so. */
export class ManualClock implements Clock {
  readonly kind = 'manual';
  constructor(private current: number) {}

  now(): number {
    return this.current;
  }

  set(time: number): void {
    if (time < this.current) throw new Error('The sandbox clock cannot go back');
    this.current = time;
  }
}

/** Wall-clock time, shifted so that the world starts at `startTime`. */
export class RealClock implements Clock {
  readonly kind = 'real';
  private readonly offset: number;

  constructor(startTime: number = Date.now()) {
    this.offset = startTime - Date.now();
  }

  now(): number {
    return Date.now() + this.offset;
  }
}

/** Events ordered by time, then by insertion, so that runs are repeatable. */
export class EventQueue<T> {
  private heap: Array<{ at: number; seq: number; value: T }> = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(at: number, value: T): void {
    const entry = { at, seq: this.seq++, value };
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  peekTime(): number | undefined {
    return this.heap[0]?.at;
  }

  pop(): { at: number; value: T } | undefined {
    const heap = this.heap;
    if (heap.length === 0) return undefined;
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && this.less(heap[l], heap[m])) m = l;
        if (r < heap.length && this.less(heap[r], heap[m])) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m], heap[i]];
        i = m;
      }
    }
    return top;
  }

  private less(
    x: { at: number; seq: number },
    y: { at: number; seq: number },
  ): boolean {
    return x.at < y.at || (x.at === y.at && x.seq < y.seq);
  }
}
