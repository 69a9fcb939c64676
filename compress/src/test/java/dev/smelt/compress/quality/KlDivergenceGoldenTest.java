package dev.smelt.compress.quality;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.model.arch.Models;
import dev.smelt.model.arch.DecoderModel;
import dev.smelt.model.tokenizer.Tokenizer;
import dev.smelt.model.tokenizer.Tokenizers;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.testkit.SharedData;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * smelt kld vs llama.cpp's {@code llama-perplexity --kl-divergence -c 256} (shakespeare.ppl-kld.csv).
 * llama.cpp quantizes activations inside its dot products while smelt computes in float, so the
 * quantized model's distributions differ very slightly: agreement is required within the
 * statistical error bars of the estimates, as issue 7 asks.
 */
class KlDivergenceGoldenTest {
    /** Error bars allowed: 3 standard errors of the mean KLD, of the top-1 proportion, and 0.1% on PPL. */
    static final double SIGMAS = 3;
    static final double PPL_REL = 1e-3;

    @ParameterizedTest
    @ValueSource(strings = {"shakespeare-Q4_0"})
    void reproducesLlamaCppWithinErrorBars(String file) throws Exception {
        check(file, true);
    }

    /**
     * Measured: for the finer types smelt's KLD is below llama.cpp's (Q8_0 0.000035 vs 0.000104, Q6_K
     * 0.00037 vs 0.00059) because llama.cpp's number also contains its Q8 activation rounding; these
     * files are held to "no worse than llama.cpp", not to equality.
     */
    @Tag("slow")
    @ParameterizedTest
    @ValueSource(strings = {"shakespeare-Q8_0", "shakespeare-Q6_K", "shakespeare-Q4_K_M", "shakespeare-Q4_K_M-imatrix", "shakespeare-Q4_0-imatrix"})
    void noWorseThanLlamaCpp(String file) throws Exception {
        check(file, false);
    }

    static void check(String file, boolean equal) throws Exception {
        List<String> rows = Files.readAllLines(SharedData.golden("shakespeare.ppl-kld.csv"));
        String[] ref = rows.stream().filter(r -> r.startsWith(file + ",")).findFirst().orElseThrow().split(",", -1);
        double pplQ = Double.parseDouble(ref[1]);
        double kld = Double.parseDouble(ref[3]);
        try (DecoderModel base = Models.load(SharedData.model("shakespeare.gguf"));
             DecoderModel other = Models.load(SharedData.model(file + ".gguf")); ThreadPool pool = new ThreadPool(2)) {
            Tokenizer t = Tokenizers.fromGguf(base.file());
            KlDivergence.Result r = KlDivergence.compute(base, other, pool, PerplexityGoldenTest.validationTokens(t), 256, t.bos());
            System.out.printf("%s: mean KLD %.6f ± %.6f (llama.cpp %.6f), top-1 %.3f%% (llama.cpp %s), PPL %.4f (llama.cpp %.4f)%n",
                    file, r.meanKld(), r.kldError(), kld, 100 * r.top1Agreement(), ref[4], r.pplOther(), pplQ);
            double kldDiff = equal ? Math.abs(r.meanKld() - kld) : r.meanKld() - kld;
            assertThat(kldDiff).as("mean KLD").isLessThanOrEqualTo(SIGMAS * r.kldError());
            if (!ref[4].isEmpty()) {
                double p = Double.parseDouble(ref[4]) / 100;
                double se = Math.sqrt(p * (1 - p) / r.scored());
                double topDiff = equal ? Math.abs(r.top1Agreement() - p) : p - r.top1Agreement();
                assertThat(topDiff).as("top-1 agreement").isLessThanOrEqualTo(SIGMAS * se);
            }
            if (equal) {
                assertThat(r.pplOther()).isCloseTo(pplQ, org.assertj.core.data.Percentage.withPercentage(PPL_REL * 100));
            } else {
                assertThat(r.pplOther()).isLessThanOrEqualTo(pplQ * (1 + PPL_REL));
            }
            assertThat(r.pplBase()).isCloseTo(9.2931, org.assertj.core.data.Percentage.withPercentage(0.05));
        }
    }
}
