package dev.smelt.model.arch;

import dev.smelt.model.Linear;
import java.util.List;

/**
 * A block projection y = W·x (+ bias): its weight (swappable for LoRA or low-rank wrappers through
 * {@link DecoderModel#transformLinears}), its optional bias, and the named row slices it is made of.
 * A plain projection is one slice; phi3's fused {@code attn_qkv} is the slices {@code attn_q},
 * {@code attn_k}, {@code attn_v} and its fused {@code ffn_up} is {@code ffn_gate}, {@code ffn_up}: the
 * units LoRA adapts, so an adapter trained on one architecture names projections as on any other.
 * Thread-safety: immutable once the model is shared (the weight is replaced only before).
 */
public final class Proj {
    /**
     * Rows [offset, offset + rows) of the projection, named as the GGUF tensor they would be unfused
     * (e.g. {@code blk.0.attn_k.weight}).
     */
    public record Slice(String name, int offset, int rows) {
    }

    private Linear weight;          // [rows, cols]
    private final float[] bias;     // [rows] or null
    private final List<Slice> slices;

    Proj(Linear weight, float[] bias, List<Slice> slices) {
        this.weight = weight;
        this.bias = bias;
        this.slices = List.copyOf(slices);
        int end = 0;
        for (Slice s : this.slices) {
            if (s.offset() != end) {
                throw new IllegalArgumentException(weight.name() + ": slices must tile the rows in order");
            }
            end += s.rows();
        }
        if (end != weight.rows() || (bias != null && bias.length != weight.rows())) {
            throw new IllegalArgumentException(weight.name() + ": slices cover " + end + " rows, bias " + (bias == null ? 0 : bias.length)
                    + ", weight has " + weight.rows());
        }
    }

    /** A projection that is a single unit named after its tensor. */
    static Proj whole(Linear weight, float[] bias) {
        return new Proj(weight, bias, List.of(new Slice(weight.name(), 0, weight.rows())));
    }

    public String name() {
        return weight.name();
    }

    public Linear weight() {
        return weight;
    }

    public float[] bias() {
        return bias;
    }

    public List<Slice> slices() {
        return slices;
    }

    public int rows() {
        return weight.rows();
    }

    public int cols() {
        return weight.cols();
    }

    void replace(Linear w) {
        if (w == null || w.rows() != weight.rows() || w.cols() != weight.cols()) {
            throw new IllegalArgumentException("replacement for " + weight.name() + " must keep shape [" + weight.rows() + ", " + weight.cols() + "]");
        }
        this.weight = w;
    }
}
