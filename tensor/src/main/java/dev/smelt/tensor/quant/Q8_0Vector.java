package dev.smelt.tensor.quant;

import static dev.smelt.tensor.quant.Simd.B;
import static dev.smelt.tensor.quant.Simd.F;
import static dev.smelt.tensor.quant.Simd.L;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q8_0 dot with the Vector API: widen L int8 at a time to floats, FMA, scale per block. Two blocks per
 * iteration into independent accumulators, so the block-scale FMA chains overlap. Thread-safe.
 */
final class Q8_0Vector extends ScalarFormats.Q8_0 {
    @Override
    public float dot(MemorySegment w, long offset, float[] x, int xOff, int n) {
        if (L != 16) {
            return dotAnyWidth(w, offset, x, xOff, n);
        }
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        int blocks = n / 32;
        int b = 0;
        for (; b + 2 <= blocks; b += 2) {
            long off = offset + 34L * b;
            int xo = xOff + 32 * b;
            FloatVector s0 = widen(w, off + 2).mul(FloatVector.fromArray(F, x, xo));
            s0 = widen(w, off + 18).fma(FloatVector.fromArray(F, x, xo + 16), s0);
            FloatVector s1 = widen(w, off + 36).mul(FloatVector.fromArray(F, x, xo + 32));
            s1 = widen(w, off + 52).fma(FloatVector.fromArray(F, x, xo + 48), s1);
            acc0 = s0.fma(FloatVector.broadcast(F, f16(w, off)), acc0);
            acc1 = s1.fma(FloatVector.broadcast(F, f16(w, off + 34)), acc1);
        }
        for (; b < blocks; b++) {
            long off = offset + 34L * b;
            int xo = xOff + 32 * b;
            FloatVector s0 = widen(w, off + 2).mul(FloatVector.fromArray(F, x, xo));
            s0 = widen(w, off + 18).fma(FloatVector.fromArray(F, x, xo + 16), s0);
            acc0 = s0.fma(FloatVector.broadcast(F, f16(w, off)), acc0);
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }

    @Override
    public void dequantize(MemorySegment w, long offset, float[] dst, int dstOff, int n) {
        for (int b = 0; b < n / 32; b++) {
            long off = offset + 34L * b;
            FloatVector d = FloatVector.broadcast(F, f16(w, off));
            for (int j = 0; j < 32; j += L) {
                widen(w, off + 2 + j).mul(d).intoArray(dst, dstOff + 32 * b + j);
            }
        }
    }

    private static FloatVector widen(MemorySegment w, long off) {
        return (FloatVector) ByteVector.fromMemorySegment(B, w, off, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0);
    }

    private float dotAnyWidth(MemorySegment w, long offset, float[] x, int xOff, int n) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n / 32; b++) {
            long off = offset + 34L * b;
            int xo = xOff + 32 * b;
            FloatVector s = FloatVector.zero(F);
            for (int j = 0; j < 32; j += L) {
                s = widen(w, off + 2 + j).fma(FloatVector.fromArray(F, x, xo + j), s);
            }
            acc = s.fma(FloatVector.broadcast(F, f16(w, off)), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    @Override
    public int fusedBatchLimit() {
        return L == 16 ? SmallBatch.FUSED_BATCH_LIMIT : 0;
    }

    @Override
    public void matmulRows(MemorySegment w, long offset, long rowBytes, int r0, int r1, int n,
                           float[] x, int batch, float[] out, int outStride) {
        if (L != 16) {
            for (int r = r0; r < r1; r++) {
                dotBatch(w, offset + r * rowBytes, n, x, n, batch, out, r, outStride);
            }
            return;
        }
        SmallBatch.rows(Q8_0Batch.K8, Q8_0Batch.K4, Q8_0Batch.K2, w, offset, rowBytes, r0, r1, n, x, batch, out, outStride);
    }
}
