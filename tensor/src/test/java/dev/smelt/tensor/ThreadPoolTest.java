package dev.smelt.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class ThreadPoolTest {
    @Test
    void everyIndexRunsExactlyOnce() {
        try (ThreadPool pool = new ThreadPool(3)) {
            for (int n : new int[] {1, 2, 7, 100, 1001}) {
                AtomicIntegerArray hits = new AtomicIntegerArray(n);
                pool.parallelFor(n, hits::incrementAndGet);
                for (int i = 0; i < n; i++) {
                    assertThat(hits.get(i)).as("n=%d index %d", n, i).isEqualTo(1);
                }
            }
        }
    }

    @Test
    void exceptionsPropagateAndThePoolStaysUsable() {
        try (ThreadPool pool = new ThreadPool(2)) {
            assertThatThrownBy(() -> pool.parallelFor(50, i -> {
                if (i == 17) {
                    throw new IllegalStateException("boom " + i);
                }
            })).isInstanceOf(IllegalStateException.class).hasMessage("boom 17");
            AtomicIntegerArray hits = new AtomicIntegerArray(10);
            pool.parallelFor(10, hits::incrementAndGet);
            assertThat(hits.get(9)).isEqualTo(1);
        }
    }

    @Test
    void manyShortLoopsBackToBackNeverMixIndicesOfDifferentLoops() {
        // Workers may wake late and find an old loop: each loop must still see every index exactly once.
        try (ThreadPool pool = new ThreadPool(3)) {
            for (int loop = 0; loop < 2000; loop++) {
                int n = 1 + loop % 13;
                AtomicIntegerArray hits = new AtomicIntegerArray(n);
                int tag = loop;
                int[] seen = new int[n];
                pool.parallelFor(n, i -> {
                    hits.incrementAndGet(i);
                    seen[i] = tag;
                });
                for (int i = 0; i < n; i++) {
                    assertThat(hits.get(i)).as("loop %d index %d", loop, i).isEqualTo(1);
                    assertThat(seen[i]).as("loop %d index %d written by its own loop", loop, i).isEqualTo(loop);
                }
            }
        }
    }

    @Test
    void rejectsBadSizesAndUseAfterClose() {
        assertThatThrownBy(() -> new ThreadPool(0)).hasMessageContaining("got 0");
        ThreadPool pool = new ThreadPool(2);
        pool.close();
        assertThatThrownBy(() -> pool.parallelFor(5, i -> { })).isInstanceOf(IllegalStateException.class);
    }
}
