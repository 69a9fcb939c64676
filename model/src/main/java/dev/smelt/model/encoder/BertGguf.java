package dev.smelt.model.encoder;

/**
 * Names of a BERT encoder in GGUF as llama.cpp's {@code convert_hf_to_gguf.py} writes them
 * ({@code general.architecture = "bert"}, gguf-py {@code MODEL_ARCH.BERT}) and llama.cpp's
 * {@code llama_model_bert} reads them. Shared by the loader ({@link GgufBertLoader}) and the exporter in the
 * compress module, so both sides agree. Stateless.
 *
 * <p>Tensors (ggml dimension order {ne0, ne1}: ne0 is the contiguous axis, so a PyTorch Linear weight
 * [out, in] is {in, out}, the same bytes):
 * <pre>
 * token_embd.weight               {hidden, vocab}       word embeddings
 * token_types.weight              {hidden, type_count}  token-type embeddings (optional; llama.cpp adds row 0)
 * position_embd.weight            {hidden, context}     learned positions
 * token_embd_norm.weight / .bias  {hidden}              embeddings LayerNorm
 * blk.N.attn_q / attn_k / attn_v / attn_output .weight {hidden, hidden}, .bias {hidden}
 * blk.N.attn_output_norm.weight / .bias  {hidden}       LayerNorm after attention + residual
 * blk.N.ffn_up.weight {hidden, ff}, .bias {ff}; blk.N.ffn_down.weight {ff, hidden}, .bias {hidden}
 * blk.N.layer_output_norm.weight / .bias {hidden}       LayerNorm after FFN + residual
 * </pre>
 * Metadata: {@code bert.block_count}, {@code bert.context_length}, {@code bert.embedding_length},
 * {@code bert.feed_forward_length}, {@code bert.attention.head_count}, {@code bert.attention.layer_norm_epsilon}
 * (f32), {@code bert.attention.causal} (false), {@code bert.pooling_type} (u32: 0 none, 1 mean, 2 cls, 3 last,
 * 4 rank), {@code tokenizer.ggml.token_type_count}, {@code tokenizer.ggml.model = "bert"} with the WordPiece
 * vocabulary in llama.cpp's "phantom space" spelling: a word-initial piece gets a U+2581 prefix, a
 * continuation piece loses its {@code ##}, control tokens ([CLS], [SEP], …) stay as they are.
 * Two smelt keys, ignored by llama.cpp, keep what GGUF has no key for: {@link #MAX_TOKENS} (the
 * tokenizer.json truncation, e.g. 128 for all-MiniLM-L6-v2, so long texts embed as with the original files) and
 * {@link #NORMALIZE} (absent = true, as llama.cpp L2-normalizes embeddings by default).
 */
public final class BertGguf {
    public static final String ARCH = "bert";
    public static final String BLOCK_COUNT = "bert.block_count";
    public static final String CONTEXT_LENGTH = "bert.context_length";
    public static final String EMBEDDING_LENGTH = "bert.embedding_length";
    public static final String FEED_FORWARD_LENGTH = "bert.feed_forward_length";
    public static final String HEAD_COUNT = "bert.attention.head_count";
    public static final String LAYER_NORM_EPS = "bert.attention.layer_norm_epsilon";
    public static final String CAUSAL = "bert.attention.causal";
    public static final String POOLING_TYPE = "bert.pooling_type";
    public static final String TOKEN_TYPE_COUNT = "tokenizer.ggml.token_type_count";
    /** Longest input kept, specials included (smelt's key; llama.cpp ignores it). */
    public static final String MAX_TOKENS = "smelt.encoder.max_tokens";
    /** Whether sentence vectors are L2-normalized (smelt's key; absent = true). */
    public static final String NORMALIZE = "smelt.encoder.normalize";

    /** llama.cpp's {@code llama_pooling_type} codes. */
    public static final int POOLING_NONE = 0;
    public static final int POOLING_MEAN = 1;
    public static final int POOLING_CLS = 2;

    public static final String TOKEN_EMBD = "token_embd.weight";
    public static final String TOKEN_TYPES = "token_types.weight";
    public static final String POS_EMBD = "position_embd.weight";
    public static final String EMBD_NORM = "token_embd_norm";

    /** Block tensor stems, each with {@code .weight} and {@code .bias}: "blk.N." + stem. */
    public static final String Q = "attn_q";
    public static final String K = "attn_k";
    public static final String V = "attn_v";
    public static final String O = "attn_output";
    public static final String ATTN_NORM = "attn_output_norm";
    public static final String UP = "ffn_up";
    public static final String DOWN = "ffn_down";
    public static final String OUT_NORM = "layer_output_norm";

    private BertGguf() {
    }

    /** "blk.{layer}.{stem}.{suffix}", e.g. blk.0.attn_q.weight. */
    public static String block(int layer, String stem, String suffix) {
        return "blk." + layer + "." + stem + "." + suffix;
    }

    /** The pooling code llama.cpp uses for {@code p}. */
    public static int poolingCode(Pooling p) {
        return p == Pooling.CLS ? POOLING_CLS : POOLING_MEAN;
    }
}
