package dev.smelt.cli;

import dev.smelt.spark.BatchJob;
import dev.smelt.spark.ClassifyModel;
import dev.smelt.spark.EmbedModel;
import dev.smelt.spark.GenerateModel;
import dev.smelt.spark.SparkDistill;
import dev.smelt.spark.SparkEval;
import dev.smelt.spark.SparkErrors;
import dev.smelt.spark.SparkJobs;

/**
 * The one place the CLI calls into the spark module; loaded only when a {@code smelt spark} command runs. Failures
 * become one line (Spark reports a task's failure with the executor's stack trace inside its message).
 */
final class SparkRun {
    private SparkRun() {
    }

    static int classify(SparkOptions io, String textColumn, String model, boolean raw, Integer threads) throws Exception {
        return run(io, textColumn, "smelt spark classify", new ClassifyModel(model, threads(io, threads), raw));
    }

    static int embed(SparkOptions io, String textColumn, String model, int batch, Integer threads) throws Exception {
        return run(io, textColumn, "smelt spark embed", new EmbedModel(model, threads(io, threads), batch));
    }

    static int generate(SparkOptions io, String textColumn, String model, Integer threads, int slots, int ctx, int maxTokens,
                        boolean ignoreEos, SamplingOptions s) throws Exception {
        GenerateModel.Sampling sampling = new GenerateModel.Sampling(s.temperature, s.topK, s.topP, s.minP, s.repeatPenalty, s.repeatLastN,
                s.frequencyPenalty, s.presencePenalty, s.seed);
        return run(io, textColumn, "smelt spark generate",
                new GenerateModel(model, threads(io, threads), slots, ctx, maxTokens, ignoreEos, sampling));
    }

    static int eval(SparkOptions io, java.nio.file.Path task, java.util.List<String> targets, Integer limit, boolean json, TeacherOptions t,
                    ModelOptions m) throws Exception {
        dev.smelt.task.TaskSpec spec = dev.smelt.task.TaskSpec.load(task);
        java.nio.file.Path out = java.nio.file.Path.of(io.output);
        int threads = threads(io, m.threads.threads);
        SparkEval.Remote remote = new SparkEval.Remote(t.model, t.apiKeyEnv, t.concurrency, t.rpm, t.tpm, t.priceIn, t.priceOut,
                t.timeoutSeconds, t.retries, t.seed);
        org.apache.spark.sql.SparkSession spark = null;
        try {
            spark = SparkJobs.session(io.master, "smelt spark eval");
            java.util.List<dev.smelt.eval.EvalReport.Evaluated> evaluated = new java.util.ArrayList<>();
            java.util.Map<String, java.util.List<dev.smelt.eval.EvalRecord>> records = new java.util.LinkedHashMap<>();
            com.fasterxml.jackson.databind.node.ObjectNode result = null;
            for (String arg : targets) {
                SparkEval.TargetSpec ts = new SparkEval.TargetSpec(arg, task.toAbsolutePath().toString(), threads, m.contextOr(2048), remote,
                        SparkJobs.executors(spark));
                java.util.List<dev.smelt.eval.EvalRecord> rs = SparkEval.predict(spark, io.input, io.inputFormat, spec, ts, limit);
                if (result == null) {
                    java.nio.file.Files.createDirectories(out);
                    result = EvalCommand.result(spec, rs.size());
                }
                EvalCommand.report(spec, ts.name(), rs, result.withArray("results"), evaluated, records, out, json);
            }
            EvalCommand.finish(spec, result, evaluated, records, out);
            return 0;
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        } catch (java.io.IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalArgumentException(SparkErrors.describe(e), e);
        } finally {
            if (spark != null) {
                spark.stop();
            }
            SparkEval.closeTargets();
        }
    }

    static int distill(SparkOptions io, java.nio.file.Path task, String url, java.nio.file.Path replay, Integer limit, int chunk,
                       TeacherOptions t)
            throws Exception {
        dev.smelt.task.TaskSpec spec = dev.smelt.task.TaskSpec.load(task);
        SparkEval.Remote remote = new SparkEval.Remote(t.model, t.apiKeyEnv, t.concurrency, t.rpm, t.tpm, t.priceIn, t.priceOut,
                t.timeoutSeconds, t.retries, t.seed);
        dev.smelt.task.ReplayTeacher stand = replay == null ? null : new dev.smelt.task.ReplayTeacher(
                dev.smelt.task.DataFile.read(replay, spec.inputField(), spec.labelField(), true), "127.0.0.1", 0);
        org.apache.spark.sql.SparkSession spark = null;
        try {
            String teacherUrl = stand != null ? stand.url() : url;
            if (stand != null) {
                System.err.println("smelt: using the replay teacher stand-in (labels looked up in " + replay + ") at " + teacherUrl);
            }
            spark = SparkJobs.session(io.master, "smelt spark distill");
            System.out.println(SparkDistill.run(spark, io.input, io.inputFormat, task, teacherUrl,
                    stand != null ? dev.smelt.task.ReplayTeacher.MODEL : null, remote, java.nio.file.Path.of(io.output), limit, chunk, System.err::println));
            return 0;
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        } catch (java.io.IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalArgumentException(SparkErrors.describe(e), e);
        } finally {
            if (spark != null) {
                spark.stop();
            }
            if (stand != null) {
                stand.close();
            }
        }
    }

    private static int threads(SparkOptions io, Integer threads) {
        if (threads != null && threads < 1) {
            throw new IllegalArgumentException("--threads must be >= 1, got " + threads);
        }
        return threads != null ? threads : SparkJobs.defaultThreads(io.master);
    }

    private static int run(SparkOptions io, String textColumn, String app, BatchJob.RowModel model) throws Exception {
        BatchJob.Io where = new BatchJob.Io(io.master, io.input, io.inputFormat, io.output, textColumn);
        try {
            BatchJob.runCommand(where, app, model, System.err);
            return 0;
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        } catch (Exception e) {
            throw new IllegalArgumentException(SparkErrors.describe(e), e);
        }
    }
}
