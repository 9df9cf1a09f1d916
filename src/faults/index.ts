// Public surface of fault injection: declare faults, read them (cached), change them, serve the admin API.
import path from 'node:path';
export { FAULTS, PSP_ACCOUNT_NAMES, type FaultName, type FaultParams, type PspAccountName } from './fault-catalog.ts';
export { defineFault, faultDefinition, faultDefinitions, validateFaultParams, type FaultDefinition } from './fault-registry.ts';
export { createFaultReader, type FaultReader, type FaultReaderOptions, type FaultSnapshot, type ActiveFault } from './fault-reader.ts';
export { listFaultStates, getFaultState, setFault, clearFault, type FaultState } from './fault-service.ts';
export { FAULTS_CHANNEL } from './fault-store.ts';
export { FaultErrors } from './fault-errors.ts';
export { faultsConfig, type FaultsConfig } from './faults-config.ts';
export { faultsModule, faultsApiModule } from './faults-module.ts';
export { burnCpu, paymentJobFault, installStorefrontFaults, dbSlowDelay, startDelayProxy, type DelayProxy } from './fault-effects.ts';

/** The faults context's numbered SQL migrations (its tables and functions). */
export const faultsMigrations = path.join(import.meta.dirname, 'migrations');
