package dev.smelt.train.autograd;

import dev.smelt.tensor.ThreadPool;
import java.util.ArrayList;
import java.util.List;

/**
 * Records the backward rule of each op as it runs forward, and replays them in reverse. A tape made
 * with {@code record = false} runs the same forward code without keeping any closure or saved
 * activation (the first, memory-light pass of gradient checkpointing). The pool parallelizes the
 * kernels of both passes. Not thread-safe; one tape per forward pass.
 */
public final class Tape {
    private final ThreadPool pool;
    private final boolean record;
    private final List<Runnable> rules = new ArrayList<>();

    public Tape(ThreadPool pool, boolean record) {
        this.pool = pool;
        this.record = record;
    }

    public ThreadPool pool() {
        return pool;
    }

    public boolean recording() {
        return record;
    }

    /** Adds a backward rule (ignored when not recording). */
    void push(Runnable backward) {
        if (record) {
            rules.add(backward);
        }
    }

    /** Runs the recorded rules newest first; the caller has seeded the output gradients. */
    public void backward() {
        if (!record) {
            throw new IllegalStateException("this tape did not record; nothing to run backward");
        }
        for (int i = rules.size() - 1; i >= 0; i--) {
            rules.get(i).run();
            rules.set(i, null); // release saved activations as soon as they are used
        }
        rules.clear();
    }
}
