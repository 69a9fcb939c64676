package dev.smelt.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Measures memory read bandwidth the way decoding uses it: threads stream disjoint slices of a buffer
 * far larger than the caches and sum them (like shared/tools/membw.c). Used by {@code smelt bench} to
 * report decode speed as a fraction of the physical limit.
 */
public final class MemoryBandwidth {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private MemoryBandwidth() {
    }

    /** Best-of-{@code passes} read bandwidth in bytes/s over a {@code bytes}-sized off-heap buffer. */
    public static double measure(ThreadPool pool, long bytes, int passes) {
        long size = bytes / (S.vectorByteSize() * 4L * pool.threads()) * (S.vectorByteSize() * 4L * pool.threads());
        try (Arena arena = Arena.ofShared()) {
            MemorySegment seg = arena.allocate(size, 64);
            seg.fill((byte) 1);
            int tasks = pool.threads();
            long slice = size / tasks;
            double best = 0;
            float[] sink = new float[tasks];
            for (int p = 0; p < passes; p++) {
                long t0 = System.nanoTime();
                pool.parallelFor(tasks, t -> sink[t] += sum(seg, t * slice, slice));
                long dt = System.nanoTime() - t0;
                best = Math.max(best, size / (dt / 1e9));
            }
            if (sink[0] == 42.4242f) {
                System.out.print(""); // keep the sums alive
            }
            return best;
        }
    }

    private static float sum(MemorySegment seg, long off, long len) {
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = FloatVector.zero(S);
        FloatVector a2 = FloatVector.zero(S);
        FloatVector a3 = FloatVector.zero(S);
        long step = S.vectorByteSize();
        for (long i = off; i < off + len; i += 4 * step) {
            a0 = a0.add(FloatVector.fromMemorySegment(S, seg, i, ByteOrder.LITTLE_ENDIAN));
            a1 = a1.add(FloatVector.fromMemorySegment(S, seg, i + step, ByteOrder.LITTLE_ENDIAN));
            a2 = a2.add(FloatVector.fromMemorySegment(S, seg, i + 2 * step, ByteOrder.LITTLE_ENDIAN));
            a3 = a3.add(FloatVector.fromMemorySegment(S, seg, i + 3 * step, ByteOrder.LITTLE_ENDIAN));
        }
        return a0.add(a1).add(a2).add(a3).reduceLanes(VectorOperators.ADD);
    }
}
