package dev.smelt.train;

import dev.smelt.model.lora.LoraAdapter;
import dev.smelt.model.safetensors.SafetensorsFile;
import dev.smelt.model.safetensors.SafetensorsWriter;
import dev.smelt.train.optim.AdamW;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Exact-resume training state in one safetensors file (written to a temp file and renamed, so a
 * crash leaves the previous checkpoint intact). Tensors, per LoRA pair in adapter order:
 * {@code lora.<base>.A} [r, in], {@code lora.<base>.B} [out, r], and AdamW moments
 * {@code adam.m.<base>.A|B}, {@code adam.v.<base>.A|B} (same shapes). {@code __metadata__}:
 * format = smelt-lora-checkpoint, version = 1, step, adam_step, data_epoch, data_index,
 * data_examples, seed, rank, alpha, rs_lora, modules (comma-separated), pairs (base names, comma-separated),
 * and what the run was trained from ({@code base_sha256}, {@code data_sha256}, {@code val_sha256}: see
 * {@link FinetuneJob}), so a resume against another model or data set with the same shapes is refused.
 * Stateless, thread-safe.
 */
public final class Checkpoint {
    static final String FORMAT = "smelt-lora-checkpoint";

    private Checkpoint() {
    }

    /** What a resumed trainer needs. */
    public record State(LoraAdapter adapter, long step, int epoch, int index, float[][] m, float[][] v) {
    }

    static void write(Path file, LoraAdapter ad, TrainConfig cfg, long step, int epoch, int index, int examples, AdamW opt,
                      Map<String, String> provenance) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter();
        provenance.forEach(w::metadata);
        w
                .metadata("format", FORMAT).metadata("version", "1")
                .metadata("step", Long.toString(step)).metadata("adam_step", Long.toString(opt.step()))
                .metadata("data_epoch", Integer.toString(epoch)).metadata("data_index", Integer.toString(index))
                .metadata("data_examples", Integer.toString(examples)).metadata("seed", Long.toString(cfg.seed()))
                .metadata("rank", Integer.toString(ad.rank())).metadata("alpha", Float.toString(ad.alpha()))
                .metadata("rs_lora", Boolean.toString(ad.rsLora())).metadata("modules", String.join(",", ad.targetModules()))
                .metadata("pairs", String.join(",", ad.pairs().keySet()));
        int i = 0;
        for (LoraAdapter.Pair p : ad.pairs().values()) {
            long[] sa = {p.rank(), p.in()};
            long[] sb = {p.out(), p.rank()};
            w.f32("lora." + p.baseName() + ".A", sa, p.a()).f32("lora." + p.baseName() + ".B", sb, p.b());
            w.f32("adam.m." + p.baseName() + ".A", sa, opt.firstMoments()[2 * i]).f32("adam.m." + p.baseName() + ".B", sb, opt.firstMoments()[2 * i + 1]);
            w.f32("adam.v." + p.baseName() + ".A", sa, opt.secondMoments()[2 * i]).f32("adam.v." + p.baseName() + ".B", sb, opt.secondMoments()[2 * i + 1]);
            i++;
        }
        w.write(file);
    }

    /** Reads {@code file}, checking it belongs to a run with the same adapter settings and dataset size. */
    public static State read(Path file, TrainConfig cfg, int examples) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            Map<String, String> md = f.metadata();
            if (md == null || !FORMAT.equals(md.get("format"))) {
                throw new IOException(file + ": not a smelt training checkpoint (metadata 'format' is " + (md == null ? "absent" : md.get("format")) + ")");
            }
            int rank = Integer.parseInt(need(file, md, "rank"));
            float alpha = Float.parseFloat(need(file, md, "alpha"));
            boolean rs = Boolean.parseBoolean(need(file, md, "rs_lora"));
            List<String> modules = Arrays.asList(need(file, md, "modules").split(","));
            if (rank != cfg.rank() || alpha != cfg.alpha() || rs != cfg.rsLora() || !new java.util.HashSet<>(modules).equals(new java.util.HashSet<>(cfg.modules()))) {
                throw new IllegalArgumentException(file + ": checkpoint has rank " + rank + ", alpha " + alpha + ", rsLoRA " + rs + ", modules " + modules
                        + "; this run asks for rank " + cfg.rank() + ", alpha " + cfg.alpha() + ", rsLoRA " + cfg.rsLora() + ", modules " + cfg.modules());
            }
            if (Long.parseLong(need(file, md, "seed")) != cfg.seed()) {
                throw new IllegalArgumentException(file + ": checkpoint was trained with seed " + md.get("seed") + ", this run has " + cfg.seed());
            }
            if (Integer.parseInt(need(file, md, "data_examples")) != examples) {
                throw new IllegalArgumentException(file + ": checkpoint was trained on " + md.get("data_examples") + " examples, the data now has " + examples);
            }
            String[] names = need(file, md, "pairs").split(",");
            Map<String, LoraAdapter.Pair> pairs = new LinkedHashMap<>();
            float[][] m = new float[names.length * 2][];
            float[][] v = new float[names.length * 2][];
            for (int i = 0; i < names.length; i++) {
                String n = names[i];
                SafetensorsFile.Entry ea = entry(f, file, "lora." + n + ".A");
                SafetensorsFile.Entry eb = entry(f, file, "lora." + n + ".B");
                pairs.put(n, new LoraAdapter.Pair(n, (int) ea.shape()[1], (int) eb.shape()[0], f.floats(ea.name()), f.floats(eb.name())));
                m[2 * i] = f.floats(entry(f, file, "adam.m." + n + ".A").name());
                m[2 * i + 1] = f.floats(entry(f, file, "adam.m." + n + ".B").name());
                v[2 * i] = f.floats(entry(f, file, "adam.v." + n + ".A").name());
                v[2 * i + 1] = f.floats(entry(f, file, "adam.v." + n + ".B").name());
            }
            LoraAdapter ad = new LoraAdapter(rank, alpha, rs, modules, pairs);
            return new State(ad, Long.parseLong(need(file, md, "step")), Integer.parseInt(need(file, md, "data_epoch")),
                    Integer.parseInt(need(file, md, "data_index")), m, v);
        } catch (NumberFormatException e) {
            throw new IOException(file + ": malformed checkpoint metadata: " + e.getMessage());
        }
    }

    private static SafetensorsFile.Entry entry(SafetensorsFile f, Path file, String name) throws IOException {
        SafetensorsFile.Entry e = f.entries().get(name);
        if (e == null || e.shape().length != 2 || !"F32".equals(e.dtype())) {
            throw new IOException(file + ": checkpoint tensor '" + name + "' is " + (e == null ? "missing" : e.dtype() + " " + Arrays.toString(e.shape())));
        }
        return e;
    }

    private static String need(Path file, Map<String, String> md, String key) throws IOException {
        String v = md.get(key);
        if (v == null) {
            throw new IOException(file + ": checkpoint metadata '" + key + "' is missing");
        }
        return v;
    }
}
