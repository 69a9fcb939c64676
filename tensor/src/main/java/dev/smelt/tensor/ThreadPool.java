package dev.smelt.tensor;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * A fixed pool for data-parallel loops: {@link #parallelFor} splits {@code [0, n)} into chunks that the
 * caller and {@code threads - 1} workers take from a shared counter. Workers spin briefly before parking,
 * because a decode step issues hundreds of short loops and waking a parked thread costs more than the work.
 *
 * <p>Thread-safety: one loop at a time; {@link #parallelFor} is synchronized so concurrent callers queue.
 * Owns threads: close it.
 */
public final class ThreadPool implements AutoCloseable {
    private static final int SPIN_ITERATIONS = 20_000;

    private final Thread[] workers;
    private final int threads;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger pending = new AtomicInteger();
    private volatile IntConsumer body;
    private volatile int count;
    private volatile int chunk;
    private volatile long generation;
    private volatile boolean closed;
    private volatile Throwable failure;
    private final Thread[] parked;

    /** @param threads total threads including the caller; at least 1 */
    public ThreadPool(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        this.parked = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            final int id = i;
            workers[i] = Thread.ofPlatform().daemon().name("smelt-worker-" + i).start(() -> workerLoop(id));
        }
    }

    /** A pool with one thread per available processor. */
    public static ThreadPool withAvailableProcessors() {
        return new ThreadPool(Runtime.getRuntime().availableProcessors());
    }

    public int threads() {
        return threads;
    }

    /**
     * Runs {@code body.accept(i)} for every i in [0, n), in parallel, and returns when all are done.
     * An exception thrown by the body is rethrown here (the first one).
     */
    public synchronized void parallelFor(int n, IntConsumer body) {
        if (n <= 0) {
            return;
        }
        if (threads == 1 || n == 1) {
            for (int i = 0; i < n; i++) {
                body.accept(i);
            }
            return;
        }
        if (closed) {
            throw new IllegalStateException("thread pool is closed");
        }
        this.body = body;
        this.count = n;
        this.chunk = Math.max(1, n / (threads * 4));
        this.failure = null;
        next.set(0);
        pending.set(workers.length);
        generation++;
        for (Thread t : parked) {
            if (t != null) {
                LockSupport.unpark(t);
            }
        }
        runChunks();
        while (pending.get() > 0) {
            Thread.onSpinWait();
        }
        this.body = null;
        Throwable f = failure;
        if (f != null) {
            if (f instanceof RuntimeException re) {
                throw re;
            }
            if (f instanceof Error e) {
                throw e;
            }
            throw new RuntimeException(f);
        }
    }

    private void runChunks() {
        IntConsumer b = body;
        int n = count;
        int c = chunk;
        try {
            while (true) {
                int start = next.getAndAdd(c);
                if (start >= n) {
                    break;
                }
                int end = Math.min(n, start + c);
                for (int i = start; i < end; i++) {
                    b.accept(i);
                }
            }
        } catch (Throwable t) {
            failure = t;
            next.set(n);
        }
    }

    private void workerLoop(int id) {
        long seen = 0;
        while (!closed) {
            int spins = 0;
            while (generation == seen && !closed) {
                if (spins++ < SPIN_ITERATIONS) {
                    Thread.onSpinWait();
                } else {
                    parked[id] = Thread.currentThread();
                    if (generation == seen && !closed) {
                        LockSupport.parkNanos(1_000_000L);
                    }
                    parked[id] = null;
                }
            }
            if (closed) {
                return;
            }
            seen = generation;
            runChunks();
            pending.decrementAndGet();
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread t : workers) {
            LockSupport.unpark(t);
        }
    }
}
