package dev.smelt.model.lora;

import dev.smelt.model.Linear;
import dev.smelt.model.ModelConfig;
import dev.smelt.model.arch.DecoderModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Resolves an adapter's pairs to a model's projections and wraps them in {@link LoraLinear}s.
 * A pair keyed by a projection that exists with the same shape adapts it whole; on phi3, whose
 * q|k|v and gate|up are fused, pairs for {@code attn_q/attn_k/attn_v} and {@code ffn_gate/ffn_up}
 * (of the unfused shapes) adapt the matching row slices. A pair that fits nothing is an error.
 * Stateless, thread-safe.
 */
public final class LoraApplier {
    /** Where one pair lands: the projection's name and its first row. */
    public record Target(String linear, int rowOffset) {
    }

    private LoraApplier() {
    }

    /**
     * Wraps the model's projections with the adapter's deltas, scaled by {@code adapter.scale() · userScale}.
     * Call before the model is shared (as {@link DecoderModel#transformLinears}).
     *
     * @return the number of projections adapted
     */
    public static int apply(DecoderModel model, LoraAdapter adapter, float userScale) {
        if (!Float.isFinite(userScale)) {
            throw new IllegalArgumentException("LoRA scale must be finite, got " + userScale);
        }
        Map<String, List<LoraLinear.Delta>> byLinear = deltasFor(model, adapter, userScale);
        int[] count = {0};
        model.transformLinears(l -> {
            List<LoraLinear.Delta> d = byLinear.get(l.name());
            if (d == null) {
                return l;
            }
            count[0]++;
            return new LoraLinear(l, d);
        });
        return count[0];
    }

    /**
     * Attaches several adapters to one shared base for per-request selection: adapter {@code adapters[k]}
     * gets id k + 1 (id 0 is the base), the id a {@link dev.smelt.model.SequenceBatch} row names. Every
     * projection any adapter touches becomes a {@link MultiLoraLinear}. Call before the model is shared.
     *
     * @return the number of projections adapted by at least one adapter
     * @throws IllegalArgumentException naming the adapter index when a pair fits no projection
     */
    public static int applyMulti(DecoderModel model, List<LoraAdapter> adapters, float userScale) {
        if (adapters == null || adapters.isEmpty()) {
            throw new IllegalArgumentException("applyMulti needs at least one adapter");
        }
        List<Map<String, List<LoraLinear.Delta>>> each = new ArrayList<>();
        for (int k = 0; k < adapters.size(); k++) {
            try {
                each.add(deltasFor(model, adapters.get(k), userScale));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("adapter " + (k + 1) + ": " + e.getMessage(), e);
            }
        }
        int[] count = {0};
        model.transformLinears(l -> {
            List<List<LoraLinear.Delta>> byId = new ArrayList<>();
            byId.add(List.of());
            boolean any = false;
            for (Map<String, List<LoraLinear.Delta>> m : each) {
                List<LoraLinear.Delta> d = m.getOrDefault(l.name(), List.of());
                any |= !d.isEmpty();
                byId.add(d);
            }
            if (!any) {
                return l;
            }
            count[0]++;
            return new MultiLoraLinear(l, byId);
        });
        return count[0];
    }

    /**
     * The deltas each of the model's projections receives, by projection name (what merging bakes in).
     *
     * @throws IllegalArgumentException when a pair fits no projection of the model
     */
    public static Map<String, List<LoraLinear.Delta>> deltasFor(DecoderModel model, LoraAdapter adapter, float userScale) {
        if (!Float.isFinite(userScale)) {
            throw new IllegalArgumentException("LoRA scale must be finite, got " + userScale);
        }
        Map<String, int[]> shapes = new LinkedHashMap<>();
        model.transformLinears(l -> {
            shapes.put(l.name(), new int[] {l.rows(), l.cols()});
            return l;
        });
        return deltas(adapter, userScale, shapes, model.config());
    }

    /** Groups the adapter's deltas by the projection they modify. */
    static Map<String, List<LoraLinear.Delta>> deltas(LoraAdapter adapter, float userScale, Map<String, int[]> shapes, ModelConfig c) {
        float scale = adapter.scale() * userScale;
        Map<String, List<LoraLinear.Delta>> out = new LinkedHashMap<>();
        for (LoraAdapter.Pair p : adapter.pairs().values()) {
            Target t = target(p, shapes, c);
            int[] s = shapes.get(t.linear());
            if (s[1] != p.in()) {
                throw new IllegalArgumentException("LoRA pair " + p.baseName() + " has " + p.in() + " inputs but " + t.linear()
                        + " takes " + s[1]);
            }
            out.computeIfAbsent(t.linear(), k -> new ArrayList<>())
                    .add(new LoraLinear.Delta(t.rowOffset(), p.out(), p.in(), p.rank(), p.a(), p.b(), scale));
        }
        return out;
    }

    /** The projection (and row offset) a pair modifies. */
    public static Target target(LoraAdapter.Pair p, Map<String, int[]> shapes, ModelConfig c) {
        String g = p.baseName();
        int[] s = shapes.get(g);
        if (s != null && s[0] == p.out()) {
            return new Target(g, 0);
        }
        String suffix = PeftNames.suffixOf(g);
        String layer = suffix == null ? null : g.substring(0, g.length() - suffix.length() - ".weight".length());
        if (layer != null) {
            String qkv = layer + "attn_qkv.weight";
            String up = layer + "ffn_up.weight";
            Target t = switch (suffix) {
                case "attn_q" -> slice(qkv, 0, c.qDim(), p, shapes);
                case "attn_k" -> slice(qkv, c.qDim(), c.kvDim(), p, shapes);
                case "attn_v" -> slice(qkv, c.qDim() + c.kvDim(), c.kvDim(), p, shapes);
                case "ffn_gate" -> slice(up, 0, c.ffnDim(), p, shapes);
                case "ffn_up" -> slice(up, c.ffnDim(), c.ffnDim(), p, shapes);
                default -> null;
            };
            if (t != null) {
                return t;
            }
        }
        String have = s != null ? " (the model's " + g + " is [" + s[0] + ", " + s[1] + "])" : "";
        throw new IllegalArgumentException("LoRA pair " + g + " [" + p.out() + ", " + p.in() + "] matches no projection of this "
                + c.architecture() + " model" + have + "; is the adapter for a different model?");
    }

    private static Target slice(String fused, int offset, int rows, LoraAdapter.Pair p, Map<String, int[]> shapes) {
        int[] s = shapes.get(fused);
        if (s == null || p.out() != rows || offset + rows > s[0]) {
            return null;
        }
        return new Target(fused, offset);
    }
}
