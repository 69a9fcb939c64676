package dev.smelt.tensor.quant;

import static dev.smelt.tensor.quant.BlockFormat.f16;
import static dev.smelt.tensor.quant.Simd.B;
import static dev.smelt.tensor.quant.Simd.F;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Fused small-batch Q8_0 kernels for 16 float lanes (AVX-512), driven by {@link SmallBatch}. Per block
 * (34 bytes: fp16 d, int8 q[32]) of each of the two weight rows: two 16-byte loads widened to floats,
 * times d (folded into the weights once, instead of once per activation row); then two FMAs per
 * activation row. Written out inline in one method per shape: a helper returning vectors that C2
 * compiles on its own boxes them (see BENCHMARKS). Stateless, thread-safe.
 */
final class Q8_0Batch {
    static final SmallBatch.Kernel4 K4 = Q8_0Batch::k4;
    static final SmallBatch.Kernel2 K2 = Q8_0Batch::k2;
    static final SmallBatch.Kernel8 K8 = Q8_0Batch::k8;

    private Q8_0Batch() {
    }

    /**
     * Two weight rows (at byte offsets oa, ob) × eight consecutive activation rows x[xo + j·n ..]
     * (16 accumulators): decoding a block costs about as much as four FMAs, so spreading it over eight
     * activation rows instead of four saves a fifth of the work at batch 8.
     */
    static void k8(MemorySegment w, long oa, long ob, int n, float[] x, int xo, float[] out, int oo, int os, int ra, int rb) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        FloatVector a4 = FloatVector.zero(F), a5 = FloatVector.zero(F), a6 = FloatVector.zero(F), a7 = FloatVector.zero(F);
        FloatVector c0 = FloatVector.zero(F), c1 = FloatVector.zero(F), c2 = FloatVector.zero(F), c3 = FloatVector.zero(F);
        FloatVector c4 = FloatVector.zero(F), c5 = FloatVector.zero(F), c6 = FloatVector.zero(F), c7 = FloatVector.zero(F);
        for (int k = 0; k < n / 32; k++) {
            long pa = oa + 34L * k;
            long pb = ob + 34L * k;
            FloatVector da = FloatVector.broadcast(F, f16(w, pa));
            FloatVector db = FloatVector.broadcast(F, f16(w, pb));
            FloatVector la = widen(w, pa + 2).mul(da);
            FloatVector ha = widen(w, pa + 18).mul(da);
            FloatVector lb = widen(w, pb + 2).mul(db);
            FloatVector hb = widen(w, pb + 18).mul(db);
            int c = 32 * k;
            FloatVector xl;
            FloatVector xh;
            xl = FloatVector.fromArray(F, x, xo + 0 * n + c);
            xh = FloatVector.fromArray(F, x, xo + 0 * n + c + 16);
            a0 = ha.fma(xh, la.fma(xl, a0));
            c0 = hb.fma(xh, lb.fma(xl, c0));
            xl = FloatVector.fromArray(F, x, xo + 1 * n + c);
            xh = FloatVector.fromArray(F, x, xo + 1 * n + c + 16);
            a1 = ha.fma(xh, la.fma(xl, a1));
            c1 = hb.fma(xh, lb.fma(xl, c1));
            xl = FloatVector.fromArray(F, x, xo + 2 * n + c);
            xh = FloatVector.fromArray(F, x, xo + 2 * n + c + 16);
            a2 = ha.fma(xh, la.fma(xl, a2));
            c2 = hb.fma(xh, lb.fma(xl, c2));
            xl = FloatVector.fromArray(F, x, xo + 3 * n + c);
            xh = FloatVector.fromArray(F, x, xo + 3 * n + c + 16);
            a3 = ha.fma(xh, la.fma(xl, a3));
            c3 = hb.fma(xh, lb.fma(xl, c3));
            xl = FloatVector.fromArray(F, x, xo + 4 * n + c);
            xh = FloatVector.fromArray(F, x, xo + 4 * n + c + 16);
            a4 = ha.fma(xh, la.fma(xl, a4));
            c4 = hb.fma(xh, lb.fma(xl, c4));
            xl = FloatVector.fromArray(F, x, xo + 5 * n + c);
            xh = FloatVector.fromArray(F, x, xo + 5 * n + c + 16);
            a5 = ha.fma(xh, la.fma(xl, a5));
            c5 = hb.fma(xh, lb.fma(xl, c5));
            xl = FloatVector.fromArray(F, x, xo + 6 * n + c);
            xh = FloatVector.fromArray(F, x, xo + 6 * n + c + 16);
            a6 = ha.fma(xh, la.fma(xl, a6));
            c6 = hb.fma(xh, lb.fma(xl, c6));
            xl = FloatVector.fromArray(F, x, xo + 7 * n + c);
            xh = FloatVector.fromArray(F, x, xo + 7 * n + c + 16);
            a7 = ha.fma(xh, la.fma(xl, a7));
            c7 = hb.fma(xh, lb.fma(xl, c7));
        }
        out[oo + 0 * os + ra] = a0.reduceLanes(VectorOperators.ADD);
        out[oo + 1 * os + ra] = a1.reduceLanes(VectorOperators.ADD);
        out[oo + 2 * os + ra] = a2.reduceLanes(VectorOperators.ADD);
        out[oo + 3 * os + ra] = a3.reduceLanes(VectorOperators.ADD);
        out[oo + 4 * os + ra] = a4.reduceLanes(VectorOperators.ADD);
        out[oo + 5 * os + ra] = a5.reduceLanes(VectorOperators.ADD);
        out[oo + 6 * os + ra] = a6.reduceLanes(VectorOperators.ADD);
        out[oo + 7 * os + ra] = a7.reduceLanes(VectorOperators.ADD);
        out[oo + 0 * os + rb] = c0.reduceLanes(VectorOperators.ADD);
        out[oo + 1 * os + rb] = c1.reduceLanes(VectorOperators.ADD);
        out[oo + 2 * os + rb] = c2.reduceLanes(VectorOperators.ADD);
        out[oo + 3 * os + rb] = c3.reduceLanes(VectorOperators.ADD);
        out[oo + 4 * os + rb] = c4.reduceLanes(VectorOperators.ADD);
        out[oo + 5 * os + rb] = c5.reduceLanes(VectorOperators.ADD);
        out[oo + 6 * os + rb] = c6.reduceLanes(VectorOperators.ADD);
        out[oo + 7 * os + rb] = c7.reduceLanes(VectorOperators.ADD);
    }

    static void k4(MemorySegment w, long oa, long ob, int n, float[] x, int x0, int x1, int x2, int x3,
                   float[] out, int o0, int o1, int o2, int o3, int ra, int rb) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        FloatVector c0 = FloatVector.zero(F), c1 = FloatVector.zero(F), c2 = FloatVector.zero(F), c3 = FloatVector.zero(F);
        for (int k = 0; k < n / 32; k++) {
            long pa = oa + 34L * k;
            long pb = ob + 34L * k;
            FloatVector da = FloatVector.broadcast(F, f16(w, pa));
            FloatVector db = FloatVector.broadcast(F, f16(w, pb));
            FloatVector la = widen(w, pa + 2).mul(da);
            FloatVector ha = widen(w, pa + 18).mul(da);
            FloatVector lb = widen(w, pb + 2).mul(db);
            FloatVector hb = widen(w, pb + 18).mul(db);
            int c = 32 * k;
            FloatVector xl = FloatVector.fromArray(F, x, x0 + c);
            FloatVector xh = FloatVector.fromArray(F, x, x0 + c + 16);
            a0 = ha.fma(xh, la.fma(xl, a0));
            c0 = hb.fma(xh, lb.fma(xl, c0));
            xl = FloatVector.fromArray(F, x, x1 + c);
            xh = FloatVector.fromArray(F, x, x1 + c + 16);
            a1 = ha.fma(xh, la.fma(xl, a1));
            c1 = hb.fma(xh, lb.fma(xl, c1));
            xl = FloatVector.fromArray(F, x, x2 + c);
            xh = FloatVector.fromArray(F, x, x2 + c + 16);
            a2 = ha.fma(xh, la.fma(xl, a2));
            c2 = hb.fma(xh, lb.fma(xl, c2));
            xl = FloatVector.fromArray(F, x, x3 + c);
            xh = FloatVector.fromArray(F, x, x3 + c + 16);
            a3 = ha.fma(xh, la.fma(xl, a3));
            c3 = hb.fma(xh, lb.fma(xl, c3));
        }
        out[o0 + ra] = a0.reduceLanes(VectorOperators.ADD);
        out[o1 + ra] = a1.reduceLanes(VectorOperators.ADD);
        out[o2 + ra] = a2.reduceLanes(VectorOperators.ADD);
        out[o3 + ra] = a3.reduceLanes(VectorOperators.ADD);
        out[o0 + rb] = c0.reduceLanes(VectorOperators.ADD);
        out[o1 + rb] = c1.reduceLanes(VectorOperators.ADD);
        out[o2 + rb] = c2.reduceLanes(VectorOperators.ADD);
        out[o3 + rb] = c3.reduceLanes(VectorOperators.ADD);
    }

    static void k2(MemorySegment w, long oa, long ob, int n, float[] x, int x0, int x1,
                   float[] out, int o0, int o1, int ra, int rb) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F);
        FloatVector c0 = FloatVector.zero(F), c1 = FloatVector.zero(F);
        for (int k = 0; k < n / 32; k++) {
            long pa = oa + 34L * k;
            long pb = ob + 34L * k;
            FloatVector da = FloatVector.broadcast(F, f16(w, pa));
            FloatVector db = FloatVector.broadcast(F, f16(w, pb));
            FloatVector la = widen(w, pa + 2).mul(da);
            FloatVector ha = widen(w, pa + 18).mul(da);
            FloatVector lb = widen(w, pb + 2).mul(db);
            FloatVector hb = widen(w, pb + 18).mul(db);
            int c = 32 * k;
            FloatVector xl = FloatVector.fromArray(F, x, x0 + c);
            FloatVector xh = FloatVector.fromArray(F, x, x0 + c + 16);
            a0 = ha.fma(xh, la.fma(xl, a0));
            c0 = hb.fma(xh, lb.fma(xl, c0));
            xl = FloatVector.fromArray(F, x, x1 + c);
            xh = FloatVector.fromArray(F, x, x1 + c + 16);
            a1 = ha.fma(xh, la.fma(xl, a1));
            c1 = hb.fma(xh, lb.fma(xl, c1));
        }
        out[o0 + ra] = a0.reduceLanes(VectorOperators.ADD);
        out[o1 + ra] = a1.reduceLanes(VectorOperators.ADD);
        out[o0 + rb] = c0.reduceLanes(VectorOperators.ADD);
        out[o1 + rb] = c1.reduceLanes(VectorOperators.ADD);
    }

    /** 16 int8 weights at {@code off} as floats; tiny enough that C2 always inlines it into the kernels. */
    private static FloatVector widen(MemorySegment w, long off) {
        return (FloatVector) ByteVector.fromMemorySegment(B, w, off, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0);
    }
}
