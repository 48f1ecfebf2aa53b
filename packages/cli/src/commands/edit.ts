// spx edit: the CLI side of transcript review. Saves speaker names, reassigned utterances and
// corrected text as the run's edits (an overlay core/export applies), so the next `spx run` of the
// same command reruns only the export stage. Utterances are named by the numbers --list shows.
import { readFileSync } from 'node:fs';
import { Flags } from '@oclif/core';
import { SpxError } from '@spx/core';
import { findRun, parseYaml, readSavedEdits, runTranscript, saveEdits } from '@spx/core/engine';
import { applyEdits, combineEdits, type TranscriptEdits, type UtteranceEdit } from '@spx/core/formats';
import { SpxCommand } from '../lib/base-command.js';
import { missingDefaultStore, noStoreError, runIdArg } from '../lib/checkpoints.js';

const pair = (flag: string, value: string): [string, string] => {
  const at = value.indexOf('=');
  if (at <= 0) throw new SpxError('USAGE', `--${flag} "${value}" is not of the form KEY=VALUE.`, { hint: flag === 'name' ? 'Example: --name SPEAKER_00=Anna' : `Example: --${flag} 3=${flag === 'text' ? '"The corrected line."' : 'SPEAKER_01'}` });
  return [value.slice(0, at), value.slice(at + 1)];
};

export default class Edit extends SpxCommand<typeof Edit> {
  static override summary = "Name speakers and correct a run's transcript; the next run rewrites only the exports.";
  static override description = `Edits are saved in the store with the run, as an overlay: the paid transcript and diarization are never changed, core/export applies the edits, and the next \`spx run\` of the same command reruns only the export stage (every export shows the new names). Edits add to the saved ones; --clear removes them all.

An utterance is named by its number in --list. Its edit is kept by the utterance's speaker and time span, so it still applies after upstream stages rerun; one whose utterance no longer exists is dropped with a warning. \`spx ui\` makes the same edits in a browser.`;
  static override examples = [
    { description: 'Name two speakers', command: '<%= config.bin %> edit c1b8 --name SPEAKER_00=Anna --name SPEAKER_01=Ben' },
    { description: 'Names from a YAML or JSON file (SPEAKER_00: Anna)', command: '<%= config.bin %> edit c1b8 --names speakers.yaml' },
    { description: 'Show the utterances with their numbers', command: '<%= config.bin %> edit c1b8 --list' },
    { description: 'Fix the text of utterance 12 and give utterance 13 to SPEAKER_01', command: '<%= config.bin %> edit c1b8 --text "12=We meet on Monday." --assign 13=SPEAKER_01' },
  ];
  static override args = { id: runIdArg };
  static override flags = {
    name: Flags.string({ summary: 'Name a speaker everywhere: LABEL=NAME (repeatable).', multiple: true, default: [] }),
    names: Flags.string({ summary: 'YAML or JSON file mapping speaker labels to names.', helpValue: 'FILE' }),
    text: Flags.string({ summary: 'Replace the text of utterance N: N=TEXT (repeatable).', multiple: true, default: [] }),
    assign: Flags.string({ summary: 'Give utterance N to another speaker: N=LABEL (repeatable).', multiple: true, default: [] }),
    list: Flags.boolean({ summary: 'Print the utterances (numbered, with the edits applied).' }),
    clear: Flags.boolean({ summary: 'Remove all saved edits of the run.' }),
  };

  public async run(): Promise<{ id: string; edits: TranscriptEdits; utterances?: Array<Record<string, unknown>>; dropped: Array<{ edit: string; reason: string }> }> {
    const missing = missingDefaultStore(this.configuredStore());
    if (missing) throw noStoreError(this.args.id, missing);
    const store = await this.store();
    const state = await findRun(store, this.args.id);
    const { merged } = await runTranscript(state);
    const saved = (await readSavedEdits(store, state.id))?.edits;
    const change = this.requested(merged.utterances);
    let edits: TranscriptEdits = this.flags.clear ? {} : (saved ?? {});
    const changing = this.flags.clear || Object.keys(change.speakers ?? {}).length > 0 || (change.utterances ?? []).length > 0;
    if (changing) {
      edits = combineEdits(edits, change);
      await saveEdits(store, state.id, edits);
    }
    const outcome = applyEdits(merged, edits);
    const utterances = outcome.merged.utterances.map((u, i) => ({ n: i + 1, speaker: u.speaker, name: u.name, start: u.start, end: u.end, text: u.text }));
    if (!this.jsonEnabled()) {
      if (this.flags.list || !changing) for (const u of utterances) this.log(`${String(u.n).padStart(4)}  ${clock(u.start)}–${clock(u.end)}  ${u.name}${u.name !== u.speaker ? ` (${u.speaker})` : ''}: ${u.text}`);
      const names = Object.entries(edits.speakers ?? {}).map(([label, name]) => `${label} → ${name}`);
      const count = (edits.utterances ?? []).length;
      this.log(`${changing ? 'Saved' : 'Saved edits'}: ${names.length ? names.join(', ') : 'no names'}; ${count} utterance edit${count === 1 ? '' : 's'}.`);
      for (const d of outcome.dropped) this.log(`· not applied: ${d.edit} (${d.reason})`);
      if (changing) this.log(`Run the same spx run command again (or \`spx ui\`) to write the exports: only the export stage runs.`);
    }
    return { id: state.id, edits, ...(this.flags.list ? { utterances } : {}), dropped: outcome.dropped };
  }

  /** The edits the flags ask for, with utterance numbers turned into speaker label and span. */
  private requested(utterances: ReadonlyArray<{ speaker: string; start: number; end: number }>): TranscriptEdits {
    const speakers: Record<string, string> = {};
    if (this.flags.names) Object.assign(speakers, readNames(this.flags.names));
    for (const value of this.flags.name) {
      const [label, name] = pair('name', value);
      speakers[label] = name;
    }
    const byNumber = (flag: string, n: string): UtteranceEdit => {
      const index = Number(n);
      const u = Number.isInteger(index) ? utterances[index - 1] : undefined;
      if (!u) throw new SpxError('USAGE', `--${flag}: there is no utterance ${n} (the transcript has ${utterances.length}).`, { hint: 'Number utterances as `spx edit <run> --list` shows them.' });
      return { speaker: u.speaker, start: u.start, end: u.end };
    };
    const edits: UtteranceEdit[] = [];
    for (const value of this.flags.text) {
      const [n, text] = pair('text', value);
      edits.push({ ...byNumber('text', n), text });
    }
    for (const value of this.flags.assign) {
      const [n, label] = pair('assign', value);
      if (!label.trim()) throw new SpxError('USAGE', `--assign ${value}: the speaker label is empty.`, { hint: 'Example: --assign 3=SPEAKER_01' });
      edits.push({ ...byNumber('assign', n), assign: label.trim() });
    }
    return combineEdits(undefined, { speakers, utterances: edits });
  }
}

function readNames(file: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (error as Error).message.split('\n')[0];
    throw new SpxError('EDITS_INVALID', `Cannot read the speaker names file ${file}: ${reason}.`, { hint: 'Pass a YAML or JSON file of label: name lines, e.g. "SPEAKER_00: Anna".' });
  }
  // Syntax errors come with the file's line and column.
  const { value } = parseYaml(file, text);
  const valid = value && typeof value === 'object' && !Array.isArray(value) && Object.entries(value).every(([k, v]) => k.length > 0 && typeof v === 'string' && v.length > 0);
  if (!valid) throw new SpxError('EDITS_INVALID', `The speaker names file ${file} is not a map of speaker labels to names.`, { hint: 'Write one "SPEAKER_00: Anna" line per speaker.' });
  return { ...(value as Record<string, string>) };
}

function clock(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = seconds - m * 60;
  return `${String(m).padStart(2, '0')}:${s.toFixed(1).padStart(4, '0')}`;
}
