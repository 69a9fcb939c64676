package dev.smelt.runtime.constrain;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.tokenizer.Tokenizer;
import dev.smelt.model.tokenizer.Tokenizers;
import dev.smelt.runtime.sampling.Sampler;
import dev.smelt.runtime.sampling.SamplerConfig;
import dev.smelt.testkit.SharedData;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 12's golden: for every tokenizer in {@code ../shared/reference/tokenizers} (SentencePiece with byte fallback,
 * byte-level BPE, WordPiece), constrained decoding of {@code {"enum": [...]}} with CJK, emoji and accented values, driven
 * by random logits (fixed seeds), yields exactly one of the values (one the vocabulary can spell: WordPiece has no
 * byte tokens for emoji); and {@code {"const":"中"}} yields {@code "中"}.
 * Before, literals were compared char by char with bytes: 中 could never match (output {@code "}) and é matched the
 * lone Latin-1 byte 0xE9.
 */
class Utf8ConstraintGoldenTest {
    private static final ObjectMapper M = new ObjectMapper();
    private static final List<String> VALUES = List.of("中文", "日本語", "😀", "🇫🇷 drapeau", "é", "naïve café", "Ünïcödé", "plain");
    /** Random-logit runs per tokenizer: each seed takes its own path through the vocabulary. */
    private static final int SEEDS = 4;
    /** No value needs more tokens than bytes (+ quotes and the end token). */
    private static final int MAX_STEPS = 48;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gguf/ggml-vocab-llama-spm.gguf", "gguf/ggml-vocab-phi-3.gguf", "gguf/ggml-vocab-gpt-2.gguf",
            "gguf/ggml-vocab-falcon.gguf", "gguf/ggml-vocab-starcoder.gguf", "gguf/ggml-vocab-refact.gguf", "gguf/ggml-vocab-mpt.gguf",
            "gguf/ggml-vocab-deepseek-coder.gguf", "gguf/ggml-vocab-deepseek-llm.gguf", "gguf/ggml-vocab-bert-bge.gguf",
            "hf/llama3", "hf/qwen3", "hf/gemma3"})
    void enumOfNonAsciiValuesYieldsExactlyOneValue(String name) throws Exception {
        Tokenizer tok = load(name);
        byte[][] vocab = vocabBytes(tok);
        List<String> spellable = VALUES.stream().filter(v -> spellable(vocab, json(v))).toList();
        if (!name.contains("bert")) {
            assertThat(spellable).as("byte fallback / byte-level vocabularies spell every value").isEqualTo(VALUES);
        }
        // every value offered: a vocabulary that cannot spell some (WordPiece: emoji) must not start them
        Node root = SchemaCompiler.compile(M.readTree("{\"enum\":" + M.writeValueAsString(VALUES) + "}"));
        for (int seed = 0; seed < SEEDS; seed++) {
            String out = decode(tok, vocab, root, seed);
            assertThat(spellable).as("%s seed %d output %s", name, seed, out).contains(M.readValue(out, String.class));
        }
        Node cjk = SchemaCompiler.compile(M.readTree("{\"const\":\"中\"}"));
        if (spellable(vocab, "\"中\"")) {
            assertThat(decode(tok, vocab, cjk, 7)).isEqualTo("\"中\"");
        }
    }

    private static Tokenizer load(String name) throws Exception {
        Path p = SharedData.require("reference/tokenizers/" + name);
        if (name.startsWith("hf/")) {
            return Tokenizers.fromHuggingFace(p.resolve("tokenizer.json.gz"));
        }
        try (GgufFile f = GgufFile.open(p)) {
            return Tokenizers.fromGguf(f);
        }
    }

    /** What the server gives the constraint: each token's text bytes, control tokens none. */
    private static byte[][] vocabBytes(Tokenizer tok) {
        byte[][] v = new byte[tok.vocabSize()][];
        for (int i = 0; i < v.length; i++) {
            v[i] = tok.isSpecial(i) ? new byte[0] : tok.tokenBytes(i);
        }
        return v;
    }

    /** Greedy over seeded random logits under the constraint; the text before the end token. */
    private static String decode(Tokenizer tok, byte[][] vocab, Node root, long seed) {
        int end = tok.eos() >= 0 ? tok.eos() : 0;
        JsonConstraint c = new JsonConstraint(root, vocab, t -> t == end);
        Sampler sampler = new Sampler(SamplerConfig.greedy());
        Random rnd = new Random(seed);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        float[] logits = new float[vocab.length];
        for (int step = 0; step < MAX_STEPS; step++) {
            for (int i = 0; i < logits.length; i++) {
                logits[i] = (float) rnd.nextGaussian();
            }
            int t = ConstrainedSampling.sample(sampler, logits, new int[0], 0, c, end, x -> x == end);
            if (t == end) {
                assertThat(c.complete()).as("ended on a complete value, after %s", out.toString(StandardCharsets.UTF_8)).isTrue();
                return out.toString(StandardCharsets.UTF_8);
            }
            c.accept(t);
            out.writeBytes(vocab[t]);
        }
        throw new AssertionError("no end after " + MAX_STEPS + " tokens: " + out.toString(StandardCharsets.UTF_8));
    }

    private static String json(String v) {
        try {
            return M.writeValueAsString(v);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether some sequence of tokens spells exactly {@code text}'s UTF-8 bytes (WordPiece cannot spell every emoji). */
    private static boolean spellable(byte[][] vocab, String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        boolean[] reach = new boolean[b.length + 1];
        reach[0] = true;
        for (int i = 0; i < b.length; i++) {
            if (!reach[i]) {
                continue;
            }
            for (byte[] t : vocab) {
                if (t.length > 0 && i + t.length <= b.length && java.util.Arrays.equals(b, i, i + t.length, t, 0, t.length)) {
                    reach[i + t.length] = true;
                }
            }
        }
        return reach[b.length];
    }
}
