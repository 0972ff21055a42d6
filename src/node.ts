/**
 * scratchlm's Node-only API (import from 'scratchlm/node', or get it with everything from
 * 'scratchlm' in Node): files, folders, data preparation, run folders, the GPT-2 vocabulary files.
 */
// installs the file host of the high-level API (GPT.load(dir), model.save(dir), fit({ folder }))
import './node/api-host.js';
export { loadHfGpt2, saveHfGpt2, readSafetensorsFile, isHfGpt2Folder } from './io/hf-folder.js';
export { readBytes, readText, readJson, writeAtomic, decodeUtf8 } from './io/files.js';
export { runFixtureCheck, type CheckReport, type CheckRow } from './check/fixture.js';
export { TokenFile, TokenFileWriter, bytesPerId, TOKEN_FILE_MAGIC, TOKEN_FILE_VERSION } from './io/token-file.js';
export { prepareData, prepareDataAsync, PrepareInterrupted, openDataFolder, DATA_FORMAT, DATA_VERSION, type PrepareOptions, type DataMeta, type DataFolder } from './io/prepare.js';
export { brownText, brownTextFile, brownCorpusDir, stripBrownTags, prepareBuiltinCorpus, BROWN_VOCAB, type BuiltinData } from './io/brown.js';
export { saveCheckpoint, readCheckpointMeta, loadCheckpointWeights, hasCheckpoint, checkpointPath, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, type CheckpointMeta } from './io/checkpoint.js';
export { readMetrics, appendMetrics, truncateMetrics, ensureRunFolder, metricsPath, writeRunFile, readRunConfigFile, pathExists, freshRunDir } from './io/run-files.js';
export { loadRun, evaluateRun, type LoadedRun, type SplitLoss } from './node/run-load.js';
export { trainRun, tensorboardTags, type TrainRunOptions, type TrainRunResult } from './node/run.js';
export { TensorBoardWriter, crc32c, maskedCrc32c, tfRecord, scalarEvent } from './io/tensorboard.js';
export { gpt2Tokenizer, loadGpt2Files, loadTiktokenFile, loadTokenizer, saveTokenizer } from './io/tokenizer-files.js';
export { writeRunReport, runEmbeddings, runHeadsOverTime, NO_SNAPSHOTS, type RunReportOptions } from './node/run-report.js';
export { RunInspector, tokenCounts } from './node/run-inspector.js';
export { writeSnapshot, readSnapshotIndex, readEmbeddingSnapshot, truncateSnapshots, snapshotDir, type SnapshotEntry, type EmbeddingSnapshot } from './io/snapshot-files.js';
