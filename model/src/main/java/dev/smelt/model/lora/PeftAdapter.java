package dev.smelt.model.lora;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.model.AtomicFiles;
import dev.smelt.model.safetensors.SafetensorsFile;
import dev.smelt.model.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Hugging Face PEFT adapter directories, as {@code PeftModel.save_pretrained} writes them and
 * {@code PeftModel.from_pretrained} loads them:
 * <ul>
 * <li>{@code adapter_config.json}: {@code peft_type "LORA"}, {@code r}, {@code lora_alpha},
 *     {@code lora_dropout}, {@code target_modules}, {@code use_rslora}, {@code bias "none"},
 *     {@code task_type "CAUSAL_LM"}, {@code base_model_name_or_path}, {@code fan_in_fan_out false}, …</li>
 * <li>{@code adapter_model.safetensors}: per adapted module
 *     {@code base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight} F32 [r, in] and
 *     {@code ….lora_B.weight} F32 [out, r] (layout in {@link SafetensorsFile}).</li>
 * </ul>
 * Hugging Face and GGUF order llama's q/k rows differently; B's rows are converted with
 * {@link QkPermutation} when {@link LoraBase#permutesQk()}. Each file is written to a temp file and
 * renamed, weights first, so a directory with a config always has complete weights.
 * Stateless, thread-safe.
 */
public final class PeftAdapter {
    public static final String CONFIG = "adapter_config.json";
    public static final String WEIGHTS = "adapter_model.safetensors";
    private static final ObjectMapper JSON = new ObjectMapper();

    private PeftAdapter() {
    }

    /**
     * Writes {@code dir/adapter_config.json} and {@code dir/adapter_model.safetensors}.
     *
     * @param dropout the lora_dropout the adapter was trained with (recorded for PEFT; not applied)
     */
    public static void write(LoraAdapter adapter, LoraBase base, float dropout, Path dir) throws IOException {
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("lora dropout must be in [0, 1), got " + dropout);
        }
        Files.createDirectories(dir);
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        Set<String> modules = new LinkedHashSet<>(adapter.targetModules());
        for (LoraAdapter.Pair p : adapter.pairs().values()) {
            if (p.rank() != adapter.rank()) {
                throw new IllegalArgumentException("adapter pair " + p.baseName() + " has rank " + p.rank() + ", the adapter " + adapter.rank()
                        + ": PEFT files hold one rank (an adapter read from a GGUF file with per-tensor ranks cannot be written as PEFT)");
            }
            String path = PeftNames.peftPath(base.architecture(), p.baseName(), isSlice(base, p.baseName(), p.out()));
            modules.add(path.substring(path.lastIndexOf('.') + 1));
            checkShape(base, p.baseName(), p.out(), p.in(), "adapter pair");
            int r = p.rank();
            w.f32(path + ".lora_A.weight", new long[] {r, p.in()}, p.a());
            w.f32(path + ".lora_B.weight", new long[] {p.out(), r}, toHf(base, p.baseName(), p.b(), p.out(), r));
        }
        w.write(dir.resolve(WEIGHTS));
        AtomicFiles.writeString(dir.resolve(CONFIG), config(adapter, base, dropout, new ArrayList<>(modules)));
    }

    private static String config(LoraAdapter a, LoraBase base, float dropout, List<String> modules) throws IOException {
        ObjectNode c = JSON.createObjectNode();
        c.putObject("alpha_pattern");
        c.putNull("auto_mapping");
        c.put("base_model_name_or_path", base.name());
        c.put("bias", "none");
        c.put("fan_in_fan_out", false);
        c.put("inference_mode", true);
        c.put("init_lora_weights", true);
        c.putNull("layers_pattern");
        c.putNull("layers_to_transform");
        if (a.alpha() == Math.rint(a.alpha()) && Math.abs(a.alpha()) < 1e9) {
            c.put("lora_alpha", (long) a.alpha()); // PEFT configs carry integral alphas as ints
        } else {
            c.put("lora_alpha", a.alpha());
        }
        c.put("lora_dropout", dropout);
        c.putNull("modules_to_save");
        c.put("peft_type", "LORA");
        c.put("r", a.rank());
        c.putObject("rank_pattern");
        c.putNull("revision");
        ArrayNode t = c.putArray("target_modules");
        modules.stream().sorted().forEach(t::add);
        c.put("task_type", "CAUSAL_LM");
        c.put("use_dora", false);
        c.put("use_rslora", a.rsLora());
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(c) + "\n";
    }

    /**
     * Reads a PEFT adapter directory.
     *
     * @param base the model it will be applied to: names are mapped for its architecture and shapes checked
     * @throws IOException naming the file (and tensor or field) when something does not fit
     */
    public static LoraAdapter read(Path dir, LoraBase base) throws IOException {
        Path cfgPath = dir.resolve(CONFIG);
        Path weights = dir.resolve(WEIGHTS);
        if (!Files.isRegularFile(cfgPath)) {
            throw new NoSuchFileException(cfgPath.toString(), null, "PEFT adapter config not found");
        }
        if (!Files.isRegularFile(weights)) {
            throw new NoSuchFileException(weights.toString(), null, "PEFT adapter weights not found");
        }
        JsonNode c;
        try {
            c = JSON.readTree(Files.readString(cfgPath, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IOException(cfgPath + ": malformed JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (c == null || !c.isObject()) {
            throw new IOException(cfgPath + ": not a JSON object");
        }
        String type = c.path("peft_type").asText("");
        if (!type.equals("LORA")) {
            throw new IOException(cfgPath + ": field 'peft_type' is " + dev.smelt.model.text.Quote.of(type) + "; only LORA adapters are supported");
        }
        int r = requireInt(cfgPath, c, "r");
        float alpha = (float) requireNumber(cfgPath, c, "lora_alpha");
        boolean rs = c.path("use_rslora").asBoolean(false);
        if (c.path("fan_in_fan_out").asBoolean(false)) {
            throw new IOException(cfgPath + ": field 'fan_in_fan_out' is true (Conv1D weights); only nn.Linear adapters are supported");
        }
        String bias = c.path("bias").asText("none");
        if (!bias.equals("none")) {
            throw new IOException(cfgPath + ": field 'bias' is '" + bias + "'; only bias \"none\" is supported");
        }
        if (c.path("use_dora").asBoolean(false)) {
            throw new IOException(cfgPath + ": field 'use_dora' is true; DoRA adapters are not supported");
        }
        for (String f : new String[] {"rank_pattern", "alpha_pattern"}) {
            if (c.path(f).isObject() && !c.path(f).isEmpty()) {
                throw new IOException(cfgPath + ": field '" + f + "' sets per-module values, which are not supported");
            }
        }
        List<String> modules = new ArrayList<>();
        JsonNode tm = c.path("target_modules");
        if (tm.isArray()) {
            tm.forEach(n -> modules.add(n.asText()));
        } else if (tm.isTextual()) {
            modules.add(tm.asText());
        }
        Map<String, LoraAdapter.Pair> pairs = readWeights(weights, base, r);
        try {
            return new LoraAdapter(r, alpha, rs, modules, pairs);
        } catch (IllegalArgumentException e) {
            throw new IOException(dir + ": " + e.getMessage());
        }
    }

    private static Map<String, LoraAdapter.Pair> readWeights(Path weights, LoraBase base, int r) throws IOException {
        Map<String, float[]> as = new LinkedHashMap<>();
        Map<String, float[]> bs = new LinkedHashMap<>();
        Map<String, long[]> aShape = new LinkedHashMap<>();
        Map<String, long[]> bShape = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(weights)) {
            for (SafetensorsFile.Entry e : f.entries().values()) {
                String where = weights + ": tensor '" + e.name() + "'";
                PeftNames.PeftTensor t = PeftNames.parse(base.architecture(), e.name());
                if (t == null) {
                    throw new IOException(where + " is not a LoRA A/B weight of a " + base.architecture()
                            + " projection (expected e.g. " + PeftNames.PREFIX + "0.self_attn.q_proj.lora_A.weight)");
                }
                if (e.shape().length != 2) {
                    throw new IOException(where + " has shape " + java.util.Arrays.toString(e.shape()) + "; LoRA weights are 2-D");
                }
                if (!e.dtype().equals("F32") && !e.dtype().equals("F16") && !e.dtype().equals("BF16")) {
                    throw new IOException(where + " has dtype " + e.dtype() + "; expected F32, F16 or BF16");
                }
                (t.isA() ? as : bs).put(t.ggufName(), f.floats(e.name()));
                (t.isA() ? aShape : bShape).put(t.ggufName(), e.shape());
            }
        }
        Map<String, LoraAdapter.Pair> pairs = new LinkedHashMap<>();
        Set<String> names = new LinkedHashSet<>(as.keySet());
        names.addAll(bs.keySet());
        for (String g : names) {
            String hf = PeftNames.peftPath(base.architecture(), g);
            if (!as.containsKey(g) || !bs.containsKey(g)) {
                throw new IOException(weights + ": tensor '" + hf + (as.containsKey(g) ? ".lora_A.weight' has no lora_B partner"
                        : ".lora_B.weight' has no lora_A partner"));
            }
            long[] sa = aShape.get(g);
            long[] sb = bShape.get(g);
            if (sa[0] != r || sb[1] != r) {
                throw new IOException(weights + ": tensor '" + hf + ".lora_A.weight' " + java.util.Arrays.toString(sa) + " / lora_B "
                        + java.util.Arrays.toString(sb) + " do not have rank r=" + r + " from " + CONFIG);
            }
            int in = (int) sa[1];
            int out = (int) sb[0];
            String bad = shapeProblem(base, g, out, in);
            if (bad != null) {
                throw new IOException(weights + ": tensor '" + hf + ".lora_A/B.weight': " + bad);
            }
            pairs.put(g, new LoraAdapter.Pair(g, in, out, as.get(g), toGguf(base, g, bs.get(g), out, r)));
        }
        return pairs;
    }

    /** B in GGUF row order → HF row order (llama q/k only). */
    static float[] toHf(LoraBase base, String ggufName, float[] b, int out, int r) {
        int heads = qkHeads(base, ggufName);
        return heads > 0 ? QkPermutation.ggufToHf(b, out, r, heads) : b;
    }

    static float[] toGguf(LoraBase base, String ggufName, float[] b, int out, int r) {
        int heads = qkHeads(base, ggufName);
        return heads > 0 ? QkPermutation.hfToGguf(b, out, r, heads) : b;
    }

    private static int qkHeads(LoraBase base, String ggufName) {
        if (!base.permutesQk()) {
            return 0;
        }
        String s = PeftNames.suffixOf(ggufName);
        return "attn_q".equals(s) ? base.heads() : "attn_k".equals(s) ? base.kvHeads() : 0;
    }

    static void checkShape(LoraBase base, String g, int out, int in, String what) {
        String bad = shapeProblem(base, g, out, in);
        if (bad != null) {
            throw new IllegalArgumentException(what + " " + g + ": " + bad);
        }
    }

    /** Null when [out, in] fits the base tensor (or the base has no shape table). */
    /** True when the pair adapts a row slice of one of the base's fused projections. */
    static boolean isSlice(LoraBase base, String g, int out) {
        int[] s = base.shape(g);
        return (s == null || s[0] != out) && base.fusedSlice(g, out) != null;
    }

    static String shapeProblem(LoraBase base, String g, int out, int in) {
        if (base.shapes().isEmpty()) {
            return null;
        }
        if (isSlice(base, g, out)) {
            int[] f = base.shape(base.fusedSlice(g, out).fused());
            return f[1] == in ? null : "delta has " + in + " inputs, the fused base tensor " + base.fusedSlice(g, out).fused() + " takes " + f[1];
        }
        int[] s = base.shape(g);
        if (s == null) {
            return "the base model has no tensor " + g + " (adapter for a different model?)";
        }
        if (s[0] != out || s[1] != in) {
            return "delta shape [" + out + ", " + in + "] does not match base tensor " + g + " [" + s[0] + ", " + s[1] + "]";
        }
        return null;
    }

    private static int requireInt(Path p, JsonNode c, String field) throws IOException {
        JsonNode n = c.get(field);
        if (n == null || !n.canConvertToInt() || !n.isIntegralNumber() || n.asInt() <= 0) {
            throw new IOException(p + ": field '" + field + "' must be a positive integer, got " + n);
        }
        return n.asInt();
    }

    private static double requireNumber(Path p, JsonNode c, String field) throws IOException {
        JsonNode n = c.get(field);
        if (n == null || !n.isNumber() || !(n.asDouble() > 0)) {
            throw new IOException(p + ": field '" + field + "' must be a positive number, got " + n);
        }
        return n.asDouble();
    }
}
