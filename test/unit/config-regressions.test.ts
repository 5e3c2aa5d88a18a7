import { loadConfig } from '../../lib/config';

test('a blank CFLOGS_ROUTES counts as unset, like every other variable', () => {
  expect(loadConfig({ CFLOGS_ROUTES: '' }).routes).toEqual([]);
});
