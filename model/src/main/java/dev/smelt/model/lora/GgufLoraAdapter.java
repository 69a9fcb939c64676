package dev.smelt.model.lora;

import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.gguf.GgufTensorInfo;
import dev.smelt.model.gguf.GgufValue;
import dev.smelt.model.gguf.GgufWriter;
import dev.smelt.tensor.GgmlType;
import dev.smelt.tensor.quant.Formats;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * GGUF LoRA adapters as llama.cpp's {@code --lora} loads them ({@code llama_adapter_lora_init} in
 * {@code src/llama-adapter.cpp}); the GGUF container itself is laid out as in {@link GgufFile}.
 * <ul>
 * <li>metadata: {@code general.architecture} = the base model's (llama.cpp refuses a mismatch),
 *     {@code general.type = "adapter"}, {@code adapter.type = "lora"}, {@code adapter.lora.alpha} f32
 *     (llama.cpp scales by alpha / r, r read from the tensors; alpha 0 or absent means scale 1);</li>
 * <li>per adapted weight {@code W = blk.N.attn_q.weight} (ggml ne = {in, out}): {@code W.lora_a} with
 *     ne = {in, r} (row-major [r, in], PEFT's lora_A as is) and {@code W.lora_b} with ne = {r, out}
 *     (row-major [out, r]); llama.cpp checks W.ne0 = a.ne0, W.ne1 = b.ne1 and a.ne1 = b.ne0.</li>
 * </ul>
 * Rows are in GGUF order (no q/k permutation: the adapter meets the GGUF weights directly). rsLoRA's
 * alpha/√r is stored as alpha' = alpha·√r so that llama.cpp's alpha'/r gives the same scale; a file
 * read back is therefore a plain (non-rs) adapter of identical effect.
 *
 * <p>Pairs on row slices of a fused projection (phi3's q/k/v of {@code attn_qkv}, gate/up of {@code ffn_up})
 * have no tensor of their own in the base, so llama.cpp could not place them: they are written as one
 * pair on the fused tensor with A = the slices' A stacked [k·r, in] and B block-diagonal [out, k·r]
 * (B·A is exactly the sum of the slice deltas), k padded with zero blocks to a power of two and B
 * multiplied by k, so that llama.cpp's per-tensor alpha'/(k·r) gives each slice the trained scale with
 * no rounding. Reading folds a tensor's rank R ≠ r back into B (×r/R), as llama.cpp scales it.
 * Stateless, thread-safe.
 */
public final class GgufLoraAdapter {
    public static final String SUFFIX_A = ".lora_a";
    public static final String SUFFIX_B = ".lora_b";

    private GgufLoraAdapter() {
    }

    /** Writes {@code out} atomically with F32 tensors. */
    public static void write(LoraAdapter adapter, LoraBase base, Path out) throws IOException {
        GgufWriter w = new GgufWriter();
        w.put("general.architecture", GgufValue.string(base.architecture()));
        w.put("general.type", GgufValue.string("adapter"));
        if (!base.name().isEmpty()) {
            w.put("general.name", GgufValue.string(base.name() + " LoRA"));
        }
        w.put("adapter.type", GgufValue.string("lora"));
        w.put("adapter.lora.alpha", GgufValue.float32(ggufAlpha(adapter)));
        for (LoraAdapter.Pair p : fuseSlices(adapter, base)) {
            PeftAdapter.checkShape(base, p.baseName(), p.out(), p.in(), "adapter pair");
            int r = p.rank();
            w.tensor(p.baseName() + SUFFIX_A, new long[] {p.in(), r}, GgmlType.F32, bytes(p.a()));
            w.tensor(p.baseName() + SUFFIX_B, new long[] {r, p.out()}, GgmlType.F32, bytes(p.b()));
        }
        w.write(out);
    }

    /**
     * The adapter's pairs with slice pairs of fused projections merged into one pair per fused tensor (see
     * the class comment), in the order their first pair appears.
     */
    static List<LoraAdapter.Pair> fuseSlices(LoraAdapter adapter, LoraBase base) {
        Map<String, Object> out = new LinkedHashMap<>(); // name → Pair, or the fused tensor's slices
        for (LoraAdapter.Pair p : adapter.pairs().values()) {
            LoraBase.FusedSlice fs = PeftAdapter.isSlice(base, p.baseName(), p.out()) ? base.fusedSlice(p.baseName(), p.out()) : null;
            if (fs == null) {
                out.put(p.baseName(), p);
                continue;
            }
            @SuppressWarnings("unchecked")
            Map<Integer, LoraAdapter.Pair> slices = (Map<Integer, LoraAdapter.Pair>) out.computeIfAbsent(fs.fused(), k -> new java.util.TreeMap<Integer, LoraAdapter.Pair>());
            slices.put(fs.offset(), p);
        }
        List<LoraAdapter.Pair> pairs = new ArrayList<>();
        for (Map.Entry<String, Object> e : out.entrySet()) {
            if (e.getValue() instanceof LoraAdapter.Pair p) {
                pairs.add(p);
                continue;
            }
            @SuppressWarnings("unchecked")
            Map<Integer, LoraAdapter.Pair> slices = (Map<Integer, LoraAdapter.Pair>) e.getValue();
            pairs.add(fuse(e.getKey(), base.shape(e.getKey())[0], slices));
        }
        return pairs;
    }

    /** One pair on a fused tensor of {@code rows} rows equal to the slice pairs at their row offsets. */
    private static LoraAdapter.Pair fuse(String fused, int rows, Map<Integer, LoraAdapter.Pair> slices) {
        LoraAdapter.Pair first = slices.values().iterator().next();
        int in = first.in();
        int r = first.rank();
        int k = Integer.highestOneBit(slices.size() * 2 - 1); // the next power of two ≥ slices
        float[] a = new float[k * r * in];                   // [k·r, in]
        float[] b = new float[rows * k * r];                  // [rows, k·r]
        int s = 0;
        for (Map.Entry<Integer, LoraAdapter.Pair> e : slices.entrySet()) {
            LoraAdapter.Pair p = e.getValue();
            if (p.rank() != r || p.in() != in) {
                throw new IllegalArgumentException("LoRA slices of " + fused + " differ in rank or inputs");
            }
            System.arraycopy(p.a(), 0, a, s * r * in, r * in);
            for (int row = 0; row < p.out(); row++) {
                for (int j = 0; j < r; j++) {
                    b[(e.getKey() + row) * k * r + s * r + j] = k * p.b()[row * r + j]; // ×k: a power of two, exact
                }
            }
            s++;
        }
        return new LoraAdapter.Pair(fused, in, rows, a, b);
    }

    /** The alpha llama.cpp must see to apply {@code adapter.scale()} as alpha / r. */
    public static float ggufAlpha(LoraAdapter a) {
        return a.scale() * a.rank();
    }

    /**
     * Reads an adapter file; tensors of any type smelt computes with are dequantized to F32.
     *
     * @param base the model it is for (architecture and shapes are checked), or null to skip checks
     * @throws IOException naming the file and tensor/key when it is not a LoRA adapter for {@code base}
     */
    public static LoraAdapter read(Path path, LoraBase base) throws IOException {
        try (GgufFile f = GgufFile.open(path)) {
            String type = f.getString("general.type", "");
            if (!type.equals("adapter")) {
                throw new IOException(path + ": metadata 'general.type' is " + dev.smelt.model.text.Quote.of(type) + ", expected 'adapter' (is this a model, not a LoRA adapter?)");
            }
            String at = f.getString("adapter.type", "");
            if (!at.equals("lora")) {
                throw new IOException(path + ": metadata 'adapter.type' is '" + at + "', expected 'lora'");
            }
            String arch = f.architecture();
            if (base != null && !base.architecture().equals(arch)) {
                throw new IOException(path + ": adapter architecture " + dev.smelt.model.text.Quote.of(arch) + " does not match the model's '" + base.architecture() + "'");
            }
            float alpha = f.getFloat("adapter.lora.alpha", 0f);
            Map<String, GgufTensorInfo> as = new LinkedHashMap<>();
            Map<String, GgufTensorInfo> bs = new LinkedHashMap<>();
            for (GgufTensorInfo t : f.tensors()) {
                if (t.name().endsWith(SUFFIX_A)) {
                    as.put(t.name().substring(0, t.name().length() - SUFFIX_A.length()), t);
                } else if (t.name().endsWith(SUFFIX_B)) {
                    bs.put(t.name().substring(0, t.name().length() - SUFFIX_B.length()), t);
                } else if (!t.name().endsWith("_norm.weight")) { // llama.cpp skips norm vectors too
                    throw new IOException(path + ": tensor '" + t.name() + "' is neither a .lora_a nor a .lora_b tensor");
                }
            }
            Set<String> names = new LinkedHashSet<>(as.keySet());
            names.addAll(bs.keySet());
            Map<String, LoraAdapter.Pair> pairs = new LinkedHashMap<>();
            int rank = Integer.MAX_VALUE; // the smallest tensor rank is the adapter's; others are folded into B
            for (String g : names) {
                if (as.get(g) != null && as.get(g).dims().length == 2) {
                    rank = (int) Math.min(rank, as.get(g).dims()[1]);
                }
            }
            Set<String> modules = new LinkedHashSet<>();
            for (String g : names) {
                GgufTensorInfo a = as.get(g);
                GgufTensorInfo b = bs.get(g);
                if (a == null || b == null) {
                    throw new IOException(path + ": LoRA tensor pair for '" + g + "' is missing its " + (a == null ? "lora_a" : "lora_b"));
                }
                if (a.dims().length != 2 || b.dims().length != 2 || a.dims()[1] != b.dims()[0]) {
                    throw new IOException(path + ": tensor '" + g + SUFFIX_A + "' ne " + java.util.Arrays.toString(a.dims()) + " and '"
                            + g + SUFFIX_B + "' ne " + java.util.Arrays.toString(b.dims()) + " do not form ne {in, r} and {r, out}");
                }
                int in = (int) a.dims()[0];
                int r = (int) a.dims()[1];
                int out = (int) b.dims()[1];
                if (base != null) {
                    String bad = PeftAdapter.shapeProblem(base, g, out, in);
                    if (bad != null) {
                        throw new IOException(path + ": tensor '" + g + SUFFIX_A + "/" + SUFFIX_B.substring(1) + "': " + bad);
                    }
                }
                String suffix = PeftNames.suffixOf(g);
                String module = suffix == null ? null : PeftNames.module(arch, suffix);
                if (module == null) {
                    throw new IOException(path + ": tensor '" + g + SUFFIX_A + "' adapts '" + g + "', which is not a block projection smelt can adapt");
                }
                modules.add(module);
                float[] bv = floats(f, path, b);
                if (r != rank && alpha > 0) {
                    float k = (float) rank / r; // llama.cpp scales this tensor by alpha / r, not alpha / rank (alpha 0: 1 for all)
                    for (int i = 0; i < bv.length; i++) {
                        bv[i] *= k;
                    }
                }
                pairs.put(g, new LoraAdapter.Pair(g, in, out, floats(f, path, a), bv));
            }
            if (pairs.isEmpty()) {
                throw new IOException(path + ": the adapter has no .lora_a/.lora_b tensors");
            }
            if (!(alpha > 0)) {
                alpha = rank; // llama.cpp: alpha 0 → scale 1
            }
            List<String> sorted = new ArrayList<>(modules);
            sorted.sort(null);
            return new LoraAdapter(rank, alpha, false, sorted, pairs);
        }
    }

    private static float[] floats(GgufFile f, Path path, GgufTensorInfo t) throws IOException {
        if (!Formats.supports(t.type())) {
            throw new IOException(path + ": tensor '" + t.name() + "' has type " + t.type() + ", which smelt cannot read");
        }
        long n = t.elementCount();
        if (n > Integer.MAX_VALUE - 16) {
            throw new IOException(path + ": tensor '" + t.name() + "' is too large (" + n + " elements)");
        }
        float[] out = new float[(int) n];
        Formats.of(t.type()).dequantize(f.segment(), t.fileOffset(), out, 0, (int) n);
        return out;
    }

    static byte[] bytes(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return b.array();
    }
}
