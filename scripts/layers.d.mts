// Types of scripts/layers.mjs, for test/validation/layers.test.ts. Paths are relative to lib/, '/'-separated.
export const LIB_DIR: string;
export const DESIGN_PATH: string;
/** The layers, top first: each row maps a unit (a folder of lib/, or a file at its root) to what it holds. */
export const LAYERS: readonly Readonly<Record<string, string>>[];
export const BEGIN: string;
export const END: string;
export function unitOf(file: string): string;
export function importGraph(libDir?: string): Map<string, string[]>;
export function fileCycles(graph: Map<string, readonly string[]>): string[][];
export function layerProblems(graph: Map<string, readonly string[]>): string[];
export function renderDiagram(graph: Map<string, readonly string[]>): string;
export function withDiagram(doc: string, diagram: string): string;
