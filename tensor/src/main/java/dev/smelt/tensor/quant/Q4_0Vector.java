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
 * Q4_0 dot with the Vector API: 16 bytes → low nibbles (elements 0..15) and high nibbles (16..31),
 * minus 8, widened to floats, FMA with x, one FMA by d per block. (Measured: folding the −8 into a
 * per-block Σx term and unrolling two blocks was slower.) Thread-safe.
 */
final class Q4_0Vector extends ScalarFormats.Q4_0 {
    @Override
    public float dot(MemorySegment w, long offset, float[] x, int xOff, int n) {
        if (L != 16) {
            return super.dot(w, offset, x, xOff, n);
        }
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n / 32; b++) {
            long off = offset + 18L * b;
            int xo = xOff + 32 * b;
            ByteVector q = ByteVector.fromMemorySegment(B16, w, off + 2, ByteOrder.LITTLE_ENDIAN);
            FloatVector lo = (FloatVector) q.and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0);
            FloatVector hi = (FloatVector) Simd.highNibbles(q).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0);
            FloatVector s = lo.fma(FloatVector.fromArray(F, x, xo), hi.mul(FloatVector.fromArray(F, x, xo + 16)));
            acc = s.fma(FloatVector.broadcast(F, f16(w, off)), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    @Override
    public void dequantize(MemorySegment w, long offset, float[] dst, int dstOff, int n) {
        if (L != 16) {
            super.dequantize(w, offset, dst, dstOff, n);
            return;
        }
        for (int b = 0; b < n / 32; b++) {
            long off = offset + 18L * b;
            float d = f16(w, off);
            ByteVector q = ByteVector.fromMemorySegment(B16, w, off + 2, ByteOrder.LITTLE_ENDIAN);
            FloatVector lo = (FloatVector) q.and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0);
            FloatVector hi = (FloatVector) Simd.highNibbles(q).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0);
            lo.mul(d).intoArray(dst, dstOff + 32 * b);
            hi.mul(d).intoArray(dst, dstOff + 32 * b + 16);
        }
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
        SmallBatch.rows(Q4_0Batch.K8, Q4_0Batch.K4, Q4_0Batch.K2, w, offset, rowBytes, r0, r1, n, x, batch, out, outStride);
    }
}
