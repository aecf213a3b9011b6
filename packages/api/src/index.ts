export * from './common.js';
export * from './auth.js';
export * from './organization.js';
export * from './users.js';
export * from './messaging.js';
export * from './audit.js';
export * from './endpoints.js';
export * from './client.js';
