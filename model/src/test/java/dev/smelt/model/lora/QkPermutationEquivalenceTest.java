package dev.smelt.model.lora;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.model.ModelConfig;
import dev.smelt.model.arch.Models;
import dev.smelt.model.arch.DecoderModel;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.gguf.GgufTensorInfo;
import dev.smelt.model.gguf.GgufValue;
import dev.smelt.model.gguf.GgufWriter;
import dev.smelt.tensor.GgmlType;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.testkit.SharedData;
import dev.smelt.testkit.Tolerances;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks the q/k row permutation against the math it stands for: a llama GGUF (NORM rope, rows
 * permuted by convert_hf_to_gguf) must equal the Hugging Face model it came from, i.e. the same weights
 * with q/k rows in HF order under rotate-half (NEOX) rope. smelt runs that HF-order model as a qwen2
 * file with zero biases. A PEFT adapter written for the llama file (B rows converted to HF order) and
 * loaded onto the HF-order model without conversion must then change the logits identically.
 */
class QkPermutationEquivalenceTest {
    /** Same F32 weights, NORM vs NEOX rope on permuted rows: only float reassociation differs. */
    private static final double ABS_TOL = 1e-4;
    private static final int[] TOKENS = {1, 40, 87, 300, 12, 77, 501, 9, 256, 128, 33, 64};

    @TempDir
    Path dir;

    @Test
    void peftBRowsAreInTheOrderTheHuggingFaceModelNeeds() throws Exception {
        Path llama = SharedData.model("llama.gguf");
        Path hf = dir.resolve("hf-order.gguf");
        writeHfOrder(llama, hf);
        try (ThreadPool pool = new ThreadPool(2); DecoderModel g = Models.load(llama); DecoderModel h = Models.load(hf)) {
            Tolerances.assertClose("llama GGUF vs HF-order model", logits(g, pool), logits(h, pool), ABS_TOL, 0);

            LoraBase llamaBase = LoraBase.of(g.file());
            LoraAdapter a = qkAdapter(g.config());
            PeftAdapter.write(a, llamaBase, 0f, dir.resolve("peft"));
            LoraAdapter asHf = PeftAdapter.read(dir.resolve("peft"), LoraBase.of(h.file())); // qwen2: rows used as stored
            LoraApplier.apply(g, a, 1f);
            LoraApplier.apply(h, asHf, 1f);
            float[] lg = logits(g, pool);
            float[] lh = logits(h, pool);
            Tolerances.assertClose("adapted llama vs adapted HF-order model", lg, lh, ABS_TOL, 0);

            // the unpermuted B would be wrong: the check has teeth
            try (DecoderModel h2 = Models.load(hf)) {
                LoraApplier.apply(h2, a, 1f);
                assertThat(Tolerances.maxAbsDiff(lg, logits(h2, pool))).isGreaterThan(100 * ABS_TOL);
            }
        }
    }

    private static float[] logits(DecoderModel m, ThreadPool pool) {
        return m.forward(pool, TOKENS, TOKENS.length, m.newCache(TOKENS.length), true);
    }

    private static LoraAdapter qkAdapter(ModelConfig c) {
        Random rnd = new Random(17);
        Map<String, LoraAdapter.Pair> pairs = new LinkedHashMap<>();
        for (int l = 0; l < c.layers(); l++) {
            for (String s : List.of("attn_q", "attn_k")) {
                int out = s.equals("attn_q") ? c.qDim() : c.kvDim();
                String n = "blk." + l + "." + s + ".weight";
                pairs.put(n, new LoraAdapter.Pair(n, c.dim(), out, LoraFixtures.gaussian(rnd, 4 * c.dim(), 0.2f),
                        LoraFixtures.gaussian(rnd, out * 4, 0.2f)));
            }
        }
        return new LoraAdapter(4, 8f, false, List.of("q_proj", "k_proj"), pairs);
    }

    /** llama.gguf relabelled qwen2, q/k rows un-permuted to HF order, zero q/k/v biases added. */
    private static void writeHfOrder(Path llama, Path out) throws Exception {
        try (GgufFile f = GgufFile.open(llama)) {
            int heads = f.getInt("llama.attention.head_count", 0);
            int kvHeads = f.getInt("llama.attention.head_count_kv", heads);
            GgufWriter w = new GgufWriter();
            for (Map.Entry<String, GgufValue> e : f.metadata().entrySet()) {
                String k = e.getKey().startsWith("llama.") ? "qwen2." + e.getKey().substring(6) : e.getKey();
                w.put(k, k.equals("general.architecture") ? GgufValue.string("qwen2") : e.getValue());
            }
            for (GgufTensorInfo t : f.tensors()) {
                boolean q = t.name().endsWith("attn_q.weight");
                boolean k = t.name().endsWith("attn_k.weight");
                if ((q || k) && t.type() == GgmlType.F32) {
                    int rows = (int) t.rows();
                    int cols = (int) t.ne0();
                    float[] x = f.tensorData(t).toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
                    w.tensor(t.name(), t.dims(), GgmlType.F32, GgufLoraAdapter.bytes(QkPermutation.ggufToHf(x, rows, cols, q ? heads : kvHeads)));
                    String bias = t.name().replace(".weight", ".bias");
                    w.tensor(bias, new long[] {rows}, GgmlType.F32, new byte[rows * 4]);
                    if (k) {
                        w.tensor(t.name().replace("attn_k.weight", "attn_v.bias"), new long[] {rows}, GgmlType.F32, new byte[rows * 4]);
                    }
                } else {
                    w.tensor(t.name(), t.dims(), t.type(), f.tensorData(t));
                }
            }
            w.write(out);
        }
    }
}
