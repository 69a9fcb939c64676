package dev.smelt.train.encoder;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.model.AtomicFiles;
import dev.smelt.model.classify.Abstention;
import dev.smelt.model.classify.DistanceScore;
import dev.smelt.train.classify.LogisticTrainer;
import dev.smelt.train.classify.MultiLabelTrainer;
import dev.smelt.model.classify.SoftmaxClassifier;
import dev.smelt.model.encoder.BertConfig;
import dev.smelt.model.encoder.BertEmbedder;
import dev.smelt.model.encoder.Embedders;
import dev.smelt.model.encoder.Pooling;
import dev.smelt.tensor.ThreadPool;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;

/**
 * {@code smelt classify-train --method full}: fine-tunes every encoder weight with a softmax head, then
 * calibrates the head (temperature on the validation split) and sets the out-of-scope threshold exactly as
 * the frozen-head path does, and saves a classifier directory:
 * <pre>
 *   DIR/classifier.json            head, labels, temperature, threshold, metrics; "encoder": "encoder"
 *   DIR/encoder/model.safetensors  fine-tuned weights, Hugging Face BERT names, F32
 *   DIR/encoder/config.json        Hugging Face BertConfig fields
 *   DIR/encoder/tokenizer.json     the base model's tokenizer
 *   DIR/encoder/modules.json, DIR/encoder/1_Pooling/config.json   sentence-transformers pooling (no Normalize:
 *                                  the head was trained on raw pooled vectors; --method setfit adds it)
 * </pre>
 * Every file is written to a temporary name and renamed. Stateless.
 */
public final class ClassifierFineTune {
    /** Name of the encoder subdirectory, stored relative in classifier.json. */
    public static final String ENCODER_DIR = "encoder";
    private static final ObjectMapper JSON = new ObjectMapper();

    private ClassifierFineTune() {
    }

    /** The trained classifier, its encoder, training record and embedding-distance out-of-scope score. */
    public record Output(TrainableBert model, SoftmaxClassifier head, EncoderFineTuner.Result result, DistanceScore distance) {
    }

    /**
     * @param base       the pretrained encoder (weights and tokenizer)
     * @param baseName   how the user named it (recorded in the metrics)
     * @param abstention when the classifier answers "unknown"; examples of its out-of-scope label are not trained as a
     *                   class, they fit the threshold
     */
    public static Output train(BertEmbedder base, String baseName, List<String> allTexts, List<String> allLabels, double valFraction,
                               EncoderFineTuner.Options opt, Abstention abstention, ThreadPool pool, EncoderFineTuner.Listener listener) {
        List<String> texts = new java.util.ArrayList<>();
        List<String> labels = new java.util.ArrayList<>();
        List<String> oosTexts = new java.util.ArrayList<>();
        for (int i = 0; i < Math.min(allTexts.size(), allLabels.size()); i++) {
            if (abstention.isOos(allLabels.get(i))) {
                oosTexts.add(allTexts.get(i));
            } else {
                texts.add(allTexts.get(i));
                labels.add(allLabels.get(i));
            }
        }
        if (texts.size() != labels.size() || texts.size() < 2) {
            throw new IllegalArgumentException("need >= 2 examples with one label each, got " + texts.size() + " and " + labels.size());
        }
        if (!(valFraction >= 0 && valFraction < 1)) {
            throw new IllegalArgumentException("validation fraction must be in [0, 1), got " + valFraction);
        }
        List<String> names = labels.stream().distinct().sorted().toList();
        if (names.size() < 2) {
            throw new IllegalArgumentException("need at least 2 distinct labels, got " + names);
        }
        int[] y = labels.stream().mapToInt(names::indexOf).toArray();
        int[][] seqs = new int[texts.size()][];
        for (int i = 0; i < seqs.length; i++) {
            seqs[i] = base.tokens(texts.get(i));
        }
        int[][] split = LogisticTrainer.stratifiedSplit(y, names.size(), valFraction, opt.seed());
        TrainableBert model = TrainableBert.from(base.weights(), names.size(), opt.seed(), pool);
        EncoderFineTuner tuner = new EncoderFineTuner(model, opt, pool, listener);
        EncoderFineTuner.Result r = tuner.fit(seqs, y, split[0], split[1]);
        int[] val = split[1];
        float[][] vx = tuner.embed(seqs, val);
        int[] vy = IntStream.of(val).map(i -> y[i]).toArray();
        int[] all = IntStream.range(0, val.length).toArray();
        float[] w = model.headWeights();
        float[] b = model.headBias();
        double temperature = val.length == 0 ? 1.0 : LogisticTrainer.fitTemperature(vx, vy, all, w, b, names.size());
        SoftmaxClassifier raw = new SoftmaxClassifier(ENCODER_DIR, names, w, b, temperature, 0, null);
        int[][] oosSeqs = oosTexts.stream().map(base::tokens).toArray(int[][]::new);
        float[][] oosX = oosSeqs.length == 0 ? new float[0][] : tuner.embed(oosSeqs, IntStream.range(0, oosSeqs.length).toArray());
        double th = LogisticTrainer.fitThreshold(abstention, raw, vx, vy, oosX, (double) oosTexts.size() / allTexts.size());
        float[][] trX = tuner.embed(seqs, split[0]);
        int[] trY = IntStream.of(split[0]).map(i -> y[i]).toArray();
        DistanceScore distance = DistanceScore.fit(trX, trY, names.size(), vx);
        ObjectNode m = JSON.createObjectNode();
        m.put("method", "full").put("base_encoder", baseName).put("train_examples", split[0].length)
                .put("validation_examples", val.length).put("epochs", r.epochsRun()).put("best_epoch", r.bestEpoch())
                .put("steps", r.steps()).put("train_seconds", r.seconds()).put("temperature", temperature).put("threshold", th)
                .put("learning_rate", opt.lr()).put("batch_size", opt.batchSize()).put("dropout", opt.dropout())
                .put("weight_decay", opt.weightDecay()).put("seed", opt.seed());
        if (val.length > 0) {
            m.put("validation_accuracy", LogisticTrainer.accuracy(raw, vx, vy, all))
                    .put("validation_loss", LogisticTrainer.loss(vx, vy, all, w, b, names.size(), 1.0))
                    .put("validation_loss_calibrated", LogisticTrainer.loss(vx, vy, all, w, b, names.size(), temperature));
        }
        m.put("early_stopping", "validation_loss");
        m.set("abstention", abstention.json(th, oosTexts.size()));
        var per = m.putArray("validation_accuracy_per_epoch");
        r.valAccuracy().forEach(per::add);
        var vl = m.putArray("validation_loss_per_epoch");
        r.valLoss().forEach(vl::add);
        var tl = m.putArray("train_loss_per_epoch");
        r.trainLoss().forEach(tl::add);
        return new Output(model, new SoftmaxClassifier(ENCODER_DIR, names, w, b, temperature, th, m), r, distance);
    }

    /**
     * Multi-label: fine-tunes every encoder weight with one sigmoid per label (binary cross-entropy), early stopping on
     * the validation loss of a seeded random split (label sets are too varied to stratify), then sets the decision
     * threshold as {@link MultiLabelTrainer#decide} does. No temperature (1) and no distance score.
     *
     * @param sets each text's labels (may be empty: a negative for every label)
     */
    public static Output trainMultiLabel(BertEmbedder base, String baseName, List<String> texts, List<List<String>> sets, double valFraction,
                                         EncoderFineTuner.Options opt, MultiLabelTrainer.Threshold threshold, ThreadPool pool,
                                         EncoderFineTuner.Listener listener) {
        if (texts.size() != sets.size() || texts.size() < 2) {
            throw new IllegalArgumentException("need >= 2 examples with one label set each, got " + texts.size() + " and " + sets.size());
        }
        if (!(valFraction >= 0 && valFraction < 1)) {
            throw new IllegalArgumentException("validation fraction must be in [0, 1), got " + valFraction);
        }
        List<String> names = sets.stream().flatMap(List::stream).distinct().sorted().toList();
        if (names.isEmpty()) {
            throw new IllegalArgumentException("no example carries a label");
        }
        boolean[][] y = MultiLabelTrainer.targets(sets, names);
        int[][] seqs = texts.stream().map(base::tokens).toArray(int[][]::new);
        int[][] split = MultiLabelTrainer.randomSplit(texts.size(), valFraction, opt.seed());
        TrainableBert model = TrainableBert.from(base.weights(), names.size(), opt.seed(), pool);
        model.setHeadBias(MultiLabelTrainer.priorLogOdds(y, split[0], names.size()));
        EncoderFineTuner tuner = new EncoderFineTuner(model, opt, pool, listener);
        EncoderFineTuner.Result r = tuner.fit(seqs, EncoderFineTuner.Objective.multiLabel(y), split[0], split[1]);
        int[] val = split[1];
        float[] w = model.headWeights();
        float[] b = model.headBias();
        SoftmaxClassifier raw = new SoftmaxClassifier(ENCODER_DIR, names, w, b, 1.0, MultiLabelTrainer.DEFAULT_THRESHOLD, null, true);
        float[][] vx = tuner.embed(seqs, val);
        double[][] vp = java.util.Arrays.stream(vx).map(raw::probabilities).toArray(double[][]::new);
        boolean[][] vy = IntStream.of(val).mapToObj(i -> y[i]).toArray(boolean[][]::new);
        ObjectNode m = JSON.createObjectNode();
        m.put("method", "full").put("multi_label", true).put("base_encoder", baseName).put("train_examples", split[0].length)
                .put("validation_examples", val.length).put("split", "random").put("epochs", r.epochsRun()).put("best_epoch", r.bestEpoch())
                .put("steps", r.steps()).put("train_seconds", r.seconds()).put("learning_rate", opt.lr()).put("batch_size", opt.batchSize())
                .put("dropout", opt.dropout()).put("weight_decay", opt.weightDecay()).put("seed", opt.seed()).put("early_stopping", "validation_loss");
        double th = MultiLabelTrainer.decide(threshold, vp, vy, m);
        var vl = m.putArray("validation_loss_per_epoch");
        r.valLoss().forEach(vl::add);
        var tl = m.putArray("train_loss_per_epoch");
        r.trainLoss().forEach(tl::add);
        return new Output(model, new SoftmaxClassifier(ENCODER_DIR, names, w, b, 1.0, th, m, true), r, null);
    }

    /** Writes the classifier directory (see the class comment); {@code base} names the tokenizer to copy. */
    public static void save(Output o, String base, Path dir) throws IOException {
        save(o.model(), o.head(), o.distance(), base, dir, false);
    }

    /**
     * Writes a classifier directory for a fine-tuned encoder and the head trained on its pooled vectors; with
     * {@code normalize} the encoder gets sentence-transformers' Normalize module (for a head trained on unit vectors).
     */
    static void save(TrainableBert model, SoftmaxClassifier head, DistanceScore distance, String base, Path dir, boolean normalize)
            throws IOException {
        Path enc = dir.resolve(ENCODER_DIR);
        Files.createDirectories(enc.resolve("1_Pooling"));
        BertConfig c = model.config();
        ObjectNode cfg = JSON.createObjectNode().put("model_type", "bert").put("hidden_act", "gelu")
                .put("vocab_size", c.vocab()).put("hidden_size", c.hidden()).put("num_hidden_layers", c.layers())
                .put("num_attention_heads", c.heads()).put("intermediate_size", c.intermediate())
                .put("max_position_embeddings", c.maxPositions()).put("type_vocab_size", c.typeVocab())
                .put("layer_norm_eps", c.layerNormEps());
        cfg.putArray("architectures").add("BertModel");
        writeJson(enc.resolve("config.json"), cfg);
        ObjectNode pool = JSON.createObjectNode().put("word_embedding_dimension", c.hidden())
                .put("pooling_mode_cls_token", c.pooling() == Pooling.CLS).put("pooling_mode_mean_tokens", c.pooling() == Pooling.MEAN);
        writeJson(enc.resolve("1_Pooling").resolve("config.json"), pool);
        var modules = JSON.createArrayNode();
        modules.addObject().put("idx", 0).put("name", "0").put("path", "").put("type", "sentence_transformers.models.Transformer");
        modules.addObject().put("idx", 1).put("name", "1").put("path", "1_Pooling").put("type", "sentence_transformers.models.Pooling");
        if (normalize) {
            modules.addObject().put("idx", 2).put("name", "2").put("path", "2_Normalize").put("type", "sentence_transformers.models.Normalize");
        }
        writeJson(enc.resolve("modules.json"), modules);
        Embedders.copyTokenizer(base, enc.resolve("tokenizer.json"));
        model.saveEncoder(enc.resolve("model.safetensors"));
        if (distance != null) { // a multi-label head has none
            distance.save(dir);
        }
        head.save(dir);
    }

    private static void writeJson(Path p, Object node) throws IOException {
        AtomicFiles.writeString(p, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node));
    }
}
