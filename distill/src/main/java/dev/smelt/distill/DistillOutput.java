package dev.smelt.distill;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.client.Canonical;
import dev.smelt.client.CostMeter;
import dev.smelt.client.Prices;
import dev.smelt.client.TeacherResponse;
import dev.smelt.task.Prompts;
import dev.smelt.task.TaskSpec;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Writes a distillation run to a folder, each file to a temporary name first and then renamed, so a
 * crash never leaves a half-written file:
 * <ul>
 * <li>{@code train.jsonl} — {"messages": [system, user, assistant]} per kept example (for {@code smelt finetune}); when the
 *     teacher gave logprobs and its tokens spell exactly the kept answer (not a label or JSON normalized from it), the
 *     assistant message carries them as {@code "logprobs": {"content": [{token, logprob, top_logprobs}]}}, OpenAI's shape,
 *     for {@code smelt finetune --kd-alpha}
 * <li>{@code classify.jsonl} — {"text", "label"} (classification tasks; for {@code smelt classify-train})
 * <li>{@code logprobs.jsonl} — {"line", "tokens": [{token, logprob, top: [{token, logprob}]}]} when the teacher gave logprobs
 * <li>{@code dropped.jsonl} — {"line", "input", "reason", "detail"} per dropped input
 * <li>{@code report.json} — counts, drops by reason, tokens and cost
 * <li>{@code DATA_CARD.md} — source, teacher, counts, drops, cost, license note
 * </ul>
 * Stateless, thread-safe.
 */
public final class DistillOutput {
    private DistillOutput() {
    }

    /** Where the inputs came from and who taught. */
    public record Source(Path inputs, Path task, String teacherUrl, String teacherModel, Prices prices, Instant when) {
    }

    /** True when the teacher's tokens concatenate to exactly {@code text} (so they describe it token by token). */
    static boolean spells(List<TeacherResponse.TokenLogprob> tokens, String text) {
        if (tokens.isEmpty()) {
            return false;
        }
        StringBuilder sb = new StringBuilder();
        tokens.forEach(t -> sb.append(t.token()));
        return sb.toString().equals(text);
    }

    public static ObjectNode write(Path dir, TaskSpec task, Distiller.Result r, Source src) throws IOException {
        Files.createDirectories(dir);
        StringBuilder train = new StringBuilder();
        StringBuilder classify = new StringBuilder();
        StringBuilder lps = new StringBuilder();
        String system = Prompts.system(task);
        for (Distiller.Kept k : r.kept()) {
            ObjectNode o = Canonical.JSON.createObjectNode();
            var msgs = o.putArray("messages");
            msgs.addObject().put("role", "system").put("content", system);
            msgs.addObject().put("role", "user").put("content", k.input());
            ObjectNode answer = msgs.addObject().put("role", "assistant").put("content", k.output());
            if (spells(k.logprobs(), k.output())) {
                var content = answer.putObject("logprobs").putArray("content");
                for (TeacherResponse.TokenLogprob t : k.logprobs()) {
                    ObjectNode tn = content.addObject().put("token", t.token()).put("logprob", t.logprob());
                    var top = tn.putArray("top_logprobs");
                    t.top().forEach(a -> top.addObject().put("token", a.token()).put("logprob", a.logprob()));
                }
            }
            train.append(o).append('\n');
            if (k.label() != null) {
                classify.append(Canonical.JSON.createObjectNode().put("text", k.input()).put("label", k.label())).append('\n');
            }
            if (!k.logprobs().isEmpty()) {
                ObjectNode l = Canonical.JSON.createObjectNode().put("line", k.line());
                var toks = l.putArray("tokens");
                for (TeacherResponse.TokenLogprob t : k.logprobs()) {
                    ObjectNode tn = toks.addObject().put("token", t.token()).put("logprob", t.logprob());
                    var top = tn.putArray("top");
                    t.top().forEach(a -> top.addObject().put("token", a.token()).put("logprob", a.logprob()));
                }
                lps.append(l).append('\n');
            }
        }
        StringBuilder dropped = new StringBuilder();
        for (Distiller.Drop d : r.dropped()) {
            dropped.append(Canonical.JSON.createObjectNode().put("line", d.line()).put("input", d.input()).put("reason", d.reason())
                    .put("detail", d.detail())).append('\n');
        }
        atomicWrite(dir.resolve("train.jsonl"), train.toString());
        if (task.isClassification()) {
            atomicWrite(dir.resolve("classify.jsonl"), classify.toString());
        }
        if (!lps.isEmpty()) {
            atomicWrite(dir.resolve("logprobs.jsonl"), lps.toString());
        }
        atomicWrite(dir.resolve("dropped.jsonl"), dropped.toString());
        ObjectNode report = report(task, r, src);
        atomicWrite(dir.resolve("report.json"), Canonical.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(report) + "\n");
        atomicWrite(dir.resolve("DATA_CARD.md"), dataCard(task, r, src));
        return report;
    }

    static ObjectNode report(TaskSpec task, Distiller.Result r, Source src) {
        ObjectNode o = Canonical.JSON.createObjectNode().put("task", task.name()).put("inputs", r.inputs()).put("kept", r.kept().size())
                .put("dropped", r.dropped().size());
        ObjectNode reasons = o.putObject("drops_by_reason");
        r.dropCounts().forEach(reasons::put);
        CostMeter.Snapshot c = r.cost();
        o.putObject("teacher").put("url", src.teacherUrl()).put("model", src.teacherModel()).put("calls_paid", c.paidCalls())
                .put("calls_cached", c.cachedCalls()).put("http_attempts", c.httpAttempts()).put("retries", c.retries())
                .put("failures", c.failures()).put("input_tokens_paid", c.paidInputTokens()).put("output_tokens_paid", c.paidOutputTokens())
                .put("input_tokens_cached", c.cachedInputTokens()).put("output_tokens_cached", c.cachedOutputTokens())
                .put("cost_usd", c.costUsd()).put("cached_cost_usd", c.cachedCostUsd())
                .put("total_cost_usd", c.costUsd().add(c.cachedCostUsd()));
        return o;
    }

    static String dataCard(TaskSpec task, Distiller.Result r, Source src) throws IOException {
        CostMeter.Snapshot c = r.cost();
        StringBuilder sb = new StringBuilder();
        sb.append("# Data card: ").append(task.name()).append("\n\n");
        sb.append("Training data distilled by `smelt distill` on ").append(src.when()).append(".\n\n");
        sb.append("## Source\n\n");
        sb.append("- Inputs: `").append(src.inputs().getFileName()).append("` (SHA-256 ").append(sha256(src.inputs())).append(", ")
                .append(r.inputs()).append(" records)\n");
        sb.append("- Task spec: `").append(src.task().getFileName()).append("` (SHA-256 ").append(sha256(src.task())).append(")\n");
        sb.append("- Teacher: model `").append(src.teacherModel()).append("` at ").append(src.teacherUrl()).append("\n");
        sb.append("- Task type: ").append(task.isClassification() ? "classification over " + task.labels().size() + " labels"
                : task.outputSchema() != null ? "structured output (JSON Schema)" : "free text").append("\n\n");
        sb.append("## Counts\n\n| | examples |\n|---|---|\n");
        sb.append("| inputs | ").append(r.inputs()).append(" |\n| kept | ").append(r.kept().size()).append(" |\n| dropped | ")
                .append(r.dropped().size()).append(" |\n\n");
        sb.append("## Drops by reason\n\n");
        if (r.dropped().isEmpty()) {
            sb.append("None.\n\n");
        } else {
            sb.append("| reason | count |\n|---|---|\n");
            r.dropCounts().forEach((k, v) -> sb.append("| ").append(k).append(" | ").append(v).append(" |\n"));
            sb.append("\nEvery dropped input is listed with its line and detail in `dropped.jsonl`.\n\n");
        }
        sb.append("Quality gates: exact duplicates; near-duplicates at character 5-gram Jaccard >= ").append(task.nearDuplicate())
                .append(task.nearDuplicate() == 0 ? " (off)" : "").append("; input <= ").append(task.maxInputChars())
                .append(" chars; answer ").append(task.minOutputChars()).append("..").append(task.maxOutputChars()).append(" chars; ")
                .append(task.isClassification() ? "answer must name a label of the set" : task.outputSchema() != null
                        ? "answer must be JSON valid against the schema" : "no format check")
                .append(task.judgeMinScore() != null ? "; teacher judge score >= " + task.judgeMinScore() : "").append(".\n\n");
        if (task.isClassification()) {
            sb.append("## Labels (kept examples)\n\n| label | count |\n|---|---|\n");
            r.labelCounts(task).forEach((k, v) -> sb.append("| ").append(k).append(" | ").append(v).append(" |\n"));
            sb.append('\n');
        }
        sb.append("## Cost\n\n| | calls | input tokens | output tokens | USD |\n|---|---|---|---|---|\n");
        sb.append("| paid in this run | ").append(c.paidCalls()).append(" | ").append(c.paidInputTokens()).append(" | ").append(c.paidOutputTokens())
                .append(" | ").append(plain(c.costUsd())).append(" |\n");
        sb.append("| from the cache (earlier runs) | ").append(c.cachedCalls()).append(" | ").append(c.cachedInputTokens()).append(" | ")
                .append(c.cachedOutputTokens()).append(" | ").append(plain(c.cachedCostUsd())).append(" |\n\n");
        sb.append("Prices: ").append(plain(src.prices().inputPerMillion())).append(" / ").append(plain(src.prices().outputPerMillion()))
                .append(" USD per 1M input / output tokens; HTTP attempts ").append(c.httpAttempts()).append(", retries ").append(c.retries())
                .append(", failed calls ").append(c.failures()).append(".\n\n");
        sb.append("## License and use\n\nThe examples inherit the license of the input data and the teacher provider's terms of use for\n"
                + "model outputs; check both before publishing the data or a model trained on it.\n");
        return sb.toString();
    }

    private static String plain(BigDecimal d) {
        return d.stripTrailingZeros().toPlainString();
    }

    static String sha256(Path p) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            try (var in = Files.newInputStream(p)) {
                byte[] buf = new byte[1 << 16];
                for (int n; (n = in.read(buf)) > 0; ) {
                    md.update(buf, 0, n);
                }
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes {@code text} to a sibling temporary file, then renames it over {@code target}. */
    public static void atomicWrite(Path target, String text) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
