package dev.smelt.compress.gptq;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.compress.LlamaFileType;
import dev.smelt.compress.quality.ImatrixCollector;
import dev.smelt.model.arch.DecoderModel;
import dev.smelt.model.arch.Models;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.gguf.GgufTensorInfo;
import dev.smelt.model.gguf.GgufWriter;
import dev.smelt.tensor.GgmlType;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.tensor.quant.Formats;
import dev.smelt.testkit.SharedData;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whole-model GPTQ/AWQ on the trained shakespeare model: files round-trip, AWQ's folding keeps the function.
 * The two whole-model cases take minutes on a loaded 2-core machine, so they are tagged slow (run with
 * {@code -Pslow}); the per-matrix guarantees are in {@link GptqTest} and {@link BlockGridTest}.
 */
class CalibratedQuantizerTest {
    static final int CTX = 64;
    /** AWQ + Q8_0 changes logits only by rounding noise; a wrong fold moves them by whole units. */
    static final float AWQ_Q8_MAX_LOGIT_DIFF = 0.25f;

    static HessianCollector collect(Path model, ThreadPool pool) throws Exception {
        int[] tokens = new int[2 * CTX];
        SplittableRandom rnd = new SplittableRandom(5);
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = rnd.nextInt(512);
        }
        HessianCollector c = new HessianCollector(1L << 30);
        try (DecoderModel m = Models.load(model)) {
            ImatrixCollector.runChunks(m, pool, tokens, CTX, -1, true, c, null);
        }
        return c;
    }

    record Out(Map<String, Object[]> tensors, CalibratedQuantizer.Result result) {
    }

    static Out quantize(Path model, Path out, LlamaFileType ft, CalibratedQuantizer.Method method, ThreadPool pool)
            throws Exception {
        HessianCollector stats = collect(model, pool);
        Map<String, Object[]> tensors = new LinkedHashMap<>();
        try (GgufFile in = GgufFile.open(model)) {
            CalibratedQuantizer.Result r = CalibratedQuantizer.quantize(in, ft, method, stats, Gptq.Options.DEFAULT, pool,
                    (t, type, data) -> tensors.put(t.name(), new Object[] {t.dims(), type, data}), line -> { });
            GgufWriter w = new GgufWriter().putAll(in.metadata());
            tensors.forEach((name, o) -> w.tensor(name, (long[]) o[0], (GgmlType) o[1], (byte[]) o[2]));
            w.write(out);
            return new Out(tensors, r);
        }
    }

    @Test
    @org.junit.jupiter.api.Tag("slow")
    void gptqFileRoundTripsThroughTheReader(@TempDir Path dir) throws Exception {
        Path base = SharedData.model("shakespeare.gguf");
        Path out = dir.resolve("gptq.gguf");
        try (ThreadPool pool = new ThreadPool(2)) {
            Out o = quantize(base, out, LlamaFileType.fromName("Q4_K_M"), CalibratedQuantizer.Method.GPTQ, pool);
            assertThat(o.result().gptqKept() + o.result().rtnKept()).isEqualTo(28);
            assertThat(o.result().gptqKept()).isPositive();
            try (GgufFile f = GgufFile.open(out)) {
                for (GgufTensorInfo t : f.tensors()) {
                    Object[] w = o.tensors().get(t.name());
                    assertThat(t.type()).as(t.name()).isEqualTo(w[1]);
                    byte[] bytes = f.tensorData(t).toArray(ValueLayout.JAVA_BYTE);
                    assertThat(bytes).as(t.name()).isEqualTo((byte[]) w[2]);
                    if (t.type() == GgmlType.F32) {
                        continue;
                    }
                    int rows = (int) t.rows();
                    int cols = (int) t.ne0();
                    float[] ref = Awq.dequantize(t.type(), (byte[]) w[2], rows, cols);
                    float[] fast = new float[rows * cols];
                    MemorySegment seg = f.tensorData(t);
                    for (int r = 0; r < rows; r++) {
                        Formats.of(t.type()).dequantize(seg, r * t.type().bytesFor(cols), fast, r * cols, cols);
                    }
                    assertThat(fast).as(t.name()).containsExactly(ref);
                }
            }
            try (DecoderModel m = Models.load(out)) {
                float[] logits = m.forward(pool, new int[] {1, 2, 3}, 3, m.newCache(8), false);
                for (float v : logits) {
                    assertThat(Float.isFinite(v)).isTrue();
                }
            }
        }
    }

    @Test
    @org.junit.jupiter.api.Tag("slow")
    void awqFoldingKeepsTheNetworkFunction(@TempDir Path dir) throws Exception {
        Path base = SharedData.model("shakespeare.gguf");
        Path out = dir.resolve("awq.gguf");
        try (ThreadPool pool = new ThreadPool(2)) {
            Out o = quantize(base, out, LlamaFileType.fromName("Q8_0"), CalibratedQuantizer.Method.AWQ, pool);
            assertThat(o.result().awqGroups()).hasSize(12); // per layer: attn_norm→qkv, ffn_norm→gate/up, up→down
            int[] tokens = {5, 17, 200, 33, 9, 401, 77, 12};
            float[] a;
            float[] b;
            try (DecoderModel m = Models.load(base)) {
                a = m.forward(pool, tokens, tokens.length, m.newCache(16), false);
            }
            try (DecoderModel m = Models.load(out)) {
                b = m.forward(pool, tokens, tokens.length, m.newCache(16), false);
            }
            float max = 0;
            int at = -1;
            for (int i = 0; i < a.length; i++) {
                if (Math.abs(a[i] - b[i]) > max) {
                    max = Math.abs(a[i] - b[i]);
                    at = i;
                }
            }
            assertThat(max).as("max |logit diff| %s at %d (%s vs %s)", max, at, at < 0 ? 0 : a[at], at < 0 ? 0 : b[at])
                    .isLessThan(AWQ_Q8_MAX_LOGIT_DIFF);
        }
    }

    @Test
    void awqRefusesAnArchitectureItCannotFold() {
        assertThat(CalibratedQuantizer.AWQ_ARCHITECTURES).contains("llama", "qwen2", "qwen3").doesNotContain("phi3", "gemma3");
        assertThat(CalibratedQuantizer.Method.parse("awq-gptq")).isEqualTo(CalibratedQuantizer.Method.AWQ_GPTQ);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> CalibratedQuantizer.Method.parse("spqr"))
                .hasMessageContaining("rtn, gptq, awq or awq-gptq");
    }
}
