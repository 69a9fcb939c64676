package dev.smelt.eval;

import dev.smelt.task.Prompts;
import dev.smelt.task.TaskSpec;
import dev.smelt.client.TeacherClient;
import dev.smelt.client.TeacherException;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * LLM-as-judge grading: a teacher endpoint rates an answer from 1 to 10 given the task, the input and the
 * reference answer; the first integer 1..10 in its reply is the score. Thread-safe (the client is);
 * does not own the client.
 */
public final class Judge {
    private static final Pattern SCORE = Pattern.compile("\\b(10|[1-9])\\b");
    private final TeacherClient client;

    public Judge(TeacherClient client) {
        this.client = client;
    }

    public TeacherClient client() {
        return client;
    }

    /** The grade, or empty when the judge failed or gave no number. */
    public OptionalInt score(TaskSpec task, String input, String answer, String reference) throws InterruptedException {
        String sys = "You grade answers for this task:\n\n" + Prompts.system(task) + "\n\nCompare the answer with the reference answer "
                + "and rate how correct it is, from 1 (wrong) to 10 (fully correct). Reply with only the number.";
        String user = "Input:\n" + input + "\n\nReference answer:\n" + reference + "\n\nAnswer to grade:\n" + (answer == null ? "" : answer);
        try {
            String out = client.complete(client.newRequest(List.of(Map.of("role", "system", "content", sys), Map.of("role", "user", "content", user)),
                    4, null)).content();
            Matcher m = SCORE.matcher(out);
            return m.find() ? OptionalInt.of(Integer.parseInt(m.group(1))) : OptionalInt.empty();
        } catch (TeacherException e) {
            return OptionalInt.empty();
        }
    }

    /** Grades every record (concurrently, bounded by the client); NaN where no grade came back. */
    public List<EvalRecord> grade(TaskSpec task, List<EvalRecord> records) throws InterruptedException {
        try (var ex = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            List<java.util.concurrent.Future<EvalRecord>> fs = new java.util.ArrayList<>();
            for (EvalRecord r : records) {
                fs.add(ex.submit(() -> {
                    OptionalInt s = score(task, r.input(), r.answer(), r.expected());
                    return r.withJudgeScore(s.isPresent() ? s.getAsInt() : Double.NaN);
                }));
            }
            List<EvalRecord> out = new java.util.ArrayList<>();
            for (var f : fs) {
                out.add(f.get());
            }
            return out;
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("judging failed: " + e.getCause(), e.getCause());
        }
    }
}
