package dev.smelt.model.lora;

import dev.smelt.model.Linear;
import dev.smelt.model.arch.DecoderModel;
import dev.smelt.model.arch.Proj;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Resolves an adapter's pairs to a model's projections and wraps them in {@link LoraLinear}s.
 * A pair keyed by a projection that exists with the same shape adapts it whole; a pair named as a
 * row slice the architecture declares (phi3, whose q|k|v and gate|up are fused: {@code attn_q/attn_k/attn_v}
 * and {@code ffn_gate/ffn_up} of the unfused shapes) adapts those rows. A pair that fits nothing is an error.
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
        float scale = adapter.scale() * userScale;
        Map<String, List<LoraLinear.Delta>> out = new LinkedHashMap<>();
        for (LoraAdapter.Pair p : adapter.pairs().values()) {
            Target t = target(p, model);
            out.computeIfAbsent(t.linear(), k -> new ArrayList<>())
                    .add(new LoraLinear.Delta(t.rowOffset(), p.out(), p.in(), p.rank(), p.a(), p.b(), scale));
        }
        return out;
    }

    /**
     * The projection (and row offset) a pair modifies: the projection of that name and shape, else the
     * row slice of that name and row count that the architecture declares ({@link Proj#slices()}: phi3's
     * q/k/v of its fused {@code attn_qkv}, gate/up of its fused {@code ffn_up}).
     *
     * @throws IllegalArgumentException when none fits, or the inputs differ
     */
    public static Target target(LoraAdapter.Pair p, DecoderModel model) {
        String g = p.baseName();
        Proj slicedIn = null;
        Target slice = null;
        int[] sameName = null;
        for (Proj proj : model.projections()) {
            if (proj.name().equals(g)) {
                sameName = new int[] {proj.rows(), proj.cols()};
                if (proj.rows() == p.out()) {
                    return checked(p, proj, new Target(g, 0));
                }
            }
            for (Proj.Slice s : proj.slices()) {
                if (slice == null && s.name().equals(g) && s.rows() == p.out() && !(s.offset() == 0 && s.rows() == proj.rows())) {
                    slicedIn = proj;
                    slice = new Target(proj.name(), s.offset());
                }
            }
        }
        if (slice != null) {
            return checked(p, slicedIn, slice);
        }
        String have = sameName != null ? " (the model's " + g + " is [" + sameName[0] + ", " + sameName[1] + "])" : "";
        throw new IllegalArgumentException("LoRA pair " + g + " [" + p.out() + ", " + p.in() + "] matches no projection of this "
                + model.config().architecture() + " model" + have + "; is the adapter for a different model?");
    }

    private static Target checked(LoraAdapter.Pair p, Proj proj, Target t) {
        if (proj.cols() != p.in()) {
            throw new IllegalArgumentException("LoRA pair " + p.baseName() + " has " + p.in() + " inputs but " + proj.name() + " takes " + proj.cols());
        }
        return t;
    }
}
