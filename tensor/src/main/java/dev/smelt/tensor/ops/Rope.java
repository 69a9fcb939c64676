package dev.smelt.tensor.ops;

/**
 * Rotary position embedding with precomputed per-dimension inverse frequencies.
 * NORM rotates adjacent pairs (x[2i], x[2i+1]) (llama); NEOX rotates halves (x[i], x[i + d/2])
 * (qwen2/3, phi3, gemma3). Only the first {@code ropeDim} elements of each head rotate.
 * Immutable, thread-safe.
 */
public final class Rope {
    public enum Kind { NORM, NEOX }

    private final Kind kind;
    private final int ropeDim;
    private final float[] invFreq; // [ropeDim / 2]

    /**
     * @param freqBase    θ base (rope.freq_base)
     * @param freqFactors optional [ropeDim/2] divisors of each frequency (llama3 rope_freqs), or null
     * @param freqScale   linear position scale (1 / rope.scaling.factor for linear scaling), 1 for none
     */
    public Rope(Kind kind, int ropeDim, float freqBase, float[] freqFactors, float freqScale) {
        if (ropeDim <= 0 || ropeDim % 2 != 0) {
            throw new IllegalArgumentException("rope dimension must be positive and even, got " + ropeDim);
        }
        if (freqFactors != null && freqFactors.length < ropeDim / 2) {
            throw new IllegalArgumentException("rope_freqs has " + freqFactors.length + " entries, need " + ropeDim / 2);
        }
        this.kind = kind;
        this.ropeDim = ropeDim;
        this.invFreq = new float[ropeDim / 2];
        // ggml computes theta = p * base^(-2i/d) as a running product in float; pow per element is equivalent to ~1 ulp.
        for (int i = 0; i < ropeDim / 2; i++) {
            double f = Math.pow(freqBase, -2.0 * i / ropeDim) * freqScale;
            if (freqFactors != null) {
                f /= freqFactors[i];
            }
            invFreq[i] = (float) f;
        }
    }

    public int ropeDim() {
        return ropeDim;
    }

    /** Rotates {@code nHeads} heads of {@code headDim} floats at x[off..] for position {@code pos}. */
    public void apply(float[] x, int off, int nHeads, int headDim, int pos) {
        int half = ropeDim / 2;
        for (int i = 0; i < half; i++) {
            double theta = pos * (double) invFreq[i];
            float c = (float) Math.cos(theta);
            float s = (float) Math.sin(theta);
            for (int h = 0; h < nHeads; h++) {
                int base = off + h * headDim;
                int a;
                int b;
                if (kind == Kind.NORM) {
                    a = base + 2 * i;
                    b = a + 1;
                } else {
                    a = base + i;
                    b = base + i + half;
                }
                float x0 = x[a];
                float x1 = x[b];
                x[a] = x0 * c - x1 * s;
                x[b] = x0 * s + x1 * c;
            }
        }
    }
}
