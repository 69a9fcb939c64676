package dev.smelt.model.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.testkit.SharedData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Load time and encode speed of the large vocabularies (the brief asks for ~1 MB/s). */
@Tag("slow")
class TokenizerThroughputTest {
    private static final double MIN_MB_PER_S = 0.5; // lenient floor for a shared 2-core CI machine
    private static final long MAX_LOAD_MILLIS = 5_000; // cold JVM, gzip + JSON of up to 262k pieces / 515k merges

    @Test
    void encodesTinyShakespeareQuickly() throws Exception {
        String text = Files.readString(SharedData.require("data/tinyshakespeare/input.txt"));
        double mb = text.getBytes(StandardCharsets.UTF_8).length / 1e6;
        for (String name : new String[] {"llama3", "qwen3", "gemma3"}) {
            long t0 = System.nanoTime();
            Tokenizer tok = Tokenizers.fromHuggingFace(SharedData.require("reference/tokenizers/hf/" + name + "/tokenizer.json.gz"));
            long t1 = System.nanoTime();
            tok.encode(text.substring(0, 100_000), false, false); // warm-up
            long t2 = System.nanoTime();
            int[] ids = tok.encode(text, false, false);
            long t3 = System.nanoTime();
            double mbps = mb / ((t3 - t2) / 1e9);
            System.out.printf("%s: load %.0f ms, encode %.2f MB/s (%d tokens)%n", name, (t1 - t0) / 1e6, mbps, ids.length);
            assertThat(tok.decode(ids)).isEqualTo(text);
            assertThat(mbps).as("%s MB/s", name).isGreaterThan(MIN_MB_PER_S);
            assertThat((t1 - t0) / 1_000_000).as("%s load ms", name).isLessThan(MAX_LOAD_MILLIS);
        }
    }
}
