package dev.smelt.compress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.gguf.GgufTensorInfo;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.testkit.SharedData;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * End to end: types and bytes of every tensor equal llama-quantize's file (mixture rules, fallbacks,
 * tensors left in F32, imatrix) for models of several architectures.
 */
class ModelQuantizerTest {

    @ParameterizedTest(name = "{0}-{1}")
    @CsvSource({"qwen2,Q4_K_M,", "qwen3,Q4_K_M,", "phi3,Q4_K_M,", "gemma3,Q4_K_M,", "gemma3,Q8_0,",
        "llama,Q3_K_M,", "shakespeare,Q4_K_M-imatrix,shakespeare.imatrix.gguf"})
    void wholeModelMatchesLlamaQuantize(String model, String suffix, String imatrix) throws Exception {
        LlamaFileType ftype = LlamaFileType.fromName(suffix.replace("-imatrix", ""));
        ImportanceMatrix im = imatrix == null ? null : ImportanceMatrix.load(SharedData.golden(imatrix));
        List<String> wrong = new ArrayList<>();
        int[] count = new int[1];
        try (GgufFile src = GgufFile.open(SharedData.model(model + ".gguf"));
                GgufFile ref = GgufFile.open(SharedData.model(model + "-" + suffix + ".gguf"));
                ThreadPool pool = new ThreadPool(2)) {
            ModelQuantizer.quantize(src, ftype, im, pool, (GgufTensorInfo t, dev.smelt.tensor.GgmlType type, byte[] data) -> {
                count[0]++;
                GgufTensorInfo r = ref.tensor(t.name());
                if (r == null || r.type() != type) {
                    wrong.add(t.name() + ": type " + type + " vs " + (r == null ? "absent" : r.type()));
                    return;
                }
                byte[] theirs = ref.tensorData(r).toArray(ValueLayout.JAVA_BYTE);
                int at = Arrays.mismatch(data, theirs);
                if (at >= 0) {
                    wrong.add(t.name() + " (" + type + "): first differing byte " + at);
                }
            });
            assertThat(count[0]).isEqualTo(ref.tensors().size());
        }
        assertThat(wrong).as("%s-%s", model, suffix).isEmpty();
    }
}
