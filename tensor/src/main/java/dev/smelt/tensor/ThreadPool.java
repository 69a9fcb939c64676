package dev.smelt.tensor;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * A fixed pool for data-parallel loops: {@link #parallelFor} splits {@code [0, n)} into chunks that the
 * caller and {@code threads - 1} workers take from a shared counter; the loop ends when every item is done,
 * whether or not every worker took part. Workers spin briefly before parking,
 * because a decode step issues hundreds of short loops and waking a parked thread costs more than the work.
 *
 * <p>Thread-safety: one loop at a time; {@link #parallelFor} is synchronized so concurrent callers queue.
 * Owns threads: close it.
 */
public final class ThreadPool implements AutoCloseable {
    private static final int SPIN_ITERATIONS = 20_000;

    /**
     * One parallel loop with its own counters, so a worker that wakes late (on a loaded machine) can only
     * find an old loop exhausted, never run an old body on a new loop's indices. The caller waits for the
     * items to be done, not for every worker to check in: a descheduled worker costs its share of the
     * work, not a stall of the whole loop.
     */
    private static final class Job {
        final IntConsumer body;
        final int count;
        final int chunk;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();   // items finished
        final AtomicInteger active = new AtomicInteger(); // threads inside a claimed chunk (or about to claim)
        volatile Throwable failure;

        Job(IntConsumer body, int count, int chunk) {
            this.body = body;
            this.count = count;
            this.chunk = chunk;
        }

        void run() {
            while (true) {
                active.incrementAndGet();
                int start = next.getAndAdd(chunk);
                if (start >= count) {
                    active.decrementAndGet();
                    return;
                }
                int end = Math.min(count, start + chunk);
                try {
                    for (int i = start; i < end; i++) {
                        body.accept(i);
                    }
                    done.addAndGet(end - start);
                } catch (Throwable t) {
                    next.set(count); // nobody claims more; must precede publishing the failure
                    if (failure == null) {
                        failure = t;
                    }
                    active.decrementAndGet();
                    return;
                }
                active.decrementAndGet();
            }
        }

        /** All items done, or failed with no thread still inside a chunk. */
        boolean finished() {
            return done.get() >= count || failure != null && active.get() == 0;
        }
    }

    private final Thread[] workers;
    private final int threads;
    private volatile Job job;
    private volatile long generation;
    private volatile boolean closed;
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
        Job j = new Job(body, n, Math.max(1, n / (threads * 4)));
        this.job = j;
        generation++;
        for (Thread t : parked) {
            if (t != null) {
                LockSupport.unpark(t);
            }
        }
        j.run();
        while (!j.finished()) {
            Thread.onSpinWait();
        }
        this.job = null;
        Throwable f = j.failure;
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
            Job j = job;
            if (j != null) {
                j.run();
            }
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
