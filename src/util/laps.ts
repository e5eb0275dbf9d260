/** Stage timings in seconds (run-report.json `timings`, the registry increment's plan): each lap is the time since the previous one. */
export class Laps {
  readonly timings: Record<string, number> = {};
  private start = performance.now();
  lap(stage: string): void {
    const now = performance.now();
    this.timings[stage] = Math.round(now - this.start) / 1000;
    this.start = now;
  }
}
