package dev.smelt.tensor.quant;

import dev.smelt.tensor.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** F32 weights, scalar reference. Layout: little-endian IEEE-754 floats. */
public class F32Format implements WeightFormat {
    static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    @Override
    public GgmlType type() {
        return GgmlType.F32;
    }

    @Override
    public void dequantize(MemorySegment w, long offset, float[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) {
            dst[dstOff + i] = w.get(LE_FLOAT, offset + 4L * i);
        }
    }

    @Override
    public float dot(MemorySegment w, long offset, float[] x, int xOff, int n) {
        float s = 0f;
        for (int i = 0; i < n; i++) {
            s += w.get(LE_FLOAT, offset + 4L * i) * x[xOff + i];
        }
        return s;
    }
}
