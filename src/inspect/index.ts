/** Inspection: what a trained (or training) model does, as plain data; browser-safe (no node: imports). */
export { traceForward, unembedRows, softmax, logProbAt, topK, type Trace, type TraceOptions } from './trace.js';
export { vocabStrings, tokenText, unencodable, encodeText, encodePrompt, closestSpellings, tokenId, type EncodedPrompt } from './vocab.js';
export { nextTokens, parseCandidates, type NextResult, type NextOptions, type TopToken, type CandidateScore, type CandidateToken } from './next.js';
export { nearestTokens, rowCosine, type NeighborsResult, type Neighbor } from './neighbors.js';
export {
  headScores, headLabel, patternScore, meanEntropy, previousPattern, firstPattern, selfPattern, inductionPattern, repeatedRandomIds,
  type HeadReport, type HeadScores, type HeadScoreOptions, type Pattern,
} from './heads.js';
export { attentionMaps, type AttentionResult } from './attention.js';
export { logitLens, type LensResult, type LensLayer } from './lens.js';
export { cohesion, defaultGroups, parseGroups, tokenClass, type TokenGroup, type CohesionResult } from './cohesion.js';
export { pca2, procrustes2, normalizeScale, alignedMaps } from './pca.js';
export { parseProbes, checkProbes, runProbes, type Probe, type ProbeResult } from './probes.js';
export { snapshotSchedule, snapshotRowLimit, snapshotIds, pickRows } from './snapshot.js';
export { embeddingsOverTraining, embeddingsSvg, type EmbeddingRows, type EmbeddingsResult, type EmbeddingsOverTraining } from './embeddings.js';
export { lineChart, attentionSvg, embeddingMapSvg, htmlPage, showToken, scoreLine, esc as escapeXml, type Series, type ChartOptions, type MapFrame } from './svg.js';
export { reportHtml, type ReportInput } from './report.js';
