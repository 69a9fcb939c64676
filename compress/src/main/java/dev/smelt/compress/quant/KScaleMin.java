package dev.smelt.compress.quant;

/**
 * The Q4_K/Q5_K super-block scale layout: eight 6-bit scales and eight 6-bit mins in 12 bytes.
 * Bytes 0–3: scale j (j &lt; 4) in bits 0–5, top 2 bits of scale j+4 in bits 6–7; bytes 4–7: min j in
 * bits 0–5, top 2 bits of min j+4 in bits 6–7; bytes 8–11: low 4 bits of scale j+4 (low nibble) and of
 * min j+4 (high nibble). Mirrors ggml's packing loop and {@code get_scale_min_k4}.
 *
 * <p>Thread-safety: stateless.
 */
final class KScaleMin {
    private KScaleMin() {
    }

    /** Packs scales ls[0..8) and mins lm[0..8) (each 0..63) into {@code s[so..so+12)}. */
    static void pack(int[] ls, int[] lm, byte[] s, int so) {
        for (int j = 0; j < 12; j++) {
            s[so + j] = 0;
        }
        for (int j = 0; j < 8; ++j) {
            if (j < 4) {
                s[so + j] = (byte) ls[j];
                s[so + j + 4] = (byte) lm[j];
            } else {
                s[so + j + 4] = (byte) ((ls[j] & 0xF) | ((lm[j] & 0xF) << 4));
                s[so + j - 4] = (byte) (s[so + j - 4] | ((ls[j] >> 4) << 6));
                s[so + j] = (byte) (s[so + j] | ((lm[j] >> 4) << 6));
            }
        }
    }

    /** Scale of group j (0..7) from the packed bytes. */
    static int scale(byte[] s, int so, int j) {
        if (j < 4) {
            return s[so + j] & 63;
        }
        return (s[so + j + 4] & 0xF) | (((s[so + j - 4] & 0xFF) >> 6) << 4);
    }

    /** Min of group j (0..7) from the packed bytes. */
    static int min(byte[] s, int so, int j) {
        if (j < 4) {
            return s[so + j + 4] & 63;
        }
        return ((s[so + j + 4] & 0xFF) >> 4) | (((s[so + j] & 0xFF) >> 6) << 4);
    }
}
