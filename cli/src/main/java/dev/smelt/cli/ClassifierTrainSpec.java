package dev.smelt.cli;

import java.nio.file.Path;

/**
 * What {@code smelt classify-train} was asked to do, checked and with the thread count resolved; both training methods
 * ({@link HeadTraining}, {@link FullFineTune}) read it, so neither depends on the command nor on the other.
 * Null {@code epochs}, {@code patience} and {@code lr} mean the method's own default; {@code threshold} is -1 for auto.
 */
record ClassifierTrainSpec(String model, Path data, String textColumn, String labelColumn, Path out, Path test, double valFraction,
        Integer epochs, Integer patience, Double lr, int batchSize, float dropout, double l2, long seed, double threshold, int threads) {
}
