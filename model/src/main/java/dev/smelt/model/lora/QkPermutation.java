package dev.smelt.model.lora;

/**
 * The row permutation llama.cpp's {@code convert_hf_to_gguf.py} applies to llama q/k weights
 * ({@code LlamaModel.permute}: reshape rows to [heads, 2, head_dim/2], swap the last two axes).
 * Within head h of size hd, GGUF row {@code h·hd + 2j + s} holds Hugging Face row
 * {@code h·hd + s·hd/2 + j} (s ∈ {0,1}, j < hd/2): HF rotates halves, GGUF rotates adjacent pairs.
 * A LoRA delta B·A lives in the row space of W, so B's rows move with W's rows and A is untouched
 * (this is what {@code convert_lora_to_gguf.py} does through its lazy LoRA tensor's permute).
 * Stateless, thread-safe.
 */
public final class QkPermutation {
    private QkPermutation() {
    }

    /**
     * @param m     [rows, cols] row-major, rows in Hugging Face order
     * @param heads heads whose rows make up {@code rows} (n_head for q, n_head_kv for k)
     * @return a new [rows, cols] array in GGUF order
     */
    public static float[] hfToGguf(float[] m, int rows, int cols, int heads) {
        float[] out = new float[m.length];
        int hd = headDim(m, rows, cols, heads);
        for (int g = 0; g < rows; g++) {
            System.arraycopy(m, hfRow(g, hd) * cols, out, g * cols, cols);
        }
        return out;
    }

    /** The inverse of {@link #hfToGguf}. */
    public static float[] ggufToHf(float[] m, int rows, int cols, int heads) {
        float[] out = new float[m.length];
        int hd = headDim(m, rows, cols, heads);
        for (int g = 0; g < rows; g++) {
            System.arraycopy(m, g * cols, out, hfRow(g, hd) * cols, cols);
        }
        return out;
    }

    /** The HF row stored at GGUF row g. */
    static int hfRow(int g, int hd) {
        int h = g / hd;
        int within = g % hd;
        int j = within / 2;
        int s = within % 2;
        return h * hd + s * (hd / 2) + j;
    }

    private static int headDim(float[] m, int rows, int cols, int heads) {
        if (m.length != (long) rows * cols) {
            throw new IllegalArgumentException("matrix has " + m.length + " values, not " + rows + "×" + cols);
        }
        if (heads <= 0 || rows % heads != 0 || (rows / heads) % 2 != 0) {
            throw new IllegalArgumentException(rows + " rows do not split into " + heads + " heads of even size");
        }
        return rows / heads;
    }
}
