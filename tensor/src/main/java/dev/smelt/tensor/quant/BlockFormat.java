package dev.smelt.tensor.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Base of the scalar reference formats: a format decodes one block ({@link #decodeBlock}); dequantize
 * and dot are plain loops over blocks. These are the oracles the Vector API kernels are tested against.
 * Stateless, thread-safe.
 */
abstract class BlockFormat implements WeightFormat {
    static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Decodes the block at byte {@code off} into dst[dstOff .. dstOff + blockSize). */
    abstract void decodeBlock(MemorySegment w, long off, float[] dst, int dstOff);

    @Override
    public void dequantize(MemorySegment w, long offset, float[] dst, int dstOff, int n) {
        int bs = type().blockSize();
        int ts = type().typeSize();
        for (int b = 0; b < n / bs; b++) {
            decodeBlock(w, offset + (long) b * ts, dst, dstOff + b * bs);
        }
    }

    @Override
    public float dot(MemorySegment w, long offset, float[] x, int xOff, int n) {
        int bs = type().blockSize();
        int ts = type().typeSize();
        float[] tmp = new float[bs];
        float s = 0;
        for (int b = 0; b < n / bs; b++) {
            decodeBlock(w, offset + (long) b * ts, tmp, 0);
            for (int i = 0; i < bs; i++) {
                s += tmp[i] * x[xOff + b * bs + i];
            }
        }
        return s;
    }

    static float f16(MemorySegment w, long off) {
        return Float.float16ToFloat(w.get(LE_SHORT, off));
    }

    static int u8(MemorySegment w, long off) {
        return w.get(ValueLayout.JAVA_BYTE, off) & 0xFF;
    }

    static int s8(MemorySegment w, long off) {
        return w.get(ValueLayout.JAVA_BYTE, off);
    }
}
