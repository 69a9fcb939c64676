package dev.smelt.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.smelt.model.Linear;
import dev.smelt.model.lora.LoraAdapter;
import dev.smelt.model.lora.LoraApplier;
import dev.smelt.model.lora.LoraLinear;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import dev.smelt.testkit.SharedData;
import org.junit.jupiter.api.Test;

/** The loader hook behind {@code smelt serve --lora}. */
class GgufModelLoaderLoraTest {
    private static final ServerConfig CFG = new ServerConfig("127.0.0.1", 0, List.of("k"), false, List.of(), 1, 1, 64, 2,
            Duration.ofMinutes(1), false);

    @Test
    void customizerAppliesTheAdapterBeforeServing() throws Exception {
        Path model = SharedData.model("shakespeare.gguf");
        GgufModelLoader loader = new GgufModelLoader(Map.of("s", model), CFG, (name, m) -> {
            int dim = m.config().dim();
            float[] a = new float[2 * dim];
            float[] b = new float[m.config().qDim() * 2];
            a[0] = 1;
            b[0] = 1;
            LoraApplier.apply(m, new LoraAdapter(2, 2f, false, List.of("q_proj"),
                    Map.of("blk.0.attn_q.weight", new LoraAdapter.Pair("blk.0.attn_q.weight", dim, m.config().qDim(), a, b))), 1f);
        });
        try (ServedModel s = loader.load("s")) {
            List<Linear> wrapped = new ArrayList<>();
            s.model().transformLinears(l -> {
                if (l instanceof LoraLinear) {
                    wrapped.add(l);
                }
                return l;
            });
            assertThat(wrapped).extracting(Linear::name).containsExactly("blk.0.attn_q.weight");
        }
    }

    @Test
    void customizerFailureReachesTheCaller() {
        GgufModelLoader loader = new GgufModelLoader(Map.of("s", SharedData.model("shakespeare.gguf")), CFG, (name, m) -> {
            throw new java.io.IOException("adapter.gguf: bad adapter");
        });
        assertThatThrownBy(() -> loader.load("s")).hasMessage("adapter.gguf: bad adapter");
    }
}
