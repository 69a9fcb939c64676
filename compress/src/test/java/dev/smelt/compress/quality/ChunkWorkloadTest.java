package dev.smelt.compress.quality;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.model.arch.Workload;
import dev.smelt.tensor.quant.Q4_0x8;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Chunk scoring loads without repacked copies unless the batch limit is moved to admit its batches (the KL check of the integer path). */
class ChunkWorkloadTest {
    private static final String MAX_BATCH = "smelt.repack.maxBatch";

    @Test
    void chunkRunsRepackOnlyWhenTheirBatchesFitTheIntegerKernels() {
        Assumptions.assumeTrue(Q4_0x8.supported(), "no 16/32-lane short vectors: no format has an integer kernel");
        String old = System.getProperty(MAX_BATCH);
        try {
            System.clearProperty(MAX_BATCH);
            assertThat(Perplexity.workload(256)).isEqualTo(Workload.BATCHED);
            assertThat(Perplexity.workload(513)).as("bulk batches of 256, one remainder row").isEqualTo(Workload.BATCHED);
            System.setProperty(MAX_BATCH, "256");
            assertThat(Perplexity.workload(4096)).as("-D%s=256", MAX_BATCH).isEqualTo(Workload.DECODE);
        } finally {
            if (old == null) {
                System.clearProperty(MAX_BATCH);
            } else {
                System.setProperty(MAX_BATCH, old);
            }
        }
    }
}
