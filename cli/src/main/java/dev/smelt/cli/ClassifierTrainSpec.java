package dev.smelt.cli;

import dev.smelt.model.classify.Abstention;
import java.nio.file.Path;

/**
 * What {@code smelt classify-train} was asked to do, checked and with the thread count resolved; the training methods
 * ({@link HeadTraining}, {@link FullFineTune}, {@link SetFitTraining}) read it, so neither depends on the command nor on the other.
 * Null {@code epochs}, {@code patience} and {@code lr} mean the method's own default; {@code abstention} says when the classifier answers "unknown"; {@code pairs} is the contrastive pairs per example of setfit (null: chosen from the data size).
 */
record ClassifierTrainSpec(String model, Path data, String textColumn, String labelColumn, Path out, Path test, double valFraction,
        Integer epochs, Integer patience, Double lr, int batchSize, float dropout, double l2, long seed, Abstention abstention, int threads, Integer pairs) {
}
