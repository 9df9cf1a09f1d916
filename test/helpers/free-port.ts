// Free ports for the servers a test starts: the mechanism `holdfast gameday` uses for its deployment too.
export { freePort, freePortRange, portFree } from '../../src/platform/process/free-port.ts';
