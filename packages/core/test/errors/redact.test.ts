// The redaction every error, log line, store write and CLI output passes through: registered
// values in all their encodings, credentials in every position of a URL, secrets nobody
// registered (URL userinfo, Authorization headers, key shapes), and text without a secret
// coming back unchanged.
import { expect } from 'chai';
import {
  CREDENTIAL_NAME,
  encodeUrlCredentials,
  excerpt,
  redact,
  redactValue,
  redactWrites,
  registerSecret,
  registerSecretsFromEnv,
  registerUrlCredentials,
  urlCredentials,
} from '../../src/errors/redact.js';
import { SpxError, toSpxError } from '../../src/errors/errors.js';

const KEY = 'unit-SECRET-key-8c1f2e77';
/** Every URL delimiter, raw, and a stray %. */
const PASSWORD = 'Unit-pa55@w0rd-Q7/x9k-Zt:Lm8q?Rv#Tn%zz';

describe('redact', () => {
  before(() => {
    registerSecret(KEY, 'UNIT_API_KEY');
    registerUrlCredentials(`redis://unit-user-7Qp:${PASSWORD}@127.0.0.1:6379/0`, 'UNIT_STORE');
  });

  describe('registered values', () => {
    it('replaces a value, in every encoding, with the name it was registered under', () => {
      expect(redact(`API key ${KEY} is not allowed`)).to.equal('API key [UNIT_API_KEY] is not allowed');
      expect(redact(`{"message":"bad key ${JSON.stringify(PASSWORD).slice(1, -1)}"}`)).to.equal('{"message":"bad key [UNIT_STORE password]"}');
      expect(redact(`raw ${PASSWORD} and encoded ${encodeURIComponent(PASSWORD)}`)).to.equal('raw [UNIT_STORE password] and encoded [UNIT_STORE password]');
      const whatwg = new URL('http://h/');
      whatwg.password = PASSWORD;
      expect(redact(`as a URL encodes it: ${whatwg.password}`)).to.equal('as a URL encodes it: [UNIT_STORE password]');
      expect(redact(`lower-case escapes ${encodeURIComponent(PASSWORD).toLowerCase()}`)).to.equal('lower-case escapes [UNIT_STORE password]');
      expect(redact('user unit-user-7Qp failed')).to.equal('user [UNIT_STORE username] failed');
    });

    it('registers a percent-encoded password decoded too', () => {
      registerUrlCredentials(`postgres://u:${encodeURIComponent('Enc0ded@pass/word')}@db/x`, 'PG_URL');
      expect(redact('auth with Enc0ded@pass/word')).to.equal('auth with [PG_URL password]');
    });

    it('does not register short values (they would match ordinary words)', () => {
      registerSecret('short', 'SHORT_KEY');
      expect(redact('a short sentence')).to.equal('a short sentence');
    });

    it('reads credential-named variables and URL credentials from an environment', () => {
      registerSecretsFromEnv({ MY_SERVICE_TOKEN: 'env-token-Zx81Lq0w', DATABASE_URL: 'postgres://db:env-pass-K2v9@db/x', PWD: '/work/some/dir', HOME: '/root/home-dir' });
      expect(redact('env-token-Zx81Lq0w env-pass-K2v9 /work/some/dir /root/home-dir')).to.equal('[MY_SERVICE_TOKEN] [DATABASE_URL password] /work/some/dir /root/home-dir');
    });

    it('knows which variable names hold credentials', () => {
      for (const name of ['OPENAI_API_KEY', 'PYANNOTEAI_API_KEY', 'REPLICATE_API_TOKEN', 'HF_TOKEN', 'AWS_SECRET_ACCESS_KEY', 'CLIENT_SECRET', 'PGPASSWORD', 'REDIS_PASS', 'SOME_APIKEY', 'npm_config__authtoken']) {
        expect(CREDENTIAL_NAME.test(name), name).to.equal(true);
      }
      for (const name of ['PWD', 'OLDPWD', 'PATH', 'HOME', 'OPENAI_BASE_URL', 'SPX_STORE', 'KEYBOARD', 'PASSAGE', 'SSH_AUTH_SOCK', 'TOKENIZERS_PARALLELISM']) {
        expect(CREDENTIAL_NAME.test(name), name).to.equal(false);
      }
    });
  });

  describe('URL credentials nobody registered', () => {
    const cases: Array<[string, string]> = [
      ['redis://:hunter2@127.0.0.1:6379', 'redis://***@127.0.0.1:6379'],
      ['redis://user:hunter2@127.0.0.1:6379/0', 'redis://***@127.0.0.1:6379/0'],
      ['https://tok3n@github.com/o/r.git', 'https://***@github.com/o/r.git'],
      ['postgres://u:p%40ss%2Fw@db:5432/x?sslmode=require', 'postgres://***@db:5432/x?sslmode=require'],
      ['postgres://u:p@ss@db:5432/x', 'postgres://***@db:5432/x'],
      ['redis://u:p@ss/w:rd@host:6379/0', 'redis://***@host:6379/0'],
      ['redis://:p/ss@host', 'redis://***@host'],
      ['http://u:a?b#c@[::1]:8080/v1', 'http://***@[::1]:8080/v1'],
      ['store redis://u:pw@h:1: WRONGPASS', 'store redis://***@h:1: WRONGPASS'],
      ['(see http://a:b@h/x), and "ftp://c:d@e/f"', '(see http://***@h/x), and "ftp://***@e/f"'],
      ['{"url":"http://u:s3cret@h/v1","b":"x@y"}', '{"url":"http://***@h/v1","b":"x@y"}'],
      ['next=http://inner:pw@b/ after http://h/?r=http://u:p@c/', 'next=http://***@b/ after http://h/?r=http://***@c/'],
    ];
    for (const [text, expected] of cases) {
      it(`${text} → ${expected}`, () => expect(redact(text)).to.equal(expected));
    }

    it('reads the userinfo to the last @, raw delimiters included', () => {
      expect(urlCredentials('redis://:p@ss/w:rd@host:6379')).to.include({ username: '', password: 'p@ss/w:rd' });
      expect(urlCredentials('postgres://us%40er:p%2Fw@db/x')).to.include({ username: 'us@er', password: 'p/w', rawPassword: 'p%2Fw' });
      expect(urlCredentials('https://tok3n@github.com/x')).to.include({ username: 'tok3n', password: '' });
      expect(urlCredentials('https://mastodon.social/@someone')).to.equal(undefined);
      expect(urlCredentials('sqlite:///tmp/a@b/state.sqlite')).to.equal(undefined);
      expect(urlCredentials('http://127.0.0.1:9/v1')).to.equal(undefined);
    });

    it('encodes the userinfo once, so a URL parser reads the password and host the user meant', () => {
      const url = new URL(encodeUrlCredentials(`redis://:${PASSWORD}@127.0.0.1:6379/0`));
      expect([decodeURIComponent(url.password), url.host, url.pathname]).to.deep.equal([PASSWORD, '127.0.0.1:6379', '/0']);
      const encoded = new URL(encodeUrlCredentials(`redis://me:${encodeURIComponent(PASSWORD)}@h:1`));
      expect([url.password, encoded.username, encoded.host]).to.deep.equal([encoded.password, 'me', 'h:1']);
      expect(encodeUrlCredentials('redis://127.0.0.1:6379')).to.equal('redis://127.0.0.1:6379');
    });
  });

  describe('secrets by their shape', () => {
    const cases: Array<[string, string]> = [
      ['Authorization: Bearer abc.def-ghi_jkl.', 'Authorization: Bearer ***.'],
      ['Authorization: Bearer [OPENAI_API_KEY]', 'Authorization: Bearer [OPENAI_API_KEY]'],
      ['{"authorization":"Basic dXNlcjpwYXNz"}', '{"authorization":"Basic ***"}'],
      ['x-api-key=k3y-value-here;', 'x-api-key=***;'],
      ['sent bearer Zm9vYmFyYmF6cXV4 twice', 'sent bearer *** twice'],
      ['key sk-proj-AbCdEf0123456789ghIJklMN was used', 'key *** was used'],
      ['pk-Q2w3E4r5T6y7U8i9O0p1 and r8_Hk2mN9pQ4rT7vX1zB3dF6gJ8 and hf_AbCdEfGhIjKlMnOpQrSt12', '*** and *** and ***'],
      ['jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U.', 'jwt ***.'],
    ];
    for (const [text, expected] of cases) {
      it(`${text} → ${expected}`, () => expect(redact(text)).to.equal(expected));
    }
  });

  describe('text without a secret', () => {
    const clean = [
      '',
      'Stage "transcribe" (openai/transcribe) failed: OpenAI at 127.0.0.1:9 is unreachable: ECONNREFUSED (6 attempts).',
      'file /data/sk-2024-01-15-meeting-recording.wav and /tmp/task-abcdefghijklmnopqrstuvwxyz0123',
      'sqlite:///tmp/spx-a@b/state.sqlite media://spx/3f9a1c77e2 https://mastodon.social/@someone',
      'data:audio/wav;base64,UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YQAAAAA=',
      'The token was valid; basic authentication is not used; the bearer of bad news.',
      'Bearer instruments. The authorization: pending. An api-key = required. Bearer Smith-Jones signed.',
      'Ünïcödé — “quotes” and a tab\tand\nnewlines, sha256 5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03',
      'a-sk-ABCDEFGHIJKLMNOP1234 inside a token, xsk-ABCDEFGHIJKLMNOP1234',
    ];
    for (const text of clean) {
      it(`keeps ${JSON.stringify(text.slice(0, 50))} byte-identical`, () => expect(redact(text)).to.equal(text));
    }

    it('reads hostile text in one pass (no pattern backtracks over a long run)', () => {
      const runs = ['a://b/'.repeat(70_000), `${'x://'.repeat(100_000)}@h`, `eyJ${'a'.repeat(400_000)}`, `sk-${'a1'.repeat(200_000)}!`, `Bearer ${'='.repeat(400_000)}`];
      const out = runs.map(redact);
      expect(out[0]).to.equal(runs[0]);
      expect(out[1]).to.equal('x://***@h');
      expect(out[2]).to.equal(runs[2]);
      expect(out.slice(3)).to.deep.equal(['***!', 'Bearer ***']);
    });

    it('returns the same value, not a copy, when a structure holds no secret', () => {
      const state = { schema: 'spx-run-state', stages: { a: { outputs: { text: 'hello', n: 3, list: ['x', null, true] } } }, at: new Date(0) };
      expect(redactValue(state)).to.equal(state);
    });
  });

  it('redacts strings and keys anywhere in a JSON-like value, copying only what changed', () => {
    const untouched = { big: 'x'.repeat(100) };
    const value = { a: [1, `key ${KEY}`, { deep: { url: 'redis://u:pw@h' } }], [KEY]: true, untouched };
    const clean = redactValue(value);
    expect(clean).to.deep.equal({ a: [1, 'key [UNIT_API_KEY]', { deep: { url: 'redis://***@h' } }], '[UNIT_API_KEY]': true, untouched });
    expect(clean.untouched).to.equal(untouched);
    expect(value.a[1]).to.equal(`key ${KEY}`);
  });

  it('cuts untrusted text only after redacting it, so no part of a secret survives the cut', () => {
    const body = `${'x'.repeat(20)} ${KEY} ${'y'.repeat(300)}`;
    expect(excerpt(body, 34)).to.equal(`${'x'.repeat(20)} [UNIT_API_KEY`);
    expect(excerpt(`line one\n  ${KEY}\tend`, 100)).to.equal('line one [UNIT_API_KEY] end');
  });

  it('makes SpxError messages and hints, and foreign errors turned into SpxErrors, clean', () => {
    const error = new SpxError('API_ERROR', `refused ${KEY} at redis://u:${PASSWORD}@h:1`, { hint: `check ${encodeURIComponent(PASSWORD)}` });
    expect(error.message).to.equal('refused [UNIT_API_KEY] at redis://***@h:1');
    expect(error.hint).to.equal('check [UNIT_STORE password]');
    expect(error.stack).to.not.contain(KEY);
    expect(JSON.stringify(error.toJSON())).to.not.contain(KEY);
    expect(toSpxError(new Error(`socket hang up, Authorization: Bearer ${KEY}`)).message).to.equal('socket hang up, Authorization: Bearer [UNIT_API_KEY]');
  });

  it('redacts what is written to a stream, strings and buffers', () => {
    const chunks: unknown[] = [];
    const stream = { write: (chunk: unknown) => chunks.push(chunk) > 0 } as unknown as NodeJS.WritableStream;
    redactWrites(stream);
    redactWrites(stream);
    stream.write(`key ${KEY}\n`);
    stream.write(Buffer.from(`url redis://u:${PASSWORD}@h\n`));
    const plain = Buffer.from('nothing here\n');
    stream.write(plain);
    expect(chunks.map(String)).to.deep.equal(['key [UNIT_API_KEY]\n', 'url redis://***@h\n', 'nothing here\n']);
    expect(chunks[2]).to.equal(plain);
  });
});
