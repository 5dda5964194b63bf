export * from './topics';
export * from './input';
export * from './rules';
export * from './approval';
