// spx ui as a command: a public address needs an explicit token; the printed URL carries one.
import { expect } from 'chai';
import { spx, tempDir, type TempDir } from '../helpers.js';

describe('spx ui', function () {
  this.timeout(60_000);
  let t: TempDir;
  before(async () => (t = await tempDir()));
  after(() => t.remove());

  it('refuses to listen on a public address without --token, and a short token', async () => {
    const open = await spx(['ui', '--host', '0.0.0.0', '--port', '0'], t.dir);
    expect(open.code).to.equal(2);
    expect(open.stderr).to.match(/USAGE: --host 0\.0\.0\.0 makes the UI reachable from other machines; it needs an explicit --token/);
    const short = await spx(['ui', '--host', '0.0.0.0', '--port', '0', '--token', 'abc'], t.dir);
    expect(short.code).to.equal(2);
    expect(short.stderr).to.match(/--token must be at least 16 characters/);
  });
});
