export * from './base';
export * from './calibration';
export * from './documents';
export * from './demo';
export * from './search';
export * from './store';
export * from './text';
