package dev.smelt.compress.synth;

import dev.smelt.compress.LlamaFileType;
import dev.smelt.compress.QuantMix;
import dev.smelt.compress.quant.Quantizers;
import dev.smelt.model.gguf.GgufValue;
import dev.smelt.model.gguf.GgufValueType;
import dev.smelt.model.gguf.GgufWriter;
import dev.smelt.tensor.GgmlType;
import dev.smelt.tensor.ThreadPool;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes a GGUF with random weights (uniform, std 0.02; norms 1) in a real model's shape, its tensors
 * typed by llama.cpp's mixture rules for the requested file type, and a SentencePiece-style vocabulary
 * of the model's size (control tokens, 256 byte tokens, then filler pieces) so text prompts tokenize.
 * Deterministic for a seed. Tensors are generated one at a time while writing. Stateless.
 */
public final class RandomModelWriter {
    private static final float STD = 0.02f;

    private RandomModelWriter() {
    }

    public static void write(ModelShape s, LlamaFileType ftype, long seed, ThreadPool pool, Path out) throws IOException {
        write(s, ftype, seed, pool, out, null);
    }

    /**
     * @param tokenizer {@code tokenizer.*} metadata of a real tokenizer padded to the shape's vocabulary (e.g. from
     *                  {@link dev.smelt.compress.convert.HfTokenizerMetadata}), so prompts tokenize as they would for a
     *                  real model; null for the synthetic SentencePiece-style vocabulary
     */
    public static void write(ModelShape s, LlamaFileType ftype, long seed, ThreadPool pool, Path out,
                             Map<String, dev.smelt.model.gguf.GgufValue> tokenizer) throws IOException {
        String a = s.architecture();
        GgufWriter w = new GgufWriter();
        w.put("general.architecture", GgufValue.string(a));
        w.put("general.name", GgufValue.string(s.name() + " (random weights)"));
        w.put(a + ".context_length", GgufValue.uint32(s.contextLength()));
        w.put(a + ".embedding_length", GgufValue.uint32(s.dim()));
        w.put(a + ".block_count", GgufValue.uint32(s.layers()));
        w.put(a + ".feed_forward_length", GgufValue.uint32(s.ffn()));
        w.put(a + ".attention.head_count", GgufValue.uint32(s.heads()));
        w.put(a + ".attention.head_count_kv", GgufValue.uint32(s.kvHeads()));
        w.put(a + ".attention.layer_norm_rms_epsilon", GgufValue.float32(s.normEps()));
        w.put(a + ".rope.freq_base", GgufValue.float32(s.ropeBase()));
        w.put("general.file_type", GgufValue.uint32(ftype.id()));
        w.put("general.quantization_version", GgufValue.uint32(2));
        if (tokenizer == null) {
            vocabulary(w, s.vocab());
        } else {
            tokenizer.forEach(w::put);
        }

        List<QuantMix.TensorSpec> specs = tensorSpecs(s);
        QuantMix.ModelInfo info = new QuantMix.ModelInfo(a, s.layers(), s.heads(), s.kvHeads(), 0);
        Map<String, GgmlType> types = QuantMix.chooseTypes(ftype, info, specs, false);
        for (QuantMix.TensorSpec t : specs) {
            GgmlType type = types.get(t.name());
            long seedFor = seed * 31 + t.name().hashCode();
            w.tensor(t.name(), t.dims(), type, o -> o.write(generate(t, type, seedFor, s, pool)));
        }
        w.write(out);
    }

    static List<QuantMix.TensorSpec> tensorSpecs(ModelShape s) {
        int kv = s.kvHeads() * s.headDim();
        List<QuantMix.TensorSpec> t = new ArrayList<>();
        t.add(spec("token_embd.weight", s.dim(), s.vocab()));
        if (s.llama3Rope()) {
            t.add(spec("rope_freqs.weight", s.headDim() / 2));
        }
        for (int i = 0; i < s.layers(); i++) {
            String p = "blk." + i + ".";
            t.add(spec(p + "attn_norm.weight", s.dim()));
            t.add(spec(p + "attn_q.weight", s.dim(), s.dim()));
            t.add(spec(p + "attn_k.weight", s.dim(), kv));
            t.add(spec(p + "attn_v.weight", s.dim(), kv));
            if (s.qkvBias()) {
                t.add(spec(p + "attn_q.bias", s.dim()));
                t.add(spec(p + "attn_k.bias", kv));
                t.add(spec(p + "attn_v.bias", kv));
            }
            t.add(spec(p + "attn_output.weight", s.dim(), s.dim()));
            t.add(spec(p + "ffn_norm.weight", s.dim()));
            t.add(spec(p + "ffn_gate.weight", s.dim(), s.ffn()));
            t.add(spec(p + "ffn_up.weight", s.dim(), s.ffn()));
            t.add(spec(p + "ffn_down.weight", s.ffn(), s.dim()));
        }
        t.add(spec("output_norm.weight", s.dim()));
        if (!s.tiedEmbeddings()) {
            t.add(spec("output.weight", s.dim(), s.vocab()));
        }
        return t;
    }

    private static QuantMix.TensorSpec spec(String name, long... dims) {
        return new QuantMix.TensorSpec(name, dims, GgmlType.F32);
    }

    private static byte[] generate(QuantMix.TensorSpec t, GgmlType type, long seed, ModelShape s, ThreadPool pool) {
        long n = 1;
        for (long d : t.dims()) {
            n *= d;
        }
        float[] v = new float[Math.toIntExact(n)];
        if (t.name().endsWith("norm.weight")) {
            java.util.Arrays.fill(v, 1f);
        } else if (t.name().equals("rope_freqs.weight")) {
            llama3Factors(v, s);
        } else {
            SplittableRandom r = new SplittableRandom(seed);
            float half = (float) (STD * Math.sqrt(3)); // uniform [-h, h] has std h/√3
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) ((r.nextDouble() * 2 - 1) * half);
            }
        }
        if (type == GgmlType.F32) {
            ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(v);
            return b.array();
        }
        int cols = (int) t.dims()[0];
        return Quantizers.quantizeMatrix(type, v, v.length / cols, cols, null, pool);
    }

    /** Llama 3.1+ rope scaling (factor 32, low 1, high 4, original context 8192), as HF computes rope_freqs. */
    private static void llama3Factors(float[] out, ModelShape s) {
        double factor = 32;
        double low = 1;
        double high = 4;
        double orig = 8192;
        double lowWavelen = orig / low;
        double highWavelen = orig / high;
        int d = s.headDim();
        for (int i = 0; i < out.length; i++) {
            double freq = 1.0 / Math.pow(s.ropeBase(), 2.0 * i / d);
            double wavelen = 2 * Math.PI / freq;
            if (wavelen < highWavelen) {
                out[i] = 1f;
            } else if (wavelen > lowWavelen) {
                out[i] = (float) factor;
            } else {
                double smooth = (orig / wavelen - low) / (high - low);
                out[i] = (float) (1.0 / ((1 - smooth) / factor + smooth));
            }
        }
    }

    /** SentencePiece-style vocabulary: unk, bos, eos, 256 byte tokens, then "▁wN" filler pieces. */
    private static void vocabulary(GgufWriter w, int size) {
        String[] tokens = new String[size];
        float[] scores = new float[size];
        int[] types = new int[size];
        tokens[0] = "<unk>";
        types[0] = 2;
        tokens[1] = "<s>";
        types[1] = 3;
        tokens[2] = "</s>";
        types[2] = 3;
        for (int b = 0; b < 256; b++) {
            tokens[3 + b] = String.format("<0x%02X>", b);
            types[3 + b] = 6;
        }
        for (int i = 259; i < size; i++) {
            tokens[i] = "\u2581w" + i;
            types[i] = 1;
            scores[i] = -i;
        }
        w.put("tokenizer.ggml.model", GgufValue.string("llama"));
        w.put("tokenizer.ggml.tokens", GgufValue.array(GgufValueType.STRING, tokens));
        w.put("tokenizer.ggml.scores", GgufValue.array(GgufValueType.FLOAT32, scores));
        w.put("tokenizer.ggml.token_type", GgufValue.array(GgufValueType.INT32, types));
        w.put("tokenizer.ggml.bos_token_id", GgufValue.uint32(1));
        w.put("tokenizer.ggml.eos_token_id", GgufValue.uint32(2));
        w.put("tokenizer.ggml.unknown_token_id", GgufValue.uint32(0));
        w.put("tokenizer.ggml.add_bos_token", GgufValue.bool(true));
    }
}
