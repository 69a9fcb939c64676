package dev.smelt.eval;

import dev.smelt.task.DataFile;
import dev.smelt.task.TaskSpec;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.function.Consumer;

/**
 * Runs a target over a task's labelled examples and scores every answer. A failing example is
 * recorded with its error (scored wrong), never dropped, so accuracy is over all examples.
 * Thread-safe targets run with the given concurrency, others one at a time. Stateless.
 */
public final class EvalRunner {
    private EvalRunner() {
    }

    public static List<EvalRecord> run(Target target, TaskSpec task, List<DataFile.Row> rows, int concurrency, Consumer<String> progress)
            throws InterruptedException {
        if (concurrency < 1) {
            throw new IllegalArgumentException("concurrency must be >= 1, got " + concurrency);
        }
        for (DataFile.Row r : rows) {
            if (r.label() == null) {
                throw new IllegalArgumentException("line " + r.line() + ": no expected output (field '" + task.labelField() + "')");
            }
        }
        int lanes = target.isThreadSafe() ? concurrency : 1;
        Semaphore gate = new Semaphore(lanes);
        List<EvalRecord> out = new ArrayList<>(rows.size());
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<EvalRecord>> fs = new ArrayList<>();
            for (DataFile.Row r : rows) {
                fs.add(ex.submit(() -> {
                    gate.acquire();
                    try {
                        return one(target, task, r);
                    } finally {
                        gate.release();
                    }
                }));
            }
            int done = 0;
            for (Future<EvalRecord> f : fs) {
                out.add(f.get());
                done++;
                if (done % Math.max(1, rows.size() / 10) == 0 || done == rows.size()) {
                    progress.accept("eval " + target.name() + ": " + done + "/" + rows.size());
                }
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException("evaluation failed: " + e.getCause().getMessage(), e.getCause());
        }
        return out;
    }

    /** Answers and scores one example. */
    public static EvalRecord one(Target target, TaskSpec task, DataFile.Row r) {
        Query q = Query.of(task, Integer.toString(r.line()), r.input().strip());
        long t0 = System.nanoTime();
        try {
            Answer a = target.answer(q);
            double ms = (System.nanoTime() - t0) / 1e6;
            Scoring.Score s = Scoring.score(task, r.label(), a.text());
            return new EvalRecord(q.id(), q.input(), r.label(), a.text(), s.predicted(), s.correct(), s.value(), s.valid(), a.target(), ms,
                    a.inputTokens(), a.outputTokens(), a.costUsd(), a.confidence(), null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (Exception e) {
            double ms = (System.nanoTime() - t0) / 1e6;
            return new EvalRecord(q.id(), q.input(), r.label(), null, Scoring.INVALID, false, 0, false, null, ms, 0, 0, BigDecimal.ZERO,
                    Double.NaN, e.getMessage() != null ? e.getMessage() : e.toString());
        }
    }
}
