package dev.smelt.train.data;

import dev.smelt.model.chat.ChatTemplate;
import dev.smelt.model.chat.ChatTemplateException;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Turns {@link RawExample}s into {@link TokenizedExample}s with a model's own chat template and
 * tokenizer, scoring only what the model must learn to generate.
 *
 * <h2>Finding the assistant tokens (conversations)</h2>
 * Rendering prefixes, the approach TRL's assistant-only loss and other trainers use for templates
 * without {@code {% generation %}} markers: for each assistant turn i, P = render(messages[..i),
 * add_generation_prompt=true) is the text up to where the model starts answering and
 * F = render(messages[..i]) the text through its answer and end-of-turn marker; the answer is
 * F minus P. The full render T must start with P, and with F up to the answer's end-of-turn token
 * (templates such as Llama 3's append an assistant header to every render, which T replaces by the next
 * turn). A turn whose rendering changes once more messages follow (Qwen3 drops thinking blocks from
 * earlier turns) cannot be located that way and is not trained (counted in {@link Stats}); the last
 * answer always can. Text between answers (prompts, template markup) is context only.
 *
 * <h2>Tokens</h2>
 * Each piece of T is tokenized on its own (control tokens in the text recognised), so the answer's
 * tokens are exactly those the model produces after the prompt at inference. BOS is prepended when the
 * tokenizer adds one and the template did not already write it. The answer is scored through its first
 * end-of-generation token (EOS, {@code <|eot_id|>}, {@code <|im_end|>}, {@code <end_of_turn>} …), and
 * text after it (a newline) is not; when the answer contains no such token (e.g. the ChatML fallback on
 * a vocabulary without {@code <|im_end|>}) the tokenizer's EOS is appended and scored, so the tuned
 * model learns to stop.
 *
 * <p>Thread-safety: immutable; thread-safe if the template and tokenizer are (they are).
 */
public final class ChatFormat {
    private final ChatTemplate template;
    private final Tokenizer tok;
    private final boolean addsBos;
    private final boolean teacher;

    /** Counters of what conversion saw. Not thread-safe. */
    public static final class Stats {
        public int examples;
        public int trainedTurns;
        public int unstableTurns;
        public int truncated;
    }

    public ChatFormat(ChatTemplate template, Tokenizer tokenizer) {
        this(template, tokenizer, false);
    }

    private ChatFormat(ChatTemplate template, Tokenizer tokenizer, boolean teacher) {
        this.teacher = teacher;
        if (template == null || tokenizer == null) {
            throw new IllegalArgumentException("template and tokenizer are required");
        }
        this.template = template;
        this.tok = tokenizer;
        int[] probe = tokenizer.encode("", true, false);
        this.addsBos = tokenizer.bos() >= 0 && probe.length > 0 && probe[0] == tokenizer.bos();
    }

    /** The model's template ({@code tokenizer.chat_template}), or ChatML as llama-server falls back to. */
    public static ChatFormat forModel(GgufFile f, Tokenizer tok) {
        String src = f.getString("tokenizer.chat_template", null);
        ChatTemplate t = src != null ? ChatTemplate.of(f.path() + ":tokenizer.chat_template", src, tok.bos() >= 0 ? tok.piece(tok.bos()) : "", tok.eos() >= 0 ? tok.piece(tok.eos()) : "")
                : ChatTemplate.chatml();
        return new ChatFormat(t, tok);
    }

    /**
     * The same format, also mapping teacher logprobs ({@link TeacherLogprobs}) onto the answer tokens
     * for distillation: the teacher's tokens must be exactly the student's first answer tokens and
     * every top-k candidate a token of the student's vocabulary, else a {@link DataException} names
     * the first mismatching token (the vocabularies differ: distillation would be meaningless).
     */
    public ChatFormat withTeacherLogprobs() {
        return new ChatFormat(template, tok, true);
    }

    public Tokenizer tokenizer() {
        return tok;
    }

    /**
     * @throws DataException (naming the example's file:line) when it has nothing to train on or the
     *                       template rejects it
     */
    public TokenizedExample tokenize(RawExample ex, Stats stats) {
        Seq s = new Seq();
        switch (ex) {
            case RawExample.Text t -> {
                s.bos();
                s.add(t.text(), true);
                s.eos(true);
            }
            case RawExample.PromptCompletion pc -> {
                s.bos();
                s.add(pc.prompt(), false);
                int start = s.ids.size();
                s.add(pc.completion(), true);
                s.teacher(start, pc.teacher(), ex.source());
                s.eos(true);
            }
            case RawExample.Conversation c -> conversation(c, s, stats);
        }
        TokenizedExample out = s.build(ex.source());
        if (out.targetCount() == 0) {
            throw new DataException(ex.source(), "nothing to train on: no assistant/completion tokens would be scored");
        }
        if (stats != null) {
            stats.examples++;
        }
        return out;
    }

    private void conversation(RawExample.Conversation c, Seq s, Stats stats) {
        List<Map<String, Object>> m = c.messages();
        String full = render(c, m.size(), false);
        List<int[]> spans = new ArrayList<>(); // [start, end) of each trained answer in full
        for (int i = Math.max(0, c.trainFrom()); i < m.size(); i++) {
            if (!"assistant".equals(m.get(i).get("role"))) {
                continue;
            }
            String p = render(c, i, true);
            String f = render(c, i + 1, false);
            int end = answerEnd(p, f, full);
            if (end < 0 || (!spans.isEmpty() && p.length() < spans.getLast()[1])) {
                if (stats != null) {
                    stats.unstableTurns++;
                }
                continue;
            }
            if (end > p.length()) {
                spans.add(new int[] {p.length(), end, i});
                if (stats != null) {
                    stats.trainedTurns++;
                }
            }
        }
        if (spans.isEmpty()) {
            throw new DataException(c.source(), "nothing to train on: no assistant turn"
                    + (c.trainFrom() > 0 ? " in the completion" : "") + " could be found in the rendered chat");
        }
        if (!bosWritten(full)) {
            s.bos();
        }
        int at = 0;
        for (int[] sp : spans) {
            s.add(full.substring(at, sp[0]), false);
            int start = s.ids.size();
            s.answer(full.substring(sp[0], sp[1]));
            s.teacher(start, c.teacher().get(sp[2]), c.source());
            at = sp[1];
        }
        s.add(full.substring(at), false);
    }

    /**
     * Where answer i ends in the full chat: the end of F when the full chat starts with F; otherwise
     * (templates that append text to a rendered prefix, e.g. Llama 3's unconditional assistant header)
     * the end of the first end-of-generation token inside the part F and the full chat share.
     * -1 when the answer cannot be located.
     */
    private int answerEnd(String p, String f, String full) {
        if (!f.startsWith(p) || !full.startsWith(p)) {
            return -1;
        }
        if (full.startsWith(f)) {
            return f.length();
        }
        int common = p.length();
        int max = Math.min(f.length(), full.length());
        while (common < max && f.charAt(common) == full.charAt(common)) {
            common++;
        }
        String shared = full.substring(p.length(), common);
        for (int t : tok.encode(shared, false, true)) {
            if (tok.isEndOfGeneration(t)) {
                String marker = new String(tok.tokenBytes(t), java.nio.charset.StandardCharsets.UTF_8);
                int at = shared.indexOf(marker);
                return at < 0 ? -1 : p.length() + at + marker.length();
            }
        }
        return -1;
    }

    private boolean bosWritten(String text) {
        return tok.bos() >= 0 && text.startsWith(tok.piece(tok.bos()));
    }

    private String render(RawExample.Conversation c, int n, boolean gen) {
        try {
            return template.render(c.messages().subList(0, n), c.tools(), gen);
        } catch (ChatTemplateException e) {
            throw new DataException(c.source(), "the chat template rejects this conversation: " + e.getMessage());
        }
    }

    private volatile Map<String, Integer> byText;

    /**
     * Non-special token ids by their text (OpenAI logprobs name tokens by text, not id). Where two ids
     * have the same text — a SentencePiece byte-fallback token {@code <0x21>} and {@code !} — the one
     * whose piece is spelled as its text (the merged token, which the tokenizer produces) wins.
     * Built once, on first use.
     */
    Map<String, Integer> textToId() {
        Map<String, Integer> m = byText;
        if (m == null) {
            m = new java.util.HashMap<>();
            for (int id = 0; id < tok.vocabSize(); id++) {
                if (tok.isSpecial(id)) {
                    continue;
                }
                String t = new String(tok.tokenBytes(id), java.nio.charset.StandardCharsets.UTF_8);
                if (t.isEmpty()) {
                    continue;
                }
                Integer old = m.get(t);
                if (old == null || (!spelledAsText(old, t) && spelledAsText(id, t))) {
                    m.put(t, id);
                }
            }
            byText = m;
        }
        return m;
    }

    private boolean spelledAsText(int id, String text) {
        return tok.piece(id).codePointCount(0, tok.piece(id).length()) == text.codePointCount(0, text.length());
    }

    /** Tokens and mask under construction. */
    private final class Seq {
        final List<Integer> ids = new ArrayList<>();
        final List<Boolean> target = new ArrayList<>();
        final java.util.Map<Integer, int[]> topIds = new java.util.HashMap<>();
        final java.util.Map<Integer, float[]> topLogprobs = new java.util.HashMap<>();

        /**
         * Attaches the teacher's distributions to the answer tokens from {@code start} (when this
         * format maps teachers and the answer has one), checking the vocabularies agree.
         */
        void teacher(int start, TeacherLogprobs t, String source) {
            if (!ChatFormat.this.teacher || t == null) {
                return;
            }
            List<TeacherLogprobs.Token> tt = t.tokens();
            for (int i = 0; i < tt.size(); i++) {
                int at = start + i;
                String want = tt.get(i).token();
                if (at >= ids.size() || !target.get(at)) {
                    throw new DataException(source, "teacher token " + i + " " + quote(want) + " is past the end of the student's answer ("
                            + (ids.size() - start) + " tokens): the teacher's vocabulary differs from this model's; token-level distillation needs a shared vocabulary");
                }
                String have = text(ids.get(at));
                if (!have.equals(want)) {
                    throw new DataException(source, "teacher token " + i + " " + quote(want) + " does not match the student's token " + quote(have)
                            + " (id " + ids.get(at) + ") there: the teacher's vocabulary differs from this model's; token-level distillation needs a shared vocabulary");
                }
                java.util.LinkedHashMap<Integer, Float> dist = new java.util.LinkedHashMap<>();
                for (TeacherLogprobs.Alternative a : tt.get(i).top()) {
                    int id = idOf(a.token());
                    if (id < 0) {
                        throw new DataException(source, "teacher token " + i + ": top_logprobs candidate " + quote(a.token())
                                + " is not a token of this model's vocabulary: the vocabularies differ; token-level distillation needs a shared vocabulary");
                    }
                    if (dist.putIfAbsent(id, (float) a.logprob()) != null) {
                        throw new DataException(source, "teacher token " + i + ": top_logprobs lists " + quote(a.token()) + " twice (student id " + id + ")");
                    }
                }
                dist.putIfAbsent(ids.get(at), (float) tt.get(i).logprob());
                int[] k = new int[dist.size()];
                float[] lp = new float[dist.size()];
                int j = 0;
                for (var e : dist.entrySet()) {
                    k[j] = e.getKey();
                    lp[j++] = e.getValue();
                }
                topIds.put(at, k);
                topLogprobs.put(at, lp);
            }
        }

        private String text(int id) {
            return new String(tok.tokenBytes(id), java.nio.charset.StandardCharsets.UTF_8);
        }

        /** The student id whose text is exactly {@code s}, or -1 (see {@link ChatFormat#textToId}). */
        private int idOf(String s) {
            return textToId().getOrDefault(s, -1);
        }

        private static String quote(String s) {
            return "'" + s.replace("\n", "\\n") + "'";
        }

        void bos() {
            if (addsBos && ids.isEmpty()) {
                ids.add(tok.bos());
                target.add(false);
            }
        }

        void eos(boolean trained) {
            if (tok.eos() < 0) {
                throw new IllegalStateException("the tokenizer has no EOS token, so a trained model could not learn to stop");
            }
            ids.add(tok.eos());
            target.add(trained);
        }

        void add(String text, boolean trained) {
            if (text.isEmpty()) {
                return;
            }
            for (int t : tok.encode(text, false, true)) {
                ids.add(t);
                target.add(trained);
            }
        }

        /** Scored through the first end-of-generation token; EOS appended when there is none. */
        void answer(String text) {
            int[] t = tok.encode(text, false, true);
            int end = -1;
            for (int i = 0; i < t.length; i++) {
                if (tok.isEndOfGeneration(t[i])) {
                    end = i;
                    break;
                }
            }
            if (end < 0) {
                String body = text.stripTrailing();
                add(body, true);
                eos(true);
                add(text.substring(body.length()), false);
                return;
            }
            for (int i = 0; i < t.length; i++) {
                ids.add(t[i]);
                target.add(i <= end);
            }
        }

        TokenizedExample build(String source) {
            int[] a = new int[ids.size()];
            boolean[] m = new boolean[ids.size()];
            for (int i = 0; i < a.length; i++) {
                a[i] = ids.get(i);
                m[i] = target.get(i);
            }
            if (m.length > 0 && m[0]) {
                m[0] = false; // nothing precedes the first token, so it cannot be predicted
            }
            if (topIds.isEmpty()) {
                return new TokenizedExample(a, m, source);
            }
            int[][] ti = new int[a.length][];
            float[][] tl = new float[a.length][];
            topIds.forEach((i, v) -> ti[i] = v);
            topLogprobs.forEach((i, v) -> tl[i] = v);
            return new TokenizedExample(a, m, source, ti, tl);
        }
    }
}
