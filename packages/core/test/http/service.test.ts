// serviceRoot: the setup of a vendor client. Its key is redacted from then on, a base URL with
// credentials is refused naming the setting (never the value), and the root loses trailing slashes.
import { expect } from 'chai';
import { serviceRoot } from '../../src/http/service.js';
import { redact } from '../../src/errors/redact.js';
import { isSpxError } from '../../src/errors/errors.js';

const settings = { keyVariable: 'FAKEVENDOR_API_KEY', baseUrlVariable: 'FAKEVENDOR_BASE_URL', defaultBaseUrl: 'https://api.fakevendor.example/' };

describe('http/service (serviceRoot)', () => {
  it('returns the given base URL, else the default, without trailing slashes', () => {
    expect(serviceRoot('fv-key-0123456789abcdef', 'http://127.0.0.1:9/api//', settings)).to.equal('http://127.0.0.1:9/api');
    expect(serviceRoot('fv-key-0123456789abcdef', undefined, settings)).to.equal('https://api.fakevendor.example');
    expect(serviceRoot('fv-key-0123456789abcdef', '', settings)).to.equal('https://api.fakevendor.example');
  });

  it('registers the key, so a message repeating it shows the variable name', () => {
    const key = 'fv-secret-5f1c0e9a7b3d2468';
    expect(redact(`echoed ${key}`)).to.contain(key);
    serviceRoot(key, undefined, settings);
    expect(redact(`echoed ${key}`)).to.equal('echoed [FAKEVENDOR_API_KEY]');
  });

  it('refuses a base URL with user:password@, naming the setting and the key variable, never the URL', () => {
    let caught: unknown;
    try {
      serviceRoot('fv-key-0123456789abcdef', 'https://user:pw-hidden@api.fakevendor.example', settings);
    } catch (error) {
      caught = error;
    }
    expect(isSpxError(caught) && caught.code).to.equal('BASE_URL_INVALID');
    const error = caught as Error & { hint?: string };
    expect(error.message).to.contain('FAKEVENDOR_BASE_URL').and.not.contain('pw-hidden');
    expect(error.hint).to.contain('FAKEVENDOR_API_KEY');
  });
});
