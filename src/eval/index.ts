/** Evaluation harness: suites, protocol, runner, tables and the generated results document. */
export { CROP_MULTIPLE, measure, meanScores, quantise8, rngFor, seedFor, protocolDescription, type Scores } from './protocol.js';
export { datasetsOf, resolveSuites, SUITE_NAMES, SUITE_SEVERITY, type EvalDataset, type SuiteName } from './suites.js';
export { listBenchImages, type BenchImage } from './datasets.js';
export { runEvaluation, restoreModeFor, type EvalRunOptions, type EvalProgress } from './runner.js';
export { renderReport, renderSuiteTable, renderConfusion } from './table.js';
export { describeWeightsDir, IDENTITY_MODEL } from './model-info.js';
export { readEvalReport, renderResultsMarkdown, writeResultsMarkdown } from './results-md.js';
export type * from './report.js';
