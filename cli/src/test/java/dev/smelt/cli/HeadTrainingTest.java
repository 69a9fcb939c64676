package dev.smelt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HeadTrainingTest {
    @Test
    void saysEarlyStopOnlyWhenTrainingEndedBeforeTheLastEpoch() {
        assertThat(HeadTraining.endNote(200, 200)).isEqualTo("done");
        assertThat(HeadTraining.endNote(37, 200)).isEqualTo("early stop at epoch 37");
    }
}
