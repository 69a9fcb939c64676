package dev.smelt.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smelt.model.tokenizer.Tokenizer;
import dev.smelt.model.tokenizer.Tokenizers;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.testkit.SharedData;
import dev.smelt.train.data.ChatFormat;
import dev.smelt.train.data.DataException;
import dev.smelt.train.data.TokenizedExample;
import dev.smelt.train.data.TrainingData;
import dev.smelt.train.model.LoraModel;
import dev.smelt.train.data.PackedBatch;
import dev.smelt.train.optim.LrSchedule;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Token-level distillation on the Shakespeare model: teacher logprobs in OpenAI's response shape are
 * mapped onto the student's answer tokens (and refused when the vocabularies differ), and training
 * with --kd-alpha moves the student's distribution towards a teacher's that disagrees with the labels.
 */
class DistillationTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The teacher puts 0.7 on an alternative and 0.3 on the label's token at every answer position. */
    private static final double TEACHER_ALT = 0.7;
    private static LoraModel model;
    private static ThreadPool pool;
    private static Tokenizer tok;

    @BeforeAll
    static void open() throws Exception {
        model = LoraModel.open(SharedData.model("shakespeare.gguf"));
        pool = new ThreadPool(2);
        tok = Tokenizers.fromGguf(model.file());
    }

    @AfterAll
    static void close() {
        if (pool != null) {
            pool.close();
        }
        if (model != null) {
            model.close();
        }
    }

    static String text(int id) {
        return new String(tok.tokenBytes(id), StandardCharsets.UTF_8);
    }

    /** An alternative to {@code id}: the first of a few punctuation tokens that is not id. */
    static String alternative(int id) {
        for (String s : new String[] {"!", "?"}) {
            if (tok.tokenId(s).isPresent() && tok.tokenId(s).getAsInt() != id) {
                return s;
            }
        }
        throw new IllegalStateException("no alternative token");
    }

    /** OpenAI logprobs for the student's own tokenization of {@code completion}, top-2 = label token (0.3) and an alternative (0.7). */
    static Map<String, Object> logprobs(String completion) {
        List<Object> content = new ArrayList<>();
        for (int id : tok.encode(completion, false, false)) {
            String t = text(id);
            double lp = Math.log(1 - TEACHER_ALT);
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("token", t);
            e.put("logprob", lp);
            e.put("top_logprobs", List.of(Map.of("token", alternative(id), "logprob", Math.log(TEACHER_ALT)), Map.of("token", t, "logprob", lp)));
            content.add(e);
        }
        return Map.of("content", content);
    }

    static Path data(Path dir, int n) throws Exception {
        List<String> lines = new ArrayList<>();
        List<String> rows = Files.readAllLines(SharedData.require("data/banking77/train.csv"));
        for (int i = 1; lines.size() < n; i++) {
            String row = rows.get(i);
            int comma = row.lastIndexOf(',');
            if (comma < 0 || row.contains("\"")) {
                continue;
            }
            String completion = " yes";
            lines.add(JSON.writeValueAsString(Map.of("prompt", "Query: " + row.substring(0, comma) + "\nAnswer:", "completion", completion,
                    "logprobs", logprobs(completion))));
        }
        Path p = dir.resolve("kd.jsonl");
        Files.write(p, lines);
        return p;
    }

    static List<TokenizedExample> load(Path p) throws Exception {
        return TrainingData.load(p, ChatFormat.forModel(model.file(), tok).withTeacherLogprobs(), TrainingData.Options.unlimited()).examples();
    }

    @Test
    void teacherTokensMapToStudentIdsOnTheAnswer(@TempDir Path dir) throws Exception {
        TokenizedExample e = load(data(dir, 1)).getFirst();
        int[] answer = tok.encode(" yes", false, false);
        int start = e.tokens().length - answer.length - 1; // answer tokens, then the trained EOS
        for (int i = 0; i < e.tokens().length; i++) {
            if (i >= start && i < start + answer.length) {
                assertThat(e.teacherIds()[i]).as("top-k ids at answer token %d", i)
                        .containsExactly(tok.tokenId(alternative(answer[i - start])).getAsInt(), answer[i - start]);
                assertThat(e.teacherLogprobs()[i][0]).isCloseTo((float) Math.log(TEACHER_ALT), org.assertj.core.data.Offset.offset(1e-6f));
            } else {
                assertThat(e.teacherIds()[i]).as("no teacher at token %d (prompt or EOS)", i).isNull();
            }
        }
        List<TokenizedExample> plain = TrainingData.load(dir.resolve("kd.jsonl"), ChatFormat.forModel(model.file(), tok), TrainingData.Options.unlimited()).examples();
        assertThat(plain.getFirst().teacherIds()).as("without --kd-alpha the logprobs are ignored").isNull();
    }

    @Test
    void assistantMessageLogprobsInAChat(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("chat.jsonl");
        Map<String, Object> user = Map.of("role", "user", "content", "Is my card on its way?");
        Files.writeString(p, JSON.writeValueAsString(Map.of("messages", List.of(user, Map.of("role", "assistant", "content", "yes")))) + "\n");
        TokenizedExample plain = TrainingData.load(p, ChatFormat.forModel(model.file(), tok), TrainingData.Options.unlimited()).examples().getFirst();
        int first = 0;
        while (!plain.target()[first]) {
            first++;
        }
        // the teacher's tokens of the answer, as the student tokenizes it in context: its first two trained tokens
        List<Object> content = new ArrayList<>();
        for (int i = first; i < first + 2; i++) {
            String t = text(plain.tokens()[i]);
            content.add(Map.of("token", t, "logprob", -0.2, "top_logprobs", List.of(Map.of("token", t, "logprob", -0.2), Map.of("token", "!", "logprob", -1.8))));
        }
        Files.writeString(p, JSON.writeValueAsString(Map.of("messages", List.of(user,
                Map.of("role", "assistant", "content", "yes", "logprobs", Map.of("content", content))))) + "\n");
        TokenizedExample e = load(p).getFirst();
        assertThat(e.tokens()).isEqualTo(plain.tokens());
        assertThat(e.teacherIds()[first]).containsExactly(plain.tokens()[first], tok.tokenId("!").getAsInt());
        assertThat(e.teacherIds()[first + 1]).hasSize(2);
        assertThat(e.teacherIds()[first + 2]).as("past the teacher's tokens: cross-entropy only").isNull();

        Files.writeString(p, JSON.writeValueAsString(Map.of("messages", List.of(Map.of("role", "user", "content", "q", "logprobs", Map.of("content", content)),
                Map.of("role", "assistant", "content", "yes")))) + "\n");
        assertThatThrownBy(() -> load(p)).isInstanceOf(DataException.class).hasMessageContaining("chat.jsonl:1")
                .hasMessageContaining("only assistant messages can carry teacher logprobs");
    }

    @Test
    void refusesATeacherWithAnotherVocabulary(@TempDir Path dir) throws Exception {
        int[] ids = tok.encode(" yes", false, false);
        String merged = text(ids[0]) + text(ids[1]); // a token the student splits in two: another tokenizer
        Path p = dir.resolve("other.jsonl");
        Files.writeString(p, "{\"prompt\": \"q\", \"completion\": \" yes\"}\n" + JSON.writeValueAsString(Map.of("prompt", "q", "completion", " yes",
                "logprobs", Map.of("content", List.of(Map.of("token", merged, "logprob", -0.1, "top_logprobs", List.of())))))
                + "\n");
        assertThatThrownBy(() -> load(p)).isInstanceOf(DataException.class).hasMessageContaining("other.jsonl:2")
                .hasMessageContaining("teacher token 0 '" + merged + "'").hasMessageContaining("vocabulary");

        Files.writeString(p, JSON.writeValueAsString(Map.of("prompt", "q", "completion", " yes", "logprobs", Map.of("content", List.of(
                Map.of("token", text(ids[0]), "logprob", -0.1, "top_logprobs", List.of(Map.of("token", "Qzxq\u00e9\u4e2d", "logprob", -2.0))))))) + "\n");
        assertThatThrownBy(() -> load(p)).isInstanceOf(DataException.class).hasMessageContaining("other.jsonl:1")
                .hasMessageContaining("'Qzxq\u00e9\u4e2d' is not a token of this model's vocabulary");

        Files.writeString(p, "{\"prompt\": \"q\", \"completion\": \" yes\", \"logprobs\": {\"content\": [{\"token\": \" \", \"logprob\": 0.5}]}}\n");
        assertThatThrownBy(() -> load(p)).isInstanceOf(DataException.class).hasMessageContaining("other.jsonl:1")
                .hasMessageContaining("logprobs.content[0].logprob must be a log-probability");
    }

    @Test
    void distillationMovesTheStudentTowardsTheTeacher(@TempDir Path dir) throws Exception {
        List<TokenizedExample> train = load(data(dir, 8));
        PackedBatch all = PackedBatch.pack(train);
        double[] kl = new double[2];
        double before = Double.NaN;
        for (int run = 0; run < 2; run++) {
            float alpha = run == 0 ? 0f : 0.9f;
            TrainConfig cfg = new TrainConfig(4, 8f, false, 0f, LoraModel.ALL_MODULES, 1e-2f, 0f, 1, LrSchedule.Kind.CONSTANT, 1f,
                    12, 512, 1, false, 5).withDistillation(alpha, 1f);
            Trainer t = Trainer.start(model, train, cfg, pool, System::nanoTime);
            before = model.teacherKl(pool, all, 1f);
            while (!t.done()) {
                t.trainStep();
            }
            kl[run] = model.teacherKl(pool, all, 1f);
        }
        System.out.printf("KL(teacher || student top-k): before %.4f, after CE only %.4f, after KD (alpha 0.9) %.4f%n", before, kl[0], kl[1]);
        assertThat(kl[1]).as("KD run vs the untrained student (%.4f)", before).isLessThan(before * 0.5);
        assertThat(kl[1]).as("KD run vs the cross-entropy-only run (%.4f)", kl[0]).isLessThan(kl[0] * 0.5);
    }
}
