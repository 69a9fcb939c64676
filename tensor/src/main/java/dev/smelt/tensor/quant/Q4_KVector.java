package dev.smelt.tensor.quant;

import static dev.smelt.tensor.quant.Simd.B16;
import static dev.smelt.tensor.quant.Simd.F;
import static dev.smelt.tensor.quant.Simd.L;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q4_K dot with the Vector API: per 32-value group, Σ q·x and Σ x in vectors, then
 * d·sc·Σqx − dmin·m·Σx with the group's 6-bit scale and min. Thread-safe.
 */
final class Q4_KVector extends ScalarFormats.Q4_K {
    @Override
    public void dequantize(MemorySegment w, long offset, float[] dst, int dstOff, int n) {
        for (int b = 0; b < n / 256; b++) {
            long off = offset + 144L * b;
            int o = dstOff + 256 * b;
            float d = f16(w, off);
            float dmin = f16(w, off + 2);
            for (int c = 0; c < 4; c++) {
                int g = 2 * c;
                FloatVector dl = FloatVector.broadcast(F, d * ScalarFormats.scale(w, off + 4, g));
                FloatVector ml = FloatVector.broadcast(F, dmin * ScalarFormats.minK(w, off + 4, g));
                FloatVector dh = FloatVector.broadcast(F, d * ScalarFormats.scale(w, off + 4, g + 1));
                FloatVector mh = FloatVector.broadcast(F, dmin * ScalarFormats.minK(w, off + 4, g + 1));
                for (int h = 0; h < 2; h++) {
                    ByteVector q = ByteVector.fromMemorySegment(B16, w, off + 16 + 32 * c + 16 * h, ByteOrder.LITTLE_ENDIAN);
                    ByteVector lo = q.and((byte) 0x0F);
                    ByteVector hi = Simd.highNibbles(q);
                    for (int p = 0; p < 16 / L; p++) {
                        int i = 64 * c + 16 * h + p * L;
                        ((FloatVector) lo.convertShape(VectorOperators.B2F, F, p)).mul(dl).sub(ml).intoArray(dst, o + i); // as the scalar: d·q − m, two roundings
                        ((FloatVector) hi.convertShape(VectorOperators.B2F, F, p)).mul(dh).sub(mh).intoArray(dst, o + i + 32);
                    }
                }
            }
        }
    }

    @Override
    public float dot(MemorySegment w, long offset, float[] x, int xOff, int n) {
        FloatVector acc = FloatVector.zero(F);
        FloatVector accMin = FloatVector.zero(F);
        for (int b = 0; b < n / 256; b++) {
            long off = offset + 144L * b;
            int xo = xOff + 256 * b;
            float d = f16(w, off);
            float dmin = f16(w, off + 2);
            for (int c = 0; c < 4; c++) {
                FloatVector sLo = FloatVector.zero(F);
                FloatVector sHi = FloatVector.zero(F);
                FloatVector xLo = FloatVector.zero(F);
                FloatVector xHi = FloatVector.zero(F);
                for (int h = 0; h < 2; h++) {
                    ByteVector q = ByteVector.fromMemorySegment(B16, w, off + 16 + 32 * c + 16 * h, ByteOrder.LITTLE_ENDIAN);
                    ByteVector lo = q.and((byte) 0x0F);
                    ByteVector hi = Simd.highNibbles(q);
                    for (int p = 0; p < 16 / L; p++) {
                        int i = 64 * c + 16 * h + p * L;
                        FloatVector x0 = FloatVector.fromArray(F, x, xo + i);
                        FloatVector x1 = FloatVector.fromArray(F, x, xo + i + 32);
                        sLo = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, p)).fma(x0, sLo);
                        sHi = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, p)).fma(x1, sHi);
                        xLo = xLo.add(x0);
                        xHi = xHi.add(x1);
                    }
                }
                int g = 2 * c;
                acc = sLo.fma(FloatVector.broadcast(F, d * ScalarFormats.scale(w, off + 4, g)), acc);
                acc = sHi.fma(FloatVector.broadcast(F, d * ScalarFormats.scale(w, off + 4, g + 1)), acc);
                accMin = xLo.fma(FloatVector.broadcast(F, dmin * ScalarFormats.minK(w, off + 4, g)), accMin);
                accMin = xHi.fma(FloatVector.broadcast(F, dmin * ScalarFormats.minK(w, off + 4, g + 1)), accMin);
            }
        }
        return acc.sub(accMin).reduceLanes(VectorOperators.ADD);
    }
}
