// Timestamp formatting shared by the export formats.

function parts(seconds: number): { h: number; m: number; s: number; ms: number } {
  const totalMs = Math.max(0, Math.round(seconds * 1000));
  const ms = totalMs % 1000;
  const totalS = (totalMs - ms) / 1000;
  return { h: Math.floor(totalS / 3600), m: Math.floor(totalS / 60) % 60, s: totalS % 60, ms };
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** 00:01:02,345 (SRT). */
export function srtTime(seconds: number): string {
  const { h, m, s, ms } = parts(seconds);
  return `${pad(h)}:${pad(m)}:${pad(s)},${pad(ms, 3)}`;
}

/** 00:01:02.345 (WebVTT). */
export function vttTime(seconds: number): string {
  const { h, m, s, ms } = parts(seconds);
  return `${pad(h)}:${pad(m)}:${pad(s)}.${pad(ms, 3)}`;
}

/** 00:01:02 (rounded down to the second), for reading formats. */
export function clockTime(seconds: number): string {
  const totalS = Math.max(0, Math.floor(seconds + 1e-6));
  return `${pad(Math.floor(totalS / 3600))}:${pad(Math.floor(totalS / 60) % 60)}:${pad(totalS % 60)}`;
}

/** Seconds with millisecond precision, no trailing noise: 12.5, 3.125. */
export function secondsText(seconds: number): string {
  return String(Math.round(seconds * 1000) / 1000);
}
