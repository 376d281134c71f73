// KIP-219 channel muting: after a response that carries throttle_time_ms the connection reads no
// further request until the throttle time has passed (Kafka's ThrottledChannel), so a client
// over its quota is slowed even if it ignores the field. The connection asks `muted` before
// reading each frame and is woken by `onUnmute` when the time is up.
export class ChannelMute {
  private timer: NodeJS.Timeout | null = null;
  private until = 0;

  constructor(private readonly onUnmute: () => void) {}

  get muted(): boolean {
    return this.timer !== null;
  }

  /** Mutes for `ms` from now; a longer mute already running is kept. */
  mute(ms: number): void {
    if (!(ms > 0)) return;
    const until = Date.now() + ms;
    if (this.timer !== null && until <= this.until) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.until = until;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.onUnmute();
    }, ms);
    this.timer.unref();
  }

  dispose(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
