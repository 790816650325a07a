#!/usr/bin/env node
// Entry point of `cdk synth|diff|deploy` (see cdk.json): the app of lib/app.ts,
// synthesized, then refused if cdk-nag reported anything not acknowledged.
import { buildApp } from '../lib/app';
import { failOnFindings } from '../lib/compliance';

const { app } = buildApp();
failOnFindings(app.synth().directory);
