package dev.smelt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smelt.client.Canonical;
import dev.smelt.eval.EvalRecord;
import dev.smelt.eval.EvalRunner;
import dev.smelt.router.LogisticRegression;
import dev.smelt.router.RouteTrainer;
import dev.smelt.router.Router;
import dev.smelt.router.RouterConfig;
import dev.smelt.task.DataFile;
import dev.smelt.task.JsonLines;
import dev.smelt.task.TaskSpec;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code smelt route-train}: fit the learned router (P(weak target is wrong) from the query's embedding) on eval outcomes. */
@Command(name = "route-train", description = "Train a learned router from the weak target's evaluation outcomes.")
final class RouteTrainCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin
    ThreadsOption threads; // the built-in sentence encoders' threads

    @Option(names = "--predictions", description = "predictions-WEAK.jsonl from smelt eval (fields input, correct).")
    Path predictions;

    @Option(names = "--router", description = "Router file: its weak target is run on --data to get the outcomes.")
    Path router;

    @Option(names = "--data", description = "Labelled training examples for --router.")
    Path data;

    @Option(names = "--task", description = "Task spec (default: the router file's).")
    Path task;

    @Option(names = "--embedding", defaultValue = "hashed-ngrams", description = "Embedding to train on (default ${DEFAULT-VALUE}).")
    String embedding;

    @Option(names = "--out", required = true, description = "Router model file (JSON) to write.")
    Path out;

    @Option(names = "--concurrency", defaultValue = "8", description = "Examples in flight when running the weak target (default ${DEFAULT-VALUE}).")
    int concurrency;

    @Override
    public Integer call() throws Exception {
        var embed = Playbook.embeddings(threads.count()).get(embedding);
        if (embed == null) {
            throw new IllegalArgumentException("unknown --embedding '" + embedding + "' (known: " + Playbook.embeddings(threads.count()).keySet() + ")");
        }
        List<EvalRecord> outcomes;
        if (predictions != null) {
            outcomes = readPredictions(predictions);
        } else if (router != null && data != null) {
            TaskSpec spec = Playbook.task(task, router);
            RouterConfig cfg = RouterConfig.load(router);
            try (Router r = cfg.build(Playbook.targetTypes(), spec, Playbook.embeddings(threads.count()))) {
                outcomes = EvalRunner.run(r.targets().get(r.policy().weak()), spec,
                        DataFile.read(data, spec.inputField(), spec.labelField(), true), concurrency, System.err::println);
            }
        } else {
            throw new IllegalArgumentException("give --predictions FILE, or --router FILE with --data FILE");
        }
        LogisticRegression lr = RouteTrainer.train(outcomes, embed, embedding);
        lr.save(out);
        long wrong = outcomes.stream().filter(o -> !o.correct()).count();
        System.out.printf("{\"examples\":%d,\"weak_wrong\":%d,\"dim\":%d,\"embedding\":\"%s\",\"out\":%s}%n", outcomes.size(), wrong, lr.dim(),
                embedding, Canonical.JSON.writeValueAsString(out.toString()));
        return 0;
    }

    static List<EvalRecord> readPredictions(Path f) throws IOException {
        List<EvalRecord> out = new ArrayList<>();
        for (JsonLines.Line line : JsonLines.read(f)) {
            JsonNode n = line.node();
            int i = line.number() - 1;
            if (!n.path("input").isTextual() || !n.path("correct").isBoolean()) {
                throw new IOException(f + ":" + (i + 1) + ": needs 'input' (string) and 'correct' (boolean), as smelt eval writes");
            }
            out.add(new EvalRecord(n.path("id").asText(), n.get("input").asText(), n.path("expected").asText(), n.path("answer").asText(),
                    n.path("predicted").asText(), n.get("correct").asBoolean(), 0, true, null, 0, 0, 0, BigDecimal.ZERO, Double.NaN, null));
        }
        return out;
    }
}
