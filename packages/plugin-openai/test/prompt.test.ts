import { expect } from 'chai';
import { tail } from '../src/prompt.js';

describe('prompt', () => {
  it('cuts the tail of a text at a word boundary', () => {
    expect(tail('alpha beta gamma delta', 12)).to.equal('gamma delta');
    expect(tail('short', 200)).to.equal('short');
  });
});
