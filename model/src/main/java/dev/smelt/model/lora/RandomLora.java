package dev.smelt.model.lora;

import dev.smelt.model.arch.DecoderModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Random LoRA adapters for a model's projections (for benchmarks and format round trips): A and B
 * Gaussian with the given standard deviation, B nonzero so the adapter has an effect. Stateless,
 * thread-safe.
 */
public final class RandomLora {
    private RandomLora() {
    }

    /**
     * @param modules PEFT module names to adapt (q_proj, …, or qkv_proj/gate_up_proj on phi3); empty = all
     */
    public static LoraAdapter create(DecoderModel m, int rank, float alpha, List<String> modules, long seed, float std) {
        if (rank <= 0) {
            throw new IllegalArgumentException("rank must be positive, got " + rank);
        }
        if (!(std > 0) || !Float.isFinite(std)) {
            throw new IllegalArgumentException("std must be a positive number, got " + std);
        }
        String arch = m.config().architecture();
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<String, LoraAdapter.Pair> pairs = new LinkedHashMap<>();
        LinkedHashSet<String> used = new LinkedHashSet<>();
        List<int[]> shapes = new ArrayList<>();
        List<String> names = new ArrayList<>();
        m.transformLinears(l -> {
            names.add(l.name());
            shapes.add(new int[] {l.rows(), l.cols()});
            return l;
        });
        for (int i = 0; i < names.size(); i++) {
            String suffix = PeftNames.suffixOf(names.get(i));
            String module = suffix == null ? null : PeftNames.module(arch, suffix);
            if (module == null || (!modules.isEmpty() && !modules.contains(module))) {
                continue;
            }
            used.add(module);
            int out = shapes.get(i)[0];
            int in = shapes.get(i)[1];
            pairs.put(names.get(i), new LoraAdapter.Pair(names.get(i), in, out, gaussian(rnd, rank * in, std), gaussian(rnd, out * rank, std)));
        }
        for (String mod : modules) {
            if (!used.contains(mod)) {
                throw new IllegalArgumentException("module '" + mod + "' is not a projection of this " + arch + " model; it has " + used);
            }
        }
        return new LoraAdapter(rank, alpha, false, new ArrayList<>(used), pairs);
    }

    private static float[] gaussian(SplittableRandom rnd, int n, float std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (rnd.nextGaussian() * std);
        }
        return v;
    }
}
