package dev.smelt.compress.prune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.smelt.compress.BlockProjections;
import dev.smelt.compress.ImportanceMatrix;
import dev.smelt.compress.TensorFloats;
import dev.smelt.compress.quality.KlDivergence;
import dev.smelt.model.arch.Models;
import dev.smelt.model.arch.DecoderModel;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.gguf.GgufTensorInfo;
import dev.smelt.model.tokenizer.Tokenizer;
import dev.smelt.model.tokenizer.Tokenizers;
import dev.smelt.tensor.GgmlType;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.testkit.SharedData;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pruning the trained reference model (shakespeare.gguf) with llama.cpp's importance matrix for it. */
class ModelPrunerTest {
    static final int CTX = 256;
    /** Validation chunks scored: 4 × 127 positions is enough to separate the methods by many error bars. */
    static final int CHUNKS = 4;
    static final int VALIDATION_START = 1_003_854;

    static int[] validation(Tokenizer t, int chunks) throws Exception {
        byte[] all = Files.readAllBytes(SharedData.require("data/tinyshakespeare/input.txt"));
        String text = new String(Arrays.copyOfRange(all, VALIDATION_START, VALIDATION_START + 40_000), StandardCharsets.UTF_8);
        return Arrays.copyOf(t.encode(text, true, false), chunks * CTX);
    }

    static Path prune(Path src, Path out, PruneMethod m, Sparsity s, ImportanceMatrix im) throws Exception {
        try (GgufFile in = GgufFile.open(src); ThreadPool pool = new ThreadPool(2)) {
            ModelPruner.prune(in, new ModelPruner.Options(m, s, BlockProjections.all(), null, im, null), pool, null).write(out);
        }
        return out;
    }

    @Test
    void wandaHalfHasLowerKldThanMagnitudeHalf(@TempDir Path dir) throws Exception {
        Path base = SharedData.model("shakespeare.gguf");
        ImportanceMatrix im = ImportanceMatrix.load(SharedData.golden("shakespeare.imatrix.gguf"));
        Path mag = prune(base, dir.resolve("mag.gguf"), PruneMethod.MAGNITUDE, Sparsity.unstructured(0.5), null);
        Path wanda = prune(base, dir.resolve("wanda.gguf"), PruneMethod.WANDA, Sparsity.unstructured(0.5), im);
        try (DecoderModel b = Models.load(base); DecoderModel a = Models.load(mag); DecoderModel w = Models.load(wanda);
             ThreadPool pool = new ThreadPool(2)) {
            Tokenizer t = Tokenizers.fromGguf(b.file());
            int[] tokens = validation(t, CHUNKS);
            KlDivergence.Result rm = KlDivergence.compute(b, a, pool, tokens, CTX, t.bos());
            KlDivergence.Result rw = KlDivergence.compute(b, w, pool, tokens, CTX, t.bos());
            System.out.printf("50%% magnitude: KLD %.4f ± %.4f top-1 %.3f; 50%% wanda: KLD %.4f ± %.4f top-1 %.3f%n",
                    rm.meanKld(), rm.kldError(), rm.top1Agreement(), rw.meanKld(), rw.kldError(), rw.top1Agreement());
            assertThat(rw.meanKld()).isGreaterThan(0);
            assertThat(rw.meanKld()).as("Wanda KLD vs magnitude KLD").isLessThan(rm.meanKld());
        }
    }

    @Test
    void prunesOnlyBlockProjectionsWithExactCountsAndKeepsTypes(@TempDir Path dir) throws Exception {
        Path base = SharedData.model("shakespeare.gguf");
        Path out = prune(base, dir.resolve("p.gguf"), PruneMethod.MAGNITUDE, Sparsity.pattern("2:4"), null);
        try (GgufFile a = GgufFile.open(base); GgufFile b = GgufFile.open(out)) {
            assertThat(b.tensors()).hasSameSizeAs(a.tensors());
            assertThat(b.getString("smelt.prune.sparsity", null)).isEqualTo("2:4");
            int pruned = 0;
            for (GgufTensorInfo t : a.tensors()) {
                GgufTensorInfo u = b.tensor(t.name());
                assertThat(u.type()).isEqualTo(t.type());
                assertThat(u.dims()).containsExactly(t.dims());
                float[] x = TensorFloats.decode(b, u);
                if (BlockProjections.all().matches(t.name())) {
                    pruned++;
                    long zeros = 0;
                    for (float v : x) {
                        zeros += v == 0 ? 1 : 0;
                    }
                    assertThat(zeros).as(t.name()).isEqualTo(x.length / 2);
                } else {
                    assertThat(b.tensorData(u).toArray(ValueLayout.JAVA_BYTE)).as(t.name())
                            .isEqualTo(a.tensorData(t).toArray(ValueLayout.JAVA_BYTE));
                }
            }
            assertThat(pruned).isEqualTo(4 * 7);
        }
    }

    @Test
    void embeddingsArePrunedOnlyWhenAskedAndWandaFallsBackToMagnitudeForThem(@TempDir Path dir) throws Exception {
        assertThat(BlockProjections.all().matches("token_embd.weight")).isFalse();
        assertThat(BlockProjections.all().matches("output.weight")).isFalse();
        assertThat(BlockProjections.all().matches("blk.0.attn_norm.weight")).isFalse();
        assertThatThrownBy(() -> BlockProjections.parse("token_embd")).hasMessageContaining("unknown tensor kind 'token_embd'");
        BlockProjections emb = BlockProjections.parse("token_embd", true);
        Path base = SharedData.model("shakespeare.gguf");
        Path out = dir.resolve("e.gguf");
        ImportanceMatrix im = ImportanceMatrix.load(SharedData.golden("shakespeare.imatrix.gguf"));
        try (GgufFile in = GgufFile.open(base)) {
            ModelPruner.Report[] rep = new ModelPruner.Report[1];
            ModelPruner.prune(in, new ModelPruner.Options(PruneMethod.WANDA, Sparsity.unstructured(0.5), emb, null, im, null), null, rep)
                    .write(out);
            assertThat(rep[0].tensors()).isEqualTo(1);
        }
        try (GgufFile a = GgufFile.open(base); GgufFile b = GgufFile.open(out)) {
            float[] x = TensorFloats.decode(b, b.tensor("token_embd.weight"));
            float[] ref = TensorFloats.decode(a, a.tensor("token_embd.weight"));
            float[] mag = ref.clone();
            Pruner.prune(mag, (int) a.tensor("token_embd.weight").rows(), 256, PruneMethod.MAGNITUDE, Sparsity.unstructured(0.5), null);
            assertThat(x).isEqualTo(mag);
            assertThat(b.tensorData(b.tensor("blk.0.attn_q.weight")).toArray(ValueLayout.JAVA_BYTE))
                    .isEqualTo(a.tensorData(a.tensor("blk.0.attn_q.weight")).toArray(ValueLayout.JAVA_BYTE));
        }
    }

    @Test
    void quantizedInputIsReQuantizedToItsOwnTypeAndZerosStayZero(@TempDir Path dir) throws Exception {
        Path out = prune(SharedData.model("shakespeare-Q8_0.gguf"), dir.resolve("q.gguf"), PruneMethod.MAGNITUDE,
                Sparsity.unstructured(0.5), null);
        try (GgufFile b = GgufFile.open(out); DecoderModel m = Models.load(out)) {
            GgufTensorInfo t = b.tensor("blk.1.ffn_down.weight");
            assertThat(t.type()).isEqualTo(GgmlType.Q8_0);
            float[] x = TensorFloats.decode(b, t);
            long zeros = 0;
            for (float v : x) {
                zeros += v == 0 ? 1 : 0;
            }
            assertThat(zeros).isGreaterThanOrEqualTo(x.length / 2);
            assertThat(m.config().layers()).isEqualTo(4);
        }
    }

    @Test
    void wandaWithoutStatisticsOrWithAForeignImatrixIsRejected() throws Exception {
        assertThatThrownBy(() -> new ModelPruner.Options(PruneMethod.WANDA, Sparsity.unstructured(0.5), BlockProjections.all(), null, null, null))
                .hasMessageContaining("--imatrix");
        ImportanceMatrix foreign = ImportanceMatrix.of(java.util.Map.of("blk.0.attn_q.weight", new float[3]));
        try (GgufFile in = GgufFile.open(SharedData.model("shakespeare.gguf"))) {
            assertThatThrownBy(() -> ModelPruner.prune(in, new ModelPruner.Options(PruneMethod.WANDA, Sparsity.unstructured(0.5),
                    BlockProjections.all(), null, foreign, null), null, null))
                    .hasMessageContaining("blk.0.attn_q.weight").hasMessageContaining("3 values");
        }
    }
}
