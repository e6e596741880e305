// Write programs loaded by name (WriteProgram: a module path and a factory), once per store: each
// program may keep a cache between transactions, so a store makes its own instance and keeps it.
// SQLite loads them on its writer thread, PostgreSQL in the collector's process.
import type { Program } from './types';

/** Where a program lives: a module (absolute path) and the factory it exports. */
export interface ProgramName {
  module: string;
  factory: string;
}

/** A loader that makes each named program once and hands the same instance out after. */
export function createProgramLoader(): (name: ProgramName) => Program<unknown, unknown> {
  const programs = new Map<string, Program<unknown, unknown>>();
  return ({ module, factory }) => {
    const key = `${module}#${factory}`;
    let program = programs.get(key);
    if (!program) {
      const make = (require(module) as Record<string, () => Program<unknown, unknown>>)[factory];
      if (typeof make !== 'function') throw new Error(`${module} exports no write program ${factory}`);
      programs.set(key, (program = make()));
    }
    return program;
  };
}
