package dev.smelt.distill;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.client.CostMeter;
import dev.smelt.client.TeacherClient;
import dev.smelt.client.TeacherResponse;
import dev.smelt.task.DataFile;
import dev.smelt.task.Prompts;
import dev.smelt.task.SchemaCheck;
import dev.smelt.task.TaskSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sequence-level distillation: asks a teacher to answer every input of a task and keeps the answers
 * that pass the quality gates. Gates before the call (they save money): empty input, input length,
 * exact duplicate, near-duplicate of a kept input. Gates after: teacher failure, answer length, label
 * set or JSON Schema, and optionally the teacher's own 1-10 judge score. Every dropped input is
 * reported with its line and reason. Not thread-safe (one run at a time); the teacher client is.
 */
public final class Distiller {
    /** Inputs sent to the teacher per batch (progress is reported per batch; the cache makes each answer durable at once). */
    static final int BATCH = 64;
    private static final Pattern FIRST_INT = Pattern.compile("\\b(10|[1-9])\\b");

    /** An example that passed every gate. */
    public record Kept(int line, String input, String output, String label, List<TeacherResponse.TokenLogprob> logprobs, Integer judgeScore) {
    }

    /** An input that did not become an example, and why. */
    public record Drop(int line, String input, String reason, String detail) {
    }

    /** The outcome of a run. */
    public record Result(int inputs, List<Kept> kept, List<Drop> dropped, CostMeter.Snapshot cost) {
        /** Drop counts by reason, sorted by reason. */
        public Map<String, Integer> dropCounts() {
            Map<String, Integer> m = new TreeMap<>();
            dropped.forEach(d -> m.merge(d.reason(), 1, Integer::sum));
            return m;
        }

        /** Kept examples per label (classification tasks), in label-set order. */
        public Map<String, Integer> labelCounts(TaskSpec t) {
            Map<String, Integer> m = new LinkedHashMap<>();
            t.labels().forEach(l -> m.put(l, 0));
            kept.forEach(k -> {
                if (k.label() != null) {
                    m.merge(k.label(), 1, Integer::sum);
                }
            });
            return m;
        }
    }

    private Distiller() {
    }

    public static Result run(TaskSpec task, List<DataFile.Row> rows, TeacherClient teacher, Consumer<String> progress)
            throws InterruptedException {
        Screened s = screen(task, rows);
        List<Drop> dropped = new ArrayList<>(s.dropped());
        List<Kept> kept = ask(task, s.ask(), teacher, progress, dropped);
        dropped.sort(java.util.Comparator.comparingInt(Drop::line));
        return new Result(rows.size(), List.copyOf(kept), List.copyOf(dropped), teacher.meter().snapshot());
    }

    /** The inputs worth asking, and those dropped before any request (empty, too long, duplicates of an earlier input). */
    public record Screened(List<DataFile.Row> ask, List<Drop> dropped) {
    }

    /**
     * The screening of {@link #run}: over all rows in order, since a near-duplicate is judged against every earlier
     * input (so a distributed run screens on one machine and spreads only the teacher requests).
     */
    public static Screened screen(TaskSpec task, List<DataFile.Row> rows) {
        List<Drop> dropped = new ArrayList<>();
        List<DataFile.Row> ask = new ArrayList<>();
        NearDuplicates dups = new NearDuplicates(task.nearDuplicate());
        Map<Integer, Integer> lineOfId = new LinkedHashMap<>();
        for (DataFile.Row r : rows) {
            String in = r.input() == null ? "" : r.input().strip();
            if (in.isEmpty()) {
                dropped.add(new Drop(r.line(), r.input(), "empty_input", ""));
            } else if (in.length() > task.maxInputChars()) {
                dropped.add(new Drop(r.line(), r.input(), "input_too_long", in.length() + " > " + task.maxInputChars() + " chars"));
            } else {
                NearDuplicates.Match m = dups.find(in);
                if (m != null && m.similarity() == 1.0) {
                    dropped.add(new Drop(r.line(), r.input(), "duplicate_input", "same as line " + m.id()));
                } else if (m != null) {
                    dropped.add(new Drop(r.line(), r.input(), "near_duplicate_input",
                            String.format(java.util.Locale.ROOT, "Jaccard %.3f with line %d", m.similarity(), m.id())));
                } else {
                    dups.add(r.line(), in);
                    lineOfId.put(r.line(), r.line());
                    ask.add(r);
                }
            }
        }
        return new Screened(ask, dropped);
    }

    /** Asks the teacher for every screened row, in batches; adds the rows it drops to {@code dropped}; returns the kept ones. */
    public static List<Kept> ask(TaskSpec task, List<DataFile.Row> ask, TeacherClient teacher, Consumer<String> progress, List<Drop> dropped)
            throws InterruptedException {
        List<Kept> kept = new ArrayList<>();
        for (int start = 0; start < ask.size(); start += BATCH) {
            List<DataFile.Row> batch = ask.subList(start, Math.min(ask.size(), start + BATCH));
            List<ObjectNode> bodies = new ArrayList<>();
            batch.forEach(r -> bodies.add(teacher.newRequest(Prompts.messages(task, r.input().strip()), task.maxTokens(), task.topLogprobs())));
            List<TeacherClient.Outcome> outs = teacher.completeAll(bodies);
            List<Kept> candidates = new ArrayList<>();
            for (int i = 0; i < batch.size(); i++) {
                DataFile.Row r = batch.get(i);
                TeacherClient.Outcome o = outs.get(i);
                if (o.error() != null) {
                    dropped.add(new Drop(r.line(), r.input(), "teacher_error", o.error().getMessage()));
                    continue;
                }
                check(task, r, o.response(), dropped).ifPresent(candidates::add);
            }
            kept.addAll(task.judgeMinScore() != null ? judge(task, candidates, teacher, dropped) : candidates);
            boolean last = start + BATCH >= ask.size();
            if (last || (start / BATCH) % 10 == 9) {
                progress.accept(String.format(java.util.Locale.ROOT, "distill: %d/%d inputs asked, %d kept", Math.min(ask.size(), start + BATCH),
                    ask.size(), kept.size()));
            }
        }
        return kept;
    }

    private static Optional<Kept> check(TaskSpec task, DataFile.Row r, TeacherResponse resp, List<Drop> dropped) {
        String out = resp.content().strip();
        if (out.length() < task.minOutputChars()) {
            dropped.add(new Drop(r.line(), r.input(), "output_too_short", out.length() + " < " + task.minOutputChars() + " chars"));
            return Optional.empty();
        }
        if (out.length() > task.maxOutputChars()) {
            dropped.add(new Drop(r.line(), r.input(), "output_too_long", out.length() + " > " + task.maxOutputChars() + " chars"));
            return Optional.empty();
        }
        String label = null;
        if (task.isClassification()) {
            Optional<String> l = Prompts.matchLabel(out, task.labels());
            if (l.isEmpty()) {
                dropped.add(new Drop(r.line(), r.input(), "invalid_label", "'" + abbreviate(out) + "' is not in the label set"));
                return Optional.empty();
            }
            label = l.get();
            out = label;
        } else if (task.outputSchema() != null) {
            Optional<JsonNode> j = Prompts.extractJson(out);
            if (j.isEmpty()) {
                dropped.add(new Drop(r.line(), r.input(), "invalid_json", "'" + abbreviate(out) + "'"));
                return Optional.empty();
            }
            List<String> errs = SchemaCheck.validate(task.outputSchema(), j.get());
            if (!errs.isEmpty()) {
                dropped.add(new Drop(r.line(), r.input(), "schema_violation", String.join("; ", errs)));
                return Optional.empty();
            }
            out = j.get().toString();
        }
        return Optional.of(new Kept(r.line(), r.input().strip(), out, label, resp.logprobs(), null));
    }

    private static List<Kept> judge(TaskSpec task, List<Kept> cands, TeacherClient teacher, List<Drop> dropped) throws InterruptedException {
        List<ObjectNode> bodies = new ArrayList<>();
        String sys = "You grade training data for this task:\n\n" + Prompts.system(task)
                + "\n\nRate how correct and useful the answer is for the input, from 1 (wrong) to 10 (perfect). Reply with only the number.";
        for (Kept k : cands) {
            bodies.add(teacher.newRequest(List.of(Map.of("role", "system", "content", sys),
                    Map.of("role", "user", "content", "Input:\n" + k.input() + "\n\nAnswer:\n" + k.output())), 4, null));
        }
        List<TeacherClient.Outcome> outs = teacher.completeAll(bodies);
        List<Kept> kept = new ArrayList<>();
        for (int i = 0; i < cands.size(); i++) {
            Kept k = cands.get(i);
            TeacherClient.Outcome o = outs.get(i);
            if (o.error() != null) {
                dropped.add(new Drop(k.line(), k.input(), "judge_error", o.error().getMessage()));
                continue;
            }
            Matcher m = FIRST_INT.matcher(o.response().content());
            if (!m.find()) {
                dropped.add(new Drop(k.line(), k.input(), "judge_unparseable", "'" + abbreviate(o.response().content()) + "'"));
                continue;
            }
            int score = Integer.parseInt(m.group(1));
            if (score < task.judgeMinScore()) {
                dropped.add(new Drop(k.line(), k.input(), "low_judge_score", score + " < " + task.judgeMinScore()));
                continue;
            }
            kept.add(new Kept(k.line(), k.input(), k.output(), k.label(), k.logprobs(), score));
        }
        return kept;
    }

    static String abbreviate(String s) {
        String one = s.replace('\n', ' ');
        return one.length() <= 80 ? one : one.substring(0, 77) + "...";
    }
}
