package dev.smelt.compress.convert;

import dev.smelt.model.gguf.GgufValue;
import dev.smelt.model.gguf.GgufWriter;
import dev.smelt.model.safetensors.SafetensorsFile;
import dev.smelt.tensor.GgmlType;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;

import java.util.Set;

import dev.smelt.model.arch.DecoderModel;
import dev.smelt.model.arch.Models;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.tokenizer.Tokenizers;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;

/**
 * Converts a Hugging Face checkpoint directory (config.json, safetensors, tokenizer files) of a llama,
 * mistral, qwen2 or qwen3 model into an unquantized GGUF, as llama.cpp's {@code convert_hf_to_gguf.py}
 * does:
 * <ul>
 *   <li>metadata: {@code ARCH.context_length} (max_position_embeddings), {@code embedding_length},
 *       {@code block_count}, {@code feed_forward_length}, {@code attention.head_count(_kv)},
 *       {@code rope.freq_base} (rope_theta), {@code attention.layer_norm_rms_epsilon},
 *       {@code attention.key_length}/{@code value_length} when config.json has {@code head_dim};
 *       llama also {@code vocab_size} and {@code rope.dimension_count}; linear rope scaling as
 *       {@code rope.scaling.type/factor}, llama3 rope scaling as the {@code rope_freqs.weight} tensor;
 *       tokenizer keys from {@link HfTokenizerMetadata};</li>
 *   <li>tensors renamed by {@link HfTensorNames}; 2-D tensors keep their dtype (F32, F16, BF16), 1-D
 *       tensors (norms, biases) become F32; bytes are copied as-is (PyTorch [out, in] row-major is
 *       GGUF's {in, out}), except llama's q and k projections (and biases), whose rows are permuted
 *       from Hugging Face's rotate-half order back to the interleaved pairs llama.cpp's NORM rope
 *       expects: within each head of d rows, GGUF row 2i + j = HF row j·d/2 + i (j ∈ {0, 1}),
 *       with n_head heads for q and n_head_kv for k.</li>
 * </ul>
 * Every tensor's shape is checked against config.json. Thread-safety: stateless.
 */
public final class HfConverter {

    private HfConverter() {
    }

    /**
     * Converts checkpoint directory {@code dir} and writes the GGUF to {@code out}. The file is written beside
     * {@code out}, loaded back with smelt's own checks and only then renamed into place: a failure leaves no
     * output, and smelt never writes a file it would refuse to load.
     */
    public static void convert(Path dir, Path out) throws IOException {
        HfConfig c = HfConfig.read(dir);
        Path tmp = out.resolveSibling(out.getFileName() + ".converting");
        try (HfCheckpoint ckpt = HfCheckpoint.open(dir)) {
            convert(dir, c, ckpt).write(tmp);
            verify(tmp, out);
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Loads {@code written} as {@code smelt run} would (model, tokenizer); a refusal is an error about {@code out}. */
    private static void verify(Path written, Path out) throws IOException {
        try (DecoderModel m = Models.load(written, w -> { }, dev.smelt.model.arch.Workload.BATCHED); GgufFile f = GgufFile.open(written)) {
            Tokenizers.fromGguf(f);
        } catch (IOException | RuntimeException e) {
            throw new IOException(out + ": not written: the converted model would not load (" + e.getMessage() + ")", e);
        }
    }

    /** Builds the GGUF (not yet written) for checkpoint {@code dir}; {@code ckpt} must stay open until it is written. */
    public static GgufWriter convert(Path dir, HfConfig c, HfCheckpoint ckpt) throws IOException {
        checkVocabulary(c, ckpt);
        GgufWriter w = new GgufWriter();
        String a = c.arch();
        w.put("general.architecture", GgufValue.string(a));
        w.put("general.name", GgufValue.string(dir.toAbsolutePath().normalize().getFileName().toString()));
        w.put(a + ".block_count", GgufValue.uint32(c.layers()));
        w.put(a + ".context_length", GgufValue.uint32(c.context()));
        w.put(a + ".embedding_length", GgufValue.uint32(c.dim()));
        w.put(a + ".feed_forward_length", GgufValue.uint32(c.ffn()));
        w.put(a + ".attention.head_count", GgufValue.uint32(c.heads()));
        w.put(a + ".attention.head_count_kv", GgufValue.uint32(c.kvHeads()));
        w.put(a + ".rope.freq_base", GgufValue.float32((float) c.ropeTheta()));
        w.put(a + ".attention.layer_norm_rms_epsilon", GgufValue.float32((float) c.normEps()));
        if (c.json().has("head_dim") && !c.json().get("head_dim").isNull()) {
            w.put(a + ".attention.key_length", GgufValue.uint32(c.headDim()));
            w.put(a + ".attention.value_length", GgufValue.uint32(c.headDim()));
        }
        if (a.equals("llama")) {
            w.put(a + ".vocab_size", GgufValue.uint32(c.vocab()));
            w.put(a + ".rope.dimension_count", GgufValue.uint32(c.headDim()));
        }
        w.put("general.file_type", GgufValue.uint32(1));
        float[] ropeFreqs = RopeScaling.apply(c, w);
        w.putAll(HfTokenizerMetadata.read(dir, c.vocab(), c.json()));
        Set<String> seen = new HashSet<>();
        boolean allF32 = true;
        for (String hf : ckpt.names()) {
            if (HfTensorNames.skipped(hf)) {
                continue;
            }
            String g = HfTensorNames.toGguf(hf);
            SafetensorsFile f = ckpt.file(hf);
            if (g == null) {
                throw new IOException(f.path() + ": tensor '" + hf + "' has no GGUF mapping for " + c.hfArchitecture());
            }
            if (c.tiedEmbeddings() && g.equals("output.weight")) {
                continue; // tied: llama.cpp reuses token_embd
            }
            SafetensorsFile.Entry e = f.entry(hf);
            long[] want = expectedShape(c, g);
            if (!Arrays.equals(e.shape(), want)) {
                throw new IOException(f.path() + ": tensor '" + hf + "' has shape " + Arrays.toString(e.shape()) + ", config.json ("
                        + shapeReason(g) + ") implies " + Arrays.toString(want));
            }
            GgmlType type = switch (e.dtype()) {
                case "F32" -> GgmlType.F32;
                case "F16" -> GgmlType.F16;
                case "BF16" -> GgmlType.BF16;
                default -> throw new IOException(f.path() + ": tensor '" + hf + "' has dtype " + e.dtype() + "; expected F32, F16 or BF16");
            };
            allF32 &= type == GgmlType.F32;
            long[] dims = reversed(e.shape());
            MemorySegment bytes = f.bytes(hf);
            boolean permute = a.equals("llama") && (g.endsWith("attn_q.weight") || g.endsWith("attn_q.bias")
                    || g.endsWith("attn_k.weight") || g.endsWith("attn_k.bias"));
            if (e.shape().length == 1 && type != GgmlType.F32) {
                float[] v = f.floats(hf);
                if (permute) {
                    v = permuteFloats(v, g.contains("attn_q") ? c.heads() : c.kvHeads());
                }
                w.tensor(g, dims, GgmlType.F32, f32(v));
            } else if (permute) {
                int heads = g.contains("attn_q") ? c.heads() : c.kvHeads();
                long rowBytes = bytes.byteSize() / e.shape()[0];
                w.tensor(g, dims, type, permuteRows(bytes, (int) e.shape()[0], rowBytes, heads));
            } else {
                w.tensor(g, dims, type, bytes);
            }
            seen.add(g);
        }
        if (ropeFreqs != null) {
            w.tensor("rope_freqs.weight", new long[] {ropeFreqs.length}, GgmlType.F32, f32(ropeFreqs));
        }
        if (allF32) {
            w.put("general.file_type", GgufValue.uint32(0));
        }
        requireAll(c, seen, dir);
        return w;
    }

    /**
     * config.json's vocab_size sizes the tokenizer arrays: check it against the embedding's rows first, so a
     * hostile 10^9 is an error naming the field, not an OutOfMemoryError while padding the vocabulary.
     */
    private static void checkVocabulary(HfConfig c, HfCheckpoint ckpt) throws IOException {
        String embName = HfTensorNames.toHf("token_embd.weight");
        SafetensorsFile f = ckpt.names().contains(embName) ? ckpt.file(embName) : null;
        if (f == null) {
            throw new IOException(c.file().getParent() + ": checkpoint has no " + embName + " (GGUF token_embd.weight)");
        }
        long[] shape = f.entry(embName).shape();
        if (shape.length != 2 || shape[0] != c.vocab()) {
            throw new IOException(c.file() + ": field 'vocab_size' is " + c.vocab() + " but " + f.path() + " tensor '" + embName
                    + "' has shape " + Arrays.toString(shape) + " (vocab_size rows)");
        }
    }

    private static void requireAll(HfConfig c, Set<String> seen, Path dir) throws IOException {
        String[] perLayer = {"attn_norm.weight", "attn_q.weight", "attn_k.weight", "attn_v.weight", "attn_output.weight",
            "ffn_norm.weight", "ffn_gate.weight", "ffn_up.weight", "ffn_down.weight"};
        for (String g : new String[] {"token_embd.weight", "output_norm.weight"}) {
            if (!seen.contains(g)) {
                throw new IOException(dir + ": checkpoint has no " + HfTensorNames.toHf(g) + " (GGUF " + g + ")");
            }
        }
        for (int l = 0; l < c.layers(); l++) {
            for (String s : perLayer) {
                String g = "blk." + l + "." + s;
                if (!seen.contains(g)) {
                    throw new IOException(dir + ": checkpoint has no " + HfTensorNames.toHf(g) + " (num_hidden_layers = " + c.layers() + ")");
                }
            }
        }
    }

    /** PyTorch shape [out, in] (or [n]) that config.json implies for GGUF tensor {@code g}. */
    static long[] expectedShape(HfConfig c, String g) {
        int q = c.heads() * c.headDim();
        int kv = c.kvHeads() * c.headDim();
        String s = g.startsWith("blk.") ? g.substring(g.indexOf('.', 4) + 1) : g;
        return switch (s) {
            case "token_embd.weight", "output.weight" -> new long[] {c.vocab(), c.dim()};
            case "output_norm.weight", "attn_norm.weight", "ffn_norm.weight" -> new long[] {c.dim()};
            case "attn_q.weight" -> new long[] {q, c.dim()};
            case "attn_k.weight", "attn_v.weight" -> new long[] {kv, c.dim()};
            case "attn_q.bias" -> new long[] {q};
            case "attn_k.bias", "attn_v.bias" -> new long[] {kv};
            case "attn_output.weight" -> new long[] {c.dim(), q};
            case "attn_q_norm.weight", "attn_k_norm.weight" -> new long[] {c.headDim()};
            case "ffn_gate.weight", "ffn_up.weight" -> new long[] {c.ffn(), c.dim()};
            case "ffn_down.weight" -> new long[] {c.dim(), c.ffn()};
            default -> throw new IllegalStateException(g);
        };
    }

    private static String shapeReason(String g) {
        if (g.contains("token_embd") || g.equals("output.weight")) {
            return "vocab_size, hidden_size";
        }
        if (g.contains("ffn_gate") || g.contains("ffn_up") || g.contains("ffn_down")) {
            return "intermediate_size, hidden_size";
        }
        if (g.contains("attn_q") || g.contains("attn_k") || g.contains("attn_v") || g.contains("attn_output")) {
            return "num_attention_heads, num_key_value_heads, head_dim, hidden_size";
        }
        return "hidden_size";
    }

    /** GGUF row order from HF's: within each head of d = rows/heads rows, row 2i + j ← HF row j·d/2 + i. */
    static byte[] permuteRows(MemorySegment src, int rows, long rowBytes, int heads) {
        int d = rows / heads;
        byte[] out = new byte[Math.toIntExact(rows * rowBytes)];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < d / 2; i++) {
                for (int j = 0; j < 2; j++) {
                    long from = (long) (h * d + j * (d / 2) + i) * rowBytes;
                    int to = (int) ((h * d + 2 * i + j) * rowBytes);
                    MemorySegment.copy(src, ValueLayout.JAVA_BYTE, from, out, to, (int) rowBytes);
                }
            }
        }
        return out;
    }

    static float[] permuteFloats(float[] v, int heads) {
        byte[] b = f32(v);
        byte[] p = permuteRows(MemorySegment.ofArray(b), v.length, 4, heads);
        float[] out = new float[v.length];
        ByteBuffer.wrap(p).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    static byte[] f32(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return b.array();
    }

    private static long[] reversed(long[] shape) {
        long[] d = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            d[i] = shape[shape.length - 1 - i];
        }
        return d;
    }

}
