package dev.smelt.model.encoder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.smelt.model.ModelException;
import dev.smelt.model.gguf.GgufValue;
import dev.smelt.model.gguf.GgufValueType;
import dev.smelt.model.gguf.GgufWriter;
import dev.smelt.tensor.GgmlType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tiny random-weight BERT written as llama.cpp lays it out (names in {@link BertGguf}), loaded through
 * {@link Embedders#open}; then the same file with one thing broken, each giving an error that names it.
 */
class GgufBertLoaderTest {
    static final int HIDDEN = 32;
    static final int HEADS = 2;
    static final int FF = 64;
    static final int CONTEXT = 16;
    static final String[] VOCAB = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "\u2581my", "\u2581card", "s", "\u2581has",
            "\u2581arrived", "\u2581.", "\u2581not"};
    static final int[] TYPES = {3, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1};

    @TempDir
    Path tmp;

    /** What a test changes before the file is written: metadata puts, or skipped / reshaped tensors. */
    record Edit(String skipTensor, String reshapeTensor, Consumer<GgufWriter> metadata) {
        static Edit none() {
            return new Edit(null, null, w -> { });
        }
    }

    private Path write(String name, Edit edit) throws Exception {
        Random rnd = new Random(42);
        GgufWriter w = new GgufWriter();
        w.put("general.architecture", GgufValue.string("bert"));
        w.put(BertGguf.BLOCK_COUNT, GgufValue.uint32(1));
        w.put(BertGguf.CONTEXT_LENGTH, GgufValue.uint32(CONTEXT));
        w.put(BertGguf.EMBEDDING_LENGTH, GgufValue.uint32(HIDDEN));
        w.put(BertGguf.FEED_FORWARD_LENGTH, GgufValue.uint32(FF));
        w.put(BertGguf.HEAD_COUNT, GgufValue.uint32(HEADS));
        w.put(BertGguf.LAYER_NORM_EPS, GgufValue.float32(1e-12f));
        w.put(BertGguf.CAUSAL, GgufValue.bool(false));
        w.put(BertGguf.POOLING_TYPE, GgufValue.uint32(BertGguf.POOLING_CLS));
        w.put(BertGguf.TOKEN_TYPE_COUNT, GgufValue.uint32(2));
        w.put("tokenizer.ggml.model", GgufValue.string("bert"));
        w.put("tokenizer.ggml.tokens", GgufValue.array(GgufValueType.STRING, VOCAB));
        w.put("tokenizer.ggml.token_type", GgufValue.array(GgufValueType.INT32, TYPES));
        w.put("tokenizer.ggml.unknown_token_id", GgufValue.uint32(1));
        w.put("tokenizer.ggml.cls_token_id", GgufValue.uint32(2));
        w.put("tokenizer.ggml.seperator_token_id", GgufValue.uint32(3));
        w.put("tokenizer.ggml.padding_token_id", GgufValue.uint32(0));
        edit.metadata().accept(w);
        tensor(w, edit, BertGguf.TOKEN_EMBD, rnd, HIDDEN, VOCAB.length);
        tensor(w, edit, BertGguf.TOKEN_TYPES, rnd, HIDDEN, 2);
        tensor(w, edit, BertGguf.POS_EMBD, rnd, HIDDEN, CONTEXT);
        tensor(w, edit, BertGguf.EMBD_NORM + ".weight", rnd, HIDDEN);
        tensor(w, edit, BertGguf.EMBD_NORM + ".bias", rnd, HIDDEN);
        for (String stem : List.of(BertGguf.Q, BertGguf.K, BertGguf.V, BertGguf.O)) {
            tensor(w, edit, BertGguf.block(0, stem, "weight"), rnd, HIDDEN, HIDDEN);
            tensor(w, edit, BertGguf.block(0, stem, "bias"), rnd, HIDDEN);
        }
        tensor(w, edit, BertGguf.block(0, BertGguf.UP, "weight"), rnd, HIDDEN, FF);
        tensor(w, edit, BertGguf.block(0, BertGguf.UP, "bias"), rnd, FF);
        tensor(w, edit, BertGguf.block(0, BertGguf.DOWN, "weight"), rnd, FF, HIDDEN);
        tensor(w, edit, BertGguf.block(0, BertGguf.DOWN, "bias"), rnd, HIDDEN);
        for (String stem : List.of(BertGguf.ATTN_NORM, BertGguf.OUT_NORM)) {
            tensor(w, edit, BertGguf.block(0, stem, "weight"), rnd, HIDDEN);
            tensor(w, edit, BertGguf.block(0, stem, "bias"), rnd, HIDDEN);
        }
        Path p = tmp.resolve(name + ".gguf");
        w.write(p);
        return p;
    }

    private static void tensor(GgufWriter w, Edit edit, String name, Random rnd, long... dims) {
        if (name.equals(edit.skipTensor())) {
            return;
        }
        long[] d = name.equals(edit.reshapeTensor()) ? new long[] {dims[0] / 2, dims.length > 1 ? dims[1] * 2 : 2} : dims;
        int n = 1;
        for (long x : d) {
            n *= (int) x;
        }
        ByteBuffer b = ByteBuffer.allocate(n * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.putFloat((float) (rnd.nextGaussian() * 0.2));
        }
        w.tensor(name, d, GgmlType.F32, b.array());
    }

    @Test
    void tinyModelLoadsWithItsTokenizerAndPooling() throws Exception {
        Path p = write("tiny", Edit.none());
        assertThat(GgufBertLoader.isBert(p)).isTrue();
        try (BertEmbedder e = Embedders.open(p.toString(), 1)) {
            assertThat(e.name()).isEqualTo("tiny");
            assertThat(e.config().pooling()).isEqualTo(Pooling.CLS);
            assertThat(e.config().maxTokens()).isEqualTo(CONTEXT);
            // phantom-space vocabulary: "cards" = ▁card + s (a continuation piece)
            assertThat(e.tokens("My cards has not arrived.")).containsExactly(2, 5, 6, 7, 8, 11, 9, 10, 3);
            float[] v = e.embed(List.of("my card"))[0];
            assertThat(v).hasSize(HIDDEN);
            double norm = 0;
            for (float x : v) {
                norm += x * x;
            }
            assertThat(Math.sqrt(norm)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
            // texts longer than the context are truncated, not rejected
            assertThat(e.tokens("my ".repeat(40))).hasSize(CONTEXT);
        }
    }

    @Test
    void biasesAreOptionalAsInLlamaCpp() throws Exception {
        Path p = write("nobias", new Edit(BertGguf.block(0, BertGguf.O, "bias"), null, w -> { }));
        try (BertEmbedder e = Embedders.open(p.toString(), 1)) {
            assertThat(e.weights().blocks()[0].oBias()).containsOnly(0f);
        }
    }

    @Test
    void missingTensorIsNamed() throws Exception {
        Path p = write("missing", new Edit("blk.0.ffn_up.weight", null, w -> { }));
        assertThatThrownBy(() -> Embedders.open(p.toString(), 1)).isInstanceOf(ModelException.class)
                .hasMessageContaining(p.toString()).hasMessageContaining("tensor blk.0.ffn_up.weight is missing");
    }

    @Test
    void wrongShapeNamesTheTensorAndBothShapes() throws Exception {
        Path p = write("shape", new Edit(null, "blk.0.attn_k.weight", w -> { }));
        assertThatThrownBy(() -> Embedders.open(p.toString(), 1)).isInstanceOf(ModelException.class)
                .hasMessageContaining("tensor blk.0.attn_k.weight has dims [16, 64], expected [32, 32]");
    }

    @Test
    void unsupportedPoolingTypeIsNamed() throws Exception {
        Path p = write("rank", new Edit(null, null, w -> w.put(BertGguf.POOLING_TYPE, GgufValue.uint32(4))));
        assertThatThrownBy(() -> Embedders.open(p.toString(), 1)).isInstanceOf(ModelException.class)
                .hasMessageContaining("bert.pooling_type = 4 (rank: a reranker) is not supported; supported: 1 (mean), 2 (cls)");
        Path odd = write("odd", new Edit(null, null, w -> w.put(BertGguf.POOLING_TYPE, GgufValue.uint32(9))));
        assertThatThrownBy(() -> Embedders.open(odd.toString(), 1)).hasMessageContaining("bert.pooling_type = 9 is not supported");
    }

    @Test
    void missingOrBadKeysAreNamed() throws Exception {
        Path noHeads = write("noheads", new Edit(null, null, w -> w.remove(BertGguf.HEAD_COUNT)));
        assertThatThrownBy(() -> Embedders.open(noHeads.toString(), 1))
                .hasMessageContaining("metadata key bert.attention.head_count is missing");
        Path badHeads = write("badheads", new Edit(null, null, w -> w.put(BertGguf.HEAD_COUNT, GgufValue.uint32(5))));
        assertThatThrownBy(() -> Embedders.open(badHeads.toString(), 1))
                .hasMessageContaining("bert.embedding_length 32 is not a multiple of bert.attention.head_count 5");
        Path noEps = write("noeps", new Edit(null, null, w -> w.remove(BertGguf.LAYER_NORM_EPS)));
        assertThatThrownBy(() -> Embedders.open(noEps.toString(), 1))
                .hasMessageContaining("metadata key bert.attention.layer_norm_epsilon is missing");
        Path causal = write("causal", new Edit(null, null, w -> w.put(BertGguf.CAUSAL, GgufValue.bool(true))));
        assertThatThrownBy(() -> Embedders.open(causal.toString(), 1)).hasMessageContaining("bert.attention.causal = true");
        Path longer = write("maxtok", new Edit(null, null, w -> w.put(BertGguf.MAX_TOKENS, GgufValue.uint32(CONTEXT + 1))));
        assertThatThrownBy(() -> Embedders.open(longer.toString(), 1)).hasMessageContaining("smelt.encoder.max_tokens = 17");
    }

    @Test
    void aDecoderGgufIsNotAnEncoder() throws Exception {
        Path p = write("llama", new Edit(null, null, w -> w.put("general.architecture", GgufValue.string("llama"))));
        assertThat(GgufBertLoader.isBert(p)).isFalse();
        assertThatThrownBy(() -> Embedders.open(p.toString(), 1)).hasMessageContaining("general.architecture is 'llama', expected 'bert'");
    }
}
