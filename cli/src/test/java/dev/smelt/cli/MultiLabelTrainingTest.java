package dev.smelt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.model.classify.MultiLabelTexts;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The test-set checks of multi-label training that need no trained model. */
class MultiLabelTrainingTest {
    @Test
    void unseenTestLabelsAreTheTestLabelsThatAreNotClasses() {
        MultiLabelTexts held = new MultiLabelTexts(List.of("a", "b", "c"),
                List.of(List.of("card", "zeta"), List.of(), List.of("alpha", "card")), true, "t.jsonl line 1: field 'l' is a JSON array");
        assertThat(MultiLabelTraining.unseenLabels(List.of("card", "pin"), held)).containsExactly("alpha", "zeta");
        assertThat(MultiLabelTraining.unseenLabels(List.of("alpha", "card", "zeta"), held)).isEmpty();
    }
}
