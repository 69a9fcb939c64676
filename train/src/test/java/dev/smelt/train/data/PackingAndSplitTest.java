package dev.smelt.train.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PackingAndSplitTest {
    private static TokenizedExample ex(int n, int id) {
        int[] t = new int[n];
        boolean[] m = new boolean[n];
        for (int i = 0; i < n; i++) {
            t[i] = id * 100 + i;
            m[i] = i > 0;
        }
        return new TokenizedExample(t, m, "d.jsonl:" + id);
    }

    @Test
    void firstFitPacksWithDocumentIdsAndRestartingPositions() {
        List<PackedBatch> p = Packing.pack(List.of(ex(6, 1), ex(5, 2), ex(3, 3), ex(4, 4), ex(2, 5)), 10);
        // 6 → bin0; 5 → bin1; 3 → bin0 (9); 4 → bin1 (9); 2 → bin2
        assertThat(p).hasSize(3);
        PackedBatch b = p.get(0);
        assertThat(b.sources()).containsExactly("d.jsonl:1", "d.jsonl:3");
        assertThat(b.docStart()).containsExactly(0, 0, 0, 0, 0, 0, 6, 6, 6);
        assertThat(b.positions()).containsExactly(0, 1, 2, 3, 4, 5, 0, 1, 2);
        assertThat(b.tokens()[6]).isEqualTo(300);
        assertThat(b.targetRows()).as("first token of a packed document is never scored").doesNotContain(5).contains(4, 6);
        assertThat(b.attends(7, 6)).isTrue();
        assertThat(b.attends(7, 5)).as("no attention across documents").isFalse();
        assertThat(b.attends(5, 6)).isFalse();
        assertThat(p.get(1).sources()).containsExactly("d.jsonl:2", "d.jsonl:4");
        assertThat(p.get(2).size()).isEqualTo(2);
        assertThat(p.stream().mapToInt(PackedBatch::targetCount).sum()).isEqualTo(5 + 4 + 2 + 3 + 1);
        assertThatThrownBy(() -> Packing.pack(List.of(ex(11, 9)), 10)).hasMessageStartingWith("d.jsonl:9: example has 11 tokens");
        assertThatThrownBy(() -> Packing.pack(List.of(), 0)).hasMessageContaining("budget must be positive, got 0");
    }

    @Test
    void lengthPolicyErrorsOrTruncates() {
        TokenizedExample e = ex(8, 1);
        assertThatThrownBy(() -> TrainingData.limit(e, new TrainingData.Options(5, TrainingData.Overflow.ERROR), null))
                .hasMessageStartingWith("d.jsonl:1: example has 8 tokens, more than the limit of 5");
        TokenizedExample t = TrainingData.limit(e, new TrainingData.Options(5, TrainingData.Overflow.TRUNCATE), null);
        assertThat(t.tokens()).hasSize(5);
        boolean[] promptOnly = new boolean[8];
        promptOnly[7] = true;
        TokenizedExample late = new TokenizedExample(new int[8], promptOnly, "d.jsonl:2");
        assertThatThrownBy(() -> TrainingData.limit(late, new TrainingData.Options(5, TrainingData.Overflow.TRUNCATE), null))
                .hasMessageStartingWith("d.jsonl:2: nothing to train on after truncation to 5 tokens");
        assertThat(TrainingData.limit(e, TrainingData.Options.unlimited(), null)).isSameAs(e);
    }

    @Test
    void validationSplitIsSeededDisjointAndOrdered() {
        List<TokenizedExample> all = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            all.add(ex(3, i));
        }
        TrainingData.Split a = TrainingData.split(all, 0.1, 42);
        TrainingData.Split b = TrainingData.split(all, 0.1, 42);
        TrainingData.Split c = TrainingData.split(all, 0.1, 43);
        assertThat(a.validation()).hasSize(5).isEqualTo(b.validation()).isNotEqualTo(c.validation());
        assertThat(a.train()).hasSize(45).doesNotContainAnyElementsOf(a.validation());
        List<String> srcs = a.train().stream().map(TokenizedExample::source).toList();
        assertThat(srcs).isSortedAccordingTo((x, y) -> Integer.compare(Integer.parseInt(x.substring(8)), Integer.parseInt(y.substring(8))));
        assertThat(TrainingData.split(all, 0, 1).validation()).isEmpty();
        assertThat(TrainingData.split(all.subList(0, 3), 0.01, 1).validation()).hasSize(1);
        assertThatThrownBy(() -> TrainingData.split(all, 1.0, 1)).hasMessageContaining("must be in [0, 1), got 1.0");
    }
}
