package dev.smelt.compress.lowrank;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.smelt.compress.BlockProjections;
import dev.smelt.compress.ImportanceMatrix;
import dev.smelt.compress.quality.KlDivergence;
import dev.smelt.model.LowRankLinear;
import dev.smelt.model.arch.Models;
import dev.smelt.model.arch.DecoderModel;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.gguf.GgufTensorInfo;
import dev.smelt.model.tokenizer.Tokenizer;
import dev.smelt.model.tokenizer.Tokenizers;
import dev.smelt.tensor.GgmlType;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.testkit.SharedData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Low-rank factorization of the trained reference model (shakespeare.gguf, llama.cpp's imatrix for it). */
class ModelFactorizerTest {
    static final int CTX = 256;
    static final int VALIDATION_START = 1_003_854;
    /** B·(A·x) vs (B·A)·x in float32: the products round differently, ~1e-6 of the logit range. */
    static final double FACTORED_VS_DENSE_REL = 1e-4;

    static Path factor(Path src, Path out, RankRule rule, String kinds, boolean dense, ImportanceMatrix im, GgmlType type,
                       List<ModelFactorizer.TensorReport> reps) throws Exception {
        try (GgufFile in = GgufFile.open(src); ThreadPool pool = new ThreadPool(2)) {
            ModelFactorizer.factor(in, new ModelFactorizer.Options(rule, BlockProjections.parse(kinds), dense, type, im, null), pool, reps)
                    .write(out);
        }
        return out;
    }

    static int[] validation(Tokenizer t, int chunks) throws Exception {
        byte[] all = Files.readAllBytes(SharedData.require("data/tinyshakespeare/input.txt"));
        String text = new String(Arrays.copyOfRange(all, VALIDATION_START, VALIDATION_START + 60_000), StandardCharsets.UTF_8);
        return Arrays.copyOf(t.encode(text, true, false), chunks * CTX);
    }

    @Test
    void factoredModelIsSmallerAndComputesWhatTheDenseReconstructionComputes(@TempDir Path dir) throws Exception {
        Path base = SharedData.model("shakespeare.gguf");
        ImportanceMatrix im = ImportanceMatrix.load(SharedData.golden("shakespeare.imatrix.gguf"));
        List<ModelFactorizer.TensorReport> reps = new ArrayList<>();
        Path fac = factor(base, dir.resolve("f.gguf"), RankRule.ofRank(64), "attn_o", false, im, null, reps);
        Path dense = factor(base, dir.resolve("d.gguf"), RankRule.ofRank(64), "attn_o", true, im, null, null);
        assertThat(reps).hasSize(4).allMatch(ModelFactorizer.TensorReport::factored).allMatch(r -> r.rank() == 64);
        // attn_output [256, 256] → 64·512 values, F32, in 4 layers
        long saved = 4L * 4 * (256 * 256 - 64 * 512);
        assertThat(Files.size(base) - Files.size(fac)).isBetween(saved - 4096, saved + 4096);
        assertThat(Files.size(dense)).isBetween(Files.size(base), Files.size(base) + 4096); // + smelt.lowrank.* metadata
        try (GgufFile f = GgufFile.open(fac)) {
            assertThat(f.tensor("blk.2.ffn_down.weight")).isNotNull();
            assertThat(f.tensor("blk.2.attn_output.weight")).isNull();
            GgufTensorInfo a = f.tensor("blk.2.attn_output.lr_a.weight");
            GgufTensorInfo b = f.tensor("blk.2.attn_output.lr_b.weight");
            assertThat(a.dims()).containsExactly(256, 64);
            assertThat(b.dims()).containsExactly(64, 256);
        }
        try (DecoderModel mf = Models.load(fac); DecoderModel md = Models.load(dense); ThreadPool pool = new ThreadPool(2)) {
            int[] tokens = Arrays.copyOf(validation(Tokenizers.fromGguf(mf.file()), 1), 48);
            float[] lf = mf.forward(pool, tokens, tokens.length, mf.newCache(64), true);
            float[] ld = md.forward(pool, tokens, tokens.length, md.newCache(64), true);
            double max = 0;
            double worst = 0;
            int at = 0;
            for (int i = 0; i < ld.length; i++) {
                max = Math.max(max, Math.abs(ld[i]));
                if (Math.abs(lf[i] - ld[i]) > worst) {
                    worst = Math.abs(lf[i] - ld[i]);
                    at = i;
                }
            }
            assertThat(worst / max).as("logit %d: factored %s, dense %s", at, lf[at], ld[at]).isLessThan(FACTORED_VS_DENSE_REL);
            List<String> seen = new ArrayList<>();
            mf.transformLinears(l -> {
                if (l instanceof LowRankLinear lr) {
                    seen.add(lr.name() + ":" + lr.rank());
                }
                return l;
            });
            assertThat(seen).contains("blk.0.attn_output.weight:64", "blk.3.attn_output.weight:64").hasSize(4);
        }
    }

    @Test
    void quantizedFactorsUseTheSourceTypeWhereRowsFitAndF16Elsewhere(@TempDir Path dir) throws Exception {
        Path fac = factor(SharedData.model("shakespeare-Q8_0.gguf"), dir.resolve("q.gguf"), RankRule.ofRank(48), "attn_q", false,
                null, null, null);
        try (GgufFile f = GgufFile.open(fac); DecoderModel m = Models.load(fac); ThreadPool pool = new ThreadPool(2)) {
            assertThat(f.tensor("blk.0.attn_q.lr_a.weight").type()).isEqualTo(GgmlType.Q8_0); // rows of 256
            assertThat(f.tensor("blk.0.attn_q.lr_b.weight").type()).isEqualTo(GgmlType.F16);  // rows of 48
            float[] logits = m.forward(pool, new int[] {1, 40, 41}, 3, m.newCache(8), false);
            for (float v : logits) {
                assertThat(v).isFinite();
            }
        }
    }

    @Test
    void foreignImatrixIsRejectedNamingTheTensor() throws Exception {
        ImportanceMatrix foreign = ImportanceMatrix.of(java.util.Map.of("blk.0.ffn_down.weight", new float[7]));
        try (GgufFile in = GgufFile.open(SharedData.model("shakespeare.gguf"))) {
            assertThatThrownBy(() -> ModelFactorizer.factor(in, new ModelFactorizer.Options(RankRule.ofRank(8),
                    BlockProjections.parse("ffn_down"), false, null, foreign, null), null, null))
                    .hasMessageContaining("7 values for blk.0.ffn_down.weight");
        }
    }

    /** KLD vs rank on 4 validation chunks: more rank, less divergence (ASVD and plain SVD printed). */
    @Tag("slow")
    @Test
    void kldFallsWithRank(@TempDir Path dir) throws Exception {
        Path base = SharedData.model("shakespeare.gguf");
        ImportanceMatrix im = ImportanceMatrix.load(SharedData.golden("shakespeare.imatrix.gguf"));
        try (DecoderModel b = Models.load(base); ThreadPool pool = new ThreadPool(2)) {
            Tokenizer t = Tokenizers.fromGguf(b.file());
            int[] tokens = validation(t, 4);
            double prev = Double.MAX_VALUE;
            for (int r : new int[] {32, 64, 128}) {
                Path p = factor(base, dir.resolve("r" + r + ".gguf"), RankRule.ofRank(r), "ffn_gate,ffn_up,ffn_down", false, im, null, null);
                Path q = factor(base, dir.resolve("p" + r + ".gguf"), RankRule.ofRank(r), "ffn_gate,ffn_up,ffn_down", false, null, null, null);
                try (DecoderModel m = Models.load(p); DecoderModel plain = Models.load(q)) {
                    KlDivergence.Result k = KlDivergence.compute(b, m, pool, tokens, CTX, t.bos());
                    KlDivergence.Result kp = KlDivergence.compute(b, plain, pool, tokens, CTX, t.bos());
                    System.out.printf("ffn rank %d: ASVD KLD %.4f top-1 %.3f, plain SVD KLD %.4f top-1 %.3f, %d bytes%n", r, k.meanKld(),
                            k.top1Agreement(), kp.meanKld(), kp.top1Agreement(), Files.size(p));
                    assertThat(k.meanKld()).as("rank %d", r).isLessThan(prev);
                    prev = k.meanKld();
                }
            }
        }
    }
}
