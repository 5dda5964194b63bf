export * from './types';
export * from './schema';
export * from './reader';
export * from './writer';
export * from './path';
