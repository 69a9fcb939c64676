package dev.smelt.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.model.tokenizer.Tokenizer;
import dev.smelt.model.tokenizer.Tokenizers;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.testkit.SharedData;
import dev.smelt.train.data.TokenizedExample;
import dev.smelt.train.model.LoraModel;
import dev.smelt.train.optim.LrSchedule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Real data, trained model: LoRA on the Shakespeare model learns Banking77 intent labels as
 * completions. Held-out examples' loss (labels only) must fall well below the untrained loss.
 */
class Banking77TrainingTest {
    /** The untrained model has never seen these labels; after 24 steps (no gradient checkpointing: that path runs on real data here) the held-out label loss at least halves. */
    static final double MIN_IMPROVEMENT = 0.5;

    /** RFC 4180 CSV (quoted fields may hold commas, quotes and newlines); header row dropped. */
    static List<String[]> csv(Path p) throws Exception {
        String s = Files.readString(p);
        List<String[]> rows = new ArrayList<>();
        List<String> row = new ArrayList<>();
        StringBuilder f = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (quoted) {
                if (ch == '"' && i + 1 < s.length() && s.charAt(i + 1) == '"') {
                    f.append('"');
                    i++;
                } else if (ch == '"') {
                    quoted = false;
                } else {
                    f.append(ch);
                }
            } else if (ch == '"') {
                quoted = true;
            } else if (ch == ',') {
                row.add(f.toString());
                f.setLength(0);
            } else if (ch == '\n') {
                row.add(f.toString());
                f.setLength(0);
                rows.add(row.toArray(String[]::new));
                row.clear();
            } else if (ch != '\r') {
                f.append(ch);
            }
        }
        if (f.length() > 0 || !row.isEmpty()) {
            row.add(f.toString());
            rows.add(row.toArray(String[]::new));
        }
        return rows.subList(1, rows.size());
    }

    static TokenizedExample example(Tokenizer tok, String text, String label, String where) {
        int[] p = tok.encode("Query: " + text + "\nIntent:", true, false);
        int[] c = tok.encode(" " + label, false, false);
        int[] ids = new int[p.length + c.length + 1];
        System.arraycopy(p, 0, ids, 0, p.length);
        System.arraycopy(c, 0, ids, p.length, c.length);
        ids[ids.length - 1] = tok.eos();
        boolean[] t = new boolean[ids.length];
        for (int i = p.length; i < ids.length; i++) {
            t[i] = true;
        }
        return new TokenizedExample(ids, t, where);
    }

    @Test
    void lossFallsOnHeldOutIntents() throws Exception {
        List<String[]> rows = csv(SharedData.require("data/banking77/train.csv"));
        Collections.shuffle(rows, new Random(3));
        try (LoraModel model = LoraModel.open(SharedData.model("shakespeare.gguf")); ThreadPool pool = new ThreadPool(2)) {
            Tokenizer tok = Tokenizers.fromGguf(model.file());
            List<TokenizedExample> train = new ArrayList<>();
            List<TokenizedExample> val = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                TokenizedExample e = example(tok, rows.get(i)[0], rows.get(i)[1], "train.csv row " + i);
                (i < 340 ? train : val).add(e);
            }
            TrainConfig cfg = new TrainConfig(8, 16f, false, 0f, LoraModel.ALL_MODULES, 5e-3f, 0.01f, 3, LrSchedule.Kind.COSINE, 1f,
                    24, 384, 1, false, 7);
            Trainer t = Trainer.start(model, train, cfg, pool, System::nanoTime);
            double before = t.evaluate(val);
            double first = 0;
            double last = 0;
            while (!t.done()) {
                Trainer.StepResult r = t.trainStep();
                if (r.step() == 1) {
                    first = r.loss();
                }
                last = r.loss();
            }
            double after = t.evaluate(val);
            System.out.printf("banking77 on shakespeare.gguf: held-out label loss %.3f -> %.3f; train loss step 1 %.3f, step 24 %.3f%n", before, after, first, last);
            assertThat(after).as("held-out loss after training vs before (%.3f)", before).isLessThan(before * MIN_IMPROVEMENT);
            assertThat(last).isLessThan(first);
        }
    }
}
