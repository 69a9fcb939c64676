package dev.smelt.model.lora;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Small synthetic bases and random adapters for the adapter-file tests. */
final class LoraFixtures {
    private LoraFixtures() {
    }

    /** A 2-layer base: dim 16, 4 heads of 4, 2 KV heads, FFN 24. */
    static LoraBase base(String arch) {
        Map<String, int[]> shapes = new LinkedHashMap<>();
        for (int l = 0; l < 2; l++) {
            shapes.put("blk." + l + ".attn_q.weight", new int[] {16, 16});
            shapes.put("blk." + l + ".attn_k.weight", new int[] {8, 16});
            shapes.put("blk." + l + ".attn_v.weight", new int[] {8, 16});
            shapes.put("blk." + l + ".attn_output.weight", new int[] {16, 16});
            shapes.put("blk." + l + ".ffn_gate.weight", new int[] {24, 16});
            shapes.put("blk." + l + ".ffn_up.weight", new int[] {24, 16});
            shapes.put("blk." + l + ".ffn_down.weight", new int[] {16, 24});
        }
        return new LoraBase(arch, 4, 2, "tiny-" + arch, shapes);
    }

    /** Random A and B (B nonzero) on every projection of {@code base}. */
    static LoraAdapter adapter(LoraBase base, int rank, float alpha, boolean rs, long seed) {
        Random rnd = new Random(seed);
        Map<String, LoraAdapter.Pair> pairs = new LinkedHashMap<>();
        for (Map.Entry<String, int[]> e : base.shapes().entrySet()) {
            int out = e.getValue()[0];
            int in = e.getValue()[1];
            pairs.put(e.getKey(), new LoraAdapter.Pair(e.getKey(), in, out, gaussian(rnd, rank * in, 0.1f), gaussian(rnd, out * rank, 0.1f)));
        }
        return new LoraAdapter(rank, alpha, rs, List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"), pairs);
    }

    static float[] gaussian(Random rnd, int n, float std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rnd.nextGaussian() * std;
        }
        return v;
    }
}
