// Prompt continuity for whisper-style models: the end of the previous upload's text, cut at a
// word boundary, is what the next upload is prompted with (see stages/transcribe.ts).

/** The last `chars` characters of `text`, starting at a word boundary. */
export function tail(text: string, chars = 200): string {
  if (text.length <= chars) return text.trim();
  const cut = text.slice(-chars);
  const space = cut.indexOf(' ');
  return (space >= 0 ? cut.slice(space + 1) : cut).trim();
}
