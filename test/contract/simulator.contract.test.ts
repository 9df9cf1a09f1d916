// The Stripe contract suite against the payment provider simulator, started in-process on free ports.
import { before, after } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { stripeContract } from './stripe-contract.ts';
import { pspModule } from '../../src/psp/index.ts';

let app: TestApp;
before(async () => { app = await startTestApp({ targets: ['storefront', 'psp'], config: { pspPort: 0, logLevel: 'warn' } }); });
after(async () => { await app?.stop(); });

stripeContract(() => ({ baseUrl: app.service(pspModule).urls().primary!, secretKey: app.config.pspPrimarySecretKey }));
