/**
 * The Fellegi–Sunter match model over comparison levels (docs/match-model.md):
 * fit m and u per level (u from random pairs, m and the prior by EM), turn
 * comparison vectors into match weights and probabilities, summarize for the
 * run report. Pure functions over comparison vectors, so the linker, the
 * plaintext reference of the quality evaluation and incremental linking all
 * use the same model.
 */
export { NULL_LEVEL, type ComparisonDef, type ComparisonVectors, type FittedModel, type ModelSummary, type ModelSummaryLevel, type Refinement } from './types.js';
export { enforceMonotone, fitModel, levelFrequencies, refineModel, type FitOptions, type RefineOptions } from './em.js';
export { barRelief, duplicateBar, fullAgreementWeight, levelWeights, matchProbabilities, matchWeights, modelSummary, pairBar, probabilityOfWeight, PROBABILITY_BANDS, weightOfProbability, type PairPrior } from './predict.js';
export { bandLabels, diceLevel, DICE_BANDS } from './levels.js';
export { absoluteDice, calibratePlan, compareCandidates, comparisonPlan, JOINT_LABELS, scoreCandidates, selectionLevels, clkRelief, clkReliefOf, type ComparisonPlan, type ClkRelief } from './compare.js';
export { anchoredM, matchFloor, MIN_ANCHORS } from './anchors.js';
