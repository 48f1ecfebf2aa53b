// Debian's chromium for browser tests and benches (playwright-core's own browser download is
// unreachable here): its path and the headless flags measured to work on these machines.
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--autoplay-policy=no-user-gesture-required'];
