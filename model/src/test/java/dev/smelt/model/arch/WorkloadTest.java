package dev.smelt.model.arch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.tensor.quant.Q4_0x8;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Which loads repack: decode-sized products do, batches past every format's limit do not, unless the limit is moved. */
class WorkloadTest {
    private static final String MAX_BATCH = "smelt.repack.maxBatch";

    @Test
    void onlyProductsWithinAnIntegerKernelsBatchLimitAskForRepackedCopies() {
        Assumptions.assumeTrue(Q4_0x8.supported(), "no 16/32-lane short vectors: no format has an integer kernel");
        String old = System.getProperty(MAX_BATCH);
        try {
            System.clearProperty(MAX_BATCH);
            assertThat(Workload.forRows(1)).isEqualTo(Workload.DECODE);
            assertThat(Workload.forRows(2)).as("Q4_K/Q5_0 take 2 rows").isEqualTo(Workload.DECODE);
            assertThat(Workload.forRows(256)).isEqualTo(Workload.BATCHED);
            System.setProperty(MAX_BATCH, "100000");
            assertThat(Workload.forRows(256)).as("with -D%s=100000", MAX_BATCH).isEqualTo(Workload.DECODE);
        } finally {
            if (old == null) {
                System.clearProperty(MAX_BATCH);
            } else {
                System.setProperty(MAX_BATCH, old);
            }
        }
    }
}
