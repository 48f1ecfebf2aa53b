import { pluginConformanceTests } from '@spx/core/testing';
import plugin from '@spx/plugin-openai';

describe('conformance', () => {
  pluginConformanceTests(it, plugin);
});
