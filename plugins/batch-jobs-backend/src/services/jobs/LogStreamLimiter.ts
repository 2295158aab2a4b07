/** 429: the caller has too many log streams open (the error handler honours `statusCode`). @public */
export class TooManyLogStreamsError extends Error {
  readonly statusCode = 429;
  name = 'TooManyLogStreamsError';
}

/**
 * Caps the log streams one user holds open at once: each streams a Jenkins
 * log through the backend, so a few hundred tabs (or a script) on 1 GB logs
 * would hold as many Jenkins connections and sockets.
 * @internal
 */
export class LogStreamLimiter {
  private readonly open = new Map<string, number>();

  constructor(private readonly maxPerUser: number) {}

  /** Takes a slot for `user`; the returned release gives it back (once). */
  acquire(user: string): () => void {
    const count = this.open.get(user) ?? 0;
    if (count >= this.maxPerUser) {
      throw new TooManyLogStreamsError(
        `You have ${count} log streams open (at most ${this.maxPerUser}); close a log view and try again`,
      );
    }
    this.open.set(user, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.open.get(user) ?? 1) - 1;
      if (left <= 0) this.open.delete(user);
      else this.open.set(user, left);
    };
  }
}
